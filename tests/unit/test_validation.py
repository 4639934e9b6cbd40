"""Field checks of one interchange line: every problem names its line and field."""

from __future__ import annotations

from typing import Any

import pytest

from ledger.domain.validation import validate_line
from tests.builders import hired, leave, sick


def problems_of(raw: Any, line_no: int = 7) -> list[str]:
    _, problems = validate_line(raw, line_no)
    return [str(p) for p in problems]


def test_a_valid_hire_passes_with_the_leader_flag_defaulted_to_false() -> None:
    line, problems = validate_line(hired(), 1)

    assert problems == []
    assert line is not None
    assert line["is_leader"] is False
    assert line["event_id"] is None and line["recorded_by"] is None and line["note"] is None


def test_a_sick_day_defaults_to_grade_100() -> None:
    line, _ = validate_line(sick("2025-03-04", certificate="doctor"), 1)

    assert line is not None and line["grade_pct"] == 100


def test_leave_defaults_to_100_percent_and_no_travel_days() -> None:
    line, _ = validate_line(leave("2025-03-04", "2025-03-05", kind="education"), 1)

    assert line is not None
    assert line["leave_pct"] == 100 and line["travel_days"] == 0
    assert line["welfare_reason"] is None


def test_a_line_that_is_not_an_object_is_refused() -> None:
    assert problems_of([1, 2]) == ["7: a line must be one JSON object"]


def test_a_missing_type_is_named() -> None:
    assert problems_of({"employee_id": "E1"}) == ["7: type: is required"]


def test_an_unknown_type_lists_the_known_ones() -> None:
    (problem,) = problems_of({"type": "fired"})

    assert problem.startswith("7: type: 'fired' is not one of hired, position_changed,")
    assert problem.endswith("terminated, retracted")


def test_every_missing_required_field_is_listed() -> None:
    problems = problems_of({"type": "terminated"})

    assert problems == [
        "7: employment_id: is required for terminated",
        "7: effective_date: is required for terminated",
        "7: reason: is required for terminated",
    ]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("employee_id", 17, "must be a string, got int 17"),
        ("employee_id", "  ", "must not be empty"),
        ("employee_id", "x" * 201, "is too long (201 characters)"),
        ("sector", "", "must not be empty"),
        ("unit", "x" * 2001, "is too long (2001 characters)"),
        ("effective_date", "1.1.2025", "must be a date YYYY-MM-DD, got '1.1.2025'"),
        ("effective_date", "2025-02-29", "'2025-02-29' is not a real date (YYYY-MM-DD)"),
        ("effective_date", 20250101, "must be a date YYYY-MM-DD, got 20250101"),
        ("gender", "K", "'K' is not one of F, M"),
        ("employment_type", "casual", "'casual' is not one of permanent, temporary, apprentice"),
        ("position_pct", 0, "must be a percentage in (0, 100], got 0"),
        ("position_pct", 100.5, "must be a percentage in (0, 100], got 100.5"),
        ("position_pct", "80", "must be a number, got '80'"),
        ("position_pct", True, "must be a number, got True"),
        ("annual_salary", 0, "must be an amount in NOK above 0 (and below 100 million), got 0"),
        ("annual_salary", float("nan"), "must be a finite number, got nan"),
        ("is_leader", "yes", "must be true or false, got 'yes'"),
        ("is_leader", 1, "must be true or false, got 1"),
    ],
)
def test_a_malformed_hire_field_is_named_with_what_was_expected(
    field: str, value: Any, message: str
) -> None:
    assert problems_of(hired(**{field: value})) == [f"7: {field}: {message}"]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (0, "must be at least 1, got 0"),
        (4, "must be at most 3, got 4"),
        (2.5, "must be a whole number, got 2.5"),
    ],
)
def test_hms_severity_is_a_whole_number_from_one_to_three(value: Any, message: str) -> None:
    line = {
        "type": "hms_deviation",
        "deviation_id": "D1",
        "effective_date": "2025-01-10",
        "sector": "Oppvekst",
        "unit": "Utsira skule",
        "category": "near_miss",
        "severity": value,
    }

    assert problems_of(line) == [f"7: severity: {message}"]


def test_a_whole_float_severity_is_stored_as_an_int() -> None:
    line = {
        "type": "hms_deviation",
        "deviation_id": "D1",
        "effective_date": "2025-01-10",
        "sector": "Oppvekst",
        "unit": "Utsira skule",
        "category": "near_miss",
        "severity": 2.0,
    }

    out, _ = validate_line(line, 1)

    assert out is not None and out["severity"] == 2 and type(out["severity"]) is int


def test_an_unknown_field_is_refused_but_export_only_fields_are_ignored() -> None:
    exported = {**hired(), "recorded_at": "2025-01-01T00:00:00+00:00", "ledger_position": 4}

    assert problems_of({**hired(), "colour": "blue"}) == ["7: colour: is not a field of hired"]
    assert problems_of(exported) == []


def test_a_self_certified_sick_day_must_be_graded_100() -> None:
    problems = problems_of(sick("2025-03-04", certificate="self", grade_pct=50))

    assert problems == ["7: grade_pct: a self-certified sick day is always graded 100 %, got 50"]


def test_a_doctor_certified_sick_day_may_be_graded() -> None:
    assert problems_of(sick("2025-03-04", certificate="doctor", grade_pct=50)) == []


def test_leave_may_not_end_before_it_starts() -> None:
    problems = problems_of(leave("2025-03-05", "2025-03-04", kind="education"))

    assert problems == ["7: end_date: end_date 2025-03-04 is before start_date 2025-03-05"]


def test_welfare_leave_needs_a_reason() -> None:
    assert problems_of(leave("2025-03-04", "2025-03-04")) == [
        "7: welfare_reason: is required when kind is welfare"
    ]


def test_a_welfare_reason_is_only_allowed_on_welfare_leave() -> None:
    line = leave("2025-03-04", "2025-03-04", kind="unpaid", welfare_reason="own_wedding")

    assert problems_of(line) == ["7: welfare_reason: is only allowed when kind is welfare"]


def test_an_unknown_welfare_reason_is_refused() -> None:
    (problem,) = problems_of(leave("2025-03-04", "2025-03-04", welfare_reason="fishing"))

    assert problem.startswith("7: welfare_reason: 'fishing' is not one of family_illness,")


def test_the_birth_date_must_be_before_the_hire_date() -> None:
    problems = problems_of(hired(effective_date="2020-01-01", birth_date="2020-01-01"))

    assert problems == [
        "7: birth_date: birth_date 2020-01-01 is not before the hire date 2020-01-01"
    ]


def test_cross_field_rules_wait_until_every_field_is_well_formed() -> None:
    line = {**sick("2025-03-04", certificate="self", grade_pct=50), "employee_id": 5}

    assert problems_of(line) == ["7: employee_id: must be a string, got int 5"]
