"""Leave (docs/rules.md, "Leave"): welfare, unpaid and all leave, no database.

Work-days are Monday–Friday minus Norwegian public holidays, counted by hand
below from the 2021 and 2024 calendars.
"""

from __future__ import annotations

from typing import Any

import pytest

from ledger.domain.errors import Problem
from tests.builders import hired, leave, terminated
from tests.unit.rules.recorder import UNPAID, WELFARE, memory_ledger, refusals, stored


def welfare(start: str, end: str, reason: str, **kw: Any) -> dict[str, Any]:
    return leave(start, end, welfare_reason=reason, **kw)


def unpaid(start: str, end: str) -> dict[str, Any]:
    return leave(start, end, kind="unpaid", paid=False)


TEN_PAID_DAYS = [
    welfare("2021-02-01", "2021-02-05", "family_illness"),  # Mon–Fri: 5
    welfare("2021-03-01", "2021-03-05", "bereavement"),  # Mon–Fri: 5
]


# ---------------------------------------------------------------- 12 paid days a year
def test_the_thirteenth_paid_welfare_day_of_a_year_is_refused() -> None:
    """6–8 April 2021 are Tue–Thu after Easter Monday: 3 work-days, 10 already used."""
    ledger = memory_ledger()
    stored(ledger, [hired(), *TEN_PAID_DAYS])

    problems = refusals(ledger, [welfare("2021-04-06", "2021-04-08", "kindergarten_start")])

    assert problems == [
        Problem(
            1,
            f"paid welfare leave in 2021 would be 13 work-days, over 12 per calendar year "
            f"({WELFARE}); 10 already used",
            "paid",
        )
    ]


def test_the_twelfth_paid_welfare_day_is_accepted() -> None:
    ledger = memory_ledger()
    stored(ledger, [hired(), *TEN_PAID_DAYS])

    assert stored(ledger, [welfare("2021-04-06", "2021-04-07", "kindergarten_start")]) == 1


def test_welfare_days_are_weighted_by_the_leave_percentage() -> None:
    """Tue–Fri 6–9 April at 50 % is 2 work-days: 12 in the year, 2 in the case (cap 3)."""
    ledger = memory_ledger()
    stored(ledger, [hired(), *TEN_PAID_DAYS])

    line = welfare("2021-04-06", "2021-04-09", "kindergarten_start", leave_pct=50)

    assert stored(ledger, [line]) == 1


def test_unpaid_welfare_leave_may_go_beyond_twelve_days() -> None:
    ledger = memory_ledger()
    stored(ledger, [hired(), *TEN_PAID_DAYS])

    assert stored(ledger, [welfare("2021-04-06", "2021-04-09", "family_illness", paid=False)]) == 1


def test_welfare_days_skip_weekends_and_public_holidays() -> None:
    """Wed 12 to Tue 18 May 2021: Ascension Day (13th) and 17 May are holidays → 3 work-days."""
    ledger = memory_ledger()

    assert stored(ledger, [hired(), welfare("2021-05-12", "2021-05-18", "kindergarten_start")]) == 2


# ---------------------------------------------------------------- paid cap per case
@pytest.mark.parametrize(
    ("reason", "start", "end", "cap", "days"),
    [
        ("family_illness", "2021-02-01", "2021-02-08", 5, 6),  # Mon–Fri + Mon
        ("kindergarten_start", "2021-02-01", "2021-02-04", 3, 4),
        ("school_start", "2021-08-16", "2021-08-17", 1, 2),
        ("own_wedding", "2021-06-14", "2021-06-15", 1, 2),
        ("cultural_sports_event", "2021-02-01", "2021-02-04", 3, 4),
    ],
)
def test_paid_welfare_leave_over_its_cap_per_case_is_refused(
    reason: str, start: str, end: str, cap: int, days: int
) -> None:
    problems = refusals(memory_ledger(), [hired(), welfare(start, end, reason)])

    assert problems == [
        Problem(
            2,
            f"paid welfare leave for {reason} is at most {cap} work-days per case ({WELFARE}); "
            f"this case has {days}",
            "end_date",
        )
    ]


def test_paid_welfare_leave_up_to_its_cap_is_accepted() -> None:
    ledger = memory_ledger()

    assert stored(ledger, [hired(), welfare("2021-02-01", "2021-02-03", "kindergarten_start")]) == 2


def test_a_reason_without_a_cap_per_case_is_held_only_to_the_yearly_limit() -> None:
    ledger = memory_ledger()

    line = welfare("2021-02-01", "2021-02-05", "medical_appointment")  # 5 work-days

    assert stored(ledger, [hired(), line]) == 2


def test_bereavement_may_add_travel_days_to_its_cap() -> None:
    """1–9 February 2021 holds 7 work-days: the cap of 5 plus 2 travel days."""
    ledger = memory_ledger()

    line = welfare("2021-02-01", "2021-02-09", "bereavement", travel_days=2)

    assert stored(ledger, [hired(), line]) == 2


def test_bereavement_over_its_cap_and_travel_days_is_refused() -> None:
    line = welfare("2021-02-01", "2021-02-10", "bereavement", travel_days=2)  # 8 work-days

    problems = refusals(memory_ledger(), [hired(), line])

    assert problems == [
        Problem(
            2,
            f"paid welfare leave for bereavement is at most 5 work-days per case plus travel "
            f"days ({WELFARE}); this case has 8",
            "end_date",
        )
    ]


# ---------------------------------------------------------------- religious holidays
def test_paid_leave_for_a_religious_holiday_is_refused() -> None:
    """13 May 2021 is Ascension Day: the case is 1 work-day, within every other limit."""
    line = welfare("2021-05-13", "2021-05-14", "religious_holiday")

    problems = refusals(memory_ledger(), [hired(), line])

    assert problems == [
        Problem(
            2,
            f"welfare leave for religious_holiday is unpaid only ({WELFARE}); record paid: false",
            "paid",
        )
    ]


