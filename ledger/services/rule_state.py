"""What the rules need from the store before a batch is checked, read in one go.

State is loaded per affected person (latest snapshot + the events after
it), never by replaying the whole ledger; the look-ups and keys only for
the ids the lines name. Everything here reads; ``ledger.services.checking``
then works on the values alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from uuid import UUID

import orjson

from ledger.domain.catalogue import EVENT_TYPES
from ledger.domain.person import DeviationState, PersonState
from ledger.domain.streams import stream_uuid
from ledger.security.keys import LEDGER_KEY_ID, Keyring
from ledger.security.sealing import open_event, open_snapshot, seal_snapshot
from ledger.services.checking import Line, Lookups, Route, State
from ledger.storage.port import EventStore
from ledger.storage.wire import SNAPSHOT_TOPIC

SNAPSHOT_EVERY = 100
"""A person's rule state is snapshotted after this many new events."""


def read_lookups(store: EventStore, lines: list[Line], *, empty: bool) -> Lookups:
    """Employment owners and retraction targets the lines name (none in an empty ledger)."""
    if empty:
        return Lookups()
    hires = [ev["employment_id"] for _, ev in lines if ev["type"] == "hired"]
    owners = store.employment_owners(hires) if hires else {}
    named = {ev["employment_id"] for _, ev in lines if ev["type"] == "hired"} | owners.keys()
    missing = {
        ev["employment_id"]
        for _, ev in lines
        if EVENT_TYPES[ev["type"]].scope == "employment" and ev["employment_id"] not in named
    }
    if missing:
        owners.update(store.employment_owners(sorted(missing)))
    targets = [ev["target_event_id"] for _, ev in lines if ev["type"] == "retracted"]
    located = store.locate_events(targets) if targets else {}
    return Lookups(owners, located)


def load_keyring(
    store: EventStore, lines: list[Line], routes: dict[int, Route], *, empty: bool
) -> Keyring:
    """The keys of every person the lines touch; writing needs the master key."""
    master = store.master_key.require()
    if empty:
        ring = Keyring({}, master, configured=store.master_key)
        ring.key_for(None)  # the ledger key, so later writes can check the master key
        return ring
    persons = {
        r.stream.removeprefix("person:") for r in routes.values() if r.stream.startswith("person:")
    }
    persons.update(
        ev["employee_id"] for _, ev in lines if ev["type"] == "hms_deviation"
        and ev["employee_id"] is not None
    )  # fmt: skip
    ring = Keyring.load(store, persons)
    ring.check_master()  # before a key is made with it
    if LEDGER_KEY_ID not in ring.rows:  # a ledger written before it was made up front
        ring.key_for(None)
    return ring


def load_states(
    store: EventStore, streams: Iterable[str], ring: Keyring, *, empty: bool
) -> tuple[dict[str, State], dict[str, int]]:
    """Each stream's rule state, and the version of the snapshot it started from."""
    ids = {stream_uuid(s): s for s in streams}
    snaps = store.snapshots(list(ids)) if not empty else {}
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
    for uid, rows in (store.stream_rows(after) if not empty else {}).items():
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


def due_snapshots(
    states: dict[str, State], snapshot_versions: dict[str, int], ring: Keyring
) -> Iterator[tuple[UUID, int, str, bytes]]:
    """Snapshot rows of persons whose stream grew by SNAPSHOT_EVERY since their last one.

    One at a time: after a five-year file they are thousands of sealed states
    (136 MB for Sandnes), and the caller stores them in batches rather than
    holding them all beside the rule state.
    """
    for stream, state in states.items():  # a state that did not grow is never due
        if not isinstance(state, PersonState):
            continue
        if state.version - snapshot_versions.get(stream, 0) >= SNAPSHOT_EVERY:
            yield (
                stream_uuid(stream),
                state.version,
                SNAPSHOT_TOPIC,
                seal_snapshot(state.to_snapshot(), ring, state.employee_id, stream),
            )
