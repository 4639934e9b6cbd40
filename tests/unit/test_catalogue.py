"""What is derived from the event catalogue keeps the stored format and the privacy promises.

The stored topics and the sealing map are written out here by hand, from
docs/events.md and docs/privacy.md, so that an edit of the catalogue that would
change what existing ledgers hold, or leave a personal field in clear, fails.
"""

from __future__ import annotations

import dataclasses

from ledger.domain import event_classes
from ledger.domain.catalogue import EVENT_TYPES, STORED_TYPES, detail_fields
from ledger.security.sealing import retained_fields, shreddable_fields


def test_every_stored_type_keeps_its_topic() -> None:
    assert event_classes.TOPIC_BY_TYPE == {
        "hired": "ledger.domain_events:Hired",
        "position_changed": "ledger.domain_events:PositionChanged",
        "transferred": "ledger.domain_events:Transferred",
        "salary_changed": "ledger.domain_events:SalaryChanged",
        "leave": "ledger.domain_events:LeaveRecorded",
        "sick_day": "ledger.domain_events:SickDayRecorded",
        "hms_deviation": "ledger.domain_events:HmsDeviationReported",
        "hms_deviation_closed": "ledger.domain_events:HmsDeviationClosed",
        "terminated": "ledger.domain_events:Terminated",
        "retracted": "ledger.domain_events:Retracted",
        "erased": "ledger.domain_events:Erased",
        "shredded": "ledger.domain_events:Shredded",
        "statistics_frozen": "ledger.domain_events:StatisticsFrozen",
    }
    assert list(EVENT_TYPES) == list(STORED_TYPES)[:10], "erased, shredded, frozen: stored only"


def test_a_class_has_the_fields_of_its_type_with_optional_ones_nullable() -> None:
    leave = {f.name: f.type for f in dataclasses.fields(event_classes.CLASS_BY_TYPE["leave"])}
    transferred = event_classes.CLASS_BY_TYPE["transferred"]

    assert leave["leave_pct"] is float  # optional on a line, but the default is stored
    assert leave["welfare_reason"] == str | None
    assert leave["travel_days"] is int
    # an employment's event names its person once stored, though a line may leave it out
    assert {f.name: f.type for f in dataclasses.fields(transferred)}["employee_id"] is str
    assert event_classes.Retracted.__annotations__["target_type"] is str


def test_personal_fields_are_sealed_with_the_right_key() -> None:
    shreddable = {t: f for t in STORED_TYPES if (f := shreddable_fields(t)) != ("note",)}
    retained = {t: f for t in STORED_TYPES if (f := retained_fields(t))}

    assert shreddable == {
        "leave": ("welfare_reason", "note"),
        "sick_day": ("effective_date", "certificate", "grade_pct", "note"),
        "retracted": ("reason", "note"),
    }
    assert retained == {
        "hired": ("birth_date", "annual_salary"),
        "salary_changed": ("annual_salary",),
    }
    assert shreddable_fields("some_future_type") == ("note",)


def test_history_lists_personal_details_that_a_diff_leaves_out() -> None:
    history, diff = detail_fields("history"), detail_fields("all")

    assert history["hired"] == (
        "employment_id", "birth_date", "sector", "unit", "position", "employment_type",
        "position_pct", "annual_salary", "note",
    )  # fmt: skip
    assert diff["hired"] == tuple(f for f in history["hired"] if f not in ("birth_date", "note"))
    assert "welfare_reason" in history["leave"] and "welfare_reason" not in diff["leave"]
    assert diff["hms_deviation"] == ("deviation_id", "sector", "unit", "category")
