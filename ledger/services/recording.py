"""The ledger's front door: record facts, rules checked at once, all or nothing.

Why one batch path for everything: an HR clerk's single event and a payroll
system's 200,000-line file go through the same checks and the same single
transaction, so there is one behaviour to trust and to test. State for the
rules is loaded per affected person (latest snapshot + the events after it),
never by replaying the whole ledger.
"""

from __future__ import annotations

import gc
import random
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import orjson
from tqdm import tqdm

from ledger.domain.catalogue import EVENT_TYPES
from ledger.domain.errors import ImportRefused, LedgerError, Problem
from ledger.domain.event_classes import TOPIC_BY_TYPE
from ledger.domain.person import DeviationState, PersonState
from ledger.domain.policy import Policy, load_policy
from ledger.domain.rules import check
from ledger.domain.streams import deviation_stream, person_stream, stream_uuid
from ledger.domain.validation import validate_line
from ledger.security.keys import LEDGER_KEY_ID, Keyring, require_master_key
from ledger.security.sealing import open_event, open_snapshot, seal_event, seal_snapshot
from ledger.storage.store import ConcurrentWrite, EventStore, NewEvent, open_store

Clock = Callable[[], datetime]
State = PersonState | DeviationState
SNAPSHOT_EVERY = 100
"""A person's rule state is snapshotted after this many new events."""
SNAPSHOT_TOPIC = "ledger.person:PersonState"
MAX_ATTEMPTS = 12


@dataclass(frozen=True)
class RecordResult:
    stored: int
    already_stored: int
    recorded_at: datetime | None
    positions: tuple[int, int] | None
    """First and last ledger position written, if any."""


def utc_now() -> datetime:
    return datetime.now(UTC)


