"""HMS deviations (docs/rules.md, "HMS deviations"): reported once, closed once, in order."""

from __future__ import annotations

from ledger.domain.errors import Problem
from tests.builders import deviation, deviation_closed, retracted
from tests.unit.rules.recorder import memory_ledger, refusals, stored


def test_a_deviation_is_reported_once() -> None:
    ledger = memory_ledger()
    stored(ledger, [deviation("2024-04-10", event_id="d1")])

    problems = refusals(ledger, [deviation("2024-04-11")])

    assert problems == [
        Problem(
            1,
            "deviation 2024-17 is already reported (event d1); retract it to correct it",
            "deviation_id",
        )
    ]


def test_a_retracted_report_may_be_made_again() -> None:
    ledger = memory_ledger()
    stored(ledger, [deviation("2024-04-10", event_id="d1")])

    assert stored(ledger, [retracted("d1"), deviation("2024-04-11")]) == 2


def test_a_deviation_not_reported_cannot_be_closed() -> None:
    problems = refusals(memory_ledger(), [deviation_closed("2024-04-12", deviation_id="2024-99")])

    assert problems == [
        Problem(1, "deviation 2024-99 is not reported; record hms_deviation first", "deviation_id")
    ]


def test_a_deviation_is_closed_once() -> None:
    ledger = memory_ledger()
    stored(ledger, [deviation("2024-04-10"), deviation_closed("2024-04-12")])

    problems = refusals(ledger, [deviation_closed("2024-04-15")])

    assert problems == [
        Problem(1, "deviation 2024-17 is already closed on 2024-04-12", "deviation_id")
    ]


def test_a_deviation_cannot_be_closed_before_it_happened() -> None:
    ledger = memory_ledger()
    stored(ledger, [deviation("2024-04-10")])

    problems = refusals(ledger, [deviation_closed("2024-04-09")])

    assert problems == [
        Problem(
            1,
            "deviation 2024-17 cannot be closed on 2024-04-09, before it happened (2024-04-10)",
            "effective_date",
        )
    ]


def test_a_deviation_may_be_closed_on_the_day_it_happened() -> None:
    assert stored(memory_ledger(), [deviation("2024-04-10"), deviation_closed("2024-04-10")]) == 2


def test_a_deviation_naming_an_employee_is_stored_in_its_own_stream() -> None:
    """The note is sealed with the named employee's key, who need not be hired."""
    ledger = memory_ledger()

    stored(ledger, [deviation("2024-04-10", employee_id="E5", note="fall i trapp")])

    assert [r.employee_id for r in ledger.store.key_rows() if r.employee_id] == ["E5"]
    assert b"fall i trapp" not in ledger.store.read_rows(0, 1)[0][1]
