"""Check and seal: a batch of lines becomes the rows to store, in pure code.

No storage here. What the store knew before the batch (employment owners,
where earlier events live, each person's rule state, their keys) comes in
as plain values; out come ``NewEvent`` rows (stored bytes, event ids,
versions, employment owners) and the data keys made for new persons, or
the problems that refuse the file. The input lines are never changed, so a
retry after a concurrent write starts from the same lines.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import uuid4

import orjson

from ledger.domain.catalogue import EVENT_TYPES
from ledger.domain.errors import Problem
from ledger.domain.person import DeviationState, PersonState
from ledger.domain.policy import Policy
from ledger.domain.rules import check
from ledger.domain.streams import deviation_stream, person_stream, stream_uuid
from ledger.security.keys import Keyring, KeyRow
from ledger.security.sealing import seal_event
from ledger.storage.port import NewEvent
from ledger.storage.wire import TIMESTAMP, event_topics, stamp

State = PersonState | DeviationState
Line = tuple[int, dict[str, Any]]
"""(line number, validated line)."""


@dataclass(frozen=True)
class Lookups:
    """What the ledger already holds that decides where a line goes."""

    employment_owners: dict[str, str] = field(default_factory=dict)
    """Employment id → employee id, for the employments the lines name."""
    located: dict[str, str] = field(default_factory=dict)
    """Event id → stream, for the events the lines retract."""
    file_hires: Mapping[str, str] = field(default_factory=dict)
    """Employment id → employee id, as first hired by the file so far (its earlier chunks).
    Read, never copied: it grows with the file, and a copy per chunk made an import's
    cost per line grow with its length."""


@dataclass(slots=True)
class Route:
    """Where a line goes. Not frozen: a frozen dataclass costs a ``__setattr__`` call per
    field, and an import makes one route per line."""

    stream: str
    employee_id: str | None = None
    """The owner of an employment-scoped line's employment (stored with the event)."""
    sealer: str | None = None
    """The employee whose keys seal the line's personal fields (``sealing_owner``)."""


def route_lines(lines: list[Line], lookups: Lookups) -> tuple[dict[int, Route], list[Problem]]:
    """Each line's stream; employment and retraction lines need the look-ups."""
    # the ledger's owner first, then the file's first hire
    known, hires = lookups.employment_owners, lookups.file_hires
    owners: dict[str, str] = {}  # of the employments these lines name
    for _, ev in lines:
        emp = ev.get("employment_id")
        if emp is not None and emp not in owners:
            owner = known.get(emp) or hires.get(emp)
            if owner is not None:
                owners[emp] = owner
            elif ev["type"] == "hired":
                owners[emp] = ev["employee_id"]
    retracting = any(ev["type"] == "retracted" for _, ev in lines)
    in_file: dict[str, str] = {}  # event id -> stream, for retractions within the file
    routes: dict[int, Route] = {}
    problems: list[Problem] = []
    for n, ev in lines:
        t = ev["type"]
        scope = EVENT_TYPES[t].scope
        route: Route
        if t == "hired" and owners[ev["employment_id"]] != ev["employee_id"]:
            problems.append(
                Problem(
                    n,
                    f"employment id {ev['employment_id']} belongs to employee "
                    f"{owners[ev['employment_id']]}; employment ids are unique",
                    "employment_id",
                )
            )
            continue
        if scope == "person":
            route = Route(person_stream(ev["employee_id"]), None, ev["employee_id"])
        elif scope == "deviation":
            named = ev["employee_id"] if t == "hms_deviation" else None
            route = Route(deviation_stream(ev["deviation_id"]), None, named)
        elif scope == "employment":
            owner = owners.get(ev["employment_id"])
            if owner is None:
                problems.append(
                    Problem(
                        n,
                        f"employment {ev['employment_id']} is not known; record `hired` first",
                        "employment_id",
                    )
                )
                continue
            if ev["employee_id"] is not None and ev["employee_id"] != owner:
                problems.append(
                    Problem(
                        n,
                        f"employment {ev['employment_id']} belongs to employee {owner}, "
                        f"not {ev['employee_id']}",
                        "employee_id",
                    )
                )
                continue
            route = Route(person_stream(owner), owner, owner)
        else:
            target = ev["target_event_id"]
            stream = in_file.get(target) or lookups.located.get(target)
            if stream is None:
                problems.append(
                    Problem(n, f"event {target} does not exist in the ledger", "target_event_id")
                )
                continue
            route = Route(stream, None, sealing_owner(stream, ev))
        routes[n] = route
        if retracting and ev["event_id"] is not None:
            in_file[ev["event_id"]] = route.stream
    return routes, problems


