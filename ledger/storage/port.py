"""The storage port: what the write and read services need from a ledger database.

The services own this contract; the SQLite, PostgreSQL and in-memory
adapters implement it, so the rules and the unit of work never see SQL (and
run against ``ledger.storage.memory.MemoryStore`` in the unit tests).

Writing is a unit of work: the write service checks and seals lines in pure
code into plain ``NewEvent`` rows, then writes them, chunk by chunk, into one
transaction the store holds open::

    with store.unit_of_work() as uow:
        uow.write(rows, new_keys)   # as often as there are chunks
    # committed here; rolled back if anything was raised inside

The store, not the caller, numbers the positions and computes the chain
links, because both depend on the head, which only the open transaction
sees as final.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from itertools import islice
from typing import Any, Protocol
from uuid import UUID

from ledger.security.keys import KeyRow, MasterKeySource
from ledger.storage.urls import DEFAULT_SQLITE_FILE, ENV_URL, default_url

__all__ = [
    "DEFAULT_SQLITE_FILE",
    "ENV_URL",
    "TOMBSTONE_SQL",
    "ConcurrentWrite",
    "Erasure",
    "EventStore",
    "NewEvent",
    "UnitOfWork",
    "batched",
    "chunks",
    "default_url",
    "group_by_stream",
]


@dataclass(slots=True)
class NewEvent:
    """One accepted event as it is stored: the row, and what the store indexes it by."""

    originator_id: UUID
    version: int
    topic: str
    state: bytes
    event_id: str
    stream: str
    """The natural key of the stream, e.g. ``person:E1`` or ``hms:D7``."""
    employment: tuple[str, str] | None = None
    """(employment id, employee id) when the event is a hire."""


@dataclass(frozen=True, slots=True)
class Erasure:
    """Destroy a person's data key(s) and drop their snapshots, with the erasure event.

    ``employee_id`` is the owner of the key row (an employee id, or a kind key's owner)."""

    employee_id: str
    stream_id: UUID
    erased_at: str
    tombstone: str
    """A fresh key id for the row that remembers the erasure: sealed values keep
    pointing at the old id, which then names nothing."""

    also: tuple[tuple[str, str], ...] = ()
    """More key owners to destroy at once, each with its fresh tombstone id: the
    person's keys of each kind (``ledger.security.keys.kind_owner``)."""

    def tombstone_rows(self) -> list[tuple[str, str, str, str]]:
        owners = ((self.employee_id, self.tombstone), *self.also)
        return [(tomb, owner, self.erased_at, self.erased_at) for owner, tomb in owners]


TOMBSTONE_SQL = (
    "INSERT INTO ledger_person_keys (key_id, employee_id, wrapped, created_at, erased_at) "
    "VALUES (%s, %s, NULL, %s, %s) ON CONFLICT (employee_id) DO UPDATE SET "
    "key_id = excluded.key_id, wrapped = NULL, erased_at = excluded.erased_at"
)
"""The erased person's key row becomes a tombstone (or is made as one): the key is gone,
the fact that this employee id was erased stays."""


Rewrap = Callable[[Sequence[KeyRow]], Sequence[tuple[str, bytes]]]
"""Given live key rows, the new ``wrapped`` value of each row to change: (key id, wrapped)."""


class ConcurrentWrite(Exception):
    """Another writer stored events for the same stream or id meanwhile: retry."""


class UnitOfWork(Protocol):
    """One open write transaction (``EventStore.unit_of_work``)."""

    def write(self, events: Sequence[NewEvent], new_keys: Sequence[KeyRow] = ()) -> list[int]:
        """Append events at the next positions with their chain links, id and employment
        index rows, and the data keys they are sealed with; returns their positions.

        Raises ``ConcurrentWrite`` when another writer took a stream version or an
        event id meanwhile (the whole unit of work is then rolled back).
        """
        ...

    def erase(self, erasure: Erasure) -> None:
        """Destroy a person's key and drop their snapshots, with what else is written."""
        ...


class EventStore(Protocol):
    kind: str
    url: str
    master_key: MasterKeySource
    """The master key this ledger was opened with (``Keyring.load`` uses it)."""

    def max_position(self) -> int: ...
    def read_rows(self, after: int, limit: int) -> list[tuple[int, bytes]]: ...
    def read_page(self, after: int, limit: int) -> tuple[int, bytes] | None:
        """The states of positions ``after + 1 … last`` (at most ``limit``) as one blob,
        joined by newlines, with ``last``; ``(after, b"")`` past the end.

        Why: a rebuild reads millions of rows. As one blob a page costs the
        database one step with the GIL released and Python no object per row,
        so the decoding thread runs beside the reading one. None when the page
        cannot be one blob (a gap in the positions): read it with ``read_rows``.
        A state holding a raw newline (never written by the ledger) makes the
        blob split wrongly; the reader notices by the count and reads rows.
        """
        ...

    def read_full_rows(self, after: int, limit: int) -> list[tuple[int, str, int, str, bytes]]: ...
    def read_rows_of(self, topics: Sequence[str]) -> list[tuple[int, bytes]]:
        """Every stored row of these topics (event types), in position order.

        Why: an erasure needs the HMS deviations naming the person; reading and
        opening the whole ledger for them took 10 s at ten years of Sandnes.
        The database scans the topic column; Python sees only those rows.
        """
        ...

    def read_chain(self, after: int, limit: int) -> list[tuple[int, bytes]]: ...
    def existing_event_ids(self, ids: Sequence[str]) -> set[str]: ...
    def locate_events(self, ids: Sequence[str]) -> dict[str, str]: ...
    def employment_owners(self, ids: Sequence[str]) -> dict[str, str]: ...
    def stream_rows(self, after: dict[UUID, int]) -> dict[UUID, list[tuple[int, bytes]]]: ...
    def snapshots(self, ids: Sequence[UUID]) -> dict[UUID, tuple[int, bytes]]: ...
    def save_snapshots(self, rows: Sequence[tuple[UUID, int, str, bytes]]) -> None: ...
    def key_rows(self, employee_ids: Iterable[str] | None = None) -> list[KeyRow]: ...
    def key_rows_by_id(self, key_ids: Iterable[str]) -> list[KeyRow]: ...
    def erased_employees(self) -> set[str]: ...
    def unit_of_work(self) -> AbstractContextManager[UnitOfWork]:
        """Begin one write transaction: committed when the block ends, rolled back if it
        raises. Writers are serialised from here on, so the chain head cannot move."""
        ...

    def rewrap_keys(self, rewrap: Rewrap, chunk_size: int = 500) -> int:
        """Replace wrapped data keys (a master key rotation), all in one transaction.

        Writers are locked out meanwhile; every live key row (not the erased
        persons' tombstones) is passed to ``rewrap`` in chunks, and what it
        returns is stored. Anything ``rewrap`` raises rolls all of it back.
        Returns the number of rows changed.
        """
        ...

    def close(self) -> None: ...


def chunks(items: Sequence[Any], size: int = 500) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def batched(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    it = iter(items)
    while batch := list(islice(it, size)):  # no Python code per item
        yield batch


def group_by_stream(
    rows: Iterable[tuple[Any, int, bytes]], key: Any
) -> dict[UUID, list[tuple[int, bytes]]]:
    out: dict[UUID, list[tuple[int, bytes]]] = {}
    for oid, version, state in rows:
        out.setdefault(key(oid), []).append((version, bytes(state)))
    for stream_rows in out.values():
        stream_rows.sort(key=lambda r: r[0])
    return out
