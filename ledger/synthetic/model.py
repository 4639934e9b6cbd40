"""The simulated people and their employments, as the generator keeps them in memory.

Dates are date ordinals (ints) because the simulation compares and adds
dates millions of times; they become ISO strings only when written. Every
mutable attribute is a timeline of (from-day, value) so that a later step
(HMS, absence) can ask what was true on a given day.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import TypeVar

V = TypeVar("V")


@cache
def iso(day: int) -> str:
    """ISO string of a date ordinal; cached because the same few thousand days recur."""
    return date.fromordinal(day).isoformat()


@dataclass(slots=True, frozen=True)
class Placement:
    sector: int
    """Index into the preset's sectors."""
    unit: str
    position: str
    is_leader: bool


@dataclass(slots=True, eq=False)
class Employment:
    employment_id: str
    person: Person
    kind: str
    """permanent, temporary or apprentice."""
    start: int
    end: int | None = None
    """Last day employed; for a fixed term, the planned last day until resolved."""
    resolved: bool = False
    """True once the end is final (terminated, or a fixed term's outcome decided)."""
    placements: list[tuple[int, Placement]] = field(default_factory=list)
    pcts: list[tuple[int, int]] = field(default_factory=list)
    salaries: list[tuple[int, int]] = field(default_factory=list)

    def active_on(self, day: int) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)

    def overlaps(self, first: int, last: int) -> bool:
        return self.start <= last and (self.end is None or self.end >= first)

    def placement_on(self, day: int) -> Placement:
        return _value_on(self.placements, day)

    def pct_on(self, day: int) -> int:
        return _value_on(self.pcts, day)

    def salary_on(self, day: int) -> int:
        return _value_on(self.salaries, day)

    @property
    def placement(self) -> Placement:
        return self.placements[-1][1]

    @property
    def pct(self) -> int:
        return self.pcts[-1][1]


def _value_on(timeline: list[tuple[int, V]], day: int) -> V:
    i = bisect.bisect_right(timeline, day, key=lambda entry: entry[0]) - 1
    return timeline[max(i, 0)][1]


@dataclass(slots=True, eq=False)
class Person:
    index: int
    employee_id: str
    birth: date
    gender: str
    retire_age: int
    employments: list[Employment] = field(default_factory=list)

    def active_on(self, day: int) -> bool:
        return any(e.active_on(day) for e in self.employments)

    def last_day(self) -> int | None:
        """The last day employed, or None while an employment is open-ended."""
        ends = [e.end for e in self.employments]
        if any(end is None for end in ends):
            return None
        return max(end for end in ends if end is not None)

    def service_start(self, day: int, break_days: int) -> int | None:
        """First day of the unbroken service covering `day`, breaks of up to `break_days`
        days between employments bridged (as the ledger's § 8-24 rule reads it)."""
        start: int | None = None
        reach = 0
        for first, last in sorted(
            (e.start, e.end if e.end is not None else date.max.toordinal())
            for e in self.employments
        ):
            if first > day:
                break
            if start is None or first > reach + break_days + 1:
                start = first
            reach = max(reach, last)
        return start if start is not None and reach >= day else None

    def spans(self, first: int, last: int) -> list[tuple[int, int]]:
        """Maximal runs of days in [first, last] with at least one active employment."""
        raw = sorted(
            (max(e.start, first), min(e.end if e.end is not None else last, last))
            for e in self.employments
        )
        out: list[tuple[int, int]] = []
        for a, b in raw:
            if a > b:
                continue
            if out and a <= out[-1][1] + 1:
                if b > out[-1][1]:
                    out[-1] = (out[-1][0], b)
            else:
                out.append((a, b))
        return out
