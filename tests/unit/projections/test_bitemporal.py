"""Both time axes: retractions, known_at, backdated changes, roster."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest

from projections.facts.schema import ROSTER_SCHEMA
from projections.facts.source import decode_rows, effective
from projections.facts.timeline import employment_intervals
from projections.kpi import kpi_series
from projections.reports.roster import roster

from .factory import T0, Ledger, hire, sick

JAN = (date(2025, 1, 1), date(2025, 1, 31))


def lost(ledger: Ledger, known_at: datetime | None = None) -> float:
    k = kpi_series(effective(ledger.facts(), known_at), *JAN, "month")
    return float(k["lost_workdays"][0])


def test_retraction_applies_from_its_recorded_time(ledger: Ledger) -> None:
    ledger.record(hire("A", "A1", "2024-01-01"), at=T0)
    ledger.record(sick("A", "2025-01-06", event_id="S1"), sick("A", "2025-01-07"), at=T0)
    t_retract = T0 + timedelta(days=3)
    ledger.record(
        {
            "type": "retracted",
            "target_event_id": "S1",
            "target_type": "sick_day",
            "reason": "wrong person",
        },
        at=t_retract,
    )
    assert lost(ledger) == 1.0  # now: S1 never happened
    assert lost(ledger, t_retract - timedelta(microseconds=1)) == 2.0  # believed before
    assert lost(ledger, t_retract) == 1.0
    assert lost(ledger, T0 - timedelta(seconds=1)) == 0.0  # nothing recorded yet


def test_retracted_hire_drops_the_employment_and_its_changes(ledger: Ledger) -> None:
    ledger.record(hire("A", "A1", "2024-01-01", event_id="H1"))
    ledger.record(
        {
            "type": "salary_changed",
            "employment_id": "A1",
            "employee_id": "A",
            "effective_date": "2024-06-01",
            "annual_salary": 700000,
            "reason": "other",
        }
    )
    ledger.record(
        {
            "type": "retracted",
            "target_event_id": "H1",
            "target_type": "hired",
            "reason": "duplicate",
        }
    )
    iv = employment_intervals(effective(ledger.facts()).employment)
    assert iv.height == 0
    assert employment_intervals(ledger.facts().employment).height == 2


def test_known_at_must_be_aware(ledger: Ledger) -> None:
    with pytest.raises(ValueError, match="offset"):
        effective(ledger.facts(), datetime(2026, 1, 1))


def test_backdated_salary_settlement(ledger: Ledger) -> None:
    # hired 2024; settlement decided (recorded) 20 June 2025 with effect from 1 May 2025
    ledger.record(hire("A", "A1", "2024-01-01", annual_salary=500000), at=T0)
    decided = datetime(2025, 6, 20, 9, 0, tzinfo=UTC)
    ledger.record(
        {
            "type": "salary_changed",
            "employment_id": "A1",
            "employee_id": "A",
            "effective_date": "2025-05-01",
            "annual_salary": 520000,
            "reason": "central_settlement",
        },
        at=max(decided, T0 + timedelta(days=1)),
    )
    # recorded *after* the settlement but effective *before* it (an earlier local raise)
    ledger.record(
        {
            "type": "salary_changed",
            "employment_id": "A1",
            "employee_id": "A",
            "effective_date": "2025-03-01",
            "annual_salary": 510000,
            "reason": "local_negotiation",
        },
        at=max(decided, T0 + timedelta(days=1)) + timedelta(days=1),
    )
    iv = employment_intervals(effective(ledger.facts()).employment)
    salary = {
        d: roster(iv, d)["annual_salary"][0]
        for d in (date(2025, 2, 28), date(2025, 3, 1), date(2025, 4, 30), date(2025, 5, 1))
    }
    assert salary == {
        date(2025, 2, 28): 500000.0,
        date(2025, 3, 1): 510000.0,
        date(2025, 4, 30): 510000.0,
        date(2025, 5, 1): 520000.0,  # valid time, not recorded order
    }
    before = employment_intervals(effective(ledger.facts(), T0).employment)
    assert roster(before, date(2025, 5, 1))["annual_salary"][0] == 500000.0


def test_roster_columns_and_transfer_keeps_unchanged_fields(ledger: Ledger) -> None:
    ledger.record(hire("A", "A1", "2024-01-01", is_leader=True, position="Rektor"))
    ledger.record(
        {
            "type": "transferred",
            "employment_id": "A1",
            "employee_id": "A",
            "effective_date": "2025-01-01",
            "sector": "Helse",
            "unit": "Sykehjem",
        }
    )
    ledger.record(
        {
            "type": "terminated",
            "employment_id": "A1",
            "employee_id": "A",
            "effective_date": "2025-06-30",
            "reason": "retirement",
        }
    )
    iv = employment_intervals(effective(ledger.facts()).employment)
    r = roster(iv, date(2025, 6, 30))
    assert r.schema == ROSTER_SCHEMA
    row = r.row(0, named=True)
    assert (row["sector"], row["unit"], row["position"], row["is_leader"]) == (
        "Helse",
        "Sykehjem",
        "Rektor",
        True,
    )
    assert roster(iv, date(2025, 7, 1)).height == 0
    assert roster(iv, date(2023, 12, 31)).height == 0
    assert roster(iv, date(2024, 12, 31))["sector"][0] == "Oppvekst"


def test_decoder_reads_timestamps_with_and_without_microseconds() -> None:
    rows = [
        (
            1,
            b'{"type":"sick_day","event_id":"a","employee_id":"A","effective_date":"2025-01-06",'
            b'"certificate":"self","grade_pct":100,"timestamp":{"_type_":"datetime_iso",'
            b'"_data_":"2026-11-23T12:00:00+00:00"}}',
        ),
        (
            7,
            b'{"type":"sick_day","event_id":"b","employee_id":"A","effective_date":"2025-01-07",'
            b'"certificate":"doctor","grade_pct":50.5,"timestamp":{"_type_":"datetime_iso",'
            b'"_data_":"2026-11-23T13:00:00.123456+01:00"}}',
        ),
    ]
    f = decode_rows(rows)
    assert f.sick["position"].to_list() == [1, 7]
    assert f.sick["recorded_at"].to_list() == [
        datetime(2026, 11, 23, 12, 0, tzinfo=UTC),
        datetime(2026, 11, 23, 12, 0, 0, 123456, tzinfo=UTC),
    ]
    assert f.sick["grade_pct"].to_list() == [100.0, 50.5]
    assert f.employment.height == 0


def test_decoder_falls_back_when_a_state_holds_a_raw_newline() -> None:
    pretty = (
        b'{\n "type": "retracted", "event_id": "r", "target_event_id": "x",\n'
        b' "target_type": "sick_day", "reason": "r",\n "timestamp": {"_type_": "datetime_iso",'
        b' "_data_": "2026-11-23T12:00:00+00:00"}}'
    )
    f = decode_rows([(3, pretty)])
    assert f.retraction["target_event_id"].to_list() == ["x"]
    assert f.retraction["position"].to_list() == [3]


def test_fact_frames_have_position_and_recorded_at(ledger: Ledger) -> None:
    ledger.record(hire("A", "A1", "2024-01-01"), sick("A", "2025-01-06"))
    for name, df in ledger.facts().frames().items():
        assert df.schema["position"] == pl.Int64, name
        assert df.schema["recorded_at"] == pl.Datetime("us", "UTC"), name
