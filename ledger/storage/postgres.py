"""The ledger on PostgreSQL: one schema per municipality.

The library's recorder creates ``stored_events`` (with its notification id
sequence and NOTIFY channel, so the library's subscriptions work). Appends
take one advisory lock per schema (as the library's ``LOCK TABLE`` would, but
without needing UPDATE rights) so commit order equals position order,
reserve positions from the sequence, and insert the rows with one statement
per table and chunk: a large import is one transaction and never hits the
pipeline-mode hang of very large ``save()`` calls.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlparse, urlunparse
from uuid import UUID

import psycopg
from psycopg import sql

from ledger.domain.errors import StorageError
from ledger.security.chain import GENESIS
from ledger.security.keys import KEY_COLUMNS, LEDGER_KEY_ID, KeyRow, MasterKeySource, key_row
from ledger.storage.packed_rows import HASH_BYTES, pack
from ledger.storage.port import (
    TOMBSTONE_SQL,
    ConcurrentWrite,
    Erasure,
    NewEvent,
    Rewrap,
    chunks,
    group_by_stream,
)


def connection_info(url: str) -> tuple[str, dict[str, str]]:
    p = urlparse(url)
    clean = urlunparse(
        (
            p.scheme.replace("postgres", "postgresql", 1) if p.scheme == "postgres" else p.scheme,
            p.netloc,
            p.path,
            "",
            "",
            "",
        )
    )
    env = {
        "POSTGRES_DBNAME": (p.path or "/").lstrip("/") or "postgres",
        "POSTGRES_HOST": p.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(p.port or 5432),
        "POSTGRES_USER": p.username or "postgres",
        "POSTGRES_PASSWORD": p.password or "",
    }
    return clean, env


SCHEMA_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
"""A schema name every part uses alike: our quoted SQL, the library (which trims spaces
and writes some names unquoted) and PostgreSQL (63 bytes at most, ``pg_`` reserved)."""


def check_schema_name(schema: str) -> None:
    """Refuse a ``?schema=`` name before anything is created under it."""
    if SCHEMA_NAME.fullmatch(schema) and not schema.lower().startswith("pg_"):
        return
    shown = schema if len(schema) <= 80 else f"{schema[:80]}… ({len(schema)} characters)"
    if schema != schema.strip():
        why = "it has spaces around it (the eventsourcing library trims them, so its tables "
        why += "would land in another schema)"
    elif len(schema) > 63:
        why = f"it is {len(schema)} characters long; PostgreSQL keeps only 63"
    elif schema.lower().startswith("pg_"):
        why = "names starting with pg_ are reserved by PostgreSQL"
    else:
        why = "use ASCII letters, digits and _, starting with a letter or _"
    raise StorageError(
        f"?schema={shown!r} cannot hold a ledger: {why}; nothing was created or written"
    )


class PostgresStore:
    kind = "postgres"

    def __init__(self, url: str, schema: str, *, master_key: MasterKeySource | None = None):
        check_schema_name(schema)
        self.url = url
        self.schema = schema
        self.master_key = master_key or MasterKeySource.from_environment()
        conninfo, env = connection_info(url)
        try:
            self.conn = psycopg.connect(conninfo, autocommit=True, connect_timeout=10)
        except psycopg.OperationalError as e:
            first = str(e).strip().splitlines()[0] if str(e).strip() else repr(e)
            shown = (
                conninfo.replace(f":{env['POSTGRES_PASSWORD']}@", ":***@")
                if env["POSTGRES_PASSWORD"]
                else conninfo
            )
            raise StorageError(
                f"cannot connect to PostgreSQL at {shown}: {first}; check the URL, that the "
                "server runs, and the user's rights"
            ) from None
        if not self._ledger_exists():
            self._create_ledger(env)
        from ledger.storage.immutability import protect

        protect(self.conn, schema)  # a no-op read when the triggers are in place
        row = self.conn.execute(
            "SELECT pg_get_serial_sequence(%s, 'notification_id')",
            (f'"{schema}".stored_events',),
        ).fetchone()
        self.seq = row[0] if row else None

    def _ledger_exists(self) -> bool:
        """A ledger that exists is opened without DDL, so a writer role with only
        INSERT/SELECT rights can open it."""
        row = self.conn.execute(
            "SELECT to_regclass(%s) IS NOT NULL AND to_regclass(%s) IS NOT NULL "
            "AND to_regclass(%s) IS NOT NULL AND to_regclass(%s) IS NOT NULL",
            (
                f'"{self.schema}".stored_events',
                f'"{self.schema}".ledger_employments',
                f'"{self.schema}".stored_snapshots',
                f'"{self.schema}".ledger_person_keys',
            ),
        ).fetchone()
        return bool(row and row[0])

    def _create_ledger(self, env: dict[str, str]) -> None:
        """Create the schema's tables once, even when several processes open it at once."""
        key = f"hrledger-create:{self.schema}"
        self.conn.execute("SELECT pg_advisory_lock(hashtext(%s))", (key,))
        try:
            if self._ledger_exists():
                return
            self.conn.execute(
                sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(self.schema))
            )
            self._create_library_tables(env)
            self._create_own_tables()
        finally:
            self.conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (key,))

    def _t(self, name: str) -> sql.Composed:
        return sql.SQL("{}.{}").format(sql.Identifier(self.schema), sql.Identifier(name))

    def _create_library_tables(self, env: dict[str, str]) -> None:
        from eventsourcing.postgres import PostgresFactory
        from eventsourcing.utils import Environment

        factory = PostgresFactory(Environment(env={**env, "POSTGRES_SCHEMA": self.schema}))
        try:
            factory.application_recorder()
            factory.aggregate_recorder("snapshots")
        finally:
            factory.close()

    def _create_own_tables(self) -> None:
        names = ("ledger_chain", "ledger_event_ids", "ledger_employments", "ledger_person_keys")
        stmts = (
            "CREATE TABLE IF NOT EXISTS {} (position bigint PRIMARY KEY, "
            "chain_hash bytea NOT NULL)",
            "CREATE TABLE IF NOT EXISTS {} (event_id text PRIMARY KEY, originator_id uuid "
            "NOT NULL, stream text NOT NULL)",
            "CREATE TABLE IF NOT EXISTS {} (employment_id text PRIMARY KEY, employee_id text "
            "NOT NULL)",
            "CREATE TABLE IF NOT EXISTS {} (key_id text PRIMARY KEY, employee_id text UNIQUE, "
            "wrapped bytea, created_at text NOT NULL, erased_at text)",
        )
        for name, stmt in zip(names, stmts, strict=True):
            self.conn.execute(sql.SQL(stmt).format(self._t(name)))

    def max_position(self) -> int:
        row = self.conn.execute(
            sql.SQL("SELECT MAX(notification_id) FROM {}").format(self._t("stored_events"))
        ).fetchone()
        return int(row[0] or 0) if row else 0

    def read_rows(self, after: int, limit: int) -> list[tuple[int, bytes]]:
        return self._states("notification_id > %s ORDER BY notification_id LIMIT %s",
                            (after, limit))  # fmt: skip

    def read_rows_of(self, topics: Sequence[str]) -> list[tuple[int, bytes]]:
        return self._states("topic = ANY(%s) ORDER BY notification_id", (list(topics),))

    def _states(self, where: str, params: Sequence[Any]) -> list[tuple[int, bytes]]:
        """(position, state) of the stored events ``where`` picks, in its order."""
        query = sql.SQL("SELECT notification_id, state FROM {} WHERE " + where)
        cur = self.conn.execute(query.format(self._t("stored_events")), params)
        return [(n, bytes(s)) for n, s in cur.fetchall()]

    def read_page(self, after: int, limit: int) -> tuple[int, bytes] | None:
        row = self.conn.execute(
            sql.SQL(
                "SELECT min(notification_id), max(notification_id), count(*), "
                "string_agg(state, '\\x0a'::bytea ORDER BY notification_id) FROM {} "
                "WHERE notification_id > %s AND notification_id <= %s"
            ).format(self._t("stored_events")),
            (after, after + limit),
        ).fetchone()
        assert row is not None
        lo, hi, n, blob = row
        if not n:
            return (after, b"") if after >= self.max_position() else None
        if lo != after + 1 or hi - lo + 1 != n:
            return None
        return int(hi), bytes(blob)

    def read_full_rows(self, after: int, limit: int) -> list[tuple[int, str, int, str, bytes]]:
        cur = self.conn.execute(
            sql.SQL(
                "SELECT notification_id, originator_id, originator_version, topic, state FROM {} "
                "WHERE notification_id > %s ORDER BY notification_id LIMIT %s"
            ).format(self._t("stored_events")),
            (after, limit),
        )
        return [(n, o.hex, v, t, bytes(s)) for n, o, v, t, s in cur.fetchall()]

    def read_chain(self, after: int, limit: int) -> list[tuple[int, bytes]]:
        cur = self.conn.execute(
            sql.SQL(
                "SELECT position, chain_hash FROM {} WHERE position > %s ORDER BY position LIMIT %s"
            ).format(self._t("ledger_chain")),
            (after, limit),
        )
        return [(p, bytes(h)) for p, h in cur.fetchall()]

    def _select_any(self, query: str, table: str, ids: Sequence[Any]) -> list[Any]:
        out: list[Any] = []
        for chunk in chunks(list(ids), 5000):
            cur = self.conn.execute(sql.SQL(query).format(self._t(table)), (list(chunk),))
            out.extend(cur.fetchall())
        return out

    def existing_event_ids(self, ids: Sequence[str]) -> set[str]:
        rows = self._select_any(
            "SELECT event_id FROM {} WHERE event_id = ANY(%s)", "ledger_event_ids", ids
        )
        return {r[0] for r in rows}

    def locate_events(self, ids: Sequence[str]) -> dict[str, str]:
        rows = self._select_any(
            "SELECT event_id, stream FROM {} WHERE event_id = ANY(%s)", "ledger_event_ids", ids
        )
        return dict(rows)

    def employment_owners(self, ids: Sequence[str]) -> dict[str, str]:
        rows = self._select_any(
            "SELECT employment_id, employee_id FROM {} WHERE employment_id = ANY(%s)",
            "ledger_employments",
            ids,
        )
        return dict(rows)

    def stream_rows(self, after: dict[UUID, int]) -> dict[UUID, list[tuple[int, bytes]]]:
        """Events of many streams, each only after its given version (its snapshot)."""
        rows: list[Any] = []
        pairs = list(after.items())
        for chunk in chunks(pairs, 5000):
            cur = self.conn.execute(
                sql.SQL(
                    "SELECT e.originator_id, e.originator_version, e.state "
                    "FROM unnest(%s::uuid[], %s::bigint[]) AS q(oid, v) "
                    "JOIN {} e ON e.originator_id = q.oid AND e.originator_version > q.v"
                ).format(self._t("stored_events")),
                ([k for k, _ in chunk], [v for _, v in chunk]),
            )
            rows.extend(cur.fetchall())
        return group_by_stream(rows, lambda u: u)

    def snapshots(self, ids: Sequence[UUID]) -> dict[UUID, tuple[int, bytes]]:
        rows = self._select_any(
            "SELECT DISTINCT ON (originator_id) originator_id, originator_version, state FROM {} "
            "WHERE originator_id = ANY(%s) ORDER BY originator_id, originator_version DESC",
            "stored_snapshots",
            ids,
        )
        return {oid: (v, bytes(s)) for oid, v, s in rows}

    def _keys(self, where: str = "", ids: Sequence[str] | None = None) -> list[Any]:
        query = f"SELECT {KEY_COLUMNS} FROM {{}} {where}"
        if ids is None:
            return self.conn.execute(
                sql.SQL(query).format(self._t("ledger_person_keys"))
            ).fetchall()
        return self._select_any(query, "ledger_person_keys", ids)

    def key_rows(self, employee_ids: Iterable[str] | None = None) -> list[KeyRow]:
        if employee_ids is None:
            rows = self._keys()
        else:
            rows = self._keys("WHERE employee_id = ANY(%s)", list(employee_ids))
            rows += self._keys("WHERE key_id = ANY(%s)", [LEDGER_KEY_ID])
        return [key_row(r) for r in rows]

    def key_rows_by_id(self, key_ids: Iterable[str]) -> list[KeyRow]:
        return [key_row(r) for r in self._keys("WHERE key_id = ANY(%s)", list(key_ids))]

    def erased_employees(self) -> set[str]:
        return {r[1] for r in self._keys("WHERE wrapped IS NULL")}

    def save_snapshots(self, rows: Sequence[tuple[UUID, int, str, bytes]]) -> None:
        with self.conn.transaction(), self.conn.cursor() as cur:
            cur.executemany(
                sql.SQL("INSERT INTO {} VALUES (%s,%s,%s,%s) ON CONFLICT DO NOTHING").format(
                    self._t("stored_snapshots")
                ),
                list(rows),
            )

    @contextmanager
    def unit_of_work(self) -> Iterator[PostgresUnitOfWork]:
        """One transaction under the schema's advisory append lock, taken before the
        chain head is read, so commit order equals position order."""
        try:
            with self.conn.transaction(), self.conn.cursor() as cur:
                cur.execute("SET LOCAL lock_timeout = '60s'")
                # Writers take one advisory lock per ledger (what the library's LOCK TABLE
                # achieves) while a writer role needs only INSERT and SELECT.
                cur.execute(
                    "SELECT pg_advisory_xact_lock(hashtext(%s))",
                    (f"hrledger-append:{self.schema}",),
                )
                row = cur.execute(
                    sql.SQL("SELECT chain_hash FROM {} ORDER BY position DESC LIMIT 1").format(
                        self._t("ledger_chain")
                    )
                ).fetchone()
                uow = PostgresUnitOfWork(self, cur, bytes(row[0]) if row else GENESIS)
                yield uow
                if uow.written:
                    cur.execute(sql.SQL("NOTIFY {}").format(sql.Identifier("stored_events")))
        except psycopg.errors.UniqueViolation as e:
            raise ConcurrentWrite(str(e)) from None

    def rewrap_keys(self, rewrap: Rewrap, chunk_size: int = 500) -> int:
        """A master key rotation in one transaction (see the port).

        It takes the writers' advisory lock, so no append (an import, an
        erasure) can add or destroy a key under the old master key meanwhile.
        """
        keys = self._t("ledger_person_keys")
        changed = 0
        with self.conn.transaction(), self.conn.cursor() as cur:
            cur.execute("SET LOCAL lock_timeout = '60s'")
            cur.execute(
                "SELECT pg_advisory_xact_lock(hashtext(%s))", (f"hrledger-append:{self.schema}",)
            )
            found = cur.execute(
                sql.SQL(
                    f"SELECT {KEY_COLUMNS} FROM {{}} WHERE wrapped IS NOT NULL "
                    "ORDER BY key_id FOR UPDATE"
                ).format(keys)
            ).fetchall()
            rows = [key_row(r) for r in found]
            for chunk in chunks(rows, chunk_size):
                updates = rewrap(chunk)
                cur.executemany(
                    sql.SQL(
                        "UPDATE {} SET wrapped = %s WHERE key_id = %s AND wrapped IS NOT NULL"
                    ).format(keys),
                    [(wrapped, kid) for kid, wrapped in updates],
                )
                changed += len(updates)
        return changed

    def close(self) -> None:
        self.conn.close()


