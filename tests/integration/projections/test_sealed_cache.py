"""The projection folder at rest: sealed, private, and useless without the master key.

The folder holds the *opened* facts (sick days, birth dates, pay) so that a
query need not decrypt the ledger again; on disk they must be as closed as
the ledger itself (docs/privacy.md, "The projection folder").
"""

from __future__ import annotations

import json
import os
import stat
import struct
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from cli.main import main
from ledger.domain.errors import LedgerError
from ledger.services.recording import Ledger
from projections.api import open_projection
from projections.facts.store import MANIFEST, SUFFIX, FactStore, without_password
from tests.builders import hired, leave, sick

RECORDED = datetime(2022, 1, 20, 9, 0, tzinfo=UTC)
BIRTH_DATES = ("1977-11-23", "1980-05-05")
SALARIES = (612_345, 550_000)
SICK_DAYS = ("2021-09-06", "2021-03-01")
WELFARE = "family_illness"


def _story(url: str) -> None:
    with Ledger(url, clock=lambda: RECORDED) as ledger:
        ledger.record(
            [
                hired("E1", "A1", "2021-01-01"),
                hired("E2", "A2", "2021-01-01", birth_date=BIRTH_DATES[0], gender="M",
                      annual_salary=SALARIES[0]),
                sick(SICK_DAYS[1], "E1"),
                sick(SICK_DAYS[0], "E2", certificate="doctor", grade_pct=50),
                leave("2021-05-03", "2021-05-03", "welfare", "E1", welfare_reason=WELFARE),
            ]
        )  # fmt: skip


def _needles() -> dict[str, bytes]:
    """Each personal value as text and as Parquet stores it (int32 days, float64)."""
    out: dict[str, bytes] = {WELFARE: WELFARE.encode()}
    for day in (*BIRTH_DATES, *SICK_DAYS):
        out[day] = day.encode()
        out[f"{day} as int32 days"] = struct.pack("<i", (date.fromisoformat(day).toordinal() -
                                                         date(1970, 1, 1).toordinal()))  # fmt: skip
    for pay in SALARIES:
        out[str(pay)] = str(pay).encode()
        out[f"{pay} as float64"] = struct.pack("<d", float(pay))
    return out


def _found(data: bytes) -> set[str]:
    return {name for name, needle in _needles().items() if needle in data}


def _all_bytes(folder: Path) -> bytes:
    files = [p for p in folder.rglob("*") if p.is_file()]
    assert len(files) >= 5  # manifest, lock, and the segments
    return b"".join(p.read_bytes() for p in files)


def test_no_file_of_the_projection_folder_holds_a_birth_date_salary_or_sick_day(
    ledger_url: str, tmp_path: Path
) -> None:
    _story(ledger_url)
    folder = tmp_path / "projection"
    with open_projection(ledger_url, directory=folder) as p:
        facts = p.raw_facts()
        assert facts.sick.height == 2 and facts.employment.height == 2
    # the search does find every value in the same facts written in clear (Parquet, JSON)
    clear = tmp_path / "clear"
    clear.mkdir()
    for name, df in facts.frames().items():
        df.write_parquet(clear / f"{name}.parquet", compression="uncompressed")
        df.write_ndjson(clear / f"{name}.json")
    assert _found(_all_bytes(clear)) == set(_needles())

    assert _found(_all_bytes(folder)) == set()


def test_the_folder_and_every_file_in_it_are_private(sqlite_url: str) -> None:
    _story(sqlite_url)
    old = os.umask(0)  # a permissive umask must not widen them
    try:
        open_projection(sqlite_url).close()  # the default folder: <ledger>.projection/
    finally:
        os.umask(old)
    folder = Path(sqlite_url.removeprefix("sqlite:///") + ".projection")

    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir()}
    assert len(modes) >= 5 and set(modes.values()) == {0o600}, modes


