"""Norwegian agreed work-days (avtalte dagsverk).

Official sickness statistics (SSB/NAV) and the welfare-leave caps of the
handbook (§8.5, "arbeidsdager") both count Monday–Friday minus the public
holidays of Norway, so one calendar serves the rules and the projections.
Vacation is deliberately not subtracted (SSB/NAV method since Q4 2018).
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Iterable
from datetime import date, timedelta
from functools import lru_cache

EASTER_OFFSETS = (-3, -2, 0, 1, 39, 49, 50)
"""Days from Easter Sunday: Maundy Thursday, Good Friday, Easter Sunday and Monday,
Ascension Day, Whit Sunday and Monday (lov om helligdager og helligdagsfred § 2)."""


def easter_sunday(year: int) -> date:
    """Western (Gregorian) Easter Sunday: the anonymous Gregorian computus."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    r = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * r) // 451
    month, day = divmod(h + r - 7 * m + 114, 31)
    return date(year, month, day + 1)


@lru_cache(maxsize=256)
def public_holidays(year: int) -> frozenset[date]:
    """Norway's public holidays (helligdager) of ``year`` that fall on weekdays.

    Computed here rather than taken from the ``holidays`` package, whose import
    loads every country's calendar: 0.1 s of each `hrledger kpi`. A test holds
    this list equal to ``holidays.Norway`` for every year that package covers
    (1901–2100); outside them the package has no holidays at all, the law still
    has these. 1 and 17 May are public holidays from 1947 (lov 26. april 1947 nr. 1).
    """
    fixed = [date(year, 1, 1), date(year, 12, 25), date(year, 12, 26)]
    if year >= 1947:
        fixed += [date(year, 5, 1), date(year, 5, 17)]
    easter = easter_sunday(year)
    fixed += [easter + timedelta(days=n) for n in EASTER_OFFSETS]
    return frozenset(d for d in fixed if d.weekday() < 5)


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
