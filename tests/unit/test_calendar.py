"""Agreed work-days: Monday–Friday minus Norway's public holidays."""

from __future__ import annotations

from datetime import date

import pytest

from ledger.domain.calendar import (
    count_workdays,
    holidays_between,
    is_workday,
    months_after,
    public_holidays,
    workdays,
)


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (date(2025, 1, 1), "New Year's Day (Wednesday)"),
        (date(2025, 4, 17), "Maundy Thursday"),
        (date(2025, 4, 18), "Good Friday"),
        (date(2025, 4, 21), "Easter Monday"),
        (date(2025, 5, 1), "Labour Day (Thursday)"),
        (date(2025, 5, 29), "Ascension Day"),
        (date(2025, 6, 9), "Whit Monday"),
        (date(2025, 12, 25), "Christmas Day (Thursday)"),
        (date(2025, 12, 26), "Boxing Day (Friday)"),
    ],
)
def test_weekday_public_holidays_of_2025_are_not_work_days(day: date, name: str) -> None:
    assert day.weekday() < 5, name

    assert not is_workday(day)
    assert day in public_holidays(2025)


def test_the_weekday_public_holidays_of_2025_are_exactly_nine() -> None:
    # 17 May 2025 is a Saturday and Easter Sunday / Whit Sunday are Sundays:
    # none of them takes a work-day away.
    assert sorted(public_holidays(2025)) == [
        date(2025, 1, 1),
        date(2025, 4, 17),
        date(2025, 4, 18),
        date(2025, 4, 21),
        date(2025, 5, 1),
        date(2025, 5, 29),
        date(2025, 6, 9),
        date(2025, 12, 25),
        date(2025, 12, 26),
    ]


def test_constitution_day_on_a_saturday_is_no_weekday_holiday() -> None:
    assert date(2025, 5, 17).weekday() == 5

    assert date(2025, 5, 17) not in public_holidays(2025)
    assert is_workday(date(2025, 5, 16)) and is_workday(date(2025, 5, 19))


def test_constitution_day_on_a_weekday_is_a_holiday() -> None:
    assert date(2024, 5, 17).weekday() == 4  # Friday

    assert not is_workday(date(2024, 5, 17))


def test_weekends_are_not_work_days() -> None:
    assert not is_workday(date(2025, 3, 8)) and not is_workday(date(2025, 3, 9))
    assert is_workday(date(2025, 3, 10))


def test_the_first_quarter_of_2025_has_63_agreed_work_days() -> None:
    # January: 23 weekdays − 1 Jan (Wed) = 22; February: 20; March: 21.
    # Easter 2025 falls in April, so 22 + 20 + 21 = 63.
    assert count_workdays(date(2025, 1, 1), date(2025, 3, 31)) == 63


def test_easter_2025_leaves_three_work_days_from_palm_monday_to_easter_monday() -> None:
    # Mon 14 to Mon 21 April: Mon, Tue, Wed are work-days; Maundy Thursday, Good Friday,
    # the weekend and Easter Monday are not → 3.
    assert count_workdays(date(2025, 4, 14), date(2025, 4, 21)) == 3


def test_the_whole_year_2025_has_252_agreed_work_days() -> None:
    # 2025 starts on a Wednesday and has 365 days: 52 weeks + 1 day (Wed) → 261 weekdays;
    # minus the 9 weekday holidays above = 252.
    assert count_workdays(date(2025, 1, 1), date(2025, 12, 31)) == 252


def test_holidays_between_spans_years() -> None:
    assert holidays_between(date(2024, 12, 20), date(2025, 1, 5)) == [
        date(2024, 12, 25),
        date(2024, 12, 26),
        date(2025, 1, 1),
    ]


def test_an_empty_range_has_no_work_days() -> None:
    assert count_workdays(date(2025, 3, 5), date(2025, 3, 4)) == 0


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (date(2025, 4, 14), date(2025, 4, 21)),  # Easter week, starting on a Monday
        (date(2025, 4, 19), date(2025, 5, 2)),  # from a Saturday, over 1 May
        (date(2024, 12, 20), date(2026, 1, 6)),  # over two year ends
        (date(2025, 3, 5), date(2025, 3, 5)),  # one Wednesday
    ],
)
def test_counting_work_days_by_weeks_equals_walking_them(start: date, end: date) -> None:
    assert count_workdays(start, end) == len(workdays(start, end))


def test_the_last_days_of_the_calendar_can_be_counted_and_listed() -> None:
    last = date(9999, 12, 31)  # a Friday

    assert count_workdays(date(9999, 12, 27), last) == 5
    assert workdays(date(9999, 12, 30), last) == [date(9999, 12, 30), last]


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2024, 1, 31), 1, date(2024, 2, 29)),  # clamped to the month's end
        (date(2025, 11, 15), 2, date(2026, 1, 15)),
        (date(9999, 6, 1), 6, date(9999, 12, 1)),
        (date(9999, 6, 1), 7, None),  # past the calendar: later than any date
        (date(1, 1, 31), -1, None),
    ],
)
def test_months_after_is_none_past_the_calendar(
    day: date, months: int, expected: date | None
) -> None:
    assert months_after(day, months) == expected


def test_public_holidays_equal_the_holidays_package_for_every_year_it_covers() -> None:
    """Our own list (no import of every country's calendar) against the reference."""
    import holidays

    for year in range(1901, 2101):
        reference = holidays.Norway(years=year, include_sundays=False)  # type: ignore[attr-defined]
        assert public_holidays(year) == {d for d in reference if d.weekday() < 5}, year


def test_easter_and_the_days_that_follow_it_are_holidays_at_the_calendar_s_end() -> None:
    # Easter 9999 is Sunday 28 March (computus); the package covers no year past 2100
    assert {date(9999, 3, 25), date(9999, 3, 26), date(9999, 3, 29)} <= public_holidays(9999)
    assert date(9999, 5, 17) in public_holidays(9999)