def test_unpaid_leave_for_religious_holidays_up_to_two_days_a_year_is_accepted() -> None:
    ledger = memory_ledger()
    line = welfare("2021-06-01", "2021-06-02", "religious_holiday", paid=False)

    assert stored(ledger, [hired(), line]) == 2


def test_the_third_religious_holiday_day_of_a_year_is_refused() -> None:
    ledger = memory_ledger()
    stored(ledger, [hired(), welfare("2021-06-01", "2021-06-01", "religious_holiday", paid=False)])

    problems = refusals(
        ledger, [welfare("2021-09-01", "2021-09-02", "religious_holiday", paid=False)]
    )

    assert problems == [
        Problem(
            1,
            "leave for religious_holiday in 2021 would be 3 work-days, over 2 per year "
            f"({WELFARE})",
            "end_date",
        )
    ]


# ---------------------------------------------------------------- travel days
def test_travel_days_are_only_for_bereavement() -> None:
    line = welfare("2021-02-01", "2021-02-01", "family_illness", travel_days=1)

    problems = refusals(memory_ledger(), [hired(), line])

    assert problems == [
        Problem(2, f"travel days are only for bereavement ({WELFARE})", "travel_days")
    ]


def test_more_than_two_travel_days_are_refused() -> None:
    line = welfare("2021-02-01", "2021-02-01", "bereavement", travel_days=3)

    problems = refusals(memory_ledger(), [hired(), line])

    assert problems == [Problem(2, f"3 travel days is over 2 ({WELFARE})", "travel_days")]


# ---------------------------------------------------------------- unpaid leave (§8.7)
def test_unpaid_leave_of_twelve_months_is_accepted() -> None:
    ledger = memory_ledger()

    assert (
        stored(ledger, [hired(effective_date="2010-01-01"), unpaid("2024-01-01", "2024-12-31")])
        == 2
    )


def test_unpaid_leave_longer_than_twelve_months_is_refused() -> None:
    ledger = memory_ledger()
    stored(ledger, [hired(effective_date="2010-01-01")])

    problems = refusals(ledger, [unpaid("2024-01-01", "2025-01-01")])

    assert problems == [
        Problem(
            1,
            "unpaid leave 2024-01-01 to 2025-01-01 is longer than 12 months (ends at the latest "
            f"2024-12-31) ({UNPAID})",
            "end_date",
        )
    ]


def test_a_second_unpaid_leave_within_five_years_is_refused() -> None:
    ledger = memory_ledger()
    stored(ledger, [hired(effective_date="2010-01-01"), unpaid("2020-01-01", "2020-12-31")])

    problems = refusals(ledger, [unpaid("2024-12-31", "2025-03-31")])

    assert problems == [
        Problem(
            1,
            f"unpaid leave is granted once per 5 years of employment ({UNPAID}); another began "
            "2020-01-01",
            "start_date",
        )
    ]


def test_unpaid_leave_five_years_after_the_last_one_began_is_accepted() -> None:
    ledger = memory_ledger()
    stored(ledger, [hired(effective_date="2010-01-01"), unpaid("2020-01-01", "2020-12-31")])

    assert stored(ledger, [unpaid("2025-01-01", "2025-03-31")]) == 1


# ---------------------------------------------------------------- all leave
def test_leave_past_the_end_of_the_employment_is_refused() -> None:
    ledger = memory_ledger()
    stored(ledger, [hired(), terminated("2024-06-30")])

    problems = refusals(ledger, [leave("2024-06-28", "2024-07-02", kind="education")])

    assert problems == [
        Problem(
            1,
            "leave 2024-06-28 to 2024-07-02: employee E1 has no active employment on 2024-07-01; "
            "leave only while employed",
            "end_date",
        )
    ]


def test_leave_starting_before_the_hire_names_its_start() -> None:
    ledger = memory_ledger()
    stored(ledger, [hired(effective_date="2020-01-01")])

    problems = refusals(ledger, [leave("2019-12-30", "2020-01-02", kind="education")])

    assert [(p.field, p.message.split(": ")[1]) for p in problems] == [
        (
            "start_date",
            "employee E1 has no active employment on 2019-12-30; leave only while employed",
        )
    ]


def test_leave_may_span_two_employments_that_follow_each_other() -> None:
    ledger = memory_ledger()
    stored(
        ledger,
        [hired(), terminated("2021-06-30"), hired(employment_id="A2", effective_date="2021-07-01")],
    )

    assert stored(ledger, [leave("2021-06-01", "2021-08-31", kind="education")]) == 1


def test_overlapping_leave_over_one_hundred_percent_is_refused() -> None:
    ledger = memory_ledger()
    stored(ledger, [hired(), leave("2024-01-01", "2024-06-30", kind="parental", leave_pct=80)])

    problems = refusals(ledger, [leave("2024-03-01", "2024-03-29", kind="education", leave_pct=40)])

    assert problems == [
        Problem(
            1,
            "leave 2024-03-01 to 2024-03-29 at 40 % overlaps parental leave 2024-01-01 to "
            "2024-06-30; together over 100 % (120 %)",
            "leave_pct",
        )
    ]


def test_overlapping_leave_of_exactly_one_hundred_percent_is_accepted() -> None:
    ledger = memory_ledger()
    stored(ledger, [hired(), leave("2024-01-01", "2024-06-30", kind="parental", leave_pct=80)])

    assert stored(ledger, [leave("2024-03-01", "2024-03-29", kind="education", leave_pct=20)]) == 1
