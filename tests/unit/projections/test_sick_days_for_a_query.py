"""A KPI query on a saved projection reads only the sick days of its window: same numbers."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from projections.api import Projection
from projections.facts.store import SUFFIX

from .factory import Ledger, hire, sick

Y2025 = (date(2025, 1, 1), date(2025, 12, 31))


def _story(ledger: Ledger) -> None:
    """Sick days over three years; a run that crosses New Year into the query's year."""
    ledger.record(hire("A", "A1", "2023-01-01"), hire("B", "B1", "2023-01-01", position_pct=50))
    days = pl.date_range(date(2024, 12, 23), date(2025, 1, 10), eager=True).to_list()
    ledger.record(*(sick("A", d.isoformat(), event_id=f"A{d}") for d in days))
    for d in ("2023-03-01", "2025-06-02", "2025-06-03", "2026-02-02"):
        ledger.record(sick("B", d, certificate="doctor", grade_pct=50))


def _fresh(ledger: Ledger, folder: Path) -> Projection:
    return Projection(ledger, directory=folder, auto_catch_up=False)


def _in_memory(ledger: Ledger) -> Projection:
    p = Projection(ledger, auto_catch_up=False)
    p.catch_up()
    return p


@pytest.mark.parametrize("by", [None, "sector"])
def test_a_year_from_a_saved_projection_equals_the_whole_way(
    ledger: Ledger, tmp_path: Path, by: str | None
) -> None:
    _story(ledger)
    _fresh(ledger, tmp_path).rebuild()
    got = _fresh(ledger, tmp_path).kpi(*Y2025, "month", by=by)
    assert_frame_equal(got, _in_memory(ledger).kpi(*Y2025, "month", by=by))
    january = got.filter(pl.col("period_start") == date(2025, 1, 1))
    # A: 2–10 January are 7 agreed work-days (1 January a holiday, one weekend), all lost;
    # the run began in December, so no occurrence starts in January
    assert january["lost_workdays"].sum() == 7.0
    assert january["sick_occurrences_4_16"].sum() == january["sick_occurrences_17_56"].sum() == 0
    june = got.filter(pl.col("period_start") == date(2025, 6, 1))
    assert june["lost_workdays"].sum() == 0.5  # B: 50 % position × 50 % grade × 2 days
    assert june["sick_occurrences_1_3"].sum() == 1


def test_a_retraction_takes_the_whole_way(ledger: Ledger, tmp_path: Path) -> None:
    _story(ledger)
    ledger.record(
        {"type": "retracted", "target_event_id": "A2025-01-02", "target_type": "sick_day",
         "reason": "registered twice"},
    )  # fmt: skip
    _fresh(ledger, tmp_path).rebuild()
    got = _fresh(ledger, tmp_path).kpi(*Y2025, "month")
    assert_frame_equal(got, _in_memory(ledger).kpi(*Y2025, "month"))
    assert got.filter(pl.col("period_start") == date(2025, 1, 1))["lost_workdays"].item() == 6.0


def test_other_queries_after_a_kpi_see_every_sick_day(ledger: Ledger, tmp_path: Path) -> None:
    _story(ledger)
    _fresh(ledger, tmp_path).rebuild()
    p = _fresh(ledger, tmp_path)
    p.kpi(*Y2025, "year")
    assert p.sick_days().height == _in_memory(ledger).sick_days().height == 23
    assert p.raw_facts().sick.height == 23


def test_a_changed_sick_days_file_still_fails_when_the_folder_is_opened(
    ledger: Ledger, tmp_path: Path
) -> None:
    _story(ledger)
    _fresh(ledger, tmp_path).rebuild()
    segment = next(tmp_path.glob("sick-*" + SUFFIX))
    data = bytearray(segment.read_bytes())
    data[-3] ^= 1
    segment.write_bytes(bytes(data))
    with pytest.raises(Exception, match="delete the folder"):
        _fresh(ledger, tmp_path)
