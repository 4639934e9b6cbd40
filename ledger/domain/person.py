"""What the rules need to know about one person: their live facts.

The state is a set of facts keyed by event id, not a fold over valid time,
so it can be snapshotted in recorded order safely (valid-time questions are
the projections' business). A retraction removes the fact it targets.
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any

from ledger.domain.sick_days import SickDays

NONE: AbstractSet[str] = frozenset()
"""No retractions yet: shared, so a state without any holds no empty set of its own."""


def _with(ids: AbstractSet[str], event_id: str) -> AbstractSet[str]:
    """``ids`` and ``event_id``: the state's own set, made at its first retraction."""
    if isinstance(ids, set):
        ids.add(event_id)
        return ids
    return {*ids, event_id}


@dataclass
class Employment:
    employment_id: str
    start: str
    hire_event_id: str
    employment_type: str
    end: str | None = None
    end_event_id: str | None = None
    changes: dict[str, str] = field(default_factory=dict)
    """event id → effective date of every live change (pct, transfer, salary)."""

    def active_on(self, day: str) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass
class Leave:
    start: str
    end: str
    kind: str
    paid: bool
    leave_pct: float
    welfare_reason: str | None
    travel_days: int


@dataclass(slots=True)
class PersonState:
    employee_id: str
    version: int = 0
    birth_date: str | None = None
    gender: str | None = None
    employments: dict[str, Employment] = field(default_factory=dict)
    sick_days: SickDays = field(default_factory=SickDays)
    """date → (certificate, event id), packed (nine events in ten are sick days)."""
    leaves: dict[str, Leave] = field(default_factory=dict)
    facts: dict[str, str] = field(default_factory=dict)
    """event id → type, for every live (not retracted) event of this person except sick
    days, whose ids ``sick_days`` holds (``kind_of`` and ``live_facts`` ask both)."""
    retracted: AbstractSet[str] = NONE
    retractions: AbstractSet[str] = NONE
    """Event ids of the retractions themselves (they cannot be retracted in turn)."""

    # -- queries -------------------------------------------------------
    def active_on(self, day: str) -> bool:
        for e in self.employments.values():
            if e.start <= day and (e.end is None or day <= e.end):
                return True
        return False

    def first_hire(self) -> str | None:
        return min((e.start for e in self.employments.values()), default=None)

    @property
    def self_days(self) -> array[int]:
        """Sorted ordinals of self-certified sick days, for the 12-month window rules."""
        return self.sick_days.self_days

    def kind_of(self, event_id: str) -> str | None:
        """The type of a live event of this person; None if retracted or not theirs."""
        kind = self.facts.get(event_id)
        if kind is None and self.sick_days.holds_event(event_id):
            return "sick_day"
        return kind

    def live_facts(self) -> Iterator[tuple[str, str]]:
        """(event id, type) of every live event."""
        yield from self.facts.items()
        for _, eid in self.sick_days.values():
            yield eid, "sick_day"

    # -- applying accepted events ----------------------------------------
    def apply(self, ev: dict[str, Any]) -> None:
        # Interned: a state keeps one fact per event for good, and a five-year file
        # would otherwise hold a million copies of "sick_day", "self" and each date.
        t = sys.intern(ev["type"])
        eid = ev["event_id"]
        self.version += 1
        if t == "erased":
            return  # the person's key is gone; `ledger.services.recording` refuses what follows
        if t == "retracted":
            self._retract(ev["target_event_id"])
            self.retracted = _with(self.retracted, ev["target_event_id"])
            self.retractions = _with(self.retractions, eid)
            return
        if t == "sick_day":
            self.sick_days.add(ev["effective_date"], ev["certificate"], eid)
            return
        self.facts[eid] = t
        if t == "hired":
            self.birth_date = ev["birth_date"]
            self.gender = ev["gender"]
            self.employments[ev["employment_id"]] = Employment(
                ev["employment_id"], ev["effective_date"], eid, ev["employment_type"]
            )
        elif t == "terminated":
            emp = self.employments[ev["employment_id"]]
            emp.end = ev["effective_date"]
            emp.end_event_id = eid
        elif t in ("position_changed", "transferred", "salary_changed"):
            self.employments[ev["employment_id"]].changes[eid] = sys.intern(ev["effective_date"])
        elif t == "leave":
            self.leaves[eid] = Leave(
                ev["start_date"],
                ev["end_date"],
                ev["kind"],
                ev["paid"],
                ev["leave_pct"],
                ev["welfare_reason"],
                ev["travel_days"] or 0,
            )

    def _retract(self, target: str) -> None:
        if self.sick_days.remove_event(target):
            return
        t = self.facts.pop(target, None)
        if t == "hired":
            for emp_id, emp in list(self.employments.items()):
                if emp.hire_event_id == target:
                    del self.employments[emp_id]
        elif t == "terminated":
            for emp in self.employments.values():
                if emp.end_event_id == target:
                    emp.end = None
                    emp.end_event_id = None
        elif t in ("position_changed", "transferred", "salary_changed"):
            for emp in self.employments.values():
                emp.changes.pop(target, None)
        elif t == "leave":
            self.leaves.pop(target, None)

    # -- snapshots -------------------------------------------------------
    def to_snapshot(self) -> dict[str, Any]:
        return {
            "employee_id": self.employee_id,
            "version": self.version,
            "birth_date": self.birth_date,
            "gender": self.gender,
            "employments": {k: vars(v) for k, v in self.employments.items()},
            "sick_days": dict(self.sick_days.items()),
            "leaves": {k: vars(v) for k, v in self.leaves.items()},
            "facts": self.facts,
            "retracted": sorted(self.retracted),
            "retractions": sorted(self.retractions),
        }

    @classmethod
    def from_snapshot(cls, data: dict[str, Any]) -> PersonState:
        sick = SickDays()
        for d, (c, e) in data["sick_days"].items():
            sick.add(d, c, e)
        # snapshots before the packed sick days listed them among the facts too
        facts = {e: t for e, t in data["facts"].items() if t != "sick_day"}
        return cls(
            employee_id=data["employee_id"],
            version=data["version"],
            birth_date=data["birth_date"],
            gender=data["gender"],
            employments={k: Employment(**v) for k, v in data["employments"].items()},
            sick_days=sick,
            leaves={k: Leave(**v) for k, v in data["leaves"].items()},
            facts=facts,
            retracted=set(data["retracted"]),
            retractions=set(data.get("retractions", [])),
        )


