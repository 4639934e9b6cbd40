"""An import killed at a random moment leaves all of its file or none of it.

A real `hrledger import` process gets SIGKILL after a random delay, many
times over, on SQLite and PostgreSQL. After every kill the log verifies and
holds 0 or all of the file's events; a final import completes, and the
stored events equal those of an undisturbed run of the same file.
"""

from __future__ import annotations

import random
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.robustness.helpers import (
    HRLEDGER,
    assert_clean_failure,
    exported,
    run_cli,
    stored_count,
)
from tests.robustness.lines import valid_lines, write_jsonl

KILLS = 15
SLOW_KILLS = 60


@pytest.fixture(scope="module")
def import_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_jsonl(tmp_path_factory.mktemp("kill") / "file.jsonl", valid_lines(400))


@pytest.fixture(scope="module")
def clean_run(import_file: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One undisturbed import: its duration and its stored events."""
    url = f"sqlite:///{tmp_path_factory.mktemp('clean')}/clean.sqlite"
    started = time.monotonic()
    result = run_cli("--db", url, "import", str(import_file))
    duration = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    return {"seconds": duration, "events": exported(url)}


def kill_import_repeatedly(
    url: str, import_file: Path, clean_run: dict[str, Any], kills: int, seed: int
) -> dict[str, int]:
    rng = random.Random(seed)
    total = len(clean_run["events"])
    outcomes = {"none": 0, "all": 0}
    for _ in range(kills):
        before = stored_count(url)
        if before == total:
            break  # a kill came too late: the file is in; nothing more to interrupt
        proc = subprocess.Popen(
            [HRLEDGER, "--db", url, "import", str(import_file)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.0, clean_run["seconds"] * 1.1))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)

        after = stored_count(url)
        assert after in (0, total), f"a killed import left {after} of {total} events"
        outcomes["all" if after else "none"] += 1
        verified = run_cli("--db", url, "verify")
        assert verified.returncode == 0, verified.stderr
    return outcomes


def finish_and_compare(url: str, import_file: Path, clean_run: dict[str, Any]) -> None:
    final = run_cli("--db", url, "import", str(import_file))
    assert final.returncode == 0, final.stderr
    assert stored_count(url) == len(clean_run["events"])
    assert exported(url) == clean_run["events"]
    verified = run_cli("--db", url, "verify")
    assert verified.returncode == 0, verified.stderr


def test_a_killed_import_stores_all_or_nothing_and_a_rerun_completes(
    ledger_url: str, import_file: Path, clean_run: dict[str, Any]
) -> None:
    kill_import_repeatedly(ledger_url, import_file, clean_run, KILLS, seed=7)
    finish_and_compare(ledger_url, import_file, clean_run)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_many_kills_at_random_moments_never_leave_part_of_a_file(
    ledger_url: str, import_file: Path, clean_run: dict[str, Any], seed: int
) -> None:
    outcomes = kill_import_repeatedly(ledger_url, import_file, clean_run, SLOW_KILLS, seed)
    assert sum(outcomes.values()) > 0
    finish_and_compare(ledger_url, import_file, clean_run)


def test_a_kill_during_a_second_import_keeps_the_first_file_and_none_of_the_second(
    ledger_url: str, import_file: Path, clean_run: dict[str, Any], tmp_path: Path
) -> None:
    first = write_jsonl(tmp_path / "first.jsonl", valid_lines(50, prefix="base"))
    assert run_cli("--db", ledger_url, "import", str(first)).returncode == 0
    base = stored_count(ledger_url)
    total = base + len(clean_run["events"])
    rng = random.Random(11)
    for _ in range(5):
        proc = subprocess.Popen(
            [HRLEDGER, "--db", ledger_url, "import", str(import_file)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.2, clean_run["seconds"]))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        assert stored_count(ledger_url) in (base, total)
        if stored_count(ledger_url) == total:
            break
    assert run_cli("--db", ledger_url, "import", str(import_file)).returncode == 0
    assert stored_count(ledger_url) == total
    assert run_cli("--db", ledger_url, "verify").returncode == 0


def test_verify_on_a_ledger_never_imported_into_says_what_to_do(tmp_path: Path) -> None:
    result = run_cli("--db", f"sqlite:///{tmp_path}/none.sqlite", "verify")
    assert_clean_failure(result.returncode, result.stderr)
    assert "import into it first" in result.stderr
