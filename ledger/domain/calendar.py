"""Norwegian agreed work-days (avtalte dagsverk).

Official sickness statistics (SSB/NAV) and the welfare-leave caps of the
handbook (§8.5, "arbeidsdager") both count Monday–Friday minus the public
holidays of Norway, so one calendar serves the rules and the projections.
Vacation is deliberately not subtracted (SSB/NAV method since Q4 2018).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from functools import lru_cache

import holidays


@lru_cache(maxsize=256)
def public_holidays(year: int) -> frozenset[date]:
    """Public holidays that fall on weekdays; Sundays in `holidays.Norway` are ignored."""
    # The holidays package lists every Sunday as a holiday in Norway unless told not to.
    calendar = holidays.Norway(years=year, include_sundays=False)  # type: ignore[attr-defined]
    return frozenset(d for d in calendar if d.weekday() < 5)


def is_workday(day: date) -> bool:
    return day.weekday() < 5 and day not in public_holidays(day.year)


def workdays(start: date, end: date) -> list[date]:
    """Agreed work-days in the inclusive range [start, end]."""
    out: list[date] = []
    day = start
    one = timedelta(days=1)
    while day <= end:
        if is_workday(day):
            out.append(day)
        day += one
    return out


def count_workdays(start: date, end: date) -> int:
    return len(workdays(start, end))


def holidays_between(start: date, end: date) -> list[date]:
    """Weekday public holidays in [start, end], for frame-based calendars."""
    years: Iterable[int] = range(start.year, end.year + 1)
    return sorted(d for y in years for d in public_holidays(y) if start <= d <= end)


def add_months(d: date, months: int) -> date:
    """Same day `months` later, clamped to the month's end (31 Jan + 1 month = 28/29 Feb).

    Handbook periods are in months (12 months' unpaid leave, notice, anniversaries).
    """
    y, m = divmod(d.month - 1 + months, 12)
    for day in (d.day, 30, 29, 28):
        try:
            return date(d.year + y, m + 1, day)
        except ValueError:
            continue
    raise ValueError(d)
