"""Retractions (docs/rules.md, "Retractions"): the only way to undo a fact, so they aim true."""

from __future__ import annotations

from ledger.domain.errors import Problem
from tests.builders import hired, retracted, sick
from tests.unit.rules.recorder import memory_ledger, refusals, stored


def test_a_retraction_of_an_event_that_does_not_exist_is_refused() -> None:
    problems = refusals(memory_ledger(), [retracted("nope")])

    assert problems == [Problem(1, "event nope does not exist in the ledger", "target_event_id")]


def test_a_retraction_may_target_an_event_earlier_in_the_same_file() -> None:
    ledger = memory_ledger()

    assert stored(ledger, [hired(), sick("2021-03-01", event_id="s1"), retracted("s1")]) == 3


def test_a_retraction_may_target_an_event_stored_earlier() -> None:
    ledger = memory_ledger()
    stored(ledger, [hired(), sick("2021-03-01", event_id="s1")])

    assert stored(ledger, [retracted("s1")]) == 1


def test_an_event_is_retracted_once() -> None:
    ledger = memory_ledger()
    stored(ledger, [hired(), sick("2021-03-01", event_id="s1"), retracted("s1")])

    problems = refusals(ledger, [retracted("s1")])

    assert problems == [Problem(1, "event s1 is already retracted", "target_event_id")]


def test_a_retraction_cannot_itself_be_retracted() -> None:
    ledger = memory_ledger()
    stored(ledger, [hired(), sick("2021-03-01", event_id="s1"), retracted("s1", event_id="r1")])

    problems = refusals(ledger, [retracted("r1")])

    assert problems == [
        Problem(
            1,
            "event r1 is itself a retraction and cannot be retracted; to restore the fact, "
            "record it again as a new event",
            "target_event_id",
        )
    ]


def test_a_hire_with_events_depending_on_it_cannot_be_retracted() -> None:
    ledger = memory_ledger()
    stored(ledger, [hired(event_id="h-1001"), sick("2021-03-01", event_id="s-1001-1")])

    problems = refusals(ledger, [retracted("h-1001")])

    assert problems == [
        Problem(
            1,
            "the hire h-1001 of employment A1 has 1 event(s) depending on it (s-1001-1); "
            "retract those first, in the same file",
            "target_event_id",
        )
    ]


def test_more_than_five_dependants_are_counted_and_the_first_five_named() -> None:
    ledger = memory_ledger()
    sick_days = [
        sick(f"2021-03-{d:02d}", certificate="doctor", event_id=f"s{d}") for d in range(1, 7)
    ]
    stored(ledger, [hired(event_id="h1"), *sick_days])

    problems = refusals(ledger, [retracted("h1")])

    assert [p.message for p in problems] == [
        "the hire h1 of employment A1 has 6 event(s) depending on it (s1, s2, s3, s4, s5 …); "
        "retract those first, in the same file"
    ]


def test_a_hire_is_retracted_after_its_dependants_in_the_same_file() -> None:
    ledger = memory_ledger()
    stored(ledger, [hired(event_id="h1"), sick("2021-03-01", event_id="s1")])

    assert stored(ledger, [retracted("s1"), retracted("h1")]) == 2


def test_a_sick_day_covered_by_another_employment_does_not_hold_a_hire() -> None:
    ledger = memory_ledger()
    stored(
        ledger,
        [
            hired(employment_id="A1", event_id="h1"),
            hired(employment_id="A2", position_pct=20),
            sick("2021-03-01", event_id="s1"),
        ],
    )

    assert stored(ledger, [retracted("h1")]) == 1
