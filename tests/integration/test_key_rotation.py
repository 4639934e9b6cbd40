"""`hrledger keys rotate`: every data key re-wrapped under a new master key, on SQLite and
PostgreSQL.

The story: Utsira's master key was on the laptop of an HR officer who left. The ledger
holds Kari (E1, left in 2022, erased in 2025), Ola (E2) and Siri (E3), with sick days,
notes, a welfare reason, birth dates and pay. After the rotation Ola's and Siri's fields
open with the new key and not with the old one, Kari stays erased, `verify` prints the
same head, and a rotation that dies half-way leaves a ledger the old key still reads and
that the same command then finishes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from cli.main import main
from ledger.domain.errors import LedgerError
from ledger.security.keys import Keyring, KeyRow, unwrap_data_key
from ledger.services.history import person_history
from ledger.services.key_rotation import check_keys, rotate_master_key
from ledger.services.recording import Ledger
from ledger.services.verification import verify
from ledger.storage.store import open_store
from projections.api import open_projection
from projections.facts.frozen import erase_person
from tests.builders import hired, leave, sick, terminated
from tests.conftest import TEST_MASTER_KEY

OLD = bytes.fromhex(TEST_MASTER_KEY)
NEW_HEX = "f0e1d2c3b4a5968778695a4b3c2d1e0f" * 2
NEW = bytes.fromhex(NEW_HEX)
ROOT = Path(__file__).resolve().parents[2]


def _clock(at: datetime) -> Any:
    return lambda: at


@pytest.fixture
def utsira(ledger_url: str) -> str:
    with Ledger(ledger_url, clock=_clock(datetime(2023, 1, 20, tzinfo=UTC))) as ledger:
        ledger.record(
            [
                hired("E1", "A1", "2021-01-01", note="Kari, overført frå Bokn"),
                hired("E2", "A2", "2021-01-01", gender="M", birth_date="1990-02-02",
                      annual_salary=612_000),
                hired("E3", "A3", "2021-06-01", birth_date="1975-11-30", annual_salary=701_500),
                sick("2021-03-01", "E1", note="migrene"),
                sick("2021-03-02", "E1"),
                sick("2021-03-01", "E2", certificate="doctor", note="kne"),
                sick("2022-02-08", "E3", certificate="doctor", grade_pct=50),
                leave("2022-05-03", "2022-05-03", "welfare", "E3", welfare_reason="family_illness"),
                terminated("2022-12-31", "A1"),
            ]
        )  # fmt: skip
    with Ledger(ledger_url, clock=_clock(datetime(2025, 3, 3, 12, tzinfo=UTC))) as ledger:
        erase_person(ledger, "E1", "sak 2025/41", recorded_by="personalsjef")
    return ledger_url


@pytest.fixture
def new_key_file(tmp_path: Path) -> Path:
    path = tmp_path / "new.key"
    path.write_text(NEW_HEX + "\n")
    path.chmod(0o600)
    return path


def _use(monkeypatch: pytest.MonkeyPatch, key: bytes) -> None:
    monkeypatch.setenv("HRLEDGER_MASTER_KEY", key.hex())


def _details(url: str, employee_id: str) -> list[dict[str, Any]]:
    store = open_store(url)
    try:
        return [
            {"type": e.type, "valid": e.valid, **e.details}
            for e in person_history(store, employee_id)
        ]
    finally:
        store.close()


def _sickness(url: str) -> list[float]:
    with open_projection(url, persist=False) as p:
        kpi = p.kpi(date(2021, 1, 1), date(2022, 12, 31), "year")
    return [float(x) for x in kpi["lost_workdays"]]


def _which_key_opens(url: str) -> dict[str, frozenset[str]]:
    """For every live key row: which of the two master keys opens it."""
    store = open_store(url)
    try:
        rows = store.key_rows()
    finally:
        store.close()
    out: dict[str, frozenset[str]] = {}
    for r in rows:
        if r.wrapped is not None:
            out[r.employee_id or r.key_id] = frozenset(
                name
                for name, key in (("old", OLD), ("new", NEW))
                if unwrap_data_key(key, r.key_id, r.wrapped) is not None
            )
    return out


def _every_key(which: str) -> dict[str, set[str]]:
    """Every live key opening with ``which``: E2's and E3's own, pay and birth-date keys."""
    kinds = ("", "\x1fpay", "\x1fbirth_date")
    return {**{f"{e}{k}": {which} for e in ("E2", "E3") for k in kinds}, "ledger": {which}}


def _head(url: str) -> str:
    store = open_store(url)
    try:
        result = verify(store)
    finally:
        store.close()
    assert result.ok
    return result.head


# ---------------------------------------------------------------- rotation
def test_after_rotation_live_fields_open_with_the_new_key_only(
    utsira: str, new_key_file: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    ola_before, siri_before = _details(utsira, "E2"), _details(utsira, "E3")
    kari_before = _details(utsira, "E1")
    sickness_before = _sickness(utsira)
    head_before = _head(utsira)

    assert main(["--db", utsira, "keys", "rotate", "--new-key-file", str(new_key_file)]) == 0

    out = capsys.readouterr().out
    # E2, E3 and the ledger key; Kari's tombstone is left alone
    assert "re-wrapped 7 key(s) under the new master key;" in out
    summary = "7 live key(s) (6 of 2 person(s) and the ledger key); 1 erased person(s) stay erased"
    assert summary in out
    assert _which_key_opens(utsira) == _every_key("new")

    _use(monkeypatch, NEW)
    ola, siri = _details(utsira, "E2"), _details(utsira, "E3")
    assert ola == ola_before and siri == siri_before
    assert ola[0]["birth_date"] == "1990-02-02" and ola[0]["annual_salary"] == 612_000
    assert ola[1] == {"type": "sick_day", "valid": "2021-03-01", "certificate": "doctor",
                      "grade_pct": 100, "note": "kne"}  # fmt: skip
    assert siri[2]["welfare_reason"] == "family_illness"
    assert _sickness(utsira) == sickness_before == [3.0, 0.5]  # Kari's 2 frozen + Ola 1; Siri ½
    kari = _details(utsira, "E1")
    assert kari == kari_before
    assert all(e["valid"] == "[erased]" for e in kari if e["type"] == "sick_day")
    assert kari[0]["note"] == kari[0]["birth_date"] == "[erased]"
    assert _head(utsira) == head_before  # no stored event changed

    _use(monkeypatch, OLD)
    with pytest.raises(LedgerError, match="master key does not open"):
        _details(utsira, "E2")
    # nothing of Kari's needs a live key any more: all three of hers were destroyed
    assert _details(utsira, "E1") == kari_before
    with pytest.raises(LedgerError, match="master key does not open"):
        _sickness(utsira)


def test_keys_check_tells_which_master_key_opens_the_ledger(
    utsira: str, new_key_file: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    assert main(["--db", utsira, "keys", "check"]) == 0
    assert "ok: 7 live key(s)" in capsys.readouterr().out
    assert main(["--db", utsira, "keys", "check", "--key-file", str(new_key_file)]) == 1
    assert "7 of 7 live key(s) do not open with" in capsys.readouterr().err

    assert main(["--db", utsira, "keys", "rotate", "--new-key-file", str(new_key_file)]) == 0
    capsys.readouterr()

    assert main(["--db", utsira, "keys", "check"]) == 1  # still configured: the old key
    err = capsys.readouterr().err
    assert "7 of 7 live key(s) do not open with the configured master key" in err
    assert main(["--db", utsira, "keys", "check", "--key-file", str(new_key_file)]) == 0
    _use(monkeypatch, NEW)
    assert main(["--db", utsira, "keys", "check"]) == 0


def test_a_writer_with_the_old_key_is_refused_after_the_rotation(
    utsira: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = open_store(utsira)
    try:
        rotate_master_key(store, OLD, NEW)
    finally:
        store.close()

    with Ledger(utsira) as ledger:  # still configured with the old key
        before = ledger.store.max_position()
        with pytest.raises(LedgerError, match="master key does not open"):
            ledger.record([hired("E4", "A4", "2025-04-01")])
        assert ledger.store.max_position() == before
    _use(monkeypatch, NEW)
    with Ledger(utsira) as ledger:
        assert ledger.record(
            [hired("E4", "A4", "2025-04-01"), sick("2025-04-07", "E4", certificate="doctor")]
        ).stored
    assert _which_key_opens(utsira)["E4"] == {"new"}


# ------------------------------------------------------------ interrupted
def test_an_exception_between_chunks_leaves_every_key_under_the_old_one(
    utsira: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail_after_first_chunk(done: int) -> None:
        if done:
            raise RuntimeError("the disk went away")

    store = open_store(utsira)
    try:
        with pytest.raises(RuntimeError, match="disk went away"):
            rotate_master_key(store, OLD, NEW, chunk_size=1, progress=fail_after_first_chunk)
    finally:
        store.close()

    # the first chunk was written in the transaction, and rolled back with it
    assert _which_key_opens(utsira) == _every_key("old")
    assert _details(utsira, "E3")[1]["valid"] == "2022-02-08"  # readable with the old key

    store = open_store(utsira)
    try:
        again = rotate_master_key(store, OLD, NEW, chunk_size=1)
    finally:
        store.close()
    assert (again.rewrapped, again.already_new, again.check.erased) == (7, 0, 1)
    assert _which_key_opens(utsira) == _every_key("new")


KILL_MIDWAY = """
import os, signal, sys
from ledger.services.key_rotation import rotate_master_key
from ledger.storage.store import open_store

