"""Runs of sick days: lost work-days counted per run give what counting day by day gives."""

from __future__ import annotations

import random
from datetime import date, timedelta

import polars as pl
import pytest

from ledger.domain.calendar import is_workday
from projections.facts.schema import CERTIFICATE
from projections.facts.sick_runs import sick_runs
from projections.facts.source import effective
from projections.kpi import kpi_series

from .factory import Ledger, hire, sick


def _days(rows: list[tuple[str, str, float, str]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows, schema=["employee_id", "date", "grade_pct", "certificate"], orient="row"
    ).with_columns(pl.col("date").str.to_date(), pl.col("certificate").cast(CERTIFICATE))


def test_a_run_ends_at_a_gap_a_new_grade_or_a_new_certificate() -> None:
    days = _days(
        [
            ("B", "2025-01-07", 100.0, "doctor"),
            ("A", "2025-01-02", 100.0, "self"),
            ("A", "2025-01-03", 100.0, "self"),
            ("A", "2025-01-04", 100.0, "doctor"),  # the certificate changes
            ("A", "2025-01-05", 50.0, "doctor"),  # the grade changes
            ("A", "2025-01-06", 50.0, "doctor"),
            ("A", "2025-01-08", 50.0, "doctor"),  # a day's gap
            ("B", "2025-01-06", 100.0, "doctor"),  # another person, the day before
        ]
    )
    runs = sick_runs(days).sort("employee_id", "first")
    assert runs.select(
        "employee_id",
        pl.col("first").dt.day(),
        pl.col("last").dt.day(),
        "grade_pct",
        pl.col("certificate").cast(pl.String),
    ).rows() == [
        ("A", 2, 3, 100.0, "self"),
        ("A", 4, 4, 100.0, "doctor"),
        ("A", 5, 6, 50.0, "doctor"),
        ("A", 8, 8, 50.0, "doctor"),
        ("B", 6, 7, 100.0, "doctor"),
    ]


def test_an_occurrence_spans_runs_of_different_grades(ledger: Ledger) -> None:
    """Six calendar days in a row are one occurrence of 4–16 days, whatever their grades."""
    ledger.record(hire("A", "A1", "2024-01-01"))
    for day, grade in ((6, 100), (7, 100), (8, 50), (9, 50), (10, 100), (11, 100)):
        ledger.record(sick("A", f"2025-01-{day:02d}", grade_pct=grade))
    k = kpi_series(effective(ledger.facts()), date(2025, 1, 1), date(2025, 1, 31), "month")
    row = k.row(0, named=True)
    assert row["sick_occurrences_1_3"] == 0
    assert row["sick_occurrences_4_16"] == 1
    assert row["lost_workdays"] == pytest.approx(1 + 1 + 0.5 + 0.5 + 1)  # Sat 11 Jan: no


def _by_hand(
    employments: list[tuple[str, str, str, float, str]],
    changes: list[tuple[str, str, float]],
    leaves: list[tuple[str, str, str, float]],
    days: list[tuple[str, str, float]],
    start: date,
    end: date,
) -> dict[tuple[date, str], float]:
    """Lost work-days per month and sector, day by day, as docs/kpis.md defines them."""
    lost: dict[tuple[date, str], float] = {}
    for emp, day, grade in days:
        d = date.fromisoformat(day)
        if not (start <= d <= end and is_workday(d)):
            continue
        on_leave = sum(p for e, a, b, p in leaves if e == emp and a <= day <= b) / 100.0
        for who, empl, first, pct, sector in employments:
            if who != emp or day < first:
                continue
            for changed_empl, since, new_pct in changes:
                if changed_empl == empl and since <= day:
                    pct = new_pct
            key = (d.replace(day=1), sector)
            weight = pct / 100.0 * grade / 100.0 * (1.0 - min(on_leave, 1.0))
            lost[key] = lost.get(key, 0.0) + weight
    return lost


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_lost_work_days_equal_counting_day_by_day(ledger: Ledger, seed: int) -> None:
    """Random sick days, grades, part-time changes mid-run, two employments and leaves that
    overlap sick days: per month and sector, the runs give the day-by-day sums."""
    rnd = random.Random(seed)
    start, end = date(2025, 1, 1), date(2025, 6, 30)
    employments, changes, leaves, days = [], [], [], []
    for i in range(12):
        emp = f"E{i}"
        employments.append((emp, f"{emp}-1", "2024-01-01", 100.0, "Oppvekst"))
        ledger.record(hire(emp, f"{emp}-1", "2024-01-01", position_pct=100))
        if i % 3 == 0:  # a second, part-time employment in another sector
            employments.append((emp, f"{emp}-2", "2025-02-10", 20.0, "Helse"))
            ledger.record(hire(emp, f"{emp}-2", "2025-02-10", position_pct=20, sector="Helse"))
        if i % 2 == 0:  # a part-time change in the middle of the half-year
            since = (start + timedelta(days=rnd.randrange(150))).isoformat()
            changes.append((f"{emp}-1", since, 60.0))
            ledger.record(
                {
                    "type": "position_changed",
                    "employment_id": f"{emp}-1",
                    "effective_date": since,
                    "position_pct": 60,
                    "annual_salary": 500000.0,
                }
            )
        if i % 4 == 1:
            a = start + timedelta(days=rnd.randrange(150))
            b = a + timedelta(days=rnd.randrange(20))
            pct = rnd.choice([50.0, 100.0])
            leaves.append((emp, a.isoformat(), b.isoformat(), pct))
            ledger.record(
                {
                    "type": "leave",
                    "employee_id": emp,
                    "start_date": a.isoformat(),
                    "end_date": b.isoformat(),
                    "kind": "other",
                    "leave_pct": int(pct),
                }
            )
        d = start - timedelta(days=5)
        while d < end + timedelta(days=5):
            if rnd.random() < 0.2:  # a run of 1-15 days, grades changing inside it
                for _ in range(rnd.randrange(1, 16)):
                    grade = rnd.choice([100.0, 100.0, 50.0, 40.0])
                    days.append((emp, d.isoformat(), grade))
                    ledger.record(sick(emp, d.isoformat(), grade_pct=grade))
                    d += timedelta(days=1)
            d += timedelta(days=rnd.randrange(1, 30))
    k = kpi_series(effective(ledger.facts()), start, end, "month", "sector")
    got = {
        (r["period_start"], r["sector"]): r["lost_workdays"]
        for r in k.iter_rows(named=True)
        if r["lost_workdays"]
    }
    expected = _by_hand(employments, changes, leaves, days, start, end)
    assert len(days) > 100 and leaves
    assert got == pytest.approx(expected)