@dataclass(slots=True)
class DeviationState:
    """An HMS deviation's stream: reported once, closed at most once.

    Slotted and without a facts dict: an import holds one per deviation in
    its file (150,000 in three years at Oslo's size), and the two facts a
    deviation can have are its report and its closing.
    """

    deviation_id: str
    version: int = 0
    reported: tuple[str, str] | None = None
    """(event id, date)."""
    closed: tuple[str, str] | None = None
    retracted: AbstractSet[str] = NONE
    retractions: AbstractSet[str] = NONE

    def kind_of(self, event_id: str) -> str | None:
        if self.reported is not None and self.reported[0] == event_id:
            return "hms_deviation"
        if self.closed is not None and self.closed[0] == event_id:
            return "hms_deviation_closed"
        return None

    def apply(self, ev: dict[str, Any]) -> None:
        self.version += 1
        if ev["type"] == "retracted":
            target = ev["target_event_id"]
            t = self.kind_of(target)
            self.retracted = _with(self.retracted, target)
            self.retractions = _with(self.retractions, ev["event_id"])
            if t == "hms_deviation":
                self.reported = None
            elif t == "hms_deviation_closed":
                self.closed = None
            return
        fact = (ev["event_id"], sys.intern(ev["effective_date"]))  # a date: shared
        if ev["type"] == "hms_deviation":
            self.reported = fact
        else:
            self.closed = fact
