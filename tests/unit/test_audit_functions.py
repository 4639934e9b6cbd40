"""The pure parts of `hrledger diff`: which events touch a period, and KPI deltas."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import polars as pl
import pytest

from projections.reports.audit import changes_between, kpi_deltas, roster_changes, touches

MAY = (date(2021, 5, 1), date(2021, 5, 31))


def ev(type_: str, position: int, recorded: str, **kw: Any) -> dict[str, Any]:
    return {"type": type_, "event_id": f"e{position}", "ledger_position": position,
            "recorded_at": f"2021-{recorded}T12:00:00+00:00", **kw}  # fmt: skip


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (ev("sick_day", 1, "06-01", effective_date="2021-05-31"), True),
        (ev("sick_day", 1, "06-01", effective_date="2021-06-01"), False),
        (ev("leave", 1, "06-01", start_date="2021-04-20", end_date="2021-05-01"), True),
        (ev("leave", 1, "06-01", start_date="2021-04-20", end_date="2021-04-30"), False),
        (ev("salary_changed", 1, "06-20", effective_date="2021-01-01"), True),
        (ev("terminated", 1, "06-20", effective_date="2021-06-01"), False),
        (ev("hms_deviation", 1, "06-20", effective_date="2021-04-30"), False),
    ],
)
def test_an_event_touches_a_period_by_its_valid_dates(
    event: dict[str, Any], expected: bool
) -> None:
    assert touches(event, *MAY) is expected


def test_only_events_recorded_after_t1_and_by_t2_are_listed() -> None:
    events = [
        ev("sick_day", 1, "05-10", effective_date="2021-05-03"),
        ev("sick_day", 2, "06-01", effective_date="2021-05-04", recorded_by="kari"),
        ev("sick_day", 3, "07-02", effective_date="2021-05-05"),
    ]
    t1, t2 = datetime(2021, 5, 10, 12, tzinfo=UTC), datetime(2021, 7, 1, tzinfo=UTC)

    changes = changes_between(events, t1, t2, *MAY)

    assert [(c.position, c.change, c.recorded_by) for c in changes] == [(2, "added", "kari")]


def test_a_retraction_is_listed_as_its_target_with_the_retraction_reason() -> None:
    events = [
        ev("sick_day", 1, "05-10", effective_date="2021-05-03", employee_id="E1"),
        ev("retracted", 2, "06-01", target_event_id="e1", reason="typo", recorded_by="ola"),
        ev("sick_day", 3, "05-10", effective_date="2021-06-03", employee_id="E1"),
        ev("retracted", 4, "06-01", target_event_id="e3", reason="outside the period"),
    ]
    t1, t2 = datetime(2021, 5, 31, tzinfo=UTC), datetime(2021, 6, 30, tzinfo=UTC)

    [change] = changes_between(events, t1, t2, *MAY)

    assert (change.position, change.change, change.type, change.event_id) == (
        2, "retracted", "sick_day", "e1")  # fmt: skip
    assert (change.valid, change.employee_id, change.recorded_by, change.why) == (
        "2021-05-03", "E1", "ola", "typo")  # fmt: skip


def test_kpi_deltas_keep_only_what_changed_as_t2_minus_t1() -> None:
    keys = {"period_start": [date(2021, 4, 1), date(2021, 5, 1)],
            "period_end": [date(2021, 4, 30), date(2021, 5, 31)]}  # fmt: skip
    before = pl.DataFrame({**keys, "headcount": [2, 2], "pay_pct": [100.0, 100.0],
                           "share": [None, 50.0]})  # fmt: skip
    after = pl.DataFrame({**keys, "headcount": [2, 2], "pay_pct": [100.0, 110.0],
                          "share": [None, None]})  # fmt: skip

    d = kpi_deltas(before, after)

    assert d.select("kpi", "at_t1", "at_t2", "change").rows() == [
        ("pay_pct", 100.0, 110.0, 10.0),
        ("share", 50.0, None, None),
    ]
    assert d["period_start"].to_list() == [date(2021, 5, 1)] * 2


def test_roster_changes_name_added_removed_and_changed_employments() -> None:
    before = pl.DataFrame({"employee_id": ["E1", "E2"], "employment_id": ["A1", "A2"],
                           "position_pct": [100.0, 50.0]})  # fmt: skip
    after = pl.DataFrame({"employee_id": ["E1", "E3"], "employment_id": ["A1", "A3"],
                          "position_pct": [80.0, 100.0]})  # fmt: skip

    r = roster_changes(before, after)

    assert r.rows() == [
        ("A1", "E1", "changed", "position_pct: 100.0 → 80.0"),
        ("A2", "E2", "removed", ""),
        ("A3", "E3", "added", ""),
    ]
