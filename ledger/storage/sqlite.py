"""Where events live: the `eventsourcing` library's tables, SQLite or PostgreSQL.

The library creates and owns the event table (``stored_events``), so its
recorders, notification log and projection machinery work on our ledger.
Appends go through one transaction of our own (``unit_of_work``) that also
writes three small tables the library has no notion of: the hash chain, the
index of client event ids (idempotent re-import, retraction targets) and the
owner of each employment id. One transaction for all four makes an import
all-or-nothing, and it is one transaction per file, never per event.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from uuid import UUID

from ledger.domain.errors import StorageError
from ledger.security.chain import GENESIS
from ledger.security.keys import KEY_COLUMNS, LEDGER_KEY_ID, KeyRow, MasterKeySource, key_row
from ledger.storage.packed_rows import HASH_BYTES, pack_columns
from ledger.storage.port import (
    ENV_URL,
    TOMBSTONE_SQL,
    ConcurrentWrite,
    Erasure,
    NewEvent,
    Rewrap,
    chunks,
    group_by_stream,
)


class SQLiteStore:
    kind = "sqlite"

    key_left_in_log = False
    """True after an erasure whose write-ahead log readers kept from being emptied."""

    def __init__(
        self,
        url: str,
        path: str,
        *,
        create: bool = True,
        master_key: MasterKeySource | None = None,
    ):
        self.url = url
        self.path = path
        self.master_key = master_key or MasterKeySource.from_environment()
        if not create and not Path(path).exists():
            raise StorageError(
                f"no ledger at {path}; import into it first, or pass --db / set {ENV_URL}"
            )
        parent = Path(path).parent
        if not parent.exists():
            raise StorageError(f"folder {parent} does not exist; create it or choose another --db")
        if not create and Path(path).stat().st_size == 0:
            create = True  # an empty file is an empty SQLite database: a new, empty ledger
        writable = os.access(parent, os.W_OK) and (
            not Path(path).exists() or os.access(path, os.W_OK)
        )
        if create and not writable:
            raise StorageError(
                f"{path} is on read-only storage or not writable; nothing was stored. Read "
                "commands (verify, export, history) still work; write to a writable copy"
            )
        try:
            if create:
                self._create_library_tables()
                # An import writes from a thread of its own, one use at a time
                # (ledger.services.write_behind).
                self.conn = sqlite3.connect(
                    path, isolation_level=None, timeout=60, check_same_thread=False
                )
            else:  # read commands: never create or change anything (works on read-only media)
                self.conn = _open_read_only(path)
            self.conn.execute("PRAGMA busy_timeout = 60000")
            self.conn.execute("PRAGMA cache_size = -65536")  # 64 MB: big imports touch many pages
            # an erased person's key must not survive in a free page of the file
            self.conn.execute("PRAGMA secure_delete = ON")
            if create:
                self._create_own_tables()
        except Exception as e:  # the library wraps sqlite3 errors in its own classes
            raise StorageError(
                f"{path} is not a readable ledger ({e}); restore it from a backup "
                "(see docs/operations.md)"
            ) from None

    def _create_library_tables(self) -> None:
        from eventsourcing.sqlite import SQLiteFactory
        from eventsourcing.utils import Environment

        factory = SQLiteFactory(Environment(env={"SQLITE_DBNAME": self.path}))
        try:
            factory.application_recorder()
            factory.aggregate_recorder("snapshots")
        finally:
            factory.close()

    def _create_own_tables(self) -> None:
        c = self.conn
        c.execute(
            "CREATE TABLE IF NOT EXISTS ledger_chain "
            "(position INTEGER PRIMARY KEY, chain_hash BLOB NOT NULL)"
        )
        c.execute(
            "CREATE TABLE IF NOT EXISTS ledger_event_ids (event_id TEXT PRIMARY KEY, "
            "originator_id TEXT NOT NULL, stream TEXT NOT NULL) WITHOUT ROWID"
        )
        c.execute(
            "CREATE TABLE IF NOT EXISTS ledger_employments "
            "(employment_id TEXT PRIMARY KEY, employee_id TEXT NOT NULL) WITHOUT ROWID"
        )
        c.execute(
            "CREATE TABLE IF NOT EXISTS ledger_person_keys (key_id TEXT PRIMARY KEY, "
            "employee_id TEXT UNIQUE, wrapped BLOB, created_at TEXT NOT NULL, erased_at TEXT)"
        )

    def max_position(self) -> int:
        row = self.conn.execute("SELECT MAX(rowid) FROM stored_events").fetchone()
        return int(row[0] or 0)

    def read_rows(self, after: int, limit: int) -> list[tuple[int, bytes]]:
        cur = self.conn.execute(
            "SELECT rowid, state FROM stored_events WHERE rowid > ? ORDER BY rowid LIMIT ?",
            (after, limit),
        )
        return cur.fetchall()

    def read_page(self, after: int, limit: int) -> tuple[int, bytes] | None:
        # A rowid range, not ORDER BY … LIMIT: SQLite walks the table's B-tree in rowid
        # order, so group_concat joins the states in position order.
        lo, hi, n, blob = self.conn.execute(
            "SELECT min(rowid), max(rowid), count(*), CAST(group_concat(state, x'0a') AS BLOB) "
            "FROM stored_events WHERE rowid > ? AND rowid <= ?",
            (after, after + limit),
        ).fetchone()
        if not n:
            return (after, b"") if after >= self.max_position() else None
        if lo != after + 1 or hi - lo + 1 != n:
            return None
        return hi, blob

    def read_full_rows(self, after: int, limit: int) -> list[tuple[int, str, int, str, bytes]]:
        cur = self.conn.execute(
            "SELECT rowid, originator_id, originator_version, topic, state FROM stored_events "
            "WHERE rowid > ? ORDER BY rowid LIMIT ?",
            (after, limit),
        )
        return cur.fetchall()

    def read_rows_of(self, topics: Sequence[str]) -> list[tuple[int, bytes]]:
        marks = ",".join("?" * len(topics))
        cur = self.conn.execute(
            f"SELECT rowid, state FROM stored_events WHERE topic IN ({marks}) ORDER BY rowid",
            list(topics),
        )
        return cur.fetchall()

    def read_chain(self, after: int, limit: int) -> list[tuple[int, bytes]]:
        cur = self.conn.execute(
            "SELECT position, chain_hash FROM ledger_chain WHERE position > ? "
            "ORDER BY position LIMIT ?",
            (after, limit),
        )
        return cur.fetchall()

    def _select_in(self, sql: str, ids: Sequence[Any]) -> list[Any]:
        out: list[Any] = []
        for chunk in chunks(list(ids)):
            marks = ",".join("?" * len(chunk))
            out.extend(self.conn.execute(sql.format(marks=marks), list(chunk)).fetchall())
        return out

    def existing_event_ids(self, ids: Sequence[str]) -> set[str]:
        rows = self._select_in(
            "SELECT event_id FROM ledger_event_ids WHERE event_id IN ({marks})", ids
        )
        return {r[0] for r in rows}

    def locate_events(self, ids: Sequence[str]) -> dict[str, str]:
        rows = self._select_in(
            "SELECT event_id, stream FROM ledger_event_ids WHERE event_id IN ({marks})", ids
        )
        return dict(rows)

    def employment_owners(self, ids: Sequence[str]) -> dict[str, str]:
        rows = self._select_in(
            "SELECT employment_id, employee_id FROM ledger_employments "
            "WHERE employment_id IN ({marks})",
            ids,
        )
        return dict(rows)

    def stream_rows(self, after: dict[UUID, int]) -> dict[UUID, list[tuple[int, bytes]]]:
        """Events of many streams, each only after the given version (its snapshot)."""
        rows: list[Any] = []
        pairs = [(k.hex, v) for k, v in after.items()]
        for chunk in chunks(pairs, 400):
            values = ",".join(["(?,?)"] * len(chunk))
            params = [x for pair in chunk for x in pair]
            rows.extend(
                self.conn.execute(
                    f"WITH q(oid, v) AS (VALUES {values}) SELECT e.originator_id, "
                    "e.originator_version, e.state FROM q JOIN stored_events e "
                    "ON e.originator_id = q.oid AND e.originator_version > q.v",
                    params,
                ).fetchall()
            )
        return group_by_stream(rows, UUID)

    def snapshots(self, ids: Sequence[UUID]) -> dict[UUID, tuple[int, bytes]]:
        rows = self._select_in(
            "SELECT originator_id, MAX(originator_version), state FROM stored_snapshots "
            "WHERE originator_id IN ({marks}) GROUP BY originator_id",
            [i.hex for i in ids],
        )
        return {UUID(oid): (v, bytes(s)) for oid, v, s in rows}

    def _keys(self, where: str = "", ids: Sequence[str] | None = None) -> list[Any]:
        query = f"SELECT {KEY_COLUMNS} FROM ledger_person_keys {where}"
        try:
            if ids is None:
                return self.conn.execute(query).fetchall()
            return self._select_in(query, ids)
        except sqlite3.OperationalError as e:
            if "no such table" in str(e):
                return []  # a ledger from before sealing, opened read-only
            raise

    def key_rows(self, employee_ids: Iterable[str] | None = None) -> list[KeyRow]:
        if employee_ids is None:
            rows = self._keys()
        else:
            rows = self._keys("WHERE employee_id IN ({marks})", list(employee_ids))
            rows += self._keys("WHERE key_id IN ({marks})", [LEDGER_KEY_ID])
        return [key_row(r) for r in rows]

    def key_rows_by_id(self, key_ids: Iterable[str]) -> list[KeyRow]:
        return [key_row(r) for r in self._keys("WHERE key_id IN ({marks})", list(key_ids))]

    def erased_employees(self) -> set[str]:
        return {r[1] for r in self._keys("WHERE wrapped IS NULL")}

    def save_snapshots(self, rows: Sequence[tuple[UUID, int, str, bytes]]) -> None:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            self.conn.executemany(
                "INSERT OR IGNORE INTO stored_snapshots VALUES (?,?,?,?)",
                [(oid.hex, v, t, s) for oid, v, t, s in rows],
            )
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise

    @contextmanager
    def unit_of_work(self) -> Iterator[SQLiteUnitOfWork]:
        """One ``BEGIN IMMEDIATE`` transaction: the write lock is taken before the chain
        head is read, so no other writer can move it until COMMIT."""
        c = self.conn
        c.execute("BEGIN IMMEDIATE")
        try:
            row = c.execute(
                "SELECT chain_hash FROM ledger_chain ORDER BY position DESC LIMIT 1"
            ).fetchone()
            uow = SQLiteUnitOfWork(c, self.max_position() + 1, bytes(row[0]) if row else GENESIS)
            yield uow
            c.execute("COMMIT")
        except sqlite3.IntegrityError as e:
            c.execute("ROLLBACK")
            raise ConcurrentWrite(str(e)) from None
        except BaseException:
            if c.in_transaction:
                c.execute("ROLLBACK")
            raise
        if uow.erased:  # the destroyed key must not stay in the write-ahead log either
            self.key_left_in_log = not self._checkpoint()

    def _checkpoint(self, attempts: int = 20) -> bool:
        """Copy the log into the file and empty it; False if readers kept it busy."""
        # the busy handler would make each attempt wait the full minute for readers
        self.conn.execute("PRAGMA busy_timeout = 100")
        try:
            for _ in range(attempts):
                busy = self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
                if not busy:
                    return True
                time.sleep(0.1)
            return False
        finally:
            self.conn.execute("PRAGMA busy_timeout = 60000")

    def rewrap_keys(self, rewrap: Rewrap, chunk_size: int = 500) -> int:
        """A master key rotation in one transaction under the write lock (see the port).

        Afterwards the write-ahead log is emptied: it would otherwise keep the
        keys wrapped by the old master key, the one being retired.
        """
        c = self.conn
        c.execute("BEGIN IMMEDIATE")  # writers wait: none can add a key under the old master
        try:
            rows = [
                key_row(r)
                for r in c.execute(
                    f"SELECT {KEY_COLUMNS} FROM ledger_person_keys WHERE wrapped IS NOT NULL "
                    "ORDER BY key_id"
                ).fetchall()
            ]
            changed = 0
            for chunk in chunks(rows, chunk_size):
                updates = rewrap(chunk)
                c.executemany(
                    "UPDATE ledger_person_keys SET wrapped = ? WHERE key_id = ? "
                    "AND wrapped IS NOT NULL",
                    [(wrapped, kid) for kid, wrapped in updates],
                )
                changed += len(updates)
            c.execute("COMMIT")
        except BaseException:
            if c.in_transaction:
                c.execute("ROLLBACK")
            raise
        if changed:
            self.key_left_in_log = not self._checkpoint()
        return changed

    def close(self) -> None:
        self.conn.close()


_CHUNK_ROWS = "FROM json_each(:rows) AS j"
"""The rows of a ``ColumnChunk`` (``ledger.storage.packed_rows``): row ``j.key``."""
_ORIGINATOR_ID = "CAST(substr(:oids, j.key * 32 + 1, 32) AS TEXT)"
_CHUNK_INSERTS = (
    "INSERT INTO stored_events (rowid, originator_id, originator_version, topic, state) "
    f"SELECT :first + j.key, {_ORIGINATOR_ID}, j.value ->> 0, "
    ":topics ->> CAST(substr(:codes, j.key * 2 + 1, 2) AS INTEGER), "
    f"substr(:states, j.value ->> 1, j.value ->> 2) {_CHUNK_ROWS}",
    "INSERT INTO ledger_chain SELECT :first + j.key, "
    f"substr(:hashes, j.key * {HASH_BYTES} + 1, {HASH_BYTES}) {_CHUNK_ROWS}",
    f"INSERT INTO ledger_event_ids SELECT j.value ->> 3, {_ORIGINATOR_ID}, j.value ->> 4 "
    + _CHUNK_ROWS,
)


class SQLiteUnitOfWork:
    """The rows of one open transaction; positions are SQLite rowids, given in order."""

    def __init__(self, conn: sqlite3.Connection, first: int, head: bytes):
        self.conn = conn
        self.next_position = first
        self.head = head
        self.erased = False

    def write(self, events: Sequence[NewEvent], new_keys: Sequence[KeyRow] = ()) -> list[int]:
        c = self.conn
        first = self.next_position
        for chunk in chunks(events, 20_000):
            pos = self.next_position
            packed = pack_columns(pos, chunk, self.head)
            for statement in _CHUNK_INSERTS:  # one step each, the GIL released
                c.execute(statement, packed.params())
            c.executemany(
                "INSERT OR IGNORE INTO ledger_employments VALUES (?,?)",
                [e.employment for e in chunk if e.employment is not None],
            )
            self.next_position, self.head = pos + len(chunk), packed.head
        if new_keys:
            c.executemany(
                "INSERT INTO ledger_person_keys VALUES (?,?,?,?,?)",
                [(k.key_id, k.employee_id, k.wrapped, k.created_at, k.erased_at) for k in new_keys],
            )
        return list(range(first, self.next_position))

    def erase(self, erasure: Erasure) -> None:
        self.conn.executemany(TOMBSTONE_SQL.replace("%s", "?"), erasure.tombstone_rows())
        self.conn.execute(
            "DELETE FROM stored_snapshots WHERE originator_id = ?", (erasure.stream_id.hex,)
        )
        self.erased = True


def _open_read_only(path: str) -> sqlite3.Connection:
    """Read-only, and on read-only media too (a WAL ledger then opens as immutable)."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None, timeout=60)
        conn.execute("SELECT 1 FROM stored_events LIMIT 1").fetchall()
        return conn
    except sqlite3.OperationalError as e:
        if "no such table" in str(e):
            raise
        conn = sqlite3.connect(
            f"file:{path}?mode=ro&immutable=1", uri=True, isolation_level=None, timeout=60
        )
        conn.execute("SELECT 1 FROM stored_events LIMIT 1").fetchall()
        return conn
