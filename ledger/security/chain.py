"""The hash chain that makes the log tamper-evident.

Each stored event is linked to the one before it: link_n = SHA-256(link_{n-1}
‖ position ‖ originator id ‖ version ‖ topic ‖ state). The state holds the
recorded time, so editing, deleting, reordering or inserting a row breaks
the chain from that position on. The head (last link) is a short digest an
operator can publish; anyone can later check the log against it.
"""

from __future__ import annotations

import hashlib

GENESIS = bytes(32)


def link(
    prev: bytes, position: int, originator_id: str, version: int, topic: str, state: bytes
) -> bytes:
    return hashlib.sha256(
        b"%b|%d|%b|%d|%b|%b"
        % (prev, position, originator_id.encode(), version, topic.encode(), state)
    ).digest()


def digest(head: bytes) -> str:
    """The published form of a chain head: hex, 64 characters."""
    return head.hex()
