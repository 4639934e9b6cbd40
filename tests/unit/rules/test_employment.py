"""Employments (docs/rules.md, "Employments"): every rule accepted and refused, no database."""

from __future__ import annotations

import orjson

from ledger.domain.errors import Problem
from tests.builders import changed, hired, retracted, salary, terminated
from tests.unit.rules.recorder import memory_ledger, refusals, stored

ACTIVE_ONLY = "changes only while the employment is active"


# ---------------------------------------------------------------- one owner, one hire
def test_an_employment_id_of_another_person_is_refused() -> None:
    ledger = memory_ledger()
    stored(ledger, [hired("E1", "A1")])

    problems = refusals(ledger, [hired("E2", "A1")])

    assert problems == [
        Problem(
            1, "employment id A1 belongs to employee E1; employment ids are unique", "employment_id"
        )
    ]


def test_an_employment_id_taken_earlier_in_the_same_file_is_refused() -> None:
    problems = refusals(memory_ledger(), [hired("E1", "A1"), hired("E2", "A1")])

    assert [(p.line, p.field) for p in problems] == [(2, "employment_id")]


def test_another_person_gets_another_employment_id() -> None:
    assert stored(memory_ledger(), [hired("E1", "A1"), hired("E2", "A2")]) == 2


def test_an_employment_is_hired_once() -> None:
    ledger = memory_ledger()
    stored(ledger, [hired("E1", "A1")])

    problems = refusals(ledger, [hired("E1", "A1")])

    assert problems == [
        Problem(
            1,
            "employment id A1 is already in use; employment ids are unique (retract the earlier "
            "hire to correct it)",
            "employment_id",
        )
    ]


def test_a_retracted_hire_may_be_recorded_again() -> None:
    ledger = memory_ledger()
    stored(ledger, [hired("E1", "A1", event_id="h1")])

    assert stored(ledger, [retracted("h1"), hired("E1", "A1", position_pct=60)]) == 2


# ---------------------------------------------------------------- one person, one birth date
def test_a_second_employment_with_another_birth_date_is_refused() -> None:
    ledger = memory_ledger()
    stored(ledger, [hired("E1", "A1", birth_date="1962-03-14")])

    problems = refusals(ledger, [hired("E1", "A2", birth_date="1962-03-15")])

    assert problems == [
        Problem(
            1,
            "1962-03-15 differs from the birth date 1962-03-14 recorded for employee E1; "
            "retract the earlier hire to correct it",
            "birth_date",
        )
    ]


def test_a_second_employment_with_another_gender_is_refused() -> None:
    ledger = memory_ledger()
    stored(ledger, [hired("E1", "A1", gender="F")])

    problems = refusals(ledger, [hired("E1", "A2", gender="M")])

    assert problems == [
        Problem(
            1,
            "M differs from the gender F recorded for employee E1; retract the earlier hire to "
            "correct it",
            "gender",
        )
    ]


def test_a_second_employment_with_the_same_person_data_is_accepted() -> None:
    ledger = memory_ledger()
    stored(ledger, [hired("E1", "A1")])

    assert stored(ledger, [hired("E1", "A2", position_pct=20)]) == 1


# ---------------------------------------------------------------- only a hired employment
def test_a_change_of_an_unknown_employment_is_refused() -> None:
    problems = refusals(memory_ledger(), [salary("2021-08-01", employment_id="9999-1")])

    assert problems == [
        Problem(1, "employment 9999-1 is not known; record `hired` first", "employment_id")
    ]


def test_a_change_naming_another_employee_is_refused() -> None:
    ledger = memory_ledger()
    stored(ledger, [hired("E1", "A1")])

    problems = refusals(ledger, [changed("2021-08-01", employee_id="E2")])

    assert problems == [Problem(1, "employment A1 belongs to employee E1, not E2", "employee_id")]


def test_a_change_of_an_employment_whose_hire_was_retracted_is_refused() -> None:
    ledger = memory_ledger()
    stored(ledger, [hired("E1", "A1", event_id="h1"), retracted("h1")])

    problems = refusals(ledger, [changed("2021-08-01")])

    assert problems == [
        Problem(
            1,
            "employment A1 of employee E1 is not hired (or its hire was retracted); record "
            "`hired` first",
            "employment_id",
        )
    ]


def test_a_change_is_stored_with_the_employee_who_owns_the_employment() -> None:
    ledger = memory_ledger()
    stored(ledger, [hired("E1", "A1")])

    stored(ledger, [changed("2021-08-01")])

    change = orjson.loads(ledger.store.read_rows(1, 1)[0][1])
    assert (change["type"], change["employee_id"]) == ("position_changed", "E1")


# ---------------------------------------------------------------- only while active
def test_a_change_before_the_employment_began_is_refused() -> None:
    ledger = memory_ledger()
    stored(ledger, [hired(effective_date="2020-01-01")])

    problems = refusals(ledger, [changed("2019-06-01")])

    assert problems == [
        Problem(
            1,
            f"position_changed on 2019-06-01 is before employment A1 began (2020-01-01); "
            f"{ACTIVE_ONLY}",
            "effective_date",
        )
    ]


def test_a_change_after_the_employment_ended_is_refused() -> None:
    ledger = memory_ledger()
    stored(ledger, [hired(), terminated("2024-06-30")])

    problems = refusals(ledger, [salary("2024-08-01")])

    assert problems == [
        Problem(
            1,
            "salary_changed on 2024-08-01 is after employment A1 ended (2024-06-30); "
            + ACTIVE_ONLY,
            "effective_date",
        )
    ]


def test_changes_on_the_first_and_the_last_day_are_accepted() -> None:
    ledger = memory_ledger()
    stored(ledger, [hired(effective_date="2020-01-01"), terminated("2024-06-30")])

    assert stored(ledger, [changed("2020-01-01"), salary("2024-06-30")]) == 2


# ---------------------------------------------------------------- terminations
def test_an_employment_is_terminated_once() -> None:
    ledger = memory_ledger()
    stored(ledger, [hired(), terminated("2024-06-30", event_id="x1")])

    problems = refusals(ledger, [terminated("2024-07-31")])

    assert problems == [
        Problem(
            1,
            "employment A1 is already terminated on 2024-06-30 (event x1); retract that "
            "termination to change it",
            "employment_id",
        )
    ]


def test_a_retracted_termination_may_be_recorded_again() -> None:
    ledger = memory_ledger()
    stored(ledger, [hired(), terminated("2024-06-30", event_id="x1")])

    assert stored(ledger, [retracted("x1"), terminated("2024-07-31")]) == 2


def test_a_termination_before_the_employment_began_is_refused() -> None:
    ledger = memory_ledger()
    stored(ledger, [hired(effective_date="2020-01-01")])

    problems = refusals(ledger, [terminated("2019-04-30")])

    assert problems == [
        Problem(
            1,
            "termination on 2019-04-30 is before employment A1 began (2020-01-01)",
            "effective_date",
        )
    ]


def test_a_termination_before_a_recorded_change_is_refused() -> None:
    ledger = memory_ledger()
    stored(ledger, [hired(), salary("2024-05-01")])

    problems = refusals(ledger, [terminated("2024-04-30")])

    assert problems == [
        Problem(
            1,
            "termination on 2024-04-30 is before a recorded change of employment A1 effective "
            "2024-05-01; retract that change first",
            "effective_date",
        )
    ]


def test_a_termination_on_the_day_of_the_last_change_is_accepted() -> None:
    ledger = memory_ledger()
    stored(ledger, [hired(), salary("2024-05-01")])

    assert stored(ledger, [terminated("2024-05-01")]) == 1