def sealing_owner(stream: str, ev: dict[str, Any]) -> str | None:
    """The employee whose key seals this event's shreddable fields."""
    if stream.startswith("person:"):
        return stream.removeprefix("person:")
    if ev["type"] == "hms_deviation":
        owner: str | None = ev["employee_id"]
        return owner
    return None


def erased_message(employee_id: str) -> str:
    return (
        f"employee {employee_id} was erased (GDPR art. 17, docs/privacy.md); nothing more can "
        "be recorded for them — record a returning employee under a new employee id"
    )


@dataclass(frozen=True)
class Sealed:
    """The rows of one chunk of accepted lines, ready for ``UnitOfWork.write``."""

    events: list[NewEvent]
    new_keys: list[KeyRow]


class BatchChecker:
    """Check lines in file order against the rule state; seal the accepted ones.

    Feed it the file in chunks (``check``); the state it keeps carries from
    one chunk to the next, so a line sees every line before it. After the
    first problem it keeps checking, to report every problem of the file,
    but seals nothing more: a refused file stores nothing.
    """

    def __init__(
        self,
        states: dict[str, State],
        routes: dict[int, Route],
        ring: Keyring,
        policy: Policy,
        recorded_at: datetime,
        problems: Iterable[Problem] = (),
    ):
        self.states = states
        self.routes = routes
        self.ring = ring
        self.policy = policy
        self.problems: list[Problem] = list(problems)
        self._stamp = stamp(recorded_at)
        self._topics = event_topics()

    def check(self, lines: Iterable[Line]) -> Sealed:
        events: list[NewEvent] = []
        ring, policy, problems = self.ring, self.policy, self.problems
        for n, ev in lines:
            route = self.routes.get(n)
            if route is None:
                continue  # its problem is already listed
            stream = route.stream
            state = self.states[stream]
            owner = route.sealer
            refusals: list[tuple[str | None, str]]
            if owner is not None and ring.erased(owner):
                refusals = [("employee_id", erased_message(owner))]
            else:
                refusals = check(ev, state, policy)
            if refusals:
                problems.extend(Problem(n, msg, f) for f, msg in refusals)
                continue
            stored = self._stored(ev, route, state)
            state.apply(stored)
            if problems:
                continue  # keep checking to report every problem, but seal nothing
            t = stored["type"]
            events.append(
                NewEvent(
                    stream_uuid(stream),
                    state.version,
                    self._topics[t],
                    orjson.dumps(seal_event(stored, ring, owner)),
                    stored["event_id"],
                    stream,
                    (stored["employment_id"], stored["employee_id"]) if t == "hired" else None,
                )
            )
        return Sealed(events, ring.take_new_rows())

    def _stored(self, ev: dict[str, Any], route: Route, state: State) -> dict[str, Any]:
        """The event as stored: the line with its id, owner, target type and recorded time.

        A copy, with the fields in the order the first ledgers stored them.
        """
        stored = dict(ev)
        if stored["event_id"] is None:
            stored["event_id"] = str(uuid4())
        if route.employee_id is not None:
            stored["employee_id"] = route.employee_id
        if stored["type"] == "retracted":
            stored["target_type"] = state.kind_of(stored["target_event_id"])
        stored[TIMESTAMP] = self._stamp
        return stored
