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
from ledger.errors import ImportRefused, LedgerError, Problem
from ledger.store import EventStore

PAGE = 10_000


def read_jsonl(path: Path) -> tuple[list[tuple[int, Any]], list[Problem]]:
    """Parse every line; broken JSON is a problem of its line, not a crash."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise LedgerError(f"cannot read {path}: {e.strerror}") from None
    lines: list[tuple[int, Any]] = []
    problems: list[Problem] = []
    for n, raw in enumerate(data.split(b"\n"), start=1):
        if not raw.strip():
            continue
        try:
            lines.append((n, orjson.loads(raw)))
        except orjson.JSONDecodeError as e:
            problems.append(Problem(n, f"not valid JSON ({e.args[0] if e.args else e})"))
    return lines, problems


def import_file(ledger: Ledger, path: Path, *, progress: bool = False) -> RecordResult:
    lines, problems = read_jsonl(path)
    if problems:
        # Report field problems of the parseable lines too, so one round fixes all.
        try:
            ledger.record_numbered(lines)
        except ImportRefused as e:
            problems.extend(e.problems)
        raise ImportRefused(problems)
    return ledger.record_numbered(lines, progress=progress)


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
