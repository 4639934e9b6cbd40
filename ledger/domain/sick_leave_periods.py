"""Sick leave as HR systems record it: a period (from, to, grade, certificate).

HR and payroll systems, and NAV's sick note to the employer, hold absence
as periods; the ledger's fact is the calendar day (`sick_day`), because the
sickness rate and the self-certification rules count days. A `sick_leave`
line is therefore expanded into one `sick_day` per calendar day *before*
validation, so every day goes through the same field checks and rules as a
day sent alone, and nothing new is stored. The days get the ids
`PERIOD_ID.1`, `PERIOD_ID.2` … from the period's `event_id`, so sending a
period again (or a longer one under the same id) stores only the new days.
Refusals of the days are folded back into one line per period and rule.
"""

from __future__ import annotations

import bisect
import re
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from uuid import uuid4

from ledger.domain.errors import Problem

PERIOD_TYPE = "sick_leave"
PERIOD_FIELDS = (
    "type", "event_id", "employee_id", "start_date", "end_date", "certificate", "grade_pct",
    "recorded_by", "note",
)  # fmt: skip
DAY_FIELDS = ("employee_id", "certificate", "grade_pct", "recorded_by", "note")
"""Copied to every day; the days' own checks judge them."""
MAX_PERIOD_DAYS = 366
"""A longer period is a typo (sick pay ends after 52 weeks); split real ones."""
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DIGITS = re.compile(r"[0-9]+")


@dataclass(frozen=True)
class Period:
    line: int
    start: str
    end: str

    @property
    def label(self) -> str:
        return f"sick leave {self.start} to {self.end}"


def _day(value: Any, line: int, name: str, problems: list[Problem]) -> date | None:
    if isinstance(value, str) and _DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    what = (
        "is required for sick_leave"
        if value is None
        else f"must be a date YYYY-MM-DD, got {value!r}"
    )
    problems.append(Problem(line, what, name))
    return None


def expand(raw: dict[str, Any], line: int) -> tuple[list[dict[str, Any]], list[Problem]]:
    """The period's days as `sick_day` lines, or the problems of the period itself."""
    problems = [
        Problem(line, f"is not a field of {PERIOD_TYPE}", k)
        for k in sorted(raw)
        if k not in PERIOD_FIELDS
    ]
    start = _day(raw.get("start_date"), line, "start_date", problems)
    end = _day(raw.get("end_date"), line, "end_date", problems)
    base = raw.get("event_id")
    if base is not None and (not isinstance(base, str) or not base.strip()):
        problems.append(Problem(line, f"must be a non-empty string, got {base!r}", "event_id"))
    if start is not None and end is not None:
        length = (end - start).days + 1
        if length < 1:
            problems.append(
                Problem(line, f"end_date {end} is before start_date {start}", "end_date")
            )
        elif length > MAX_PERIOD_DAYS:
            problems.append(
                Problem(line, f"the period has {length} days, over {MAX_PERIOD_DAYS}; check the "
                        "dates, or send a long absence as several periods", "end_date")
            )  # fmt: skip
    if problems or start is None or end is None:
        return [], problems
    stem = base if isinstance(base, str) else str(uuid4())
    shared = {k: raw[k] for k in DAY_FIELDS if k in raw}
    return [
        {"type": "sick_day", "event_id": f"{stem}.{k}",
         "effective_date": (start + timedelta(days=k - 1)).isoformat(), **shared}
        for k in range(1, (end - start).days + 2)
    ], []  # fmt: skip


class Expansion:
    """Numbers an import's lines afresh, each period becoming its days; maps refusals back.

    Ordinary lines pass through (renumbered; `translate` restores the file's
    numbers). A malformed period passes through as it is, so that the import
    refuses it with everything else, all or nothing; `translate` then puts
    the period's own problems in place of the refusal of its type.
    """

    def __init__(self) -> None:
        self._count = 0
        """Lines numbered so far."""
        self._shift_from = array("q", [0])
        self._shift = array("q", [0])
        """From number ``_shift_from[i]`` on, an ordinary line's file line is its number plus
        ``_shift[i]``: a step per period, not an entry per line (flat memory)."""
        self._periods: dict[int, Period] = {}
        self._malformed: dict[int, list[Problem]] = {}

    def lines(self, numbered: Iterable[tuple[int, Any]]) -> Iterator[tuple[int, Any]]:
        shift = self._shift
        for n, raw in numbered:
            if not isinstance(raw, dict) or raw.get("type") != PERIOD_TYPE:
                if n - self._count - 1 == shift[-1]:  # ``_ordinary`` inlined: every line
                    self._count += 1
                    yield self._count, raw
                else:
                    yield self._ordinary(n), raw
                continue
            days, problems = expand(raw, n)
            if problems:
                k = self._ordinary(n)
                self._malformed[k] = problems
                yield k, raw
                continue
            period = Period(n, raw["start_date"], raw["end_date"])
            for day in days:
                self._count += 1
                self._periods[self._count] = period
                yield self._count, day

    def _ordinary(self, n: int) -> int:
        """Number the next ordinary line, whose file line is ``n``."""
        self._count += 1
        if n - self._count != self._shift[-1]:
            self._shift_from.append(self._count)
            self._shift.append(n - self._count)
        return self._count

    def _origin(self, k: int) -> int:
        """The file line of ordinary line number ``k``."""
        if not 0 < k <= self._count:
            return k
        return k + self._shift[bisect.bisect_right(self._shift_from, k) - 1]

    def translate(self, problems: Iterable[Problem]) -> list[Problem]:
        """The refusals in the file's own line numbers; a period's days fold into one line
        per period and rule (messages equal but for their numbers), with the count."""
        out: list[Problem] = []
        folded: dict[tuple[int, str | None, str], list[Problem]] = {}
        done: set[int] = set()
        for p in problems:
            k = p.line
            if k in self._malformed:
                if k not in done:
                    done.add(k)
                    out.extend(self._malformed[k])
                continue
            period = self._periods.get(k)
            if period is None:
                n = self._origin(k)
                out.append(Problem(n, p.message, p.field))
                continue
            key = (period.line, p.field, _DIGITS.sub("#", p.message))
            folded.setdefault(key, []).append(p)
        for (n, field, _), days in folded.items():
            period = self._periods[days[0].line]
            more = f" (and {len(days) - 1} more day(s) of the period)" if len(days) > 1 else ""
            out.append(Problem(n, f"{period.label}: {days[0].message}{more}", field))
        return out
