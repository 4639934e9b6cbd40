"""The read side against real ledgers (SQLite file and PostgreSQL schema)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from polars.testing import assert_frame_equal

from ledger.services.recording import Ledger
from projections.api import open_projection

YEAR = (date(2025, 1, 1), date(2025, 12, 31))


def clock(start: datetime) -> Callable[[], datetime]:
    state = {"t": start}

    def now() -> datetime:
        state["t"] += timedelta(minutes=1)
        return state["t"]

    return now


def population(n: int, first: int = 0) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = []
    for i in range(first, first + n):
        lines.append(
            {
                "type": "hired",
                "employee_id": f"E{i}",
                "employment_id": f"A{i}",
                "effective_date": "2024-01-01",
                "birth_date": f"19{60 + i % 40}-03-0{1 + i % 9}",
                "gender": "FM"[i % 2],
                "sector": ["Oppvekst", "Helse", "Kultur"][i % 3],
                "unit": f"U{i % 7}",
                "position": "Fagarbeider",
                "employment_type": ["permanent", "temporary", "apprentice"][i % 3 // 2 + i % 2],
                "position_pct": 40 + i % 61,
                "annual_salary": 450000 + 1000 * (i % 100),
            }
        )
    return lines


def sickness(n: int, days: int, first: int = 0) -> list[dict[str, Any]]:
    out = []
    for i in range(first, first + n):
        start = date(2025, 1, 1) + timedelta(days=(i * 13) % 330)
        for d in range(days):
            out.append(
                {
                    "type": "sick_day",
                    "employee_id": f"E{i}",
                    "effective_date": (start + timedelta(days=d)).isoformat(),
                    "certificate": "doctor",
                    "grade_pct": 50 + 50 * (i % 2),
                }
            )
    return out


def test_incremental_equals_rebuild(ledger_url: str, tmp_path: Path) -> None:
    led = Ledger(ledger_url, clock=clock(datetime(2026, 1, 1, tzinfo=UTC)))
    try:
        led.record(population(60))
        inc = open_projection(ledger_url, directory=tmp_path / "inc")
        led.record(sickness(30, 5))
        assert inc.catch_up() == 150
        led.record(
            [
                {
                    "type": "salary_changed",
                    "employment_id": "A1",
                    "effective_date": "2025-05-01",
                    "annual_salary": 700000,
                    "reason": "central_settlement",
                },
                {
                    "type": "terminated",
                    "employment_id": "A2",
                    "effective_date": "2025-08-31",
                    "reason": "resignation",
                },
            ]
        )
        first_sick = inc.sick_days(employee_id="E3")["event_id"][0]
        led.record([{"type": "retracted", "target_event_id": first_sick, "reason": "test"}])
        inc.catch_up()
        full = open_projection(ledger_url, directory=tmp_path / "full", catch_up=False)
        full.rebuild()
        assert inc.position == full.position > 0
        for by in (None, "sector", "gender", "age_band"):
            assert_frame_equal(inc.kpi(*YEAR, "month", by=by), full.kpi(*YEAR, "month", by=by))
        assert_frame_equal(inc.roster(date(2025, 12, 31)), full.roster(date(2025, 12, 31)))
        assert inc.roster(date(2025, 12, 31)).height == 59
        inc.close()
        full.close()
    finally:
        led.close()


CATCH_UP_SCRIPT = """
import sys
from projections.api import open_projection
p = open_projection(sys.argv[1], directory=sys.argv[2], catch_up=False)
print("start", flush=True)
p.catch_up(batch_rows=int(sys.argv[3]))
print("done", flush=True)
"""


@pytest.mark.slow
def test_killed_catch_up_resumes_to_the_same_kpis(sqlite_url: str, tmp_path: Path) -> None:
    led = Ledger(sqlite_url, clock=clock(datetime(2026, 1, 1, tzinfo=UTC)))
    try:
        led.record(population(400))
        led.record(sickness(400, 40))  # 16 400 rows
    finally:
        led.close()
    where = tmp_path / "proj"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[3])}
    killed_at = None
    for attempt in range(3):
        proc = subprocess.Popen(
            [sys.executable, "-c", CATCH_UP_SCRIPT, sqlite_url, str(where), "300"],
            stdout=subprocess.PIPE,
            env=env,
            text=True,
        )
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "start"
        manifest = where / "manifest.json"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and proc.poll() is None:
            if manifest.exists() and '"position": 0' not in manifest.read_text():
                break
            time.sleep(0.005)
        time.sleep(0.02 * attempt)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        if proc.returncode == -signal.SIGKILL:
            killed_at = attempt
            break
    assert killed_at is not None, "catch-up finished before it could be killed"
    resumed = open_projection(sqlite_url, directory=where, catch_up=False)
    assert 0 < resumed.position < 16_800
    resumed.catch_up()
    clean = open_projection(sqlite_url, persist=False)
    assert resumed.position == clean.position
    for every in ("month", "quarter"):
        assert_frame_equal(
            resumed.kpi(*YEAR, every, by="sector"), clean.kpi(*YEAR, every, by="sector")
        )
    assert resumed.raw_facts().sick.height == clean.raw_facts().sick.height == 16_000
    resumed.close()
    clean.close()


def test_cli_kpi_and_roster(
    sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from cli.main import main

    led = Ledger(sqlite_url, clock=clock(datetime(2026, 1, 1, tzinfo=UTC)))
    try:
        led.record(population(9))
        led.record(sickness(3, 2))
    finally:
        led.close()
    assert (
        main(
            [
                "--db",
                sqlite_url,
                "kpi",
                "--from",
                "2025-01-01",
                "--to",
                "2025-12-31",
                "--every",
                "quarter",
                "--by",
                "sector",
                "--format",
                "json",
            ]
        )
        == 0
    )
    import json

    rows = json.loads(capsys.readouterr().out)
    assert {r["sector"] for r in rows} == {"Oppvekst", "Helse", "Kultur"}
    assert (
        main(
            [
                "--db",
                sqlite_url,
                "roster",
                "--on",
                "2025-06-30",
                "--format",
                "csv",
                "--known-at",
                "2026-01-01T00:00:00+00:00",
            ]
        )
        == 0
    )
    assert capsys.readouterr().out.splitlines()[0].startswith("employee_id,employment_id,gender")
    out = tmp_path / "k.parquet"
    assert (
        main(
            [
                "--db",
                sqlite_url,
                "export",
                "kpi",
                "--from",
                "2025-01-01",
                "--to",
                "2025-12-31",
                "--every",
                "month",
                "--format",
                "parquet",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    import polars as pl

    assert pl.read_parquet_metadata(out)["hrledger.schema_version"] == "1.1"
    assert main(["--db", sqlite_url, "report", "equality", "--year", "2025"]) == 0


def _read_all(url: str, *, blobs: bool, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, list[int]]:
    """Every fact of the ledger, read in pages of 7 rows, as blobs or row by row."""
    from ledger.storage.store import open_store
    from projections.facts import source

    monkeypatch.setattr(source, "BLOB_READS_FROM", 0 if blobs else 10**9)
    store = open_store(url, create=False)
    pages: list[int] = []
    read_page = store.read_page

    def spy(after: int, limit: int) -> Any:
        pages.append(after)
        return read_page(after, limit)

    monkeypatch.setattr(store, "read_page", spy)
    try:
        facts, last = source.read_facts(store, 0, page_size=7)
    finally:
        store.close()
    assert last == 240
    return facts, pages


def assert_same_facts(got: Any, expected: Any) -> None:
    for name, frame in expected.frames().items():
        assert_frame_equal(got.frames()[name], frame)


def _children(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """The answer of each child process ``two_processes`` starts (None: it failed)."""
    from projections.facts import two_processes

    answers: list[object] = []
    run_child = two_processes._run_child

    def spy(request: bytes, handle: Any) -> Any:
        answers.append(run_child(request, handle))
        return answers[-1]

    monkeypatch.setattr(two_processes, "_run_child", spy)
    return answers


def _ten_persons(url: str) -> None:
    """Ten hires and three sick days each: 40 events."""
    with Ledger(url, clock=clock(datetime(2026, 1, 1, tzinfo=UTC))) as led:
        led.record(population(10))
        led.record(sickness(10, 3))


def test_a_long_read_in_blobs_gives_the_same_facts_as_row_by_row(
    ledger_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Ledger(ledger_url, clock=clock(datetime(2026, 1, 1, tzinfo=UTC))) as led:
        led.record(population(40))
        led.record(sickness(40, 5))  # 240 events: 35 pages of 7
    by_rows, none = _read_all(ledger_url, blobs=False, monkeypatch=monkeypatch)
    in_blobs, pages = _read_all(ledger_url, blobs=True, monkeypatch=monkeypatch)
    assert none == [] and pages == list(range(0, 240, 7))
    assert in_blobs.sick.height == 200 and in_blobs.employment.height == 40
    assert_same_facts(in_blobs, by_rows)


def test_a_stored_state_with_a_raw_newline_is_read_row_by_row(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    import orjson

    with Ledger(sqlite_url, clock=clock(datetime(2026, 1, 1, tzinfo=UTC))) as led:
        led.record(population(40))
        led.record(sickness(40, 5))
    # another writer (the library's own machinery, say) stored one event pretty-printed
    path = sqlite_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:
        state = conn.execute("SELECT state FROM stored_events WHERE rowid = 100").fetchone()[0]
        pretty = orjson.dumps(orjson.loads(state), option=orjson.OPT_INDENT_2)
        conn.execute("UPDATE stored_events SET state = ? WHERE rowid = 100", (pretty,))
    by_rows, _ = _read_all(sqlite_url, blobs=False, monkeypatch=monkeypatch)
    in_blobs, _ = _read_all(sqlite_url, blobs=True, monkeypatch=monkeypatch)
    assert in_blobs.sick.height == 200
    assert_same_facts(in_blobs, by_rows)


def test_the_hms_rows_an_erasure_needs_are_read_without_the_rest(
    ledger_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ledger.storage.store import open_store
    from projections.facts.source import read_hms

    deviation = {"type": "hms_deviation", "deviation_id": "D1", "effective_date": "2025-05-05",
                 "sector": "Helse", "unit": "U1", "category": "personal_injury",
                 "employee_id": "E1", "note": "skled i trappa"}  # fmt: skip
    closing = {"type": "hms_deviation_closed", "deviation_id": "D1", "effective_date": "2025-05-09"}
    with Ledger(ledger_url, clock=clock(datetime(2026, 1, 1, tzinfo=UTC))) as led:
        led.record(population(3))
        led.record([deviation, *sickness(3, 4), closing])
    store = open_store(ledger_url, create=False)
    monkeypatch.setattr(store, "read_page", None)  # nothing but the HMS rows is read
    monkeypatch.setattr(store, "read_rows", None)
    try:
        hms = read_hms(store)
    finally:
        store.close()
    assert hms["type"].to_list() == ["hms_deviation", "hms_deviation_closed"]
    assert hms["position"].to_list() == [4, 17]
    assert hms["employee_id"].to_list() == ["E1", None]


def test_a_long_read_split_over_two_processes_gives_the_same_facts(
    ledger_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The child process reads the first part (E1's sick days among them); E1's erasure
    is in the second part, read here, and still takes E1's facts out of the first."""
    from ledger.storage.store import open_store
    from projections.facts import source, two_processes
    from projections.facts.frozen import erase_person

    with Ledger(ledger_url, clock=clock(datetime(2026, 1, 1, tzinfo=UTC))) as led:
        led.record(population(40))
        led.record(sickness(40, 5))
        led.record([{"type": "terminated", "employment_id": "A1", "effective_date": "2025-06-30",
                     "reason": "resignation"}])
        erase_person(led, "E1", "request 2026/7", recorded_by="personalsjef")
    children = _children(monkeypatch)
    store = open_store(ledger_url, create=False)
    try:
        alone, last_alone = source.read_facts(store, 0)
        split, last = two_processes.read_long(store, 0, split_from=10)
        head = store.max_position()
    finally:
        store.close()
    assert len(children) == 1  # the child ran, and answered: no fallback read here
    assert last == last_alone == head
    assert split.sick.height == 195 and "E1" not in split.sick["employee_id"].to_list()
    assert_same_facts(split, alone)


