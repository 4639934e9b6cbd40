"""Every handbook rule: broken on purpose, refused with its reason, nothing stored.

These run against a real SQLite file and a real PostgreSQL schema alike.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ledger.domain.errors import ImportRefused
from ledger.services.recording import Ledger
from tests.builders import hired, leave, retracted, sick, terminated


@pytest.fixture
def ledger(ledger_url: str) -> Iterator[Ledger]:
    with Ledger(ledger_url) as ledger:
        yield ledger


def refused(ledger: Ledger, lines: list[dict[str, Any]], *fragments: str) -> str:
    before = ledger.store.max_position()
    with pytest.raises(ImportRefused) as exc:
        ledger.record(lines)
    message = str(exc.value)
    for fragment in fragments:
        assert fragment in message
    assert ledger.store.max_position() == before, "a refused import stored something"
    return message


def test_nine_self_certified_days_in_a_row_are_refused_under_the_handbook(ledger: Ledger) -> None:
    ledger.record([hired()])
    eight = [sick(f"2021-03-{d:02d}") for d in range(1, 9)]
    ledger.record(eight)

    msg = refused(ledger, [sick("2021-03-09")], "9 consecutive calendar days", "§5.7")

    assert msg.startswith("import refused") and "1: certificate:" in msg


def test_a_doctor_certificate_may_continue_a_self_certified_run(ledger: Ledger) -> None:
    ledger.record([hired(), *[sick(f"2021-03-{d:02d}") for d in range(1, 9)]])

    result = ledger.record([sick("2021-03-09", certificate="doctor", grade_pct=50)])

    assert result.stored == 1


def test_the_twenty_fifth_self_certified_day_in_twelve_months_is_refused(ledger: Ledger) -> None:
    days = [f"2021-{m:02d}-{d:02d}" for m in range(1, 7) for d in (4, 5, 6, 7)]  # 24 days
    ledger.record([hired(), *[sick(d) for d in days]])

    refused(ledger, [sick("2021-12-01")], "would be 25 in the 12 months", "limit of 24", "§5.7")


def test_twelve_months_later_self_certification_is_available_again(ledger: Ledger) -> None:
    days = [f"2021-{m:02d}-{d:02d}" for m in range(1, 7) for d in (4, 5, 6, 7)]
    ledger.record([hired(), *[sick(d) for d in days]])

    assert ledger.record([sick("2022-06-08")]).stored == 1


def test_statutory_policy_allows_three_days_per_occurrence(ledger_url: str) -> None:
    with Ledger(ledger_url, policy="statutory") as ledger:
        ledger.record([hired(), sick("2021-03-01"), sick("2021-03-02"), sick("2021-03-03")])

        refused(ledger, [sick("2021-03-04")], "exceeds 3 days per occurrence", "§ 8-24")


def test_statutory_policy_withdraws_the_right_after_four_occurrences(ledger_url: str) -> None:
    with Ledger(ledger_url, policy="statutory") as ledger:
        ledger.record([hired(), *[sick(f"2021-{m:02d}-10") for m in (1, 3, 5, 7)]])

        refused(ledger, [sick("2021-09-10")], "occurrence no. 5", "§ 8-27")


def test_self_certification_in_the_first_two_months_of_service_is_refused(
    ledger: Ledger,
) -> None:
    ledger.record([hired(effective_date="2024-01-15")])

    msg = refused(ledger, [sick("2024-03-14")], "before employee E1 has 2 months of service",
                  "self-certification from 2024-03-15", "§ 8-24")  # fmt: skip

    assert "1: certificate:" in msg
    assert ledger.record([sick("2024-03-15")]).stored == 1


def test_a_doctor_certified_day_in_the_first_two_months_is_accepted(ledger: Ledger) -> None:
    ledger.record([hired(effective_date="2024-01-15")])

    assert ledger.record([sick("2024-01-16", certificate="doctor")]).stored == 1


def test_re_employment_within_two_weeks_counts_the_earlier_employment(ledger: Ledger) -> None:
    first = hired(effective_date="2023-01-01", employment_type="temporary")
    ledger.record([first, terminated("2023-06-30", reason="end_of_contract")])
    ledger.record([hired(employment_id="A2", effective_date="2023-07-14")])  # 13 days' break

    assert ledger.record([sick("2023-07-20")]).stored == 1


def test_a_break_of_more_than_two_weeks_starts_the_two_months_again(ledger: Ledger) -> None:
    first = hired(effective_date="2023-01-01", employment_type="temporary")
    ledger.record([first, terminated("2023-06-30", reason="end_of_contract")])
    ledger.record([hired(employment_id="A2", effective_date="2023-07-16")])  # 15 days' break

    refused(ledger, [sick("2023-09-15")], "employed since 2023-07-16",
            "self-certification from 2023-09-16")  # fmt: skip


def test_the_statutory_policy_also_asks_for_two_months_of_service(ledger_url: str) -> None:
    with Ledger(ledger_url, policy="statutory") as ledger:
        ledger.record([hired(effective_date="2024-05-31")])

        refused(ledger, [sick("2024-07-30")], "self-certification from 2024-07-31", "§ 8-24")


def test_a_sick_day_before_the_hire_is_refused(ledger: Ledger) -> None:
    ledger.record([hired(effective_date="2020-08-01")])

    refused(ledger, [sick("2020-07-31")], "no active employment", "first hired 2020-08-01")


def test_a_sick_day_after_termination_is_refused(ledger: Ledger) -> None:
    ledger.record([hired(), terminated("2021-06-30")])

    refused(ledger, [sick("2021-07-01", certificate="doctor")], "no active employment")


def test_a_change_after_termination_is_refused(ledger: Ledger) -> None:
    ledger.record([hired(), terminated("2021-06-30")])
    change = {
        "type": "position_changed",
        "employment_id": "A1",
        "effective_date": "2021-08-01",
        "position_pct": 50,
    }

    refused(ledger, [change], "after employment A1 ended (2021-06-30)")


def test_an_unknown_employment_is_refused(ledger: Ledger) -> None:
    change = {
        "type": "salary_changed",
        "employment_id": "NOPE",
        "effective_date": "2021-08-01",
        "annual_salary": 600_000,
        "reason": "central_settlement",
    }

    refused(ledger, [change], "employment NOPE is not known")


def test_employment_ids_are_unique(ledger: Ledger) -> None:
    ledger.record([hired()])

    refused(ledger, [hired(employee_id="E2")], "A1", "belongs to employee E1")
    refused(ledger, [hired()], "already in use")


def test_paid_welfare_leave_is_capped_at_twelve_work_days_a_year(ledger: Ledger) -> None:
    ledger.record(
        [
            hired(),
            leave("2021-02-01", "2021-02-05", welfare_reason="family_illness"),  # 5
            leave("2021-03-01", "2021-03-05", welfare_reason="bereavement"),  # 5
        ]
    )

    refused(
        ledger,
        [leave("2021-04-06", "2021-04-08", welfare_reason="kindergarten_start")],
        "would be 13 work-days, over 12",
        "§8.5",
    )


@pytest.mark.parametrize(
    ("reason", "start", "end", "cap"),
    [
        ("family_illness", "2021-02-01", "2021-02-08", "5"),  # 6 work-days
        ("kindergarten_start", "2021-02-01", "2021-02-04", "3"),
        ("school_start", "2021-08-16", "2021-08-17", "1"),
        ("own_wedding", "2021-06-14", "2021-06-15", "1"),
        ("cultural_sports_event", "2021-02-01", "2021-02-04", "3"),
    ],
)
def test_paid_welfare_leave_per_case_caps(
    ledger: Ledger, reason: str, start: str, end: str, cap: str
) -> None:
    ledger.record([hired()])

    refused(
        ledger,
        [leave(start, end, welfare_reason=reason)],
        f"{reason} is at most {cap} work-days per case",
        "§8.5",
    )


def test_bereavement_may_add_travel_days(ledger: Ledger) -> None:
    ledger.record([hired()])

    line = leave("2021-02-01", "2021-02-09", welfare_reason="bereavement", travel_days=2)

    assert ledger.record([line]).stored == 1


def test_welfare_days_skip_weekends_and_public_holidays(ledger: Ledger) -> None:
    """Wed 12 May to Tue 18 May 2021: Ascension (13th) and 17 May are holidays → 3 work-days."""
    ledger.record([hired()])

    line = leave("2021-05-12", "2021-05-18", welfare_reason="kindergarten_start")

    assert ledger.record([line]).stored == 1


def test_religious_holidays_are_unpaid_and_at_most_two_days(ledger: Ledger) -> None:
    ledger.record([hired()])

    refused(
        ledger, [leave("2021-05-13", "2021-05-14", welfare_reason="religious_holiday")], "unpaid"
    )
    refused(
        ledger,
        [leave("2021-06-01", "2021-06-03", welfare_reason="religious_holiday", paid=False)],
        "over 2 per year",
    )


def test_unpaid_leave_at_most_twelve_months_once_per_five_years(ledger: Ledger) -> None:
    ledger.record([hired(effective_date="2010-01-01")])

    refused(ledger, [leave("2020-01-01", "2021-01-01", kind="unpaid", paid=False)], "12 months")
    ledger.record([leave("2020-01-01", "2020-12-31", kind="unpaid", paid=False)])
    refused(
        ledger,
        [leave("2024-01-01", "2024-03-31", kind="unpaid", paid=False)],
        "once per 5 years",
        "§8.7",
    )


def test_leave_outside_employment_is_refused(ledger: Ledger) -> None:
    ledger.record([hired(), terminated("2021-06-30")])

    refused(ledger, [leave("2021-06-28", "2021-07-02", kind="education")], "on 2021-07-01")


def test_retraction_target_must_exist_and_not_be_retracted(ledger: Ledger) -> None:
    ledger.record([hired(), sick("2021-03-01", event_id="s1")])
    ledger.record([retracted("s1")])

    refused(ledger, [retracted("s1")], "already retracted")
    refused(ledger, [retracted("nope")], "event nope does not exist")


def test_a_retracted_sick_day_can_be_recorded_again(ledger: Ledger) -> None:
    ledger.record([hired(), sick("2021-03-01", event_id="s1")])

    result = ledger.record([retracted("s1"), sick("2021-03-01", certificate="doctor")])

    assert result.stored == 2


@pytest.mark.parametrize(
    ("override", "field", "fragment"),
    [
        ({"position_pct": 0}, "position_pct", "(0, 100]"),
        ({"position_pct": 120}, "position_pct", "(0, 100]"),
        ({"annual_salary": -5}, "annual_salary", "above 0"),
        ({"effective_date": "2025-02-30"}, "effective_date", "not a real date"),
        ({"gender": "X"}, "gender", "not one of F, M"),
        ({"employment_type": "casual"}, "employment_type", "not one of"),
        ({"is_leader": "yes"}, "is_leader", "true or false"),
        ({"sector": 7}, "sector", "must be a string"),
        ({"colour": "blue"}, "colour", "not a field of hired"),
    ],
)
def test_malformed_fields_name_the_line_and_field(
    ledger: Ledger, override: dict[str, Any], field: str, fragment: str
) -> None:
    msg = refused(ledger, [hired(employee_id="E0", employment_id="A0"), hired(**override)])

    assert f"2: {field}:" in msg and fragment in msg


def test_a_retraction_cannot_itself_be_retracted(ledger: Ledger) -> None:
    ledger.record([hired(), sick("2021-03-01", event_id="s1")])
    ledger.record([retracted("s1", event_id="r1")])

    refused(ledger, [retracted("r1")], "r1 is itself a retraction", "record it again")