def test_reading_the_projection_without_the_master_key_is_refused_in_one_line(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _story(sqlite_url)
    open_projection(sqlite_url).close()
    monkeypatch.delenv("HRLEDGER_MASTER_KEY")

    with pytest.raises(LedgerError, match=r"projection folder .* is sealed .* no master key"):
        open_projection(sqlite_url, catch_up=False)
    code = main(["--db", sqlite_url, "roster", "--on", "2021-06-01"])

    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("error: the projection folder ") and err.count("\n") == 1


def test_a_wrong_master_key_reads_nothing_and_destroys_nothing(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _story(sqlite_url)
    folder = tmp_path / "projection"
    open_projection(sqlite_url, directory=folder).close()
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    monkeypatch.setenv("HRLEDGER_MASTER_KEY", "ff" * 32)

    with pytest.raises(LedgerError, match="master key does not open this ledger"):
        open_projection(sqlite_url, directory=folder)

    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


def test_a_projection_sealed_under_another_master_key_is_rebuilt(
    sqlite_url: str, tmp_path: Path
) -> None:
    """After a rotation of the master key the ledger opens, the old cache does not: rebuild."""
    _story(sqlite_url)
    folder = tmp_path / "projection"
    with open_projection(sqlite_url, directory=folder) as p:
        expected = p.kpi(date(2021, 1, 1), date(2021, 12, 31), "quarter", "gender")
    manifest = json.loads((folder / MANIFEST).read_text())
    old_segments = {f for files in manifest["segments"].values() for f in files}
    (folder / MANIFEST).write_text(json.dumps({**manifest, "key_check": "0" * 16}))

    with open_projection(sqlite_url, directory=folder) as p:
        again = p.kpi(date(2021, 1, 1), date(2021, 12, 31), "quarter", "gender")

    assert_frame_equal(again, expected)
    rebuilt = json.loads((folder / MANIFEST).read_text())
    assert rebuilt["key_check"] == manifest["key_check"]
    assert not old_segments & {p.name for p in folder.iterdir()}


def test_a_changed_segment_fails_in_one_line_that_says_what_to_do(
    sqlite_url: str, tmp_path: Path
) -> None:
    _story(sqlite_url)
    folder = tmp_path / "projection"
    open_projection(sqlite_url, directory=folder).close()
    segment = next(folder.glob("sick-*" + SUFFIX))
    data = bytearray(segment.read_bytes())
    data[-5] ^= 0x40
    segment.write_bytes(bytes(data))

    with pytest.raises(LedgerError) as e:
        open_projection(sqlite_url, directory=folder)

    message = str(e.value)
    assert segment.name in message and "delete the folder" in message
    assert "\n" not in message


def test_a_clear_projection_from_before_sealing_is_replaced(
    sqlite_url: str, tmp_path: Path
) -> None:
    _story(sqlite_url)
    folder = tmp_path / "projection"
    with open_projection(sqlite_url, persist=False) as p:
        clear = p.raw_facts().sick
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    (folder / ".lock").touch(mode=0o644)
    clear.write_parquet(folder / "sick-00000005-0a1b2c3d.parquet")
    (folder / MANIFEST).write_text(
        json.dumps({"format": 1, "position": 5, "fingerprint": None,
                    "segments": {"sick": ["sick-00000005-0a1b2c3d.parquet"]}})
    )  # fmt: skip

    with open_projection(sqlite_url, directory=folder) as p:
        assert p.raw_facts().sick.height == 2

    assert not list(folder.glob("*.parquet"))
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert {stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir()} == {0o600}
    assert _found(_all_bytes(folder)) == set()


def test_the_manifest_never_holds_a_database_password() -> None:
    url = "postgresql://hr:s3cret@db.example:5432/hr?schema=utsira"
    assert without_password(url) == "postgresql://hr@db.example:5432/hr?schema=utsira"
    assert without_password("sqlite:///x.sqlite") == "sqlite:///x.sqlite"


def test_segments_open_only_with_the_key_they_were_sealed_with(tmp_path: Path) -> None:
    facts = pl.DataFrame({"a": [1]})
    mine = FactStore(tmp_path, master=bytes(32))
    name = mine._write_segment("sick", facts, 1)

    assert_frame_equal(mine.read_segment(name), facts)
    with pytest.raises(LedgerError, match="does not open with this master key"):
        FactStore(tmp_path, master=bytes([1] * 32)).read_segment(name)