class Ledger:
    def __init__(
        self,
        url: str | None = None,
        *,
        policy: Policy | str | None = None,
        clock: Clock = utc_now,
        store: EventStore | None = None,
    ):
        self.store = store or open_store(url)
        self.policy = policy if isinstance(policy, Policy) else load_policy(policy)
        self.clock = clock
        self._empty = False

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def record(self, lines: Iterable[dict[str, Any]]) -> RecordResult:
        """Record lines numbered from 1, as a file would be."""
        return self.record_numbered(enumerate(lines, start=1))

    def record_numbered(
        self, numbered: Iterable[tuple[int, Any]], *, progress: bool = False
    ) -> RecordResult:
        # Millions of small, acyclic objects: the cyclic GC only costs time here.
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            return self._record_all(numbered, progress)
        finally:
            if gc_was_enabled:
                gc.enable()

    def _record_all(self, numbered: Iterable[tuple[int, Any]], progress: bool) -> RecordResult:
        problems: list[Problem] = []
        events: list[tuple[int, dict[str, Any]]] = []
        seen: dict[str, int] = {}
        for n, raw in numbered:
            ev, ps = validate_line(raw, n)
            if ps:
                problems.extend(ps)
                continue
            if ev is None:
                continue
            eid = ev["event_id"]
            if eid is not None:
                first = seen.setdefault(eid, n)
                if first != n:
                    problems.append(
                        Problem(n, f"{eid!r} appears twice in the input (first on line {first})",
                                "event_id")
                    )  # fmt: skip
            events.append((n, ev))
        for attempt in range(MAX_ATTEMPTS):
            try:
                return self._record_checked(events, progress, problems)
            except ConcurrentWrite:
                # Back off with jitter: two clerks saving for one person must both win.
                time.sleep(random.uniform(0, 0.02 * 2**attempt))
                if attempt == MAX_ATTEMPTS - 1:
                    raise LedgerError(
                        "another writer kept changing the same persons; nothing stored, try again"
                    ) from None
        raise AssertionError("unreachable")

    # ------------------------------------------------------------------
    def _record_checked(
        self,
        events: list[tuple[int, dict[str, Any]]],
        progress: bool = False,
        malformed: list[Problem] | None = None,
    ) -> RecordResult:
        """Check every well-formed line; write only if no line, malformed or not, failed."""
        store = self.store
        self._empty = store.max_position() == 0  # nothing to look up in an empty ledger
        ids = [ev["event_id"] for _, ev in events if ev["event_id"] is not None]
        known = store.existing_event_ids(ids) if ids and not self._empty else set()
        todo = [(n, ev) for n, ev in events if ev["event_id"] not in known]
        skipped = len(events) - len(todo)
        if not todo and not malformed:
            return RecordResult(0, skipped, None, None)

        streams, problems = self._resolve_streams(todo)
        problems.extend(malformed or [])
        ring = self._keyring(todo, streams)
        states, snapshot_versions = self._load_states(set(streams.values()), ring)
        recorded_at = self.clock()
        touched: dict[str, State] = {}
        stored = 0

        def accepted() -> Iterator[NewEvent]:
            """Check each line in file order; stop yielding after the first refusal."""
            nonlocal stored
            stamp = {"_type_": "datetime_iso", "_data_": recorded_at.isoformat()}
            policy = self.policy
            checking = tqdm(
                todo, desc="checking rules", unit=" events", disable=not progress,
                file=sys.stderr, mininterval=0.5,
            )  # fmt: skip
            for n, ev in checking:
                stream = streams.get(n)
                if stream is None:
                    continue  # its problem is already listed
                state = states[stream]
                owner = _owner(stream, ev)
                refusals: list[tuple[str | None, str]]
                if owner is not None and ring.erased(owner):
                    refusals = [("employee_id", _erased_message(owner))]
                else:
                    refusals = check(ev, state, policy)
                if refusals:
                    problems.extend(Problem(n, msg, field) for field, msg in refusals)
                    continue
                if ev["event_id"] is None:
                    ev["event_id"] = str(uuid4())
                t = ev["type"]
                if t == "retracted":
                    ev["target_type"] = state.facts[ev["target_event_id"]]
                state.apply(ev)
                touched[stream] = state
                if problems:
                    continue  # keep checking to report every problem, but write nothing
                ev["timestamp"] = stamp
                stored += 1
                yield NewEvent(
                    stream_uuid(stream),
                    state.version,
                    TOPIC_BY_TYPE[t],
                    orjson.dumps(seal_event(ev, ring, owner)),
                    ev["event_id"],
                    stream,
                    (ev["employment_id"], ev["employee_id"]) if t == "hired" else None,
                )
            if problems:
                raise ImportRefused(problems)

        if problems:
            for _ in accepted():
                pass  # collect every problem of the file, nothing is written
            raise ImportRefused(problems)
        positions = store.append(accepted(), ring.new_rows)
        self._snapshot(touched, snapshot_versions, ring)
        span = (positions[0], positions[-1]) if positions else None
        return RecordResult(stored, skipped, recorded_at, span)

    def _resolve_streams(
        self, todo: list[tuple[int, dict[str, Any]]]
    ) -> tuple[dict[int, str], list[Problem]]:
        """Map each line to its stream; employment and retraction lines need look-ups."""
        in_file: dict[str, tuple[str, str]] = {}  # event id -> (stream, type)
        hires = [ev["employment_id"] for _, ev in todo if ev["type"] == "hired"]
        owners = self.store.employment_owners(hires) if hires and not self._empty else {}
        for _, ev in todo:
            if ev["type"] == "hired":
                owners.setdefault(ev["employment_id"], ev["employee_id"])
        missing = {
            ev["employment_id"]
            for _, ev in todo
            if EVENT_TYPES[ev["type"]].scope == "employment" and ev["employment_id"] not in owners
        }
        if missing and not self._empty:
            owners.update(self.store.employment_owners(sorted(missing)))
        targets = [ev["target_event_id"] for _, ev in todo if ev["type"] == "retracted"]
        located = self.store.locate_events(targets) if targets and not self._empty else {}

        streams: dict[int, str] = {}
        problems: list[Problem] = []
        for n, ev in todo:
            scope = EVENT_TYPES[ev["type"]].scope
            if ev["type"] == "hired" and owners[ev["employment_id"]] != ev["employee_id"]:
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
                stream = person_stream(ev["employee_id"])
            elif scope == "deviation":
                stream = deviation_stream(ev["deviation_id"])
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
                ev["employee_id"] = owner
                stream = person_stream(owner)
            else:
                target = ev["target_event_id"]
                found = in_file.get(target)
                stream_of_target = found[0] if found else located.get(target)
                if stream_of_target is None:
                    problems.append(
                        Problem(
                            n, f"event {target} does not exist in the ledger", "target_event_id"
                        )
                    )
                    continue
                stream = stream_of_target
            streams[n] = stream
            if targets and ev["event_id"] is not None:  # only retractions look them up
                in_file[ev["event_id"]] = (stream, ev["type"])
        return streams, problems

    def person_state(self, employee_id: str, ring: Keyring) -> PersonState:
        """A person's rule state as stored now (latest snapshot and the events after it)."""
        self._empty = self.store.max_position() == 0
        stream = person_stream(employee_id)
        state = self._load_states({stream}, ring)[0][stream]
        assert isinstance(state, PersonState)
        return state

    def _keyring(self, todo: list[tuple[int, dict[str, Any]]], streams: dict[int, str]) -> Keyring:
        """The keys of every person the lines touch; writing needs the master key."""
        require_master_key()
        if self._empty:
            ring = Keyring({}, require_master_key())
            ring.key_for(None)  # the ledger key, so later writes can check the master key
            return ring
        persons = {s.removeprefix("person:") for s in streams.values() if s.startswith("person:")}
        persons.update(
            ev["employee_id"] for _, ev in todo if ev["type"] == "hms_deviation"
            and ev["employee_id"] is not None
        )  # fmt: skip
        ring = Keyring.load(self.store, persons)
        ring.check_master()  # before a key is made with it
        if LEDGER_KEY_ID not in ring.rows:  # a ledger written before it was made up front
            ring.key_for(None)
        return ring

    def _load_states(
        self, streams: set[str], ring: Keyring
    ) -> tuple[dict[str, State], dict[str, int]]:
        ids = {stream_uuid(s): s for s in streams}
        snaps = self.store.snapshots(list(ids)) if not self._empty else {}
        states: dict[str, State] = {}
        after: dict[UUID, int] = {}
        for uid, stream in ids.items():
            state: State
            snap = snaps.get(uid)
            data = open_snapshot(snap[1], ring, stream) if snap is not None else None
            if data is None:
                snaps.pop(uid, None)
            if stream.startswith("person:"):
                if data is not None:
                    state = PersonState.from_snapshot(data)
                else:
                    state = PersonState(stream.removeprefix("person:"))
            else:
                state = DeviationState(stream.removeprefix("hms:"))
            states[stream] = state
            after[uid] = state.version
        for uid, rows in (self.store.stream_rows(after) if not self._empty else {}).items():
            state = states[ids[uid]]
            person = isinstance(state, PersonState)
            erased = False
            for version, raw in rows:
                if version > state.version:
                    ev = orjson.loads(raw)
                    # An erased person's facts cannot be read back; their state only needs
                    # its version (every new line for them is refused). A deviation keeps
                    # working when the note of the employee it names was erased.
                    erased = erased or (not open_event(ev, ring) and person)
                    if erased:
                        state.version = version
                        continue
                    state.apply(ev)
        snapshot_versions = {ids[uid]: v for uid, (v, _) in snaps.items()}
        return states, snapshot_versions

    def _snapshot(
        self, touched: dict[str, State], snapshot_versions: dict[str, int], ring: Keyring
    ) -> None:
        """Snapshot persons whose stream grew by SNAPSHOT_EVERY since their last snapshot."""
        rows: list[tuple[UUID, int, str, bytes]] = []
        for stream, state in touched.items():
            if not isinstance(state, PersonState):
                continue
            if state.version - snapshot_versions.get(stream, 0) >= SNAPSHOT_EVERY:
                rows.append(
                    (
                        stream_uuid(stream),
                        state.version,
                        SNAPSHOT_TOPIC,
                        seal_snapshot(state.to_snapshot(), ring, state.employee_id, stream),
                    )
                )
        if rows:
            self.store.save_snapshots(rows)


def _owner(stream: str, ev: dict[str, Any]) -> str | None:
    """The employee whose key seals this event's shreddable fields."""
    if stream.startswith("person:"):
        return stream.removeprefix("person:")
    if ev["type"] == "hms_deviation":
        owner: str | None = ev["employee_id"]
        return owner
    return None


def _erased_message(employee_id: str) -> str:
    return (
        f"employee {employee_id} was erased (GDPR art. 17, docs/privacy.md); nothing more can "
        "be recorded for them — record a returning employee under a new employee id"
    )
