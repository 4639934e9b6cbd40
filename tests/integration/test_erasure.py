"""Encryption at rest and erasure by crypto-shredding, on SQLite and PostgreSQL.

The story: Kari (E1) worked at Utsira skule in 2021–2022, was sick on
recorded days, and left; two years later she asks to be erased. Her health
fields and notes must become unreadable everywhere, the published sickness
KPIs of 2021–2022 must not move (also as known at an earlier moment), and
the hash chain must still verify.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import orjson
import polars as pl
import psycopg
import pytest
from polars.testing import assert_frame_equal
from psycopg import sql

from cli.main import main
from ledger.domain.errors import ImportRefused, LedgerError
from ledger.services.history import person_history
from ledger.services.interchange import iter_events
from ledger.services.recording import Ledger
from ledger.services.verification import verify
from projections.api import open_projection
from projections.facts.frozen import erase_person
from projections.facts.store import SUFFIX, FactStore
from tests.builders import hired, leave, retracted, sick, terminated

FIRST = datetime(2022, 1, 20, 9, 0, tzinfo=UTC)  # the 2021 report
SECOND = datetime(2023, 1, 20, 9, 0, tzinfo=UTC)  # 2022, and a late 2021 correction
ERASED_AT = datetime(2025, 3, 3, 12, 0, tzinfo=UTC)
BETWEEN = datetime(2022, 6, 1, tzinfo=UTC)


def _clock(at: datetime) -> Any:
    return lambda: at


def _kari_and_ola(url: str) -> None:
    """E1 (Kari) leaves at the end of 2022; E2 (Ola) stays. Two recorded batches."""
    with Ledger(url, clock=_clock(FIRST)) as ledger:
        ledger.record(
            [
                hired("E1", "A1", "2021-01-01", note="Kari, overført frå Bokn"),
                hired("E2", "A2", "2021-01-01", gender="M", birth_date="1990-02-02"),
                sick("2021-03-01", "E1", event_id="k1"),
                sick("2021-03-02", "E1", event_id="k2", note="migrene"),
                sick("2021-09-06", "E1", certificate="doctor", grade_pct=50, event_id="k3"),
                sick("2021-09-07", "E1", certificate="doctor", grade_pct=50),
                sick("2021-03-01", "E2"),
                leave("2021-05-03", "2021-05-03", "welfare", "E1", welfare_reason="family_illness"),
            ]
        )
    with Ledger(url, clock=_clock(SECOND)) as ledger:
        ledger.record(
            [
                retracted("k2", reason="feilregistrert, Kari var på kurs"),
                sick("2021-11-15", "E1", certificate="doctor"),
                sick("2022-02-07", "E1"),
                sick("2022-02-08", "E2", certificate="doctor"),
                {"type": "position_changed", "employment_id": "A1",
                 "effective_date": "2022-01-01", "position_pct": 80},
                terminated("2022-12-31", "A1"),
            ]
        )  # fmt: skip


@pytest.fixture
def kari(ledger_url: str, tmp_path: Path) -> Iterator[str]:
    _kari_and_ola(ledger_url)
    yield ledger_url


def _all_kpis(
    url: str, folder: Path | None, known_at: datetime | None = None
) -> dict[str, pl.DataFrame]:
    """Every published grouping of 2021–2022, from a stored (folder) or in-memory projection."""
    out = {}
    with open_projection(url, directory=folder, persist=folder is not None) as p:
        for every in ("month", "quarter", "year"):
            for by in (None, "sector", "unit", "gender", "age_band"):
                out[f"{every}/{by}"] = p.kpi(
                    date(2021, 1, 1), date(2022, 12, 31), every, by, known_at=known_at
                )
    return out


def _assert_same(before: dict[str, pl.DataFrame], after: dict[str, pl.DataFrame]) -> None:
    for name, a in before.items():
        b = after[name]
        assert a.columns == b.columns and a.height == b.height, name
        for col in a.columns:
            if a[col].dtype.is_float():
                diff = (a[col] - b[col]).abs().max()
                assert a[col].is_null().equals(b[col].is_null()), (name, col)
                assert diff is None or diff < 1e-9, (name, col, diff)  # type: ignore[operator]
            else:
                assert a[col].equals(b[col]), (name, col)


def _erase(url: str, employee_id: str = "E1", at: datetime = ERASED_AT) -> Any:
    with Ledger(url, clock=_clock(at)) as ledger:
        return erase_person(ledger, employee_id, "request 2025/41", recorded_by="personalsjef")


# ------------------------------------------------------------------ the KPIs
def test_past_kpis_are_unchanged_by_an_erasure(kari: str, tmp_path: Path) -> None:
    folder = tmp_path / "projection"
    before = _all_kpis(kari, folder)
    before_then = _all_kpis(kari, folder, known_at=BETWEEN)
    lost_2021 = before["year/None"]["lost_workdays"][0]

    result = _erase(kari)

    _assert_same(before, _all_kpis(kari, folder))  # the stored projection catches up
    # "what did we know in June 2022" is answered as before the erasure, too
    _assert_same(before_then, _all_kpis(kari, folder, known_at=BETWEEN))
    # and a projection built from nothing agrees
    _assert_same(before, _all_kpis(kari, None))
    assert result.frozen_rows > 0
    # by hand: 2021 lost work-days are Kari's 1 + 0.5 + 0.5 + 1 (k2 retracted) + Ola's 1
    assert lost_2021 == pytest.approx(4.0)


def test_without_the_frozen_share_the_sickness_rate_would_drop(kari: str, tmp_path: Path) -> None:
    """The frozen rows are what keeps the numbers: the erased sick days are gone."""
    _erase(kari)
    with open_projection(kari, persist=False) as p:
        facts = p.facts()
        year = p.kpi(date(2021, 1, 1), date(2021, 12, 31), "year")

    assert set(facts.sick["employee_id"].to_list()) == {"E2"}
    assert facts.frozen.height > 0
    assert year["lost_workdays"][0] == pytest.approx(4.0)


def test_year_to_date_keeps_the_frozen_share_of_its_whole_months(kari: str) -> None:
    def ytd() -> dict[str, pl.DataFrame]:
        with open_projection(kari, persist=False) as p:
            return {
                f"{by}": p.kpi(date(2021, 1, 1), date(2021, 9, 30), "year", by)
                for by in (None, "sector", "unit", "gender")
            }

    before = ytd()
    _erase(kari)

    _assert_same(before, ytd())
    # Kari's Jan–Sep 2021: 1 (1 Mar) + 0.5 + 0.5 (6–7 Sep, graded 50 %); Ola's 1 Mar: 1
    assert before["None"]["lost_workdays"][0] == pytest.approx(3.0)


def test_a_period_cut_mid_month_gets_no_frozen_share(kari: str) -> None:
    _erase(kari)
    with open_projection(kari, persist=False) as p:
        cut = p.kpi(date(2021, 3, 1), date(2021, 3, 15), "month")

    assert cut["lost_workdays"][0] == pytest.approx(1.0)  # only Ola's day: documented limit


def _same_frame(got: pl.DataFrame, expected: pl.DataFrame, name: str) -> None:
    try:
        assert_frame_equal(got, expected)
    except AssertionError as e:
        raise AssertionError(f"{name}: {e}") from None


def _every_kpi(p: Any, known_at: datetime | None = None) -> dict[str, pl.DataFrame]:
    return {
        f"{every}/{by}": p.kpi(date(2021, 1, 1), date(2022, 12, 31), every, by, known_at=known_at)
        for every in ("month", "quarter", "year")
        for by in (None, "sector", "unit", "gender", "age_band")
    }


@pytest.mark.parametrize("persist", [True, False], ids=["stored", "in memory"])
def test_an_erasure_updates_the_projection_in_place_as_a_rebuild_would(
    kari: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, persist: bool
) -> None:
    """No rebuild from zero: the person's rows leave, the frozen share comes in, and the
    result is exactly what a projection built from nothing after the erasure holds."""
    folder = tmp_path / "projection"
    with open_projection(kari, directory=folder, persist=persist) as p:
        p.kpi(date(2021, 1, 1), date(2022, 12, 31), "month", "unit")  # warm, as in a notebook
        position = p.position
        employment_files = FactStore(folder).manifest().segments["employment"] if persist else []
        reads: list[int] = []
        read = p.store.read_rows

        def spy(after: int, limit: int) -> list[tuple[int, bytes]]:
            reads.append(after)
            return read(after, limit)

        monkeypatch.setattr(p.store, "read_rows", spy)
        _erase(kari)
        in_place = _every_kpi(p)
        in_place_then = _every_kpi(p, known_at=BETWEEN)
        facts = p.raw_facts()

    assert min(reads) >= position - 1  # the checkpoint's own row, then the two new ones
    assert p.position == position + 2
    if persist:  # the tables that held Kari's opened fields were written again
        kept = FactStore(folder).manifest().segments
        assert kept["employment"] != employment_files
        assert _stored_sick_days(folder, "E1") == 0
    assert facts.sick.filter(pl.col("employee_id") == "E1").height == 0
    assert facts.frozen.height > 0
    assert facts.leave["welfare_reason"].null_count() == facts.leave.height
    assert facts.retraction["reason"].to_list() == [None]  # k2's reason was sealed with her key
    with open_projection(kari, directory=tmp_path / "rebuilt") as full:
        for name, frame in full.raw_facts().frames().items():
            _same_frame(getattr(facts, name), frame, name)
        for expected, got in ((_every_kpi(full), in_place),
                              (_every_kpi(full, BETWEEN), in_place_then)):  # fmt: skip
            for name, frame in expected.items():
                _same_frame(got[name], frame, name)
    if persist:  # and a process that opens the updated folder sees the same
        _assert_same(in_place, _all_kpis(kari, folder))


def test_the_saved_employment_intervals_forget_the_person_too(kari: str, tmp_path: Path) -> None:
    """The folder's saved intervals held her birth date and pay: the erasure's commit
    deletes that file, and the intervals saved after it no longer hold them."""
    folder = tmp_path / "projection"
    with open_projection(kari, directory=folder) as p:
        p.roster(date(2022, 6, 1))  # a query saves the intervals
    before = FactStore(folder).manifest().intervals
    assert before is not None
    _erase(kari)
    with open_projection(kari, directory=folder) as p:
        p.roster(date(2022, 6, 1))
    files = FactStore(folder)
    after = files.manifest()
    assert after.intervals not in (None, before) and not (folder / before).exists()
    saved = files.load_derived(after, "intervals")
    assert saved is not None
    hers = saved.filter(pl.col("employee_id") == "E1")
    assert hers.height > 0
    assert hers["birth_date"].null_count() == hers["annual_salary"].null_count() == hers.height


def test_the_saved_runs_of_sick_days_lose_hers_without_a_rebuild(kari: str, tmp_path: Path) -> None:
    """The runs saved by a rebuild held her sick-day dates: the catch-up after the
    erasure deletes that file and saves the runs again, without hers."""
    folder = tmp_path / "projection"
    with open_projection(kari, directory=folder, catch_up=False) as p:
        p.rebuild()
    before = FactStore(folder).manifest()
    assert before.runs is not None
    runs = FactStore(folder).load_derived(before, "runs")
    assert runs is not None and runs.filter(pl.col("employee_id") == "E1").height > 0
    _erase(kari)
    with open_projection(kari, directory=folder) as p:  # catches up
        files = FactStore(folder)
        after = files.manifest()
        assert after.runs not in (None, before.runs) and not (folder / before.runs).exists()
        renewed = files.load_derived(after, "runs")
        assert renewed is not None and renewed.height > 0
        assert renewed.filter(pl.col("employee_id") == "E1").height == 0
        assert renewed.height == runs.filter(pl.col("employee_id") != "E1").height


# ----------------------------------------------------------- what is readable
def test_history_shows_erased_fields_and_keeps_the_trail(kari: str) -> None:
    _erase(kari)
    with Ledger(kari) as ledger:
        entries = person_history(ledger.store, "E1")

    sick_days = [e for e in entries if e.type == "sick_day"]
    assert sick_days and all(e.valid == "[erased]" for e in sick_days)
    assert all(e.details["certificate"] == "[erased]" for e in sick_days)
    hire = entries[0]
    assert hire.details["note"] == "[erased]"
    # kept in the log under the ledger key (pay and employment records), but not shown:
    # with her unit and job title it would single her out (docs/privacy.md)
    assert hire.details["birth_date"] == hire.details["annual_salary"] == "[erased]"
    assert hire.details["unit"] == "[erased]" and hire.details["sector"] == "Oppvekst"
    assert entries[-1].type == "erased" and entries[-1].details["reason"] == "request 2025/41"


def test_export_shows_no_health_field_or_note_of_the_erased_person(kari: str) -> None:
    _erase(kari)
    with Ledger(kari) as ledger:
        lines = list(iter_events(ledger.store))

    text = orjson.dumps(lines).decode()
    assert "migrene" not in text and "Kari" not in text and "family_illness" not in text
    kari_sick = [e for e in lines if e["type"] == "sick_day" and e["employee_id"] == "E1"]
    assert {e["effective_date"] for e in kari_sick} == {"[erased]"}
    ola_sick = [e for e in lines if e["type"] == "sick_day" and e["employee_id"] == "E2"]
    assert {e["effective_date"] for e in ola_sick} == {"2021-03-01", "2022-02-08"}
    assert not any(e["type"] == "statistics_frozen" for e in lines)


def test_the_roster_of_a_past_day_still_lists_the_erased_employment(kari: str) -> None:
    _erase(kari)
    with open_projection(kari, persist=False) as p:
        roster = p.roster(date(2022, 6, 1))

    assert sorted(roster["employee_id"].to_list()) == ["E1", "E2"]


def test_verify_still_passes_after_an_erasure(kari: str) -> None:
    with Ledger(kari) as ledger:
        head_before = verify(ledger.store).head
    _erase(kari)
    with Ledger(kari) as ledger:
        result = verify(ledger.store, expect=head_before)

    assert result.ok and result.events == 16  # 14 facts + erased + statistics_frozen


# --------------------------------------------------------------- refusals
def test_nothing_more_is_recorded_for_an_erased_person(kari: str) -> None:
    _erase(kari)
    with Ledger(kari) as ledger, pytest.raises(ImportRefused) as e:
        ledger.record([sick("2021-04-01", "E1"), retracted("k1")])

    text = str(e.value)
    assert "1: employee_id: employee E1 was erased" in text
    assert "2: employee_id: employee E1 was erased" in text


def test_an_employee_still_employed_cannot_be_erased(kari: str) -> None:
    with Ledger(kari) as ledger, pytest.raises(LedgerError, match="A2 has no end date"):
        erase_person(ledger, "E2", "request")


def test_erasing_twice_or_an_unknown_person_is_refused(kari: str) -> None:
    _erase(kari)
    with Ledger(kari) as ledger:
        with pytest.raises(LedgerError, match="already erased"):
            erase_person(ledger, "E1", "again")
        with pytest.raises(LedgerError, match="E9 is not in the ledger"):
            erase_person(ledger, "E9", "who?")


def test_a_termination_dated_in_the_future_blocks_erasure(ledger_url: str) -> None:
    with Ledger(ledger_url, clock=_clock(FIRST)) as ledger:
        ledger.record([hired(), terminated("2022-03-31")])
        with pytest.raises(LedgerError, match="runs until 2022-03-31"):
            erase_person(ledger, "E1", "too early")


# ------------------------------------------------------------ encryption at rest
def _stored_bytes(url: str) -> bytes:
    if url.startswith("sqlite"):
        path = Path(url.split(":///", 1)[1])
        return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*") if p.is_file())
    base, _, schema = url.partition("?schema=")
    with psycopg.connect(base) as conn:
        rows = conn.execute(
            sql.SQL("SELECT state FROM {}.stored_events").format(sql.Identifier(schema))
        ).fetchall()
    return b"".join(bytes(r[0]) for r in rows)


def test_personal_fields_are_not_stored_in_plain_text(kari: str) -> None:
    raw = _stored_bytes(kari)

    assert b"E1" in raw  # the employee number is the stream key, stored in clear
    for secret in (b"1980-05-05", b"550000", b"migrene", b"Kari", b"family_illness",
                   b"2021-09-06", b"feilregistrert"):  # fmt: skip
        assert secret not in raw, secret


def test_the_destroyed_key_is_gone_from_the_sqlite_file(sqlite_url: str) -> None:
    _kari_and_ola(sqlite_url)
    path = sqlite_url.split(":///", 1)[1]
    with sqlite3.connect(path) as conn:
        (wrapped,) = conn.execute(
            "SELECT wrapped FROM ledger_person_keys WHERE employee_id = 'E1'"
        ).fetchone()
    assert bytes(wrapped) in _stored_bytes(sqlite_url)

    _erase(sqlite_url)

    assert bytes(wrapped) not in _stored_bytes(sqlite_url)  # secure_delete + checkpoint
    with sqlite3.connect(path) as conn:
        row = conn.execute(
            "SELECT wrapped, erased_at FROM ledger_person_keys WHERE employee_id = 'E1'"
        ).fetchone()
    assert row == (None, ERASED_AT.isoformat())


def _stored_sick_days(folder: Path, employee_id: str) -> int:
    """Sick days of the person in every segment file of the folder (opened with the key)."""
    files = FactStore(folder)
    segments = [files.read_segment(f.name) for f in folder.glob("sick-*" + SUFFIX)]
    assert segments, "no sick-day segment at all"
    return sum(s.filter(pl.col("employee_id") == employee_id).height for s in segments)


def test_an_erasure_rewrites_the_stored_projection(kari: str, tmp_path: Path) -> None:
    folder = tmp_path / "projection"
    open_projection(kari, directory=folder).close()
    assert _stored_sick_days(folder, "E1") > 0

    _erase(kari)
    open_projection(kari, directory=folder).close()

    assert _stored_sick_days(folder, "E1") == 0
    assert _stored_sick_days(folder, "E2") == 2


# ------------------------------------------------------------------ keys
def test_writing_without_a_master_key_is_refused_and_stores_nothing(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HRLEDGER_MASTER_KEY")
    with Ledger(sqlite_url) as ledger:
        with pytest.raises(LedgerError, match="no master key configured"):
            ledger.record([hired()])
        assert ledger.store.max_position() == 0


def test_a_wrong_master_key_cannot_read_the_ledger(
    kari: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HRLEDGER_MASTER_KEY", "ff" * 32)

    with pytest.raises(LedgerError, match="master key does not open"):
        open_projection(kari, persist=False)


def test_the_key_can_come_from_a_file(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key_file = tmp_path / "hrledger.key"
    key_file.write_text(os.environ["HRLEDGER_MASTER_KEY"] + "\n")
    monkeypatch.delenv("HRLEDGER_MASTER_KEY")
    monkeypatch.setenv("HRLEDGER_MASTER_KEY_FILE", str(key_file))

    with Ledger(sqlite_url) as ledger:
        assert ledger.record([hired(), sick("2021-03-01")]).stored == 2
    with open_projection(sqlite_url, persist=False) as p:
        assert p.facts().sick.height == 1


# -------------------------------------------------------------------- CLI
def test_erase_on_the_command_line(
    kari: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code = main(["--db", kari, "erase", "E1", "--reason", "request 2025/41"])
    out = capsys.readouterr().out

    assert code == 0
    assert out.startswith("erased E1 at ") and "keys are destroyed" in out
    assert main(["--db", kari, "verify"]) == 0
    assert main(["--db", kari, "erase", "E2", "--reason", "x"]) == 1
    assert "A2 has no end date" in capsys.readouterr().err


def test_the_auditors_diff_across_an_erasure_still_works(
    kari: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _erase(kari)
    code = main(
        ["--db", kari, "diff", "--known-at", FIRST.isoformat(), "--known-at",
         datetime(2026, 1, 1, tzinfo=UTC).isoformat(), "--from", "2021-01-01",
         "--to", "2021-12-31"]
    )  # fmt: skip

    assert code == 0, capsys.readouterr().err


def test_a_person_without_notes_or_sick_days_is_erased_for_good(ledger_url: str) -> None:
    with Ledger(ledger_url, clock=_clock(FIRST)) as ledger:
        ledger.record([hired("E3", "A3"), terminated("2021-06-30", "A3")])
    _erase(ledger_url, "E3")

    with Ledger(ledger_url, clock=_clock(ERASED_AT)) as ledger:
        with pytest.raises(LedgerError, match="already erased"):
            erase_person(ledger, "E3", "again")
        with pytest.raises(ImportRefused, match="employee E3 was erased"):
            ledger.record([hired("E3", "A4", "2025-04-01")])


def test_a_person_stored_before_sealing_existed_is_not_erased(sqlite_url: str) -> None:
    """Events written in clear (by an older version) cannot be shredded: refuse, say why."""
    with Ledger(sqlite_url, clock=_clock(FIRST)) as ledger:
        ledger.record([hired(), terminated("2021-06-30")])
        state = ledger.store.read_rows(0, 1)[0][1]  # borrow a stored event's shape
        shape = {k: v for k, v in orjson.loads(state).items() if not k.startswith("sealed")}
        clear = {**shape, "type": "sick_day", "event_id": "old-1",
                 "effective_date": "2021-03-01", "certificate": "self"}  # fmt: skip
        path = sqlite_url.split(":///", 1)[1]
        with sqlite3.connect(path) as conn:
            oid, topic = conn.execute(
                "SELECT originator_id, topic FROM stored_events WHERE rowid = 1"
            ).fetchone()
            conn.execute(
                "INSERT INTO stored_events (originator_id, originator_version, topic, state) "
                "VALUES (?, 3, ?, ?)",
                (oid, topic.replace("Hired", "SickDayRecorded"), orjson.dumps(clear)),
            )

    refusal = "stored before sealing existed, with effective_date, certificate in clear"
    with (
        Ledger(sqlite_url, clock=_clock(ERASED_AT)) as ledger,
        pytest.raises(LedgerError, match=refusal),
    ):
        erase_person(ledger, "E1", "request")


def test_writing_with_a_wrong_master_key_is_refused(
    kari: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HRLEDGER_MASTER_KEY", "ee" * 32)
    with Ledger(kari) as ledger:
        before = ledger.store.max_position()
        with pytest.raises(LedgerError, match="master key does not open"):
            ledger.record([hired("E7", "A7")])
        assert ledger.store.max_position() == before


def test_a_catch_up_that_overlaps_an_erasure_keeps_no_plain_sick_day(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pages read before the erasure committed must not leave the person's sick days behind."""
    import projections.facts.source as source

    _kari_and_ola(sqlite_url)
    monkeypatch.setitem(source.read_facts.__kwdefaults__, "page_size", 3)  # many pages
    p = open_projection(sqlite_url, directory=tmp_path / "projection", catch_up=False)
    read = p.store.read_rows
    erased: list[bool] = []

    def read_rows(after: int, limit: int) -> list[tuple[int, bytes]]:
        if after > 0 and not erased:  # `hrledger erase` commits while the catch-up runs
            erased.append(True)
            _erase(sqlite_url)
        return read(after, limit)

    monkeypatch.setattr(p.store, "read_rows", read_rows)
    with p:
        p.catch_up()
        sick_e1 = p.raw_facts().sick.filter(pl.col("employee_id") == "E1").height
        year = p.kpi(date(2021, 1, 1), date(2021, 12, 31), "year")

    assert erased and sick_e1 == 0
    assert year["lost_workdays"][0] == pytest.approx(4.0)  # not Kari twice
    assert _stored_sick_days(tmp_path / "projection", "E1") == 0


