"""Workforce at the period's last day, persons vs employments, flows, pay, HMS, parental leave."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from projections.facts.schema import kpi_schema
from projections.facts.source import effective
from projections.kpi import kpi_series

from .factory import Ledger, hire

YEAR = (date(2025, 1, 1), date(2025, 12, 31))


def year(ledger: Ledger, by: str | None = None) -> pl.DataFrame:
    return kpi_series(effective(ledger.facts()), *YEAR, "year", by)


def test_person_with_two_employments(ledger: Ledger) -> None:
    # P holds 60 % + 40 % permanent: 1 person, 2 employments, 1.0 FTE, counts as full-time
    # Q holds 50 % permanent: part-time
    ledger.record(
        hire("P", "P1", "2024-01-01", position_pct=60),
        hire("P", "P2", "2024-01-01", position_pct=40, unit="Skole B"),
        hire("Q", "Q1", "2024-01-01", position_pct=50, gender="M"),
    )
    row = year(ledger).row(0, named=True)
    assert row["headcount"] == 1 + 1
    assert row["employments"] == 3
    assert row["fte"] == pytest.approx(1.5)
    assert row["permanent_persons"] == 2
    assert row["fulltime_persons"] == 1
    assert row["fulltime_share_pct"] == pytest.approx(50.0)
    assert row["avg_position_pct"] == pytest.approx((100 + 50) / 2)
    assert (row["women"], row["men"]) == (1, 1)


def test_temporary_and_apprentices_are_not_in_fulltime_share(ledger: Ledger) -> None:
    ledger.record(
        hire("P", "P1", "2024-01-01", position_pct=100),
        hire("T", "T1", "2024-01-01", position_pct=100, employment_type="temporary"),
        hire("L", "L1", "2024-01-01", position_pct=100, employment_type="apprentice"),
        hire("S", "S1", "2024-01-01", position_pct=80),
        hire("S", "S2", "2024-01-01", position_pct=40, employment_type="temporary"),
    )
    row = year(ledger).row(0, named=True)
    assert row["headcount"] == 4
    assert row["fte"] == pytest.approx(1 + 1 + 0.8 + 0.4)  # apprentices apart
    assert row["apprentices"] == 1
    assert row["permanent_persons"] == 2  # P and S (S counts its permanent 80 % only)
    assert row["fulltime_share_pct"] == pytest.approx(50.0)
    assert row["avg_position_pct"] == pytest.approx(90.0)
    assert row["apprentice_target"] == 160.0


def test_snapshot_is_taken_at_period_end_and_flows(ledger: Ledger) -> None:
    ledger.record(hire("A", "A1", "2024-01-01"), hire("B", "B1", "2025-03-01", gender="M"))
    ledger.record(
        {
            "type": "terminated",
            "employment_id": "A1",
            "employee_id": "A",
            "effective_date": "2025-06-30",
            "reason": "resignation",
        }
    )
    k = kpi_series(effective(ledger.facts()), *YEAR, "quarter")
    assert k["headcount"].to_list() == [2, 2, 1, 1]
    assert k["hires"].to_list() == [1, 0, 0, 0]
    assert k["terminations"].to_list() == [0, 1, 0, 0]
    # Q2: 1 termination / average of 2 (1 Apr) and 2 (30 Jun, A's last day) persons
    assert k["turnover_pct"][1] == pytest.approx(100 * 1 / 2)
    assert k["turnover_pct"][2] == pytest.approx(0.0)


def test_same_day_changes_apply_in_ledger_order_and_changes_move_fte(ledger: Ledger) -> None:
    ledger.record(hire("A", "A1", "2024-01-01", position_pct=100))
    ledger.record(
        {
            "type": "position_changed",
            "employment_id": "A1",
            "employee_id": "A",
            "effective_date": "2025-07-01",
            "position_pct": 60,
        },
        {
            "type": "position_changed",
            "employment_id": "A1",
            "employee_id": "A",
            "effective_date": "2025-07-01",
            "position_pct": 80,
        },
    )
    k = kpi_series(effective(ledger.facts()), *YEAR, "quarter")
    assert k["fte"].to_list() == pytest.approx([1.0, 1.0, 0.8, 0.8])
    # agreed time follows the change: Q3 2025 has 66 work-days, all at 80 %
    assert k["agreed_workdays"][2] == pytest.approx(66 * 0.8)


def test_leaders_pay_and_age(ledger: Ledger) -> None:
    ledger.record(
        hire(
            "W", "W1", "2024-01-01", annual_salary=540000, is_leader=True, birth_date="1990-12-31"
        ),
        hire("M", "M1", "2024-01-01", annual_salary=600000, gender="M", birth_date="1960-01-01"),
        hire("L", "L1", "2024-01-01", annual_salary=200000, employment_type="apprentice"),
    )
    row = year(ledger).row(0, named=True)
    assert row["women_pay_pct_of_men"] == pytest.approx(90.0)  # apprentice not in pay
    assert (row["leaders_women"], row["leaders_men"]) == (1, 0)
    # ages on 31 Dec 2025: 35, 65, 45
    assert (row["age_35_49"], row["age_over_60"]) == (2, 1)
    by = year(ledger, "age_band")
    assert dict(zip(by["age_band"], by["headcount"], strict=True)) == {"35-49": 2, ">60": 1}


def test_hms_and_parental_leave(ledger: Ledger) -> None:
    ledger.record(hire("W", "W1", "2024-01-01"), hire("M", "M1", "2024-01-01", gender="M"))
    ledger.record(
        {
            "type": "hms_deviation",
            "deviation_id": "D1",
            "effective_date": "2025-02-01",
            "sector": "Oppvekst",
            "unit": "Skole A",
            "category": "personal_injury",
        },
        {
            "type": "hms_deviation",
            "deviation_id": "D2",
            "effective_date": "2025-02-02",
            "sector": "Helse",
            "unit": "Sykehjem",
            "category": "near_miss",
        },
        {"type": "hms_deviation_closed", "deviation_id": "D2", "effective_date": "2025-03-01"},
        # W: 14 weeks at 100 %; M: 4 weeks at 50 % = 2 weeks taken
        {
            "type": "leave",
            "employee_id": "W",
            "start_date": "2025-03-03",
            "end_date": "2025-06-08",
            "kind": "parental",
            "paid": True,
        },
        {
            "type": "leave",
            "employee_id": "M",
            "start_date": "2025-08-04",
            "end_date": "2025-08-31",
            "kind": "parental",
            "paid": True,
            "leave_pct": 50,
        },
    )
    row = year(ledger).row(0, named=True)
    assert (row["hms_deviations"], row["personal_injuries"], row["hms_near_miss"]) == (2, 1, 1)
    assert row["hms_deviations_closed"] == 1
    assert (row["parental_leave_women"], row["parental_leave_men"]) == (1, 1)
    assert row["parental_leave_avg_weeks_women"] == pytest.approx(14.0)
    assert row["parental_leave_avg_weeks_men"] == pytest.approx(2.0)
    by = year(ledger, "sector")
    assert dict(zip(by["sector"], by["hms_deviations"], strict=True)) == {"Helse": 1, "Oppvekst": 1}


@pytest.mark.parametrize("by", [None, "sector", "unit", "gender", "age_band"])
def test_empty_period_keeps_schema_and_dtypes(ledger: Ledger, by: str | None) -> None:
    k = kpi_series(effective(ledger.facts()), *YEAR, "month", by)
    assert k.schema == kpi_schema(by)
    if by is None:
        assert k.height == 12  # a row per period even without data
        assert k["headcount"].to_list() == [0] * 12
        assert k["sickness_rate_pct"].null_count() == 12
    else:
        assert k.height == 0


def test_columns_follow_the_contract_order(ledger: Ledger) -> None:
    ledger.record(hire("A", "A1", "2024-01-01"))
    k = year(ledger, "sector")
    contract = [
        "period_start",
        "period_end",
        "sector",
        "headcount",
        "fte",
        "sickness_rate_pct",
        "self_certified_rate_pct",
        "doctor_certified_rate_pct",
        "sickness_target_pct",
        "fulltime_share_pct",
        "avg_position_pct",
        "apprentices",
        "apprentice_target",
        "women",
        "men",
        "women_pay_pct_of_men",
        "hms_deviations",
        "personal_injuries",
        "parental_leave_women",
        "parental_leave_men",
        "hires",
        "terminations",
    ]
    assert k.columns[: len(contract)] == contract


def test_periods_are_clipped_to_the_range(ledger: Ledger) -> None:
    ledger.record(hire("A", "A1", "2024-01-01"))
    k = kpi_series(effective(ledger.facts()), date(2025, 1, 15), date(2025, 3, 10), "month")
    assert k["period_start"].to_list() == [date(2025, 1, 15), date(2025, 2, 1), date(2025, 3, 1)]
    assert k["period_end"].to_list() == [date(2025, 1, 31), date(2025, 2, 28), date(2025, 3, 10)]
