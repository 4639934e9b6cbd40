"""The JSON Lines import file and the event export (shared/interchange.md).

Export writes the stored events back in the import format, with the
recorded time and ledger position added, so that importing an export into an
empty ledger gives the same events (and the same KPIs).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import orjson

from ledger.application import Ledger, RecordResult
from ledger.errors import LedgerError
from ledger.store import EventStore
from ledger.validation import InvalidJson

PAGE = 10_000


def read_jsonl(path: Path) -> Iterator[tuple[int, Any]]:
    """Parse line by line; broken JSON becomes a problem of its line, not a crash.

    A generator, so a million-line file is never held twice in memory.
    """
    try:
        handle = path.open("rb")
    except OSError as e:
        raise LedgerError(f"cannot read {path}: {e.strerror}") from None
    with handle:
        for n, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                yield n, orjson.loads(raw)
            except orjson.JSONDecodeError as e:
                yield n, InvalidJson(str(e.args[0]) if e.args else str(e))


def import_file(ledger: Ledger, path: Path, *, progress: bool = False) -> RecordResult:
    return ledger.record_numbered(read_jsonl(path), progress=progress)


def stored_to_line(state: bytes, position: int) -> dict[str, Any]:
    ev: dict[str, Any] = orjson.loads(state)
    stamp = ev.pop("timestamp")
    ev["recorded_at"] = stamp["_data_"]
    ev["ledger_position"] = position
    return ev


def iter_events(store: EventStore) -> Iterator[dict[str, Any]]:
    after = 0
    while True:
        rows = store.read_rows(after, PAGE)
        if not rows:
            return
        for position, state in rows:
            yield stored_to_line(state, position)
        after = rows[-1][0]


def export_events(store: EventStore, out: IO[bytes]) -> int:
    n = 0
    for ev in iter_events(store):
        out.write(orjson.dumps(ev))
        out.write(b"\n")
        n += 1
    return n
