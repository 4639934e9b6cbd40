"""Two processes writing for the same person at once lose nothing and duplicate nothing.

Each writer is a real process with its own connection, recording one event
per call for employee E1. Afterwards every event is stored exactly once,
the person's versions run 1..n without a gap, and the chain verifies.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import orjson
import pytest

from ledger.domain.streams import person_stream, stream_uuid
from ledger.services.recording import Ledger
from ledger.storage.store import open_store
from tests.builders import hired
from tests.robustness.helpers import run_cli, stored_count
from tests.robustness.lines import valid_lines, write_jsonl

N = 60


def start_writers(
    url: str, go: Path, count: int, years: list[int], *, own_person: bool = False
) -> list[subprocess.Popen[str]]:
    """One writer per year; all for E1, or each hiring and writing for its own person."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    return [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.robustness.writer",
                url,
                f"w{year}",
                str(count),
                str(year),
                str(go),
                f"P{year}" if own_person else "E1",
                "1" if own_person else "0",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for year in years
    ]


def finish(procs: list[subprocess.Popen[str]]) -> list[dict[str, Any]]:
    reports = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, f"a writer crashed:\n{err}"
        reports.append(orjson.loads(out.strip().splitlines()[-1]))
    return reports


def person_versions(url: str, employee_id: str) -> list[int]:
    store = open_store(url)
    try:
        uid = stream_uuid(person_stream(employee_id))
        rows = store.stream_rows({uid: 0}).get(uid, [])
        return [v for v, _ in rows]
    finally:
        store.close()


def event_ids(url: str) -> list[str]:
    store = open_store(url)
    try:
        return [orjson.loads(s)["event_id"] for _, s in store.read_rows(0, 1_000_000)]
    finally:
        store.close()


def test_two_writers_for_the_same_person_store_every_event_once(
    ledger_url: str, tmp_path: Path
) -> None:
    with Ledger(ledger_url) as ledger:
        ledger.record([hired("E1", "A1", "2020-01-01", event_id="hire")])
    go = tmp_path / "go"
    procs = start_writers(ledger_url, go, N, [2021, 2022])
    time.sleep(1.5)  # both processes are up and waiting
    go.touch()
    reports = finish(procs)

    ids = event_ids(ledger_url)
    expected = {"hire"} | {f"w{y}-{i}" for y in (2021, 2022) for i in range(N)}
    assert len(ids) == len(expected) == 2 * N + 1
    assert set(ids) == expected
    assert person_versions(ledger_url, "E1") == list(range(1, 2 * N + 2))
    assert run_cli("--db", ledger_url, "verify").returncode == 0
    print(reports)  # how often the ledger's own retries were exhausted (see -s)


def test_two_writers_opening_a_brand_new_ledger_at_once_both_succeed(
    ledger_url: str, tmp_path: Path
) -> None:
    """Both processes create the tables on first use; neither may crash."""
    go = tmp_path / "go"
    procs = start_writers(ledger_url, go, 5, [2021, 2022], own_person=True)
    time.sleep(1.5)
    go.touch()
    finish(procs)
    assert stored_count(ledger_url) == 2 * 6
    assert run_cli("--db", ledger_url, "verify").returncode == 0


def test_the_same_file_imported_twice_at_once_is_stored_once(
    ledger_url: str, tmp_path: Path
) -> None:
    with Ledger(ledger_url):
        pass  # create the ledger first; the race under test is the import itself
    file = write_jsonl(tmp_path / "f.jsonl", valid_lines(100))
    procs = [
        subprocess.Popen(
            [
                str(Path(sys.executable).with_name("hrledger")),
                "--db",
                ledger_url,
                "import",
                str(file),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [p.communicate(timeout=120) for p in procs]
    for p, (_, err) in zip(procs, results, strict=True):
        assert p.returncode == 0, err
    outs = sorted(out for out, _ in results)
    assert outs[0].startswith("stored 0 events") or outs[1].startswith("stored 0 events")
    assert stored_count(ledger_url) == len(valid_lines(100))
    assert run_cli("--db", ledger_url, "verify").returncode == 0


@pytest.mark.slow
def test_two_writers_with_many_events_each_stay_contiguous(ledger_url: str, tmp_path: Path) -> None:
    with Ledger(ledger_url) as ledger:
        ledger.record([hired("E1", "A1", "2020-01-01", event_id="hire")])
    go = tmp_path / "go"
    procs = start_writers(ledger_url, go, 250, [2021, 2022])
    time.sleep(1.5)
    go.touch()
    finish(procs)
    assert person_versions(ledger_url, "E1") == list(range(1, 502))
    assert run_cli("--db", ledger_url, "verify").returncode == 0
