"""Sickness absence: the worked example of docs/kpis.md and its edge cases."""

from __future__ import annotations

from datetime import date

import pytest

from ledger.domain.calendar import workdays
from projections.facts.source import effective
from projections.kpi import kpi_series

from .factory import Ledger, hire, sick

Q1 = (date(2025, 1, 1), date(2025, 3, 31))


def q1(ledger: Ledger, by: str | None = None):
    return kpi_series(effective(ledger.facts()), *Q1, "quarter", by)


def test_q1_2025_worked_example(ledger: Ledger) -> None:
    # Q1 2025: 64 weekdays − 1 Jan = 63 agreed days (Easter is in April).
    # A 100 %, B 50 %, C 80 %  → agreed = 63 × (1 + 0.5 + 0.8) = 144.9
    ledger.record(
        hire("A", "A1", "2024-01-01", position_pct=100),
        hire("B", "B1", "2024-01-01", position_pct=50, gender="M"),
        hire("C", "C1", "2024-01-01", position_pct=80),
    )
    wd = workdays(*Q1)
    assert len(wd) == 63
    # A: doctor, 10 work-days            → 10 × 1.0        = 10.0
    ledger.record(*[sick("A", d.isoformat(), certificate="doctor") for d in wd[:10]])
    # B: self, 3 work-days               → 3 × 0.5         = 1.5
    ledger.record(*[sick("B", d.isoformat(), certificate="self") for d in wd[20:23]])
    # C: doctor graded 50 %, 20 work-days → 20 × 0.8 × 0.5 = 8.0
    ledger.record(*[sick("C", d.isoformat(), grade_pct=50) for d in wd[30:50]])
    k = q1(ledger)
    assert k.height == 1
    row = k.row(0, named=True)
    assert row["agreed_workdays"] == pytest.approx(144.9, abs=1e-9)
    assert row["lost_workdays"] == pytest.approx(19.5, abs=1e-9)
    assert row["lost_workdays_doctor"] == pytest.approx(18.0, abs=1e-9)
    assert row["lost_workdays_self"] == pytest.approx(1.5, abs=1e-9)
    assert round(row["sickness_rate_pct"], 2) == 13.46
    assert round(row["doctor_certified_rate_pct"], 2) == 12.42
    assert round(row["self_certified_rate_pct"], 2) == 1.04
    # from the sums, not from rounded parts
    assert row["sickness_rate_pct"] == pytest.approx(100 * 19.5 / 144.9)
    assert row["sickness_target_pct"] == 6.5


def test_graded_sick_leave_in_part_time_position(ledger: Ledger) -> None:
    # a 50 % graded sick note in a 50 % position loses 0.25 work-day
    ledger.record(hire("A", "A1", "2024-01-01", position_pct=50))
    ledger.record(sick("A", "2025-01-06", grade_pct=50))
    row = q1(ledger).row(0, named=True)
    assert row["lost_workdays"] == pytest.approx(0.25)
    assert row["agreed_workdays"] == pytest.approx(31.5)


def test_self_certified_is_always_grade_100(ledger: Ledger) -> None:
    ledger.record(hire("A", "A1", "2024-01-01"))
    ledger.record(sick("A", "2025-01-06", certificate="self", grade_pct=40))
    assert q1(ledger)["lost_workdays_self"][0] == pytest.approx(1.0)


@pytest.mark.parametrize(
    "day",
    [
        "2025-01-04",  # Saturday
        "2025-01-05",  # Sunday
        "2025-05-01",  # Labour Day, Thursday
        "2025-05-17",  # Constitution Day (a Saturday in 2025)
        "2025-05-29",  # Ascension Day, Thursday
        "2025-04-17",  # Maundy Thursday
    ],
)
def test_sick_day_off_agreed_days_is_not_counted(ledger: Ledger, day: str) -> None:
    ledger.record(hire("A", "A1", "2024-01-01"))
    ledger.record(sick("A", day))
    k = kpi_series(effective(ledger.facts()), date(2025, 1, 1), date(2025, 6, 30), "year")
    assert k["lost_workdays"][0] == 0.0


def test_17_may_on_a_weekday_is_not_agreed_time(ledger: Ledger) -> None:
    # 2024: 17 May is a Friday; May 2024 has 23 weekdays, minus 1 May, 9 May
    # (Ascension), 17 May → 20 agreed days (Whit Monday is 20 May → 19).
    ledger.record(hire("A", "A1", "2024-01-01"))
    ledger.record(sick("A", "2024-05-17"), sick("A", "2024-05-09"), sick("A", "2024-05-21"))
    k = kpi_series(effective(ledger.facts()), date(2024, 5, 1), date(2024, 5, 31), "month")
    assert k["agreed_workdays"][0] == 19.0
    assert k["lost_workdays"][0] == 1.0  # only 21 May


