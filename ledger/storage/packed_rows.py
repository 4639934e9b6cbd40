"""A chunk of events packed for one insert statement per table: JSON rows and two blobs.

Why: the import writes a chunk from a thread of its own while it checks the
next (``ledger.services.write_behind``). That only runs in parallel when the
database gets the chunk in a few long calls with the GIL released; a driver
fed row by row takes the GIL back for every row. So both stores insert a
chunk with ``INSERT … SELECT`` over the rows as one JSON text, cutting each
stored state and chain hash out of one blob. The stored bytes and the chain
are the same as row by row.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from ledger.security.chain import link
from ledger.storage.port import NewEvent, hex_id

HASH_BYTES = 32
"""A chain hash (SHA-256); the hashes blob holds one per row, in row order."""


@dataclass(frozen=True)
class PackedChunk:
    rows: str
    """JSON text: per event ``[position, originator id (hex), version, topic, state offset
    (from 1), state length, event id, stream]``. Text, not bytes: newer SQLite reads a blob
    as JSONB."""
    states: bytes
    """The stored states, concatenated."""
    hashes: bytes
    """The chain hash of each row, concatenated."""
    head: bytes
    """The chain head after the chunk."""

    def params(self) -> dict[str, Any]:
        return {"rows": self.rows, "states": self.states, "hashes": self.hashes}


def pack(positions: Iterable[int], chunk: Sequence[NewEvent], head: bytes) -> PackedChunk:
    """``chunk`` at ``positions``, linked to the chain from ``head``."""
    rows, states, hashes = [], [], []
    offset = 1  # substr() and substring() count from 1
    for pos, e in zip(positions, chunk, strict=True):
        oid = hex_id(e.originator_id)
        rows.append((pos, oid, e.version, e.topic, offset, len(e.state), e.event_id, e.stream))
        offset += len(e.state)
        states.append(e.state)
        head = link(head, pos, oid, e.version, e.topic, e.state)
        hashes.append(head)
    return PackedChunk(orjson.dumps(rows).decode(), b"".join(states), b"".join(hashes), head)
