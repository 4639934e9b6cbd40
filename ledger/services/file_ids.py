"""The event ids one import file gives, with the line that first gave each, off the heap.

Why: an id given twice in a file must be refused with both lines named,
however far apart they are, so the import must remember every id it has
read. As a dict that cost about 140 bytes of Python objects per line (1.1 GB
for three years at Oslo's size, more than everything else the import holds).
Here they go to a private temporary SQLite database that SQLite keeps on
disk once it outgrows a small cache, and that vanishes when closed: the
import's memory stays flat, for about 2 µs per line.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor

import orjson

from ledger.storage.port import chunks

CACHE_KB = 16_384


class FileEventIds:
    """Every event id read so far in one file → the first line that gave it.

    ``submit`` remembers a chunk's ids in a thread of its own, while the
    import checks and seals that chunk; ``repeats`` then waits for it. The
    insert is one statement with the GIL released, so the importing thread
    goes on meanwhile (about 0.4 s of a Sandnes year that it used to wait).
    """

    def __init__(self) -> None:
        # "": private, temporary, on disk; used by one thread at a time (``_pending``)
        self._db = sqlite3.connect("", isolation_level=None, check_same_thread=False)
        self._db.execute(f"PRAGMA cache_size = -{CACHE_KB}")
        self._db.execute("PRAGMA journal_mode = OFF")
        self._db.execute("PRAGMA synchronous = OFF")
        self._db.execute(
            "CREATE TABLE ids (id TEXT PRIMARY KEY, line INTEGER NOT NULL) WITHOUT ROWID"
        )
        self._db.execute("BEGIN")  # never committed: one transaction, no sync per insert
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="file-ids")
        self._pending: Future[list[tuple[int, str, int]]] | None = None
        self._found: list[tuple[int, str, int]] = []

    def add(self, given: Sequence[tuple[str, int]]) -> list[tuple[int, str, int]]:
        """Remember ``(event id, line)`` pairs in file order; (line, id, first line) of repeats."""
        self.submit(given)
        return self.repeats()

    def submit(self, given: Sequence[tuple[str, int]]) -> None:
        """Start remembering ``given`` (after what was submitted before); see ``repeats``."""
        self._wait()  # one at a time, in file order
        if given:
            rows = orjson.dumps(given).decode()
            self._pending = self._pool.submit(self._insert, rows, list(given))

    def repeats(self) -> list[tuple[int, str, int]]:
        """(line, id, first line) of the ids submitted since the last call, given before."""
        self._wait()
        found, self._found = self._found, []
        return found

    def _wait(self) -> None:
        if self._pending is not None:
            pending, self._pending = self._pending, None
            self._found.extend(pending.result())

    def _insert(self, rows: str, given: list[tuple[str, int]]) -> list[tuple[int, str, int]]:
        before = self._db.total_changes
        self._db.execute(
            "INSERT OR IGNORE INTO ids SELECT value ->> 0, value ->> 1 FROM json_each(?)", (rows,)
        )
        if self._db.total_changes - before == len(given):
            return []  # the usual case: no id given before
        first = self._lines([eid for eid, _ in given])
        return [(n, eid, first[eid]) for eid, n in given if first[eid] != n]

    def __contains__(self, event_id: object) -> bool:
        self._wait()  # the chunk being checked is remembered too
        return isinstance(event_id, str) and bool(self._lines([event_id]))

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        self._db.close()

    def _lines(self, ids: Sequence[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        for part in chunks(ids):
            marks = ",".join("?" * len(part))
            found.update(self._db.execute(f"SELECT id, line FROM ids WHERE id IN ({marks})", part))
        return found