def test_leave_reduces_agreed_days_and_lost(ledger: Ledger) -> None:
    ledger.record(hire("A", "A1", "2024-01-01", position_pct=100))
    # 50 % leave for the whole of January 2025: 22 work-days (1 Jan is a holiday)
    ledger.record(
        {
            "type": "leave",
            "employee_id": "A",
            "start_date": "2025-01-01",
            "end_date": "2025-01-31",
            "kind": "unpaid",
            "paid": False,
            "leave_pct": 50,
        }
    )
    # a full sick day during the 50 % leave loses half a day
    ledger.record(sick("A", "2025-01-08"))
    k = kpi_series(effective(ledger.facts()), date(2025, 1, 1), date(2025, 1, 31), "month")
    row = k.row(0, named=True)
    assert row["agreed_workdays"] == pytest.approx(22 * 0.5)
    assert row["lost_workdays"] == pytest.approx(0.5)


def test_overlapping_leaves_are_capped_at_full_leave(ledger: Ledger) -> None:
    ledger.record(hire("A", "A1", "2024-01-01"))
    for pct in (70, 60):
        ledger.record(
            {
                "type": "leave",
                "employee_id": "A",
                "start_date": "2025-01-06",
                "end_date": "2025-01-10",
                "kind": "other",
                "paid": True,
                "leave_pct": pct,
            }
        )
    k = kpi_series(effective(ledger.facts()), date(2025, 1, 1), date(2025, 1, 31), "month")
    assert k["agreed_workdays"][0] == pytest.approx(22 - 5)


def test_a_sick_day_covers_all_active_employments(ledger: Ledger) -> None:
    ledger.record(
        hire("A", "A1", "2024-01-01", position_pct=60),
        hire("A", "A2", "2024-01-01", position_pct=30, sector="Helse", unit="Sykehjem"),
    )
    ledger.record(sick("A", "2025-01-06"))
    row = q1(ledger).row(0, named=True)
    assert row["lost_workdays"] == pytest.approx(0.9)
    assert row["agreed_workdays"] == pytest.approx(63 * 0.9)
    by = q1(ledger, "sector")
    got = dict(zip(by["sector"], by["lost_workdays"], strict=True))
    assert got == pytest.approx({"Oppvekst": 0.6, "Helse": 0.3})


def test_no_sick_days_outside_employment(ledger: Ledger) -> None:
    ledger.record(hire("A", "A1", "2025-02-01"))
    ledger.record(sick("A", "2025-01-15"))
    row = q1(ledger).row(0, named=True)
    assert row["lost_workdays"] == 0.0
    assert row["agreed_workdays"] == pytest.approx(len(workdays(date(2025, 2, 1), Q1[1])))


def test_duration_bands_count_occurrences_of_calendar_days(ledger: Ledger) -> None:
    ledger.record(hire("A", "A1", "2024-01-01"), hire("B", "B1", "2024-01-01"))
    # A: 2 days, then (gap) 5 consecutive calendar days incl. a weekend
    days_a = [
        "2025-01-06",
        "2025-01-07",
        "2025-01-16",
        "2025-01-17",
        "2025-01-18",
        "2025-01-19",
        "2025-01-20",
    ]
    ledger.record(*[sick("A", d) for d in days_a])
    # B: 20 consecutive calendar days
    ledger.record(*[sick("B", f"2025-02-{d:02d}") for d in range(1, 21)])
    row = q1(ledger).row(0, named=True)
    assert row["sick_occurrences_1_3"] == 1
    assert row["sick_occurrences_4_16"] == 1
    assert row["sick_occurrences_17_56"] == 1
    assert row["sick_occurrences_over_56"] == 0
    assert row["long_term_occurrences"] == 1


def test_occurrences_at_the_edges_of_the_period_are_banded_by_their_whole_length(
    ledger: Ledger,
) -> None:
    from datetime import timedelta

    def run(who: str, first: date, days: int) -> list:
        return [sick(who, (first + timedelta(days=i)).isoformat()) for i in range(days)]

    ledger.record(*(hire(p, f"{p}1", "2024-01-01") for p in "ABCD"))
    ledger.record(*run("A", date(2024, 12, 25), 10))  # began before Q1: not a Q1 occurrence
    ledger.record(*run("B", date(2025, 3, 31), 70))  # begins on Q1's last day, lasts 70 days
    ledger.record(*run("C", date(2025, 3, 20), 20))  # 12 days in Q1, 20 in all: 17–56
    ledger.record(*run("D", date(2025, 1, 1), 3))  # the first three days of Q1
    row = q1(ledger).row(0, named=True)
    assert row["sick_occurrences_1_3"] == 1  # D
    assert row["sick_occurrences_4_16"] == 0  # not A
    assert row["sick_occurrences_17_56"] == 1  # C
    assert row["sick_occurrences_over_56"] == 1  # B
    assert row["long_term_occurrences"] == 2  # B and C
    q4 = kpi_series(effective(ledger.facts()), date(2024, 10, 1), date(2024, 12, 31), "quarter")
    assert q4["sick_occurrences_4_16"][0] == 1  # A, with its days in January
