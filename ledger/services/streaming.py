"""A file of any length through check-and-seal in chunks, inside one unit of work.

Why: a payroll migration can be millions of lines. Holding every validated
line until the end made an import's memory grow with its file (1.8 GB for
five generated years of Sandnes). Here a chunk of lines is validated,
routed, checked, sealed and written before the next one is read; what
carries from one chunk to the next is only what a later line can need:

- each person's (or deviation's) rule state, loaded when the file first
  names them (persons in play, never the whole ledger);
- the keys of those persons;
- the employment ids the file hires (small: one per employment);
- the event ids the file gives, with their line, to refuse an id given
  twice: in a private temporary database on disk (``file_ids``), not on
  the heap.

What grows with the file is then the rule state of its persons: about
20 bytes per sick day (``ledger.domain.sick_days``), against about 1.5 kB
per line when the whole file was held.

The file is still all or nothing: every chunk goes into the same unit of
work (one transaction), and any problem, in any chunk, rolls all of it back
after the whole file has been checked (every problem is reported). The
look-ups run inside the unit of work, under the write lock, so no other
writer can change what they found before the file commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ledger.domain.errors import ImportRefused, Problem
from ledger.domain.policy import Policy
from ledger.domain.validation import validate_line
from ledger.security.keys import LEDGER_KEY_ID, Keyring
from ledger.services.checking import BatchChecker, Line, Lookups, Sealed, route_lines
from ledger.services.file_ids import FileEventIds
from ledger.services.rule_state import due_snapshots, load_states, read_lookups
from ledger.services.write_behind import WriteBehind, waiting
from ledger.storage.port import EventStore, batched

CHUNK = 5_000
"""Lines validated, checked, sealed and written at a time."""
SNAPSHOT_BATCH = 50
"""Snapshots sealed and stored at a time, after the file is committed."""


@dataclass
class FileResult:
    stored: int
    already_stored: int
    positions: tuple[int, int] | None


@dataclass
class _Carried:
    """What one chunk leaves for the next (see the module docstring)."""

    seen: FileEventIds = field(default_factory=FileEventIds)
    """Event id given in the file → the first line that gave it."""
    hired: dict[str, str] = field(default_factory=dict)
    """Employment id → employee id, as first hired in the file."""
    snapshot_versions: dict[str, int] = field(default_factory=dict)
    stored: int = 0
    skipped: int = 0
    span: tuple[int, int] | None = None


def record_file(
    store: EventStore,
    numbered: Iterable[tuple[int, Any]],
    policy: Policy,
    recorded_at: datetime,
    *,
    chunk: int = CHUNK,
) -> FileResult:
    """Validate, check, seal and write ``numbered`` lines, chunk by chunk, all or nothing.

    Raises ``ImportRefused`` with every problem of the file (nothing stored).
    """
    carried = _Carried()
    try:
        checker = _record(store, numbered, policy, recorded_at, chunk, carried)
    finally:
        carried.seen.close()
    # a cache: outside the unit of work, in batches (memory stays flat)
    for rows in batched(due_snapshots(checker.states, carried.snapshot_versions, checker.ring),
                        SNAPSHOT_BATCH):  # fmt: skip
        store.save_snapshots(rows)
    return FileResult(carried.stored, carried.skipped, carried.span)


def _record(
    store: EventStore,
    numbered: Iterable[tuple[int, Any]],
    policy: Policy,
    recorded_at: datetime,
    chunk: int,
    carried: _Carried,
) -> BatchChecker:
    """The unit of work of ``record_file``; the checker holds the state to snapshot."""
    with store.unit_of_work() as uow:
        writes = WriteBehind(uow)
        try:
            checker = _check_and_write(
                waiting(store, writes), writes, numbered, chunk, carried, policy, recorded_at
            )
        finally:
            writes.close()  # before the commit (or the rollback)
        if checker.problems:
            raise ImportRefused(checker.problems)  # rolls back every chunk written
        carried.span, carried.stored = writes.span, writes.stored
    return checker


def _check_and_write(
    store: EventStore,
    writes: WriteBehind,
    numbered: Iterable[tuple[int, Any]],
    chunk: int,
    carried: _Carried,
    policy: Policy,
    recorded_at: datetime,
) -> BatchChecker:
    """Every chunk checked and sealed here, and written behind (``write_behind``)."""
    empty = store.max_position() == 0  # nothing to look up in an empty ledger
    master = store.master_key.require()
    ring = Keyring({}, master, store, configured=store.master_key)
    if not empty:
        ring.load_persons(store, [])  # the ledger key
        if LEDGER_KEY_ID not in ring.rows:  # an older ledger: check on any live key
            ring.include([r for r in store.key_rows() if r.wrapped is not None][:1])
        ring.check_master()  # before a key is made with it
    if LEDGER_KEY_ID not in ring.rows:  # made up front, so later writes can check the master
        ring.key_for(None)
    checker = BatchChecker({}, {}, ring, policy, recorded_at)
    for lines in batched(numbered, chunk):
        todo, known = _validated(lines, carried, checker.problems, store, empty)
        carried.skipped += known
        mark = len(checker.problems)
        sealed = _check_chunk(todo, carried, checker, store, empty)
        # the chunk's ids were remembered meanwhile (``FileEventIds.submit``); an id given
        # twice is listed where it was before the ids went to a thread: before the rules
        repeated = [
            Problem(n, f"{eid!r} appears twice in the input (first on line {first})", "event_id")
            for n, eid, first in carried.seen.repeats()
        ]
        if repeated:
            checker.problems[mark:mark] = repeated
        elif sealed is not None:
            writes.write(sealed.events, sealed.new_keys)
    return checker


def _validated(
    lines: list[tuple[int, Any]],
    carried: _Carried,
    problems: list[Problem],
    store: EventStore,
    empty: bool,
) -> tuple[list[Line], int]:
    """The chunk's well-formed lines not stored before, and how many were stored before."""
    valid: list[Line] = []
    for n, raw in lines:
        ev, ps = validate_line(raw, n)
        if ps:
            problems.extend(ps)
            continue
        if ev is not None:
            valid.append((n, ev))
    given = [(ev["event_id"], n) for n, ev in valid if ev["event_id"] is not None]
    carried.seen.submit(given)  # its repeats are listed after the chunk is checked
    ids = [eid for eid, _ in given]
    known = store.existing_event_ids(ids) if ids and not empty else set()
    if not known:
        return valid, 0
    return [(n, ev) for n, ev in valid if ev["event_id"] not in known], len(known & set(ids))