_CHUNK_ROWS = "FROM json_array_elements(%(rows)s::json) WITH ORDINALITY AS j(r, n)"
"""The rows of a ``PackedChunk`` (``ledger.storage.packed_rows``)."""
_CHUNK_INSERTS = (
    (
        "INSERT INTO {} (notification_id, originator_id, originator_version, topic, state) "
        "SELECT (j.r->>0)::bigint, (j.r->>1)::uuid, (j.r->>2)::bigint, j.r->>3, "
        "substring(%(states)s::bytea FROM (j.r->>4)::int FOR (j.r->>5)::int) " + _CHUNK_ROWS,
        "stored_events",
    ),
    (
        "INSERT INTO {} (position, chain_hash) SELECT (j.r->>0)::bigint, "
        f"substring(%(hashes)s::bytea FROM ((j.n - 1) * {HASH_BYTES} + 1)::int FOR {HASH_BYTES}) "
        + _CHUNK_ROWS,
        "ledger_chain",
    ),
    (
        "INSERT INTO {} (event_id, originator_id, stream) "
        "SELECT j.r->>6, (j.r->>1)::uuid, j.r->>7 " + _CHUNK_ROWS,
        "ledger_event_ids",
    ),
)


class PostgresUnitOfWork:
    """The rows of one open transaction: positions reserved from the library's sequence,
    rows inserted chunk by chunk, so a file of any size stays one transaction."""

    def __init__(self, store: PostgresStore, cur: psycopg.Cursor[Any], head: bytes):
        self.store = store
        self.cur = cur
        self.head = head
        self.written = 0

    def write(self, events: Sequence[NewEvent], new_keys: Sequence[KeyRow] = ()) -> list[int]:
        positions: list[int] = []
        for chunk in chunks(events, 20_000):
            positions += self._write_chunk(chunk)
        if new_keys:
            self.cur.executemany(
                sql.SQL("INSERT INTO {} VALUES (%s,%s,%s,%s,%s)").format(
                    self.store._t("ledger_person_keys")
                ),
                [(k.key_id, k.employee_id, k.wrapped, k.created_at, k.erased_at) for k in new_keys],
            )
        self.written += len(positions)
        return positions

    def erase(self, erasure: Erasure) -> None:
        t = self.store._t
        self.cur.executemany(
            sql.SQL(TOMBSTONE_SQL.replace("ledger_person_keys", "{}")).format(
                t("ledger_person_keys")
            ),
            erasure.tombstone_rows(),
        )
        self.cur.execute(
            sql.SQL("DELETE FROM {} WHERE originator_id = %s").format(t("stored_snapshots")),
            (erasure.stream_id,),
        )

    def _write_chunk(self, chunk: Sequence[NewEvent]) -> list[int]:
        cur, t = self.cur, self.store._t
        positions = sorted(
            r[0]
            for r in cur.execute(
                "SELECT nextval(%s) FROM generate_series(1, %s)", (self.store.seq, len(chunk))
            ).fetchall()
        )
        packed = pack(positions, chunk, self.head)
        for statement, table in _CHUNK_INSERTS:  # the server works, the GIL released
            cur.execute(sql.SQL(statement).format(t(table)), packed.params())
        employments = [e.employment for e in chunk if e.employment is not None]
        if employments:
            cur.executemany(
                sql.SQL("INSERT INTO {} VALUES (%s, %s) ON CONFLICT DO NOTHING").format(
                    t("ledger_employments")
                ),
                employments,
            )
        self.head = packed.head
        return positions
