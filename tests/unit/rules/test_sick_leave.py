"""Sick days (docs/rules.md, "Sick leave"): every rule accepted and refused, no database."""

from __future__ import annotations

from ledger.domain.errors import Problem
from tests.builders import hired, retracted, sick, terminated
from tests.unit.rules.recorder import (
    STATUTORY_SICK,
    UTSIRA_SICK,
    memory_ledger,
    refusals,
    stored,
)


def days(month: int, first: int, last: int, year: int = 2024) -> list[str]:
    return [f"{year}-{month:02d}-{d:02d}" for d in range(first, last + 1)]


# ---------------------------------------------------------------- per occurrence
def test_eight_self_certified_days_in_a_row_are_accepted_under_the_handbook() -> None:
    ledger = memory_ledger()

    assert stored(ledger, [hired(), *[sick(d) for d in days(3, 4, 11)]]) == 9


def test_the_ninth_self_certified_day_in_a_row_is_refused_under_the_handbook() -> None:
    ledger = memory_ledger()
    stored(ledger, [hired(), *[sick(d) for d in days(3, 4, 11)]])

    problems = refusals(ledger, [sick("2024-03-12")])

    assert problems == [
        Problem(
            1,
            "self-certification for 9 consecutive calendar days (2024-03-04 to 2024-03-12) "
            f"exceeds 8 days per occurrence ({UTSIRA_SICK}); use a doctor's certificate",
            "certificate",
        )
    ]


def test_a_day_that_joins_two_runs_is_counted_with_both() -> None:
    """4 days (4th–7th) and 4 days (9th–12th) are fine; the 8th joins them into 9."""
    ledger = memory_ledger()
    stored(ledger, [hired(), *[sick(d) for d in days(3, 4, 7) + days(3, 9, 12)]])

    problems = refusals(ledger, [sick("2024-03-08")])

    assert [p.message.split(" exceeds")[0] for p in problems] == [
        "self-certification for 9 consecutive calendar days (2024-03-04 to 2024-03-12)"
    ]


def test_a_doctors_certificate_may_continue_a_self_certified_run() -> None:
    ledger = memory_ledger()
    stored(ledger, [hired(), *[sick(d) for d in days(3, 4, 11)]])

    assert stored(ledger, [sick("2024-03-12", certificate="doctor", grade_pct=50)]) == 1


def test_statutory_policy_accepts_three_days_and_refuses_the_fourth() -> None:
    ledger = memory_ledger("statutory")
    assert stored(ledger, [hired(), *[sick(d) for d in days(3, 4, 6)]]) == 4

    problems = refusals(ledger, [sick("2024-03-07")])

    assert problems == [
        Problem(
            1,
            "self-certification for 4 consecutive calendar days (2024-03-04 to 2024-03-07) "
            f"exceeds 3 days per occurrence ({STATUTORY_SICK}); use a doctor's certificate",
            "certificate",
        )
    ]


# ---------------------------------------------------------------- per 12 months
TWENTY_FOUR = [d for m in range(1, 7) for d in days(m, 4, 7)]
"""4 days in each of January to June 2024: 24 self-certified days, no run over 4."""


def test_the_twenty_fifth_self_certified_day_in_twelve_months_is_refused() -> None:
    ledger = memory_ledger()
    stored(ledger, [hired(), *[sick(d) for d in TWENTY_FOUR]])

    problems = refusals(ledger, [sick("2024-12-02")])

    assert problems == [
        Problem(
            1,
            "self-certified days would be 25 in the 12 months up to 2024-12-02, over the limit "
            f"of 24 ({UTSIRA_SICK}); use a doctor's certificate",
            "certificate",
        )
    ]


def test_a_day_recorded_late_is_counted_in_the_windows_after_it() -> None:
    """10 January comes before the 24 days of February–July: the window ending on the
    last of them, 7 July, would hold 25."""
    ledger = memory_ledger()
    later = [d for m in range(2, 8) for d in days(m, 4, 7)]
    stored(ledger, [hired(), *[sick(d) for d in later]])

    problems = refusals(ledger, [sick("2024-01-10")])

    assert [p.message.split(", over")[0] for p in problems] == [
        "self-certified days would be 25 in the 12 months up to 2024-07-07"
    ]


def test_twelve_months_later_self_certification_is_available_again() -> None:
    """The window ending 8 June 2025 starts 9 June 2024, after the 24 days."""
    ledger = memory_ledger()
    stored(ledger, [hired(), *[sick(d) for d in TWENTY_FOUR]])

    assert stored(ledger, [sick("2025-06-08")]) == 1


A_YEAR_AGO = ["2023-06-05", *[d for m in range(7, 13) for d in days(m, 4, 7, 2023)][:-1]]
"""24 self-certified days, the first on 5 June 2023."""