def _check_chunk(
    todo: list[Line],
    carried: _Carried,
    checker: BatchChecker,
    store: EventStore,
    empty: bool,
) -> Sealed | None:
    if not todo:
        return None
    found = read_lookups(store, todo, empty=empty)
    for _, ev in todo:
        if ev["type"] == "hired":
            carried.hired.setdefault(ev["employment_id"], ev["employee_id"])
    located = dict(found.located)
    for _, ev in todo:
        target = ev["target_event_id"] if ev["type"] == "retracted" else None
        if target is not None and target not in located and target in carried.seen:
            # written by an earlier chunk of this file: in the state of its stream
            stream = next((s for s, st in checker.states.items() if st.kind_of(target)), None)
            if stream is not None:
                located[target] = stream
    # the ledger's owner first, then the file's first hire (as for a whole file at once)
    routes, problems = route_lines(
        todo, Lookups(found.employment_owners, located, carried.hired)
    )
    checker.problems.extend(problems)
    # not `set - states.keys()`: that walks every state of the file, per chunk
    known = checker.states
    new_streams = {r.stream for r in routes.values() if r.stream not in known}
    if new_streams:
        if not empty:
            checker.ring.load_persons(store, _persons(todo, new_streams))
        states, versions = load_states(store, new_streams, checker.ring, empty=empty)
        checker.states.update(states)
        carried.snapshot_versions.update(versions)
    checker.routes = routes  # only this chunk's: memory stays flat
    sealed = checker.check(todo)
    if checker.problems:
        return None  # keep checking: every problem of the file is reported, nothing written
    return sealed


def _persons(todo: list[Line], streams: set[str]) -> Iterator[str]:
    """The employees whose keys the new streams (and the deviations naming them) need."""
    for s in streams:
        if s.startswith("person:"):
            yield s.removeprefix("person:")
    for _, ev in todo:
        if ev["type"] == "hms_deviation" and ev["employee_id"] is not None:
            yield ev["employee_id"]