def die_after_two(done):
    if done >= 2:  # two keys re-wrapped in the open transaction
        os.kill(os.getpid(), signal.SIGKILL)

store = open_store(sys.argv[1])
rotate_master_key(store, bytes.fromhex(sys.argv[2]), bytes.fromhex(sys.argv[3]),
                  chunk_size=1, progress=die_after_two)
"""


def test_a_rotation_killed_midway_is_finished_by_running_it_again(
    utsira: str, new_key_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    killed = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(KILL_MIDWAY), utsira, OLD.hex(), NEW.hex()],
        cwd=ROOT,
        capture_output=True,
        timeout=120,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode()

    opens = _which_key_opens(utsira)
    assert all(len(keys) == 1 for keys in opens.values()), opens  # exactly one key per row
    assert opens == _every_key("old")  # one transaction
    assert _details(utsira, "E2")[1]["note"] == "kne"
    _head(utsira)

    assert main(["--db", utsira, "keys", "rotate", "--new-key-file", str(new_key_file)]) == 0
    assert "re-wrapped 7 key(s)" in capsys.readouterr().out
    assert _which_key_opens(utsira) == _every_key("new")


def test_running_it_again_finishes_rows_a_late_writer_wrapped_with_the_old_key(
    utsira: str, new_key_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A writer that passed its key check before the rotation commits, and adds a person
    after it, wraps that person's key with the old master key: the same command again
    re-wraps that row and leaves the others."""
    assert main(["--db", utsira, "keys", "rotate", "--new-key-file", str(new_key_file)]) == 0
    capsys.readouterr()
    late = Keyring({}, OLD)
    late.key_for("E9")
    store = open_store(utsira)
    try:
        with store.unit_of_work() as uow:
            uow.write([], late.new_rows)  # what the late writer's unit of work stores
        check = check_keys(store, NEW)
    finally:
        store.close()
    assert check.not_opening == ("the key of employee E9",)

    assert main(["--db", utsira, "keys", "rotate", "--new-key-file", str(new_key_file)]) == 0
    assert "re-wrapped 1 key(s) under the new master key (7 already were)" in (
        capsys.readouterr().out
    )
    assert set(_which_key_opens(utsira).values()) == {frozenset({"new"})}


