"""The JSON Lines import file and the event export (docs/events.md, docs/import.md).

Export writes the stored events back in the import format, with the
recorded time and ledger position added, so that importing an export into an
empty ledger gives the same events (and the same KPIs).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import orjson

from ledger.domain.errors import ImportRefused, LedgerError, Problem, StorageError
from ledger.domain.sick_leave_periods import Expansion
from ledger.domain.validation import InvalidJson
from ledger.services.follow import LogReader
from ledger.services.recording import Ledger, RecordResult
from ledger.storage.store import EventStore

PAGE = 10_000
BOM = b"\xef\xbb\xbf"


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
            if n == 1 and raw.startswith(BOM):
                raw = raw[len(BOM) :]  # spreadsheet tools on Windows write one
            if raw[:1] != b"{" and not raw.strip():  # the test before strip spares a copy
                continue
            try:
                yield n, orjson.loads(raw)
            except orjson.JSONDecodeError as e:
                yield n, InvalidJson(str(e.args[0]) if e.args else str(e))


def import_file(
    ledger: Ledger,
    path: Path,
    *,
    progress: bool = False,
    lines_of: Callable[[Path], Iterable[tuple[int, Any]]] | None = None,
) -> RecordResult:
    """Import a file (JSON Lines, or `lines_of` reads it), all or nothing.

    An empty file is refused: a feed that suddenly delivers nothing is an
    upstream fault a cron job must notice, not a successful import.
    """
    if lines_of is None:
        lines_of = read_jsonl
    return record_lines(ledger, counted_lines(lines_of(path), path), progress=progress)


def counted_lines(numbered: Iterable[tuple[int, Any]], path: Path) -> Iterator[tuple[int, Any]]:
    """The lines, refusing a file without any (checked when the file has been read)."""
    lines = 0
    for item in numbered:
        lines += 1
        yield item
    if lines == 0:
        raise ImportRefused([Problem(1, f"{path} holds no events (the file is empty)")])


def record_lines(
    ledger: Ledger, numbered: Iterable[tuple[int, Any]], *, progress: bool = False
) -> RecordResult:
    """Record numbered lines, sick-leave periods expanded to their days, all or nothing;
    refusals keep the input's line numbers, storage failures become one `StorageError`."""
    expansion = Expansion()
    before = _position_or_none(ledger)
    try:
        return ledger.record_numbered(expansion.lines(numbered), progress=progress)
    except ImportRefused as e:
        raise ImportRefused(expansion.translate(e.problems)) from None
    except (sqlite3.Error, _pg_error()) as e:
        raise StorageError(_storage_failure(ledger, before, e)) from None


def _pg_error() -> type[Exception]:
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return sqlite3.Error
    return psycopg.Error


def _position_or_none(ledger: Ledger) -> int | None:
    try:
        return ledger.store.max_position()
    except Exception:
        return None


_HINTS = (
    ("full", "free disk space on the ledger's disk (or database server), then import again"),
    ("readonly", "the ledger file or its folder is read-only: fix the permissions or the mount"),
    ("read-only", "the ledger file or its folder is read-only: fix the permissions or the mount"),
    ("locked", "another program holds the ledger; import again when it has finished"),
    ("permission denied", "the database user lacks the rights to write (docs/privacy.md, Roles)"),
    ("connection", "the connection to the database was lost; check the server, import again"),
    ("malformed", "the ledger file is damaged; restore it from a backup (docs/operations.md)"),
)


def _storage_failure(ledger: Ledger, before: int | None, error: Exception) -> str:
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    hint = next(
        (h for key, h in _HINTS if key in text.lower()),
        "see docs/operations.md, 'What an error means'",
    )
    after = _position_or_none(ledger)
    if before is not None and after == before:
        outcome = "nothing from the file was stored"
    else:
        outcome = "run `hrledger verify`; importing the file again skips lines already stored"
    return f"the ledger could not be written ({text}); {outcome}; {hint}"


def iter_events(store: EventStore) -> Iterator[dict[str, Any]]:
    """Every stored event in export form (``ledger.services.follow``), sealed fields opened."""
    return LogReader(store, page_size=PAGE).events()


def export_events(store: EventStore, out: IO[bytes]) -> int:
    n = 0
    for ev in iter_events(store):
        out.write(orjson.dumps(ev))
        out.write(b"\n")
        n += 1
    return n
