"""Write one chunk while the next is checked: the import's two halves on two cores.

Why: in an import, the database's own insert work (B-tree pages, index
entries) was a quarter of the time, and the checking and sealing of the
next chunk waited for it. The database drivers release the GIL while the
database works, so a single writer thread can insert chunk *k* while the
importing thread validates, checks and seals chunk *k + 1*. That needs the
write to be few long calls: ``executemany`` takes the GIL back for every
row, and behind a busy importing thread each row then waits its turn (a
Sandnes year: the writes took 27 s in the thread and the import was no
faster). Both stores therefore insert a chunk with one statement per table
(``ledger.storage.packed_rows``); the importing thread then waited 0.3 s in
all for its writes.

What keeps it as safe as writing in line:

- one write at a time, in file order: a new chunk's write waits for the one
  before it;
- the connection is never used by two threads at once: every other use of
  the store (look-ups, key loads, the commit) first waits for the pending
  write (``waiting`` wraps the store to make that automatic);
- a write's error (a concurrent writer took a version, say) is raised in the
  importing thread at the next wait, inside the unit of work, so the whole
  file is rolled back as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, cast

from ledger.security.keys import KeyRow
from ledger.storage.port import EventStore, NewEvent, UnitOfWork


class WriteBehind:
    """The writes of one unit of work, each started while the caller goes on."""

    def __init__(self, uow: UnitOfWork):
        self._uow = uow
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ledger-write")
        self._pending: Future[list[int]] | None = None
        self.stored = 0
        """Events written so far (not their positions: a list of every one grew with the
        file, 300 MB for eight million events)."""
        self.span: tuple[int, int] | None = None
        """The first and last position written so far."""

    def write(self, events: Sequence[NewEvent], new_keys: Sequence[KeyRow]) -> None:
        self.wait()
        if events or new_keys:
            self._pending = self._pool.submit(self._uow.write, events, new_keys)

    def wait(self) -> None:
        """Until the pending write is in the transaction; raises its error, if any."""
        pending, self._pending = self._pending, None
        if pending is not None:
            positions = pending.result()
            if positions:
                self.span = (self.span[0] if self.span else positions[0], positions[-1])
                self.stored += len(positions)

    def close(self) -> None:
        """Wait for the pending write (its error is the caller's to raise) and stop."""
        try:
            self.wait()
        finally:
            self._pool.shutdown(wait=True)


def waiting(store: EventStore, writes: WriteBehind) -> EventStore:
    """``store``, each use of it after the pending write: the connection is never shared."""
    return cast(EventStore, _Waiting(store, writes))


class _Waiting:
    def __init__(self, store: EventStore, writes: WriteBehind):
        self._store = store
        self._writes = writes

    def __getattr__(self, name: str) -> Any:
        self._writes.wait()
        return getattr(self._store, name)
