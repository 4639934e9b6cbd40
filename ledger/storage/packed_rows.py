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
from uuid import UUID

import orjson

from ledger.security.chain import link
from ledger.storage.port import NewEvent

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


_HEX: dict[str, str] = {}
"""Stream → its originator id as hex (a stream's id never changes), for the streams in
use now: a UUID's text form is Python code, and its hash too."""
_HEX_MAX = 1 << 16


def _hex(stream: str, originator_id: UUID) -> str:
    if len(_HEX) >= _HEX_MAX:
        _HEX.clear()
    found = _HEX[stream] = originator_id.hex
    return found


def pack(positions: Iterable[int], chunk: Sequence[NewEvent], head: bytes) -> PackedChunk:
    """``chunk`` at ``positions``, linked to the chain from ``head``."""
    rows, states, hashes = [], [], []
    offset = 1  # substr() and substring() count from 1
    known = _HEX.get
    for pos, e in zip(positions, chunk, strict=True):
        state, stream = e.state, e.stream
        oid = known(stream) or _hex(stream, e.originator_id)
        rows.append((pos, oid, e.version, e.topic, offset, len(state), e.event_id, stream))
        offset += len(state)
        states.append(state)
        head = link(head, pos, oid, e.version, e.topic, state)
        hashes.append(head)
    return PackedChunk(orjson.dumps(rows).decode(), b"".join(states), b"".join(hashes), head)
