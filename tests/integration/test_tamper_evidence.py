"""Nobody can quietly rewrite the log: tampering is named, and PostgreSQL refuses it.

The tampering is done the way an intruder with database access would: SQL
straight on the SQLite file, or on PostgreSQL as the superuser with the
ledger's append-only trigger switched off.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import orjson
import psycopg
import pytest
from psycopg import sql

from cli.main import main
from ledger.security.chain import link
from ledger.security.master_key import MasterKeySource
from ledger.services.recording import Ledger
from ledger.services.verification import Verification, verify
from ledger.storage.immutability import PROTECTED_TABLES, TRIGGER, grants_sql
from ledger.storage.postgres import PostgresStore
from ledger.storage.store import open_store
from tests.builders import hired, sick


@pytest.fixture
def five_events(ledger_url: str) -> str:
    """Positions 1–5: a hire and four sick days (event ids s1..s4 at positions 2..5)."""
    with Ledger(ledger_url) as ledger:
        ledger.record([hired()])
        ledger.record([sick(f"2021-03-0{d}", event_id=f"s{d}") for d in (1, 2, 3, 4)])
    return ledger_url


class Intruder:
    """Raw SQL on the ledger's tables, bypassing the ledger (and its trigger)."""

    def __init__(self, url: str):
        self.pg = url.startswith("postgresql")
        if self.pg:
            base, _, query = url.partition("?schema=")
            self.conn: Any = psycopg.connect(base, autocommit=True)
            self.conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(query)))
            for table in PROTECTED_TABLES:
                self.conn.execute(
                    sql.SQL("ALTER TABLE {} DISABLE TRIGGER {}").format(
                        sql.Identifier(table), sql.Identifier(TRIGGER)
                    )
                )
            self.pos = "notification_id"
        else:
            self.conn = sqlite3.connect(url.split(":///", 1)[1], isolation_level=None)
            self.pos = "rowid"

    def run(self, statement: str, *params: Any) -> list[Any]:
        q = statement.replace("POS", self.pos)
        if self.pg:
            q = q.replace("?", "%s")
        cur = self.conn.execute(q, params)
        return list(cur.fetchall()) if cur.description else []

    def state(self, position: int) -> bytes:
        return bytes(self.run("SELECT state FROM stored_events WHERE POS = ?", position)[0][0])

    def set_state(self, position: int, state: bytes) -> None:
        self.run("UPDATE stored_events SET state = ? WHERE POS = ?", state, position)

    def close(self) -> None:
        self.conn.close()


@contextmanager
def intruder(url: str) -> Iterator[Intruder]:
    i = Intruder(url)
    try:
        yield i
    finally:
        i.close()


def checked(url: str, expect: str | None = None) -> Verification:
    store = open_store(url, create=False)
    try:
        return verify(store, expect)
    finally:
        store.close()


def cli_verify(url: str, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str]:
    code = main(["--db", url, "verify", *extra])
    out = capsys.readouterr()
    return code, out.out + out.err


# ---------------------------------------------------------------- clean log
def test_a_clean_ledger_verifies_and_prints_its_head(
    five_events: str, capsys: pytest.CaptureFixture[str]
) -> None:
    result = checked(five_events)

    code, text = cli_verify(five_events, capsys)

    assert result.ok and result.events == 5 and result.first_bad_position is None
    assert result.head.startswith("5:") and len(result.head) == 2 + 64
    assert code == 0
    assert f"ok: 5 events, chain intact; head {result.head}" in text