def test_a_child_that_cannot_start_leaves_its_part_to_this_process(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ledger.storage.store import open_store
    from projections.facts import source, two_processes

    _ten_persons(sqlite_url)
    monkeypatch.setattr(two_processes.sys, "executable", "/nonexistent/python")
    store = open_store(sqlite_url, create=False)
    try:
        alone, _ = source.read_facts(store, 0)
        split, _ = two_processes.read_long(store, 0, split_from=5)
    finally:
        store.close()
    assert split.sick.height == 30
    assert_same_facts(split, alone)


def test_a_ledger_only_this_process_sees_is_read_here(monkeypatch: pytest.MonkeyPatch) -> None:
    from ledger.storage.memory import MemoryStore
    from projections.facts import two_processes

    led = Ledger(store=MemoryStore(), clock=clock(datetime(2026, 1, 1, tzinfo=UTC)))
    led.record(population(10))
    led.record(sickness(10, 3))
    children: list[bytes] = []
    monkeypatch.setattr(two_processes, "_run_child", lambda r, _: children.append(r))
    facts, last = two_processes.read_long(led.store, 0, split_from=5)
    assert children == [] and last == 40 and facts.sick.height == 30


def test_the_child_finds_an_sqlite_ledger_opened_by_a_relative_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ledger.storage.store import open_store
    from projections.facts import two_processes

    monkeypatch.chdir(tmp_path)
    _ten_persons("sqlite:///relative.sqlite")
    store = open_store("sqlite:///relative.sqlite", create=False)
    monkeypatch.chdir("/")  # a notebook may change its directory after opening the ledger
    answered = _children(monkeypatch)
    try:
        facts, _ = two_processes.read_long(store, 0, split_from=5)
    finally:
        store.close()
    assert answered and answered[0] is not None  # the child read its part
    assert facts.sick.height == 30 and facts.employment.height == 10


def test_an_interrupted_read_stops_its_child_instead_of_waiting_for_it(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Jupyter interrupts the kernel alone; a child reading on would hold the answer."""
    from ledger.storage.store import open_store
    from projections.facts import two_processes

    _ten_persons(sqlite_url)
    slow = tmp_path / "slow-python"
    slow.write_text("#!/bin/sh\nexec sleep 60\n")  # a child that would read for a minute
    slow.chmod(0o755)
    monkeypatch.setattr(two_processes.sys, "executable", str(slow))

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        time.sleep(0.5)  # the child has started
        raise KeyboardInterrupt

    monkeypatch.setattr(two_processes, "read_parts", interrupted)
    store = open_store(sqlite_url, create=False)
    t = time.monotonic()
    try:
        with pytest.raises(KeyboardInterrupt):
            two_processes.read_long(store, 0, split_from=5)
    finally:
        store.close()
    assert time.monotonic() - t < 10


def test_a_first_open_of_a_long_ledger_reads_it_in_two_processes(
    ledger_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import projections.api as api

    with Ledger(ledger_url, clock=clock(datetime(2026, 1, 1, tzinfo=UTC))) as led:
        led.record(population(40))
        led.record(sickness(40, 5))
    children = _children(monkeypatch)
    monkeypatch.setattr(api, "SPLIT_FROM", 100)  # "long": more than 100 rows
    first = open_projection(ledger_url, directory=tmp_path / "proj")
    assert len(children) == 1 and first.position == 240
    in_memory = open_projection(ledger_url, persist=False)  # read in one process
    reopened = open_projection(ledger_url, directory=tmp_path / "proj")  # from the files
    assert len(children) == 1
    for p in (first, reopened):
        assert_same_facts(p.raw_facts(), in_memory.raw_facts())
        assert_frame_equal(p.kpi(*YEAR, "month"), in_memory.kpi(*YEAR, "month"))
    for p in (first, reopened, in_memory):
        p.close()
