"""The consumers in docs/examples/, run as a user runs them, against a sealed ledger.

- ``follow_log.py`` (the project's API) on SQLite and PostgreSQL: catches up,
  resumes from its checkpoint without counting anything twice, and shows an
  erased person's sick days under ``[erased]``.
- ``library_projection.py`` (the `eventsourcing` library's ``ProjectionRunner``)
  on PostgreSQL, following live while events are appended, and after a
  restart: every event is handled exactly once.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from ledger.storage.store import open_store
from tests.builders import retracted, sick
from tests.integration.story import SECOND, erase_e1, record, two_employees

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "docs" / "examples"


def follow_log(url: str, state: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "follow_log.py"), "--db", url, "--state", str(state),
         "--once"],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return dict(json.loads(state.read_text(encoding="utf-8")))


def nonzero(counts: dict[str, int]) -> dict[str, int]:
    return {k: v for k, v in counts.items() if v}


def test_follow_log_counts_sick_days_per_month_from_the_sealed_ledger(
    ledger_url: str, tmp_path: Path
) -> None:
    two_employees(ledger_url)

    state = follow_log(ledger_url, tmp_path / "consumer.json")

    assert state["position"] == 9
    assert nonzero(state["sick_days_by_month"]) == {"2022-01": 1, "2022-02": 1, "2022-03": 1}


def test_follow_log_resumes_from_its_checkpoint_and_counts_nothing_twice(
    ledger_url: str, tmp_path: Path
) -> None:
    two_employees(ledger_url)
    follow_log(ledger_url, tmp_path / "consumer.json")
    record(ledger_url, SECOND, [
        sick("2022-04-04", "E2", event_id="s5"),
        sick("2022-04-05", "E2", event_id="s6"),
        retracted("s1", event_id="r2"),
    ])  # fmt: skip

    state = follow_log(ledger_url, tmp_path / "consumer.json")

    assert state["position"] == 12
    assert nonzero(state["sick_days_by_month"]) == {"2022-02": 1, "2022-03": 1, "2022-04": 2}


def test_follow_log_shows_an_erased_persons_sick_days_as_erased(
    ledger_url: str, tmp_path: Path
) -> None:
    two_employees(ledger_url)
    erase_e1(ledger_url)

    state = follow_log(ledger_url, tmp_path / "consumer.json")

    assert state["position"] == 11  # erased + its frozen statistics
    assert nonzero(state["sick_days_by_month"]) == {"[erased]": 2, "2022-02": 1}


# ------------------------------------------- the eventsourcing library's own machinery
class View:
    """Where the library example keeps its view: a PostgreSQL schema or an SQLite file."""

    def __init__(self, ledger_url: str, tmp_path: Path) -> None:
        self.ledger_url = ledger_url
        if ledger_url.startswith("sqlite:"):
            self.where = str(tmp_path / "consumer-view.sqlite")
        else:
            self.where = f"v_{uuid.uuid4().hex[:12]}"

    def rows(self, query: str) -> list[tuple[Any, ...]]:
        if self.ledger_url.startswith("sqlite:"):
            if not Path(self.where).exists():
                return []
            with closing(sqlite3.connect(self.where)) as conn:
                try:
                    return conn.execute(query.format("main")).fetchall()
                except sqlite3.OperationalError:
                    return []  # no table yet
        with psycopg.connect(self.ledger_url.split("?")[0], autocommit=True) as conn:
            try:
                return conn.execute(sql.SQL(query).format(sql.Identifier(self.where))).fetchall()
            except psycopg.errors.UndefinedTable:
                return []

    def handled(self) -> list[tuple[Any, ...]]:
        return self.rows("SELECT position, type FROM {}.handled_events ORDER BY position")

    def counts(self) -> dict[str, int]:
        return {m: d for m, d in self.rows("SELECT month, days FROM {}.sick_days_by_month") if d}

    def drop(self) -> None:
        if not self.ledger_url.startswith("sqlite:"):
            with psycopg.connect(self.ledger_url.split("?")[0], autocommit=True) as conn:
                conn.execute(
                    sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(self.where))
                )


@pytest.fixture
def view(ledger_url: str, tmp_path: Path) -> Iterator[View]:
    v = View(ledger_url, tmp_path)
    yield v
    v.drop()


def start_projection(url: str, view: View, *options: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(EXAMPLES / "library_projection.py"), "--db", url,
         "--view", view.where, "--poll", "0.1", *options],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip


def stop_projection(proc: subprocess.Popen[str]) -> str:
    """Ctrl-C, as a user stops it; returns what it printed (stdout and stderr)."""
    proc.send_signal(signal.SIGINT)
    try:
        out, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    assert "Traceback" not in err, err
    return out + err


def wait_for_view(view: View, position: int, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()[1]
        rows = view.rows("SELECT max(position) FROM {}.handled_events")
        if rows and rows[0][0] == position:
            return
        time.sleep(0.1)
    raise AssertionError(f"the view did not reach position {position}")


def ledger_positions(url: str) -> list[tuple[int, str]]:
    store = open_store(url, create=False)
    try:
        rows = store.read_rows(0, 10_000)
    finally:
        store.close()
    return [(pos, json.loads(state)["type"]) for pos, state in rows]


def test_the_library_consumer_sees_every_event_exactly_once_while_events_are_appended(
    ledger_url: str, view: View
) -> None:
    two_employees(ledger_url)
    proc = start_projection(ledger_url, view)
    try:
        wait_for_view(view, 9, proc)
        for n in range(6):  # appended while the consumer follows
            record(ledger_url, SECOND, [sick(f"2022-05-{n + 2:02d}", "E2")])
        wait_for_view(view, 15, proc)
    finally:
        said = stop_projection(proc)

    assert view.handled() == ledger_positions(ledger_url), said
    assert view.counts() == {"2022-01": 1, "2022-02": 1, "2022-03": 1, "2022-05": 6}


def test_the_library_consumer_resumes_after_a_restart_without_handling_anything_twice(
    ledger_url: str, view: View
) -> None:
    two_employees(ledger_url)
    proc = start_projection(ledger_url, view)
    try:
        wait_for_view(view, 9, proc)
    finally:
        stop_projection(proc)
    record(ledger_url, SECOND, [retracted("s1", event_id="r2"), sick("2022-06-01", "E2")])
    erase_e1(ledger_url)

    proc = start_projection(ledger_url, view)
    try:
        wait_for_view(view, 13, proc)
    finally:
        said = stop_projection(proc)

    assert view.handled() == ledger_positions(ledger_url), said
    assert view.counts() == {"2022-02": 1, "2022-03": 1, "2022-06": 1}


@pytest.mark.postgres
def test_the_library_runner_keeps_following_when_its_listening_connection_is_cut(
    postgres_url: str, tmp_path: Path
) -> None:
    two_employees(postgres_url)
    view = View(postgres_url, tmp_path)
    proc = start_projection(postgres_url, view, "--retry-after", "0.2")
    try:
        wait_for_view(view, 9, proc)
        with psycopg.connect(postgres_url.split("?")[0], autocommit=True) as conn:
            cut = conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE query LIKE 'LISTEN%%' AND pid <> pg_backend_pid()"
            ).fetchall()
        record(postgres_url, SECOND, [sick("2022-06-01", "E2"), sick("2022-06-02", "E2")])
        wait_for_view(view, 11, proc)
        handled = view.handled()
    finally:
        out = stop_projection(proc)
        view.drop()

    assert cut, "no LISTEN connection was found to cut"
    assert "lost the database" in out
    assert handled == ledger_positions(postgres_url)
