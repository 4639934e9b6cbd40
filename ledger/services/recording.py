"""The ledger's front door: record facts, rules checked at once, all or nothing.

Why one batch path for everything: an HR clerk's single event and a payroll
system's 200,000-line file go through the same checks and the same single
transaction, so there is one behaviour to trust and to test. State for the
rules is loaded per affected person (latest snapshot + the events after it),
never by replaying the whole ledger.

The path of a file: validate every line (``ledger.domain.validation``);
read the state the rules need (``ledger.services.rule_state``); check and
seal the lines in pure code (``ledger.services.checking``), chunk by chunk
into one unit of work of the store, which numbers and chains the rows and
commits once. Another writer that got in first (``ConcurrentWrite``) makes the
whole file start again from the same, unchanged lines.
"""

from __future__ import annotations

import gc
import random
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from tqdm import tqdm

from ledger.domain.errors import ImportRefused, LedgerError, Problem
from ledger.domain.person import PersonState
from ledger.domain.policy import Policy, load_policy
from ledger.domain.streams import person_stream
from ledger.domain.validation import validate_line
from ledger.security.keys import Keyring
from ledger.services.checking import BatchChecker, Line, route_lines
from ledger.services.rule_state import (
    SNAPSHOT_EVERY,
    due_snapshots,
    load_keyring,
    load_states,
    read_lookups,
)
from ledger.services.settings import Settings
from ledger.storage.port import ConcurrentWrite, EventStore, batched

__all__ = ["SNAPSHOT_EVERY", "Ledger", "RecordResult"]

Clock = Callable[[], datetime]
MAX_ATTEMPTS = 12
CHUNK = 20_000
"""Lines checked and sealed, then written, at a time: memory for the rows stays flat."""


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
    """Record facts into one ledger; every line checked, a file stored whole or not at all.

    ``Ledger(url)`` opens the ledger at ``url`` with configuration from the
    environment; ``Ledger(settings=...)`` with the entry point's settings;
    ``Ledger(store=MemoryStore())`` (``ledger.storage.memory``) without a database.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        policy: Policy | str | None = None,
        clock: Clock = utc_now,
        store: EventStore | None = None,
        settings: Settings | None = None,
    ):
        if settings is None:
            settings = Settings.from_environment(url=url)
        elif url is not None:
            settings = replace(settings, url=url)
        self.settings = settings
        self.store = store or settings.open_store()
        if isinstance(policy, Policy):
            self.policy = policy
        else:
            self.policy = load_policy(policy or settings.policy)
        self.clock = clock

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
        events: list[Line] = []
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
        events: list[Line],
        progress: bool = False,
        malformed: list[Problem] | None = None,
    ) -> RecordResult:
        """Check every well-formed line; write only if no line, malformed or not, failed.

        Read what the rules need, then check and seal chunk by chunk into one unit
        of work: a refusal anywhere rolls back every chunk written before it.
        """
        store = self.store
        empty = store.max_position() == 0  # nothing to look up in an empty ledger
        ids = [ev["event_id"] for _, ev in events if ev["event_id"] is not None]
        known = store.existing_event_ids(ids) if ids and not empty else set()
        todo = [(n, ev) for n, ev in events if ev["event_id"] not in known]
        skipped = len(events) - len(todo)
        if not todo and not malformed:
            return RecordResult(0, skipped, None, None)

        routes, problems = route_lines(todo, read_lookups(store, todo, empty=empty))
        problems.extend(malformed or [])
        ring = load_keyring(store, todo, routes, empty=empty)
        streams = {r.stream for r in routes.values()}
        states, snapshot_versions = load_states(store, streams, ring, empty=empty)
        recorded_at = self.clock()
        checker = BatchChecker(states, routes, ring, self.policy, recorded_at, problems)
        lines: Iterable[Line] = tqdm(
            todo, desc="checking rules", unit=" events", disable=not progress,
            file=sys.stderr, mininterval=0.5,
        )  # fmt: skip
        if checker.problems:
            checker.check(lines)  # collect every problem of the file, nothing is written
            raise ImportRefused(checker.problems)
        stored = 0
        span: tuple[int, int] | None = None
        with store.unit_of_work() as uow:
            for chunk in batched(lines, CHUNK):
                sealed = checker.check(chunk)
                if checker.problems:
                    continue  # keep checking: every problem of the file is reported
                positions = uow.write(sealed.events, sealed.new_keys)
                if positions:
                    span = (span[0] if span else positions[0], positions[-1])
                stored += len(positions)
            if checker.problems:
                raise ImportRefused(checker.problems)  # rolls back what was written
        rows = due_snapshots(checker.touched, snapshot_versions, ring)
        if rows:
            store.save_snapshots(rows)  # a cache: outside the unit of work
        return RecordResult(stored, skipped, recorded_at, span)

    def person_state(self, employee_id: str, ring: Keyring) -> PersonState:
        """A person's rule state as stored now (latest snapshot and the events after it)."""
        empty = self.store.max_position() == 0
        stream = person_stream(employee_id)
        state = load_states(self.store, [stream], ring, empty=empty)[0][stream]
        assert isinstance(state, PersonState)
        return state