def _deviation(**kw: Any) -> dict[str, Any]:
    return {"type": "hms_deviation", "deviation_id": "D1", "effective_date": "2022-05-05",
            "sector": "Oppvekst", "unit": "Utsira skule", "category": "personal_injury",
            "employee_id": "E1", "event_id": "d1", **kw}  # fmt: skip


def test_a_deviation_naming_an_employee_can_be_closed_and_retracted(ledger_url: str) -> None:
    with Ledger(ledger_url, clock=_clock(FIRST)) as ledger:
        ledger.record([hired(), _deviation(note="Kari skled i gymsalen")])
    with Ledger(ledger_url, clock=_clock(SECOND)) as ledger:
        closing = {"type": "hms_deviation_closed", "deviation_id": "D1",
                   "effective_date": "2022-05-09", "event_id": "c1"}  # fmt: skip
        assert ledger.record([closing]).stored == 1
        assert ledger.record([retracted("c1")]).stored == 1


def test_a_deviation_can_be_closed_after_the_employee_it_names_is_erased(
    ledger_url: str,
) -> None:
    with Ledger(ledger_url, clock=_clock(FIRST)) as ledger:
        ledger.record([hired(), _deviation(note="Kari skled"), terminated("2022-06-30")])
    _erase(ledger_url)
    with Ledger(ledger_url, clock=_clock(ERASED_AT)) as ledger:
        closing = {"type": "hms_deviation_closed", "deviation_id": "D1",
                   "effective_date": "2025-03-04"}  # fmt: skip
        assert ledger.record([closing]).stored == 1
    with open_projection(ledger_url, persist=False) as p:
        hms = p.facts().hms
    # the register stays; on the read side the deviation no longer names her (the export
    # still has her employee id, with the unit masked)
    assert hms.height == 2 and hms["employee_id"].to_list() == [None, None]


def test_a_busy_write_ahead_log_is_reported_not_hidden(sqlite_url: str) -> None:
    """A reader mid-transaction keeps the old key page in the log: the erasure says so."""
    _kari_and_ola(sqlite_url)
    path = sqlite_url.split(":///", 1)[1]
    reader = sqlite3.connect(path, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM stored_events").fetchone()
    try:
        result = _erase(sqlite_url)
    finally:
        reader.execute("COMMIT")
        reader.close()

    assert result.warning is not None and "wal_checkpoint(TRUNCATE)" in result.warning
    with Ledger(sqlite_url) as ledger:  # what the warning tells the operator to do
        assert ledger.store._checkpoint()


def test_a_lost_key_row_fails_loudly_instead_of_reading_as_an_erasure(sqlite_url: str) -> None:
    _kari_and_ola(sqlite_url)
    with sqlite3.connect(sqlite_url.split(":///", 1)[1]) as conn:
        conn.execute("DELETE FROM ledger_person_keys WHERE employee_id = 'E2'")

    with pytest.raises(LedgerError, match="sealed fields of E2 cannot be opened"):
        open_projection(sqlite_url, persist=False)