# ---------------------------------------------------------------- tampering
def test_an_edited_event_is_named_by_its_position(
    five_events: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with intruder(five_events) as i:
        # the sick day's date is sealed: move the day to another person instead
        edited = i.state(3).replace(b'"employee_id":"E1"', b'"employee_id":"E2"')
        assert edited != i.state(3)
        i.set_state(3, edited)

    result = checked(five_events)
    code, text = cli_verify(five_events, capsys)

    assert not result.ok and result.first_bad_position == 3
    assert result.events == 2 and result.head.startswith("2:")
    assert code == 1
    assert "TAMPERED at position 3" in text and "does not match its chain link" in text


def test_an_edited_recorded_time_is_named(five_events: str) -> None:
    with intruder(five_events) as i:
        ev = orjson.loads(i.state(4))
        ev["timestamp"]["_data_"] = "2020-01-01T00:00:00+00:00"
        i.set_state(4, orjson.dumps(ev))

    result = checked(five_events)

    assert result.first_bad_position == 4


def test_an_edit_that_turns_the_state_into_text_is_named(sqlite_url: str) -> None:
    with Ledger(sqlite_url) as ledger:
        ledger.record([hired(), sick("2021-03-01"), sick("2021-03-02")])
    with intruder(sqlite_url) as i:  # sqlite3's replace() returns TEXT, not BLOB
        i.run("UPDATE stored_events SET state = replace(state, '\"E1\"', '\"E2\"') "
              "WHERE POS = 2")  # fmt: skip

    result = checked(sqlite_url)

    assert result.first_bad_position == 2


def test_a_deleted_event_is_named_by_its_position(
    five_events: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with intruder(five_events) as i:
        i.run("DELETE FROM stored_events WHERE POS = ?", 3)

    result = checked(five_events)
    code, text = cli_verify(five_events, capsys)

    assert result.first_bad_position == 3
    assert code == 1 and "TAMPERED at position 3" in text and "event deleted" in text


def test_an_event_deleted_with_its_link_is_named_at_the_next_position(five_events: str) -> None:
    with intruder(five_events) as i:
        i.run("DELETE FROM stored_events WHERE POS = ?", 3)
        i.run("DELETE FROM ledger_chain WHERE position = ?", 3)

    result = checked(five_events)

    assert result.first_bad_position == 4
    assert result.problem is not None and "positions jump from 2 to 4" in result.problem


def test_swapped_contents_of_two_rows_are_named_at_the_first(five_events: str) -> None:
    with intruder(five_events) as i:
        second, fourth = i.state(2), i.state(4)
        i.set_state(2, fourth)
        i.set_state(4, second)

    result = checked(five_events)

    assert result.first_bad_position == 2


def test_swapped_positions_of_two_rows_are_named_at_the_first(five_events: str) -> None:
    with intruder(five_events) as i:
        i.run("UPDATE stored_events SET POS = 100 WHERE POS = 2")
        i.run("UPDATE stored_events SET POS = 2 WHERE POS = 4")
        i.run("UPDATE stored_events SET POS = 4 WHERE POS = 100")

    result = checked(five_events)

    assert result.first_bad_position == 2


def test_a_row_inserted_in_the_middle_is_named(five_events: str) -> None:
    with intruder(five_events) as i:
        for pos in (5, 4):  # make room at position 4
            i.run("UPDATE stored_events SET POS = ? WHERE POS = ?", pos + 1, pos)
        oid, topic, state = i.run(
            "SELECT originator_id, topic, state FROM stored_events WHERE POS = 3"
        )[0]
        forged = bytes(state).replace(b'"s2"', b'"forged"').replace(b"2021-03-02", b"2021-03-08")
        i.run(
            "INSERT INTO stored_events (POS, originator_id, originator_version, topic, state) "
            "VALUES (?, ?, ?, ?, ?)",
            4, oid, 99, topic, forged,
        )  # fmt: skip

    result = checked(five_events)

    assert result.first_bad_position == 4


def test_a_row_appended_without_a_chain_link_is_named(five_events: str) -> None:
    with intruder(five_events) as i:
        oid, topic, state = i.run(
            "SELECT originator_id, topic, state FROM stored_events WHERE POS = 5"
        )[0]
        i.run(
            "INSERT INTO stored_events (POS, originator_id, originator_version, topic, state) "
            "VALUES (?, ?, ?, ?, ?)",
            6, oid, 99, topic, bytes(state).replace(b'"s4"', b'"forged"'),
        )  # fmt: skip

    result = checked(five_events)

    assert result.first_bad_position == 6
    assert result.problem is not None and "no chain link" in result.problem


def test_a_deleted_event_id_index_row_is_named(five_events: str) -> None:
    with intruder(five_events) as i:
        i.run("DELETE FROM ledger_event_ids WHERE event_id = ?", "s3")

    result = checked(five_events)

    assert result.first_bad_position == 4
    assert result.problem is not None and "s3 is missing from the event id index" in result.problem


# ---------------------------------------------------------------- published heads
def test_a_published_head_still_matches_after_more_events_are_appended(
    five_events: str, capsys: pytest.CaptureFixture[str]
) -> None:
    published = checked(five_events).head
    with Ledger(five_events) as ledger:
        ledger.record([sick("2021-04-06"), sick("2021-04-07")])

    result = checked(five_events, expect=published)
    code, text = cli_verify(five_events, capsys, "--expect", published)

    assert result.ok and result.events == 7 and result.expected_found_at == 5
    assert code == 0 and "the published digest matches position 5" in text


def test_a_published_head_catches_a_log_rewritten_with_a_recomputed_chain(
    five_events: str, capsys: pytest.CaptureFixture[str]
) -> None:
    published = checked(five_events).head
    with intruder(five_events) as i:
        i.set_state(3, i.state(3).replace(b'"employee_id":"E1"', b'"employee_id":"E2"'))
        rows = i.run(
            "SELECT POS, originator_id, originator_version, topic, state FROM stored_events "
            "ORDER BY POS"
        )
        prev = bytes(i.run("SELECT chain_hash FROM ledger_chain WHERE position = 2")[0][0])
        for pos, oid, version, topic, state in rows[2:]:
            prev = link(prev, pos, str(oid).replace("-", ""), version, topic, bytes(state))
            i.run("UPDATE ledger_chain SET chain_hash = ? WHERE position = ?", prev, pos)

    consistent = checked(five_events)
    code, text = cli_verify(five_events, capsys, "--expect", published)

    assert consistent.ok, "a re-chained log is consistent in itself"
    assert code == 1
    assert "position 5 does not match the published head" in text


def test_a_published_head_catches_events_cut_off_the_end(
    five_events: str, capsys: pytest.CaptureFixture[str]
) -> None:
    published = checked(five_events).head
    with intruder(five_events) as i:
        i.run("DELETE FROM stored_events WHERE POS = 5")
        i.run("DELETE FROM ledger_chain WHERE position = 5")

    code, text = cli_verify(five_events, capsys, "--expect", published)

    assert checked(five_events).ok, "a shortened log is consistent in itself"
    assert code == 1 and "the log ends at position 4, before the published head" in text


def test_a_head_of_another_ledger_does_not_match(
    five_events: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, text = cli_verify(five_events, capsys, "--expect", "3:" + "ab" * 32)

    assert code == 1 and "does not match the published head" in text


def test_a_malformed_head_is_refused_with_the_expected_form(
    five_events: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, text = cli_verify(five_events, capsys, "--expect", "5:not-a-digest")

    assert code == 1 and "is not a head digest: expected POSITION:HEX" in text


# ---------------------------------------------------------------- PostgreSQL immutability
@pytest.fixture
def pg_ledger(postgres_url: str) -> Iterator[Ledger]:
    with Ledger(postgres_url) as ledger:
        ledger.record([hired(), sick("2021-03-01", event_id="s1")])
        yield ledger


@pytest.mark.postgres
@pytest.mark.parametrize("table", PROTECTED_TABLES)
@pytest.mark.parametrize("statement", ["UPDATE {} SET {} = {}", "DELETE FROM {}", "TRUNCATE {}"])
def test_the_ledger_connection_cannot_change_or_remove_stored_rows(
    pg_ledger: Ledger, postgres_url: str, table: str, statement: str
) -> None:
    conn = pg_ledger.store.conn  # type: ignore[attr-defined]
    t = sql.SQL("{}.{}").format(sql.Identifier(postgres_url.split("=")[-1]), sql.Identifier(table))
    column = {"stored_events": "topic", "ledger_chain": "chain_hash"}.get(table, "stream")
    if table == "ledger_employments":
        column = "employee_id"
    c = sql.Identifier(column)

    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
        conn.execute(sql.SQL(statement).format(t, c, c))

    assert checked(postgres_url).ok and checked(postgres_url).events == 2


@pytest.mark.postgres
def test_replica_mode_does_not_switch_the_trigger_off(pg_ledger: Ledger) -> None:
    conn = pg_ledger.store.conn  # type: ignore[attr-defined]
    schema = pg_ledger.store.schema  # type: ignore[attr-defined]
    conn.execute("SET session_replication_role = replica")

    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
        conn.execute(sql.SQL("DELETE FROM {}.stored_events").format(sql.Identifier(schema)))


@pytest.mark.postgres
def test_reopening_the_ledger_keeps_one_trigger_per_table(postgres_url: str) -> None:
    for _ in range(3):
        with Ledger(postgres_url):
            pass

    with psycopg.connect(postgres_url.partition("?")[0]) as conn:
        rows = conn.execute(
            "SELECT c.relname, count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s "
            "AND t.tgname = %s GROUP BY c.relname",
            (postgres_url.split("=")[-1], TRIGGER),
        ).fetchall()

    assert dict(rows) == dict.fromkeys(PROTECTED_TABLES, 1)


@pytest.fixture
def writer_role(pg_ledger: Ledger, postgres_url: str) -> Iterator[str]:
    """A login role with the documented GRANTs of docs/auditing.md; owns nothing."""
    base = postgres_url.partition("?")[0]
    schema = postgres_url.split("=")[-1]
    role = f"hrledger_w_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(base, autocommit=True) as su:
        su.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
        for statement in grants_sql(schema, role):
            su.execute(statement)
        try:
            yield role
        finally:
            su.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
            su.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


def _as_role(postgres_url: str, role: str) -> str:
    p = urlsplit(postgres_url)
    return urlunsplit(p._replace(netloc=f"{role}@{p.hostname}:{p.port or 5432}"))


@pytest.mark.postgres
def test_the_writer_role_can_append_and_read_but_not_change_or_disable_the_guard(
    writer_role: str, postgres_url: str
) -> None:
    schema = postgres_url.split("=")[-1]
    conn = psycopg.connect(_as_role(postgres_url, writer_role).partition("?")[0], autocommit=True)
    # PostgresStore.__init__ runs CREATE … IF NOT EXISTS, which needs ownership (see
    # test_the_writer_role_can_open_the_ledger); the append path itself is tested here.
    store = object.__new__(PostgresStore)
    store.url, store.schema, store.conn = postgres_url, schema, conn
    store.master_key = MasterKeySource.from_environment()
    store.seq = conn.execute(
        "SELECT pg_get_serial_sequence(%s, 'notification_id')", (f'"{schema}".stored_events',)
    ).fetchone()[0]  # type: ignore[index]
    refused = [
        "UPDATE {s}.stored_events SET topic = topic",
        "DELETE FROM {s}.ledger_chain",
        "ALTER TABLE {s}.stored_events DISABLE TRIGGER hrledger_append_only",
        "SET session_replication_role = replica",
    ]

    with Ledger(store=store) as ledger:
        stored = ledger.record([sick("2021-03-02")]).stored
        for statement in refused:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement.format(s=sql.Identifier(schema).as_string(conn)))

    assert stored == 1
    assert checked(postgres_url).ok and checked(postgres_url).events == 3


@pytest.mark.postgres
def test_the_writer_role_can_open_the_ledger(writer_role: str, postgres_url: str) -> None:
    with Ledger(_as_role(postgres_url, writer_role)) as ledger:
        assert ledger.record([sick("2021-03-02")]).stored == 1
