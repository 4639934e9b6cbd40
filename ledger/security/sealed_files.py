"""Whole files sealed at rest with keys derived from the master key (the read side's caches).

Why: the projection folder holds the *opened* facts — sick days, birth
dates, pay — so that a query does not decrypt millions of values again. A
cache in clear would undo the sealing of the ledger, so every persisted
segment is one sealed file: readable only by a process that has the master
key, like the ledger's own personal fields (docs/privacy.md).

Why derived keys and not a stored data key: a cache can always be rebuilt
from the ledger, so nothing about it needs to survive a change of master
key, and a derived key needs no table, no wrapping and no rotation of its
own. HKDF-SHA256 separates purposes (``info``), so a cache key never equals
the key that wraps the persons' keys.

Format (version 1)::

    b"HRLSEAL1" | salt (32 bytes) | chunk | chunk | ...
    chunk = length of the sealed chunk (4 bytes, big-endian) | AES-256-GCM(chunk)

The file key is HKDF(master, salt, purpose); chunk ``i`` is encrypted with
nonce ``i`` (11 bytes) ‖ ``last`` (1 byte) and the file's name as associated
data (the STREAM construction): a chunk cannot be moved, dropped, or the
file cut short or renamed without the integrity check failing. Chunks keep
each AES call small (AES-GCM in ``cryptography`` takes at most 2 GiB at once)
and bound the memory a reader needs beside the plaintext.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Iterator
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ledger.security.keys import KeyProblem

MAGIC = b"HRLSEAL1"
SALT = 32
CHUNK = 8 << 20
"""Plaintext bytes per sealed chunk."""
_LEN = 4
_TAG = 16


def derive_key(master: bytes, purpose: str, salt: bytes = b"") -> bytes:
    """A 256-bit key for ``purpose`` (HKDF-SHA256); the master key itself is never used twice."""
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=salt or None, info=purpose.encode()
    ).derive(master)


class SealedFileError(KeyProblem):
    """A sealed file that does not open: wrong master key, or changed bytes."""


@dataclass(frozen=True)
class FileSealer:
    """Seals and opens the files of one purpose (e.g. ``"hrledger projection cache v1"``)."""

    master: bytes
    purpose: str

    def key_check(self) -> str:
        """A short public tag of the derived key: tells "sealed with another master key"
        apart from "changed bytes" without trying to decrypt anything."""
        check = derive_key(self.master, self.purpose + " / key check")
        return hmac.new(check, b"hrledger", hashlib.sha256).hexdigest()[:16]

    def seal(self, data: bytes | memoryview, name: str) -> Iterator[bytes]:
        """The sealed file as pieces to write one after another."""
        salt = os.urandom(SALT)
        aes = AESGCM(derive_key(self.master, self.purpose, salt))
        aad = MAGIC + name.encode()
        view = memoryview(data)
        yield MAGIC + salt
        count = max(1, -(-len(view) // CHUNK))
        for i in range(count):
            sealed = aes.encrypt(_nonce(i, i == count - 1), view[i * CHUNK : (i + 1) * CHUNK], aad)
            yield len(sealed).to_bytes(_LEN, "big") + sealed

    def open(self, blob: bytes, name: str) -> bytes:
        """The plaintext of a sealed file, or ``SealedFileError`` (one line, names the file)."""
        head = len(MAGIC) + SALT
        if blob[: len(MAGIC)] != MAGIC or len(blob) < head + _LEN + _TAG:
            raise SealedFileError(f"{name} is not a sealed file (hrledger {MAGIC.decode()})")
        aes = AESGCM(derive_key(self.master, self.purpose, blob[len(MAGIC) : head]))
        aad = MAGIC + name.encode()
        parts: list[bytes] = []
        at, i = head, 0
        view = memoryview(blob)
        try:
            while True:
                size = int.from_bytes(view[at : at + _LEN], "big")
                at += _LEN
                end = at + size
                last = end >= len(blob)
                parts.append(aes.decrypt(_nonce(i, last), view[at:end], aad))
                at, i = end, i + 1
                if last:
                    break
        except InvalidTag:
            raise SealedFileError(
                f"{name} does not open with this master key: sealed with another key, or its "
                "bytes were changed"
            ) from None
        return parts[0] if len(parts) == 1 else b"".join(parts)


def _nonce(index: int, last: bool) -> bytes:
    return index.to_bytes(11, "big") + (b"\x01" if last else b"\x00")
