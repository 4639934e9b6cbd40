"""The ledger's front door: record facts, rules checked at once, all or nothing.

Why one batch path for everything: an HR clerk's single event and a payroll
system's 200,000-line file go through the same checks and the same single
transaction, so there is one behaviour to trust and to test. State for the
rules is loaded per affected person (latest snapshot + the events after it),
never by replaying the whole ledger.

The path of a file, chunk by chunk inside one unit of work of the store
(``ledger.services.streaming``): validate the lines (``ledger.domain.validation``);
read the state the rules need (``ledger.services.rule_state``); check and
seal them in pure code (``ledger.services.checking``); the store numbers and
chains the rows, and commits once. Lines given as a list start again from
the same, unchanged lines if another writer got in first (``ConcurrentWrite``).
"""

from __future__ import annotations

import gc
import random
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from tqdm import tqdm

from ledger.domain.errors import LedgerError
from ledger.domain.person import PersonState
from ledger.domain.policy import Policy, load_policy
from ledger.domain.streams import person_stream
from ledger.security.keys import Keyring
from ledger.services.rule_state import (
    SNAPSHOT_EVERY,
    load_states,
)
from ledger.services.settings import Settings
from ledger.services.streaming import record_file
from ledger.storage.port import ConcurrentWrite, EventStore

__all__ = ["SNAPSHOT_EVERY", "Ledger", "RecordResult"]

Clock = Callable[[], datetime]
MAX_ATTEMPTS = 12
CHUNK = 5_000
"""Lines validated, checked and sealed, then written, at a time: memory stays flat."""


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
        return self.record_numbered(list(enumerate(lines, start=1)))

    def record_numbered(
        self, numbered: Iterable[tuple[int, Any]], *, progress: bool = False
    ) -> RecordResult:
        """Record numbered lines, all or nothing; an iterator (a file) is read once, in chunks.

        A list of lines that meets another writer's concurrent change starts
        again from the same lines; a file is checked under the write lock from
        its first chunk, so no other writer can get in between.
        """
        # Millions of small, acyclic objects: the cyclic GC only costs time here.
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            return self._record_all(numbered, progress)
        finally:
            if gc_was_enabled:
                gc.enable()

    def _record_all(self, numbered: Iterable[tuple[int, Any]], progress: bool) -> RecordResult:
        again = isinstance(numbered, Sequence)
        for attempt in range(MAX_ATTEMPTS):
            lines: Iterable[tuple[int, Any]] = numbered
            if progress:  # not wrapped otherwise: even a disabled bar costs per line
                lines = tqdm(
                    numbered, desc="checking rules", unit=" lines", file=sys.stderr,
                    mininterval=0.5,
                )  # fmt: skip
            recorded_at = self.clock()
            try:
                done = record_file(self.store, lines, self.policy, recorded_at, chunk=CHUNK)
            except ConcurrentWrite:
                if not again or attempt == MAX_ATTEMPTS - 1:
                    raise LedgerError(
                        "another writer kept changing the same persons; nothing stored, try again"
                    ) from None
                # Back off with jitter: two clerks saving for one person must both win.
                time.sleep(random.uniform(0, 0.02 * 2**attempt))
                continue
            if done.stored == 0:
                return RecordResult(0, done.already_stored, None, None)
            return RecordResult(done.stored, done.already_stored, recorded_at, done.positions)
        raise AssertionError("unreachable")

    def person_state(self, employee_id: str, ring: Keyring) -> PersonState:
        """A person's rule state as stored now (latest snapshot and the events after it)."""
        empty = self.store.max_position() == 0
        stream = person_stream(employee_id)
        state = load_states(self.store, [stream], ring, empty=empty)[0][stream]
        assert isinstance(state, PersonState)
        return state
