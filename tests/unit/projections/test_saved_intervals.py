"""Employment intervals and runs of sick days saved in the projection folder: used by the
next process, never stale."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import projections.api as api
import projections.kpi.context as context
from projections.api import Projection
from projections.facts.store import MANIFEST, FactStore

from .factory import Ledger, hire, sick

ON = date(2025, 6, 30)


def _hires(ledger: Ledger, ids: range) -> None:
    for i in ids:
        ledger.record(hire(f"E{i}", f"A{i}", "2024-01-01", position_pct=50 + i))
        ledger.record(sick(f"E{i}", "2025-03-03"))


def _derivation_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(_: object) -> None:
        raise AssertionError("derived again although saved")

    monkeypatch.setattr(api, "employment_intervals", refuse)


def test_a_rebuild_saves_them_and_the_next_process_uses_them(
    ledger: Ledger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _hires(ledger, range(3))
    Projection(ledger, directory=tmp_path, auto_catch_up=False).rebuild()
    saved = FactStore(tmp_path).manifest().intervals
    assert saved is not None and (tmp_path / saved).exists()
    in_memory = Projection(ledger, auto_catch_up=False)
    in_memory.catch_up()
    expected = in_memory.roster(ON)
    _derivation_fails(monkeypatch)
    again = Projection(ledger, directory=tmp_path, auto_catch_up=False)
    assert_frame_equal(again.roster(ON), expected)
    assert again.roster(ON)["employee_id"].to_list() == ["E0", "E1", "E2"]


def test_new_rows_drop_them_and_the_next_query_saves_the_new_ones(
    ledger: Ledger, tmp_path: Path
) -> None:
    _hires(ledger, range(2))
    first = Projection(ledger, directory=tmp_path, auto_catch_up=False)
    first.catch_up()
    first.roster(ON)  # the first query derives and saves them
    old = FactStore(tmp_path).manifest().intervals
    assert old is not None
    _hires(ledger, range(2, 3))
    first.catch_up()
    assert FactStore(tmp_path).manifest().intervals is None
    assert not (tmp_path / old).exists()  # no file of an older state stays behind
    later = Projection(ledger, directory=tmp_path, auto_catch_up=False)
    assert later.roster(ON)["employee_id"].to_list() == ["E0", "E1", "E2"]
    assert FactStore(tmp_path).manifest().intervals not in (None, old)


def test_intervals_saved_by_other_code_are_derived_again(
    ledger: Ledger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _hires(ledger, range(2))
    Projection(ledger, directory=tmp_path, auto_catch_up=False).rebuild()
    manifest = json.loads((tmp_path / MANIFEST).read_text())
    manifest["intervals_code"] = "an older version"
    (tmp_path / MANIFEST).write_text(json.dumps(manifest))
    p = Projection(ledger, directory=tmp_path, auto_catch_up=False)
    assert p.roster(ON)["employee_id"].to_list() == ["E0", "E1"]
    _derivation_fails(monkeypatch)  # ... and saved again with today's code
    q = Projection(ledger, directory=tmp_path, auto_catch_up=False)
    assert q.roster(ON)["employee_id"].to_list() == ["E0", "E1"]


def test_a_saved_file_that_does_not_open_is_derived_again(ledger: Ledger, tmp_path: Path) -> None:
    _hires(ledger, range(2))
    Projection(ledger, directory=tmp_path, auto_catch_up=False).rebuild()
    saved = FactStore(tmp_path).manifest().intervals
    assert saved is not None
    (tmp_path / saved).write_bytes(b"not sealed")
    p = Projection(ledger, directory=tmp_path, auto_catch_up=False)
    assert p.roster(ON)["employee_id"].to_list() == ["E0", "E1"]


def test_known_at_never_uses_them(ledger: Ledger, tmp_path: Path) -> None:
    """They are of everything known now: an auditor's earlier moment derives its own."""
    _hires(ledger, range(1))
    ledger.clock = ledger.clock.replace(year=2027)
    _hires(ledger, range(1, 2))
    Projection(ledger, directory=tmp_path, auto_catch_up=False).rebuild()
    p = Projection(ledger, directory=tmp_path, auto_catch_up=False)
    assert p.roster(ON)["employee_id"].to_list() == ["E0", "E1"]
    then = ledger.clock.replace(year=2026, month=6)
    assert p.roster(ON, known_at=then)["employee_id"].to_list() == ["E0"]


# ----------------------------------------------------------- runs of sick days
YEAR = (date(2025, 1, 1), date(2025, 12, 31))


def _lost_in_2025(p: Projection) -> float:
    lost: float = p.kpi(*YEAR, "year")["lost_workdays"][0]
    return lost


def _runs_derivation_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(_: object) -> None:
        raise AssertionError("runs derived again although saved")

    monkeypatch.setattr(api, "sick_runs", refuse)
    monkeypatch.setattr(context, "sick_runs", refuse)