def test_twelve_months_are_365_days_with_the_first_day_inside() -> None:
    """3 June 2024 is day 365 counted from 5 June 2023 (2024 is a leap year)."""
    ledger = memory_ledger()
    stored(ledger, [hired(), *[sick(d) for d in A_YEAR_AGO]])

    problems = refusals(ledger, [sick("2024-06-03")])

    assert [p.message.split(", over")[0] for p in problems] == [
        "self-certified days would be 25 in the 12 months up to 2024-06-03"
    ]


def test_twelve_months_are_365_days_with_the_first_day_outside() -> None:
    ledger = memory_ledger()
    stored(ledger, [hired(), *[sick(d) for d in A_YEAR_AGO]])

    assert stored(ledger, [sick("2024-06-04")]) == 1


def test_statutory_policy_withdraws_the_right_after_four_occurrences() -> None:
    ledger = memory_ledger("statutory")
    four = ["2024-01-10", "2024-03-10", "2024-05-10", "2024-07-10"]
    assert stored(ledger, [hired(), *[sick(d) for d in four]]) == 5

    problems = refusals(ledger, [sick("2024-10-14")])

    assert problems == [
        Problem(
            1,
            "this would be self-certified occurrence no. 5 in the 12 months up to 2024-10-14; "
            f"the right lapses after 4 ({STATUTORY_SICK}); use a doctor's certificate",
            "certificate",
        )
    ]


def test_a_day_that_continues_a_run_is_not_a_new_occurrence() -> None:
    ledger = memory_ledger("statutory")
    four = ["2024-01-10", "2024-03-10", "2024-05-10", "2024-07-10"]
    stored(ledger, [hired(), *[sick(d) for d in four]])

    assert stored(ledger, [sick("2024-07-11")]) == 1


# ---------------------------------------------------------------- while employed
def test_a_sick_day_before_the_first_hire_is_refused() -> None:
    ledger = memory_ledger()
    stored(ledger, [hired(effective_date="2020-01-01")])

    problems = refusals(ledger, [sick("2019-12-31", certificate="doctor")])

    assert problems == [
        Problem(
            1,
            "sick day 2019-12-31: employee E1 has no active employment that day (first hired "
            "2020-01-01); sick days only while employed",
            "effective_date",
        )
    ]


def test_a_sick_day_of_someone_never_hired_is_refused() -> None:
    problems = refusals(memory_ledger(), [sick("2021-03-01", employee_id="E9")])

    assert problems == [
        Problem(
            1,
            "sick day 2021-03-01: employee E9 has no active employment that day (no employment "
            "recorded); sick days only while employed",
            "effective_date",
        )
    ]


def test_sick_days_count_from_the_first_to_the_last_day_of_an_employment() -> None:
    ledger = memory_ledger()
    stored(ledger, [hired(effective_date="2020-01-01"), terminated("2021-06-30")])

    first_day = sick("2020-01-01", certificate="doctor")  # § 8-24: no self-certifying yet
    assert stored(ledger, [first_day, sick("2021-06-30")]) == 2
    assert [p.message[:47] for p in refusals(ledger, [sick("2021-07-01")])] == [
        "sick day 2021-07-01: employee E1 has no active "
    ]


# ---------------------------------------------------------------- one per date
def test_a_second_sick_day_on_the_same_date_is_refused() -> None:
    ledger = memory_ledger()
    stored(ledger, [hired(), sick("2024-03-04", event_id="s9")])

    problems = refusals(ledger, [sick("2024-03-04", certificate="doctor")])

    assert problems == [
        Problem(
            1,
            "a sick day on 2024-03-04 is already recorded for employee E1 (event s9); retract "
            "it to change it",
            "effective_date",
        )
    ]


def test_the_same_date_twice_in_one_file_names_the_second_line() -> None:
    ledger = memory_ledger()

    problems = refusals(ledger, [hired(), sick("2024-03-04", event_id="s9"), sick("2024-03-04")])

    assert [(p.line, p.field) for p in problems] == [(3, "effective_date")]


def test_a_retracted_sick_day_can_be_recorded_again() -> None:
    ledger = memory_ledger()
    stored(ledger, [hired(), sick("2024-03-04", event_id="s9")])

    assert stored(ledger, [retracted("s9"), sick("2024-03-04", certificate="doctor")]) == 2


# ---------------------------------------------------------------- graded 100 %
def test_a_self_certified_day_must_be_graded_one_hundred_percent() -> None:
    problems = refusals(memory_ledger(), [hired(), sick("2024-03-04", grade_pct=50)])

    assert problems == [
        Problem(2, "a self-certified sick day is always graded 100 %, got 50", "grade_pct")
    ]


def test_a_doctors_certificate_may_be_graded() -> None:
    ledger = memory_ledger()

    assert stored(ledger, [hired(), sick("2024-03-04", certificate="doctor", grade_pct=50)]) == 2