def test_a_rotation_run_twice_changes_nothing_the_second_time(
    utsira: str, new_key_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for _ in range(2):
        assert main(["--db", utsira, "keys", "rotate", "--new-key-file", str(new_key_file)]) == 0
    out = capsys.readouterr().out
    assert "re-wrapped 0 key(s) under the new master key (7 already were)" in out


# ----------------------------------------------------------------- refusals
def _rotate(url: str, key_file: Path, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["--db", url, "keys", "rotate", "--new-key-file", str(key_file)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1
    return err


def test_a_new_key_file_others_can_read_is_refused(
    utsira: str, new_key_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new_key_file.chmod(0o644)
    assert "can be read by other users (mode 644)" in _rotate(utsira, new_key_file, capsys)
    assert _which_key_opens(utsira)["ledger"] == {"old"}


def test_the_configured_key_as_the_new_one_is_refused(
    utsira: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    same = tmp_path / "same.key"
    same.write_text(TEST_MASTER_KEY)
    same.chmod(0o600)
    assert "the new master key is the one configured now" in _rotate(utsira, same, capsys)


def test_a_wrong_configured_key_changes_nothing(
    utsira: str, new_key_file: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    _use(monkeypatch, bytes.fromhex("ab" * 32))
    err = _rotate(utsira, new_key_file, capsys)
    assert "opens with neither the configured master key nor the new one" in err
    assert set(_which_key_opens(utsira).values()) == {frozenset({"old"})}


def test_a_missing_ledger_is_named_and_not_created(
    tmp_path: Path, new_key_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path}/nowhere.sqlite"
    assert "no ledger at" in _rotate(url, new_key_file, capsys)
    assert not (tmp_path / "nowhere.sqlite").exists()


def test_a_new_key_file_that_is_not_a_key_is_refused(
    utsira: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.key"
    bad.write_text("hunter2\n")
    bad.chmod(0o600)
    assert "is not 64 hexadecimal characters" in _rotate(utsira, bad, capsys)


def test_key_rows_are_not_left_in_plain_sight_of_the_old_key_in_the_sqlite_file(
    sqlite_url: str, new_key_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The old wrapped values are gone from the file and its write-ahead log."""
    with Ledger(sqlite_url) as ledger:
        ledger.record([hired("E2", "A2"), sick("2021-03-01", "E2")])
    store = open_store(sqlite_url)
    try:
        old_rows: list[KeyRow] = store.key_rows()
        rotate_master_key(store, OLD, NEW)
    finally:
        store.close()
    path = sqlite_url.removeprefix("sqlite:///")
    stored = b"".join(Path(p).read_bytes() for p in (path, path + "-wal") if os.path.exists(p))
    assert all(r.wrapped is not None and r.wrapped not in stored for r in old_rows)


def test_a_stored_projection_folder_is_rebuilt_with_the_new_key(
    utsira: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "projection"
    with open_projection(utsira, directory=folder) as p:
        before = p.kpi(date(2021, 1, 1), date(2022, 12, 31), "year")["lost_workdays"].to_list()
    store = open_store(utsira)
    try:
        rotate_master_key(store, OLD, NEW)
    finally:
        store.close()

    with pytest.raises(LedgerError, match="master key does not open"):
        open_projection(utsira, directory=folder)  # the old key reads nothing any more
    _use(monkeypatch, NEW)
    with open_projection(utsira, directory=folder) as p:
        after = p.kpi(date(2021, 1, 1), date(2022, 12, 31), "year")["lost_workdays"].to_list()
    assert after == before == [3.0, 0.5]