def test_a_kpi_query_reads_the_saved_runs_and_no_sick_day(
    ledger: Ledger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _hires(ledger, range(3))
    ledger.record(sick("E1", "2025-03-04"), sick("E1", "2025-03-05", grade_pct=50))
    Projection(ledger, directory=tmp_path, auto_catch_up=False).rebuild()
    runs = FactStore(tmp_path).manifest().runs
    assert runs is not None and (tmp_path / runs).exists()
    in_memory = Projection(ledger, auto_catch_up=False)
    in_memory.catch_up()
    expected = in_memory.kpi(*YEAR, "quarter", "sector")
    _runs_derivation_fails(monkeypatch)
    monkeypatch.setattr(api, "parse", lambda *a, **k: pytest.fail("sick days decoded"))
    again = Projection(ledger, directory=tmp_path, auto_catch_up=False)
    got = again.kpi(*YEAR, "quarter", "sector")
    assert_frame_equal(got, expected)
    # 3 March: E0-E2 at 50, 51, 52 %; E1 on 4 March whole, on 5 March at grade 50
    assert got["lost_workdays"].sum() == pytest.approx(0.50 + 0.51 + 0.52 + 0.51 + 0.51 * 0.5)


def test_new_rows_renew_the_runs_of_the_persons_they_concern(
    ledger: Ledger, tmp_path: Path
) -> None:
    _hires(ledger, range(2))
    ledger.record(sick("E1", "2025-03-04"))
    first = Projection(ledger, directory=tmp_path, auto_catch_up=False)
    first.rebuild()
    old = FactStore(tmp_path).manifest().runs
    assert old is not None
    ledger.record(sick("E0", "2025-03-04"), sick("E0", "2025-03-05", grade_pct=50))
    first.catch_up()
    renewed = FactStore(tmp_path).manifest().runs
    assert renewed not in (None, old) and not (tmp_path / old).exists()
    runs = FactStore(tmp_path).load_derived(FactStore(tmp_path).manifest(), "runs")
    assert runs is not None
    assert sorted(runs.select("employee_id", pl.col("first").dt.day(), "grade_pct").rows()) == [
        ("E0", 3, 100.0),  # 3-4 March
        ("E0", 5, 50.0),
        ("E1", 3, 100.0),  # 3-4 March, untouched
    ]
    later = Projection(ledger, directory=tmp_path, auto_catch_up=False)
    # E0 at 50 %: 3 and 4 March, 5 March at grade 50; E1 at 51 %: 3 and 4 March
    expected = 0.50 * (1 + 1 + 0.5) + 0.51 * 2
    assert _lost_in_2025(later) == pytest.approx(expected)


def test_rows_without_sick_days_keep_the_same_runs_file(ledger: Ledger, tmp_path: Path) -> None:
    """An HMS deviation changes no sick day: the catch-up names the same file again
    (rewriting Oslo's runs for it cost a third of a second)."""
    _hires(ledger, range(2))
    p = Projection(ledger, directory=tmp_path, auto_catch_up=False)
    p.rebuild()
    runs = FactStore(tmp_path).manifest().runs
    ledger.record(
        {
            "type": "hms_deviation",
            "deviation_id": "D1",
            "effective_date": "2025-03-05",
            "sector": "Oppvekst",
            "unit": "Skole A",
            "category": "near_miss",
        }
    )
    p.catch_up()
    m = FactStore(tmp_path).manifest()
    assert m.position == 5 and m.runs == runs and (tmp_path / runs).exists()
    later = Projection(ledger, directory=tmp_path, auto_catch_up=False)
    assert _lost_in_2025(later) == pytest.approx(0.50 + 0.51)


def test_a_projection_built_by_catching_up_saves_runs_with_its_first_kpi_query(
    ledger: Ledger, tmp_path: Path
) -> None:
    _hires(ledger, range(2))
    p = Projection(ledger, directory=tmp_path, auto_catch_up=False)
    p.catch_up()  # from nothing: every sick day read, no runs yet
    assert FactStore(tmp_path).manifest().runs is None
    assert _lost_in_2025(p) == pytest.approx(0.50 + 0.51)
    assert FactStore(tmp_path).manifest().runs is not None


def test_a_retraction_drops_the_runs_and_kpis_count_without_them(
    ledger: Ledger, tmp_path: Path
) -> None:
    _hires(ledger, range(2))
    [day] = ledger.record(sick("E1", "2025-03-04"))
    p = Projection(ledger, directory=tmp_path, auto_catch_up=False)
    p.rebuild()
    ledger.record({"type": "retracted", "target_event_id": day, "reason": "wrong person"})
    p.catch_up()
    assert FactStore(tmp_path).manifest().runs is None
    assert _lost_in_2025(p) == pytest.approx(0.50 + 0.51)
    assert FactStore(tmp_path).manifest().runs is not None  # of the facts as retracted
    later = Projection(ledger, directory=tmp_path, auto_catch_up=False)
    assert _lost_in_2025(later) == pytest.approx(0.50 + 0.51)


def test_a_rebuild_at_the_same_position_saves_intervals_and_runs_again(
    ledger: Ledger, tmp_path: Path
) -> None:
    _hires(ledger, range(2))
    Projection(ledger, directory=tmp_path, auto_catch_up=False).rebuild()
    Projection(ledger, directory=tmp_path, auto_catch_up=False).rebuild()
    m = FactStore(tmp_path).manifest()
    assert m.intervals is not None and (tmp_path / m.intervals).exists()
    assert m.runs is not None and (tmp_path / m.runs).exists()
