"""Norwegian agreed work-days (avtalte dagsverk).

Official sickness statistics (SSB/NAV) and the welfare-leave caps of the
handbook (§8.5, "arbeidsdager") both count Monday–Friday minus the public
holidays of Norway, so one calendar serves the rules and the projections.
Vacation is deliberately not subtracted (SSB/NAV method since Q4 2018).
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Iterable
from datetime import date
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
    """Agreed work-days in the inclusive range [start, end] (safe up to 9999-12-31)."""
    first, last = start.toordinal(), end.toordinal()
    return [d for n in range(first, last + 1) if is_workday(d := date.fromordinal(n))]


def count_workdays(start: date, end: date) -> int:
    """How many agreed work-days [start, end] holds, without walking it day by day.

    A range may reach the end of the calendar (a leave to 9999-12-31): whole
    weeks are counted by arithmetic, then the weekday holidays taken off.
    """
    if end < start:
        return 0
    weeks, rest = divmod((end - start).days + 1, 7)
    first = start.weekday()
    weekdays = 5 * weeks + sum(1 for i in range(rest) if (first + i) % 7 < 5)
    return weekdays - len(holidays_between(start, end))


def holidays_between(start: date, end: date) -> list[date]:
    """Weekday public holidays in [start, end], for frame-based calendars."""
    years: Iterable[int] = range(start.year, end.year + 1)
    return sorted(d for y in years for d in public_holidays(y) if start <= d <= end)


def months_after(d: date, months: int) -> date | None:
    """Same day `months` later, clamped to the month's end (31 Jan + 1 month = 28/29 Feb);
    None when that is past the calendar's last day (later than any date).

    Handbook periods are in months (12 months' unpaid leave, notice, anniversaries),
    and a date near 9999-12-31 is valid input: the rules must not overflow on it.
    """
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    if not date.min.year <= year <= date.max.year:
        return None
    return date(year, month, min(d.day, monthrange(year, month)[1]))


def add_months(d: date, months: int) -> date:
    """``months_after``, saturating at 9999-12-31 (for reports that only compare)."""
    return months_after(d, months) or date.max
