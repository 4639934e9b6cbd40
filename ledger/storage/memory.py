"""A ledger held in memory: the storage port without a database.

For the write side's unit tests (every rule, the unit of work) and for
trying the Python API: ``Ledger(store=MemoryStore())``. It keeps the same
promises the database stores keep and that the services rely on: positions
from 1 in commit order, a hash chain computed from the head, one event id
and one (stream, version) at most once (a second raises
``ConcurrentWrite``), an employment id's first owner kept, and a unit of
work that is all or nothing. Nothing survives the process.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from uuid import UUID

from ledger.security.chain import GENESIS, link
from ledger.security.keys import LEDGER_KEY_ID, KeyRow, MasterKeySource
from ledger.storage.port import ConcurrentWrite, Erasure, NewEvent, Rewrap, chunks


@dataclass
class _Tables:
    """What a database would hold, as plain collections."""

    events: list[tuple[int, UUID, int, str, bytes]] = field(default_factory=list)
    """(position, originator id, version, topic, state), position = index + 1."""
    chain: list[bytes] = field(default_factory=list)
    event_ids: dict[str, tuple[UUID, str]] = field(default_factory=dict)
    versions: set[tuple[UUID, int]] = field(default_factory=set)
    employments: dict[str, str] = field(default_factory=dict)
    keys: dict[str, KeyRow] = field(default_factory=dict)
    snapshots: dict[UUID, dict[int, tuple[str, bytes]]] = field(default_factory=dict)


class MemoryUnitOfWork:
    """Rows staged in one transaction; the store takes them only on commit."""

    def __init__(self, tables: _Tables):
        self._committed = tables
        self.events: list[tuple[int, UUID, int, str, bytes]] = []
        self.chain: list[bytes] = []
        self.event_ids: dict[str, tuple[UUID, str]] = {}
        self.versions: set[tuple[UUID, int]] = set()
        self.employments: dict[str, str] = {}
        self.keys: list[KeyRow] = []
        self.erasures: list[Erasure] = []
        self._next = len(tables.events) + 1
        self._head = tables.chain[-1] if tables.chain else GENESIS

    def write(self, events: Sequence[NewEvent], new_keys: Sequence[KeyRow] = ()) -> list[int]:
        positions = []
        for e in events:
            if e.event_id in self._committed.event_ids or e.event_id in self.event_ids:
                raise ConcurrentWrite(f"event id {e.event_id} is already stored")
            key = (e.originator_id, e.version)
            if key in self._committed.versions or key in self.versions:
                raise ConcurrentWrite(f"version {e.version} of {e.stream} is already stored")
            pos = self._next
            self._head = link(self._head, pos, e.originator_id.hex, e.version, e.topic, e.state)
            self.events.append((pos, e.originator_id, e.version, e.topic, e.state))
            self.chain.append(self._head)
            self.event_ids[e.event_id] = (e.originator_id, e.stream)
            self.versions.add(key)
            if e.employment is not None:
                employment_id, employee_id = e.employment
                if employment_id not in self._committed.employments:
                    self.employments.setdefault(employment_id, employee_id)
            positions.append(pos)
            self._next += 1
        taken = {*self._committed.keys, *(k.key_id for k in self.keys)}
        owners = {r.employee_id for r in [*self._committed.keys.values(), *self.keys]}
        for k in new_keys:
            if k.key_id in taken or (k.employee_id is not None and k.employee_id in owners):
                raise ConcurrentWrite(f"a key for {k.employee_id or k.key_id} is already stored")
            self.keys.append(k)
            taken.add(k.key_id)
            owners.add(k.employee_id)
        return positions

    def erase(self, erasure: Erasure) -> None:
        self.erasures.append(erasure)

    def commit(self) -> None:
        t = self._committed
        t.events.extend(self.events)
        t.chain.extend(self.chain)
        t.event_ids.update(self.event_ids)
        t.versions |= self.versions
        t.employments.update(self.employments)
        t.keys.update({k.key_id: k for k in self.keys})
        for erasure in self.erasures:
            for kid, employee_id, created_at, erased_at in erasure.tombstone_rows():
                for old in [r for r in t.keys.values() if r.employee_id == employee_id]:
                    created_at = old.created_at  # like ON CONFLICT … DO UPDATE: the row stays
                    del t.keys[old.key_id]
                t.keys[kid] = KeyRow(kid, employee_id, None, created_at, erased_at)
            t.snapshots.pop(erasure.stream_id, None)


class MemoryStore:
    """The storage port over plain Python collections (``ledger.storage.port.EventStore``)."""

    kind = "memory"

    def __init__(self, *, master_key: MasterKeySource | None = None, url: str = "memory:"):
        self.url = url
        self.master_key = master_key or MasterKeySource.from_environment()
        self._t = _Tables()
        self._writing = False

    # ------------------------------------------------------------ reading
    def max_position(self) -> int:
        return len(self._t.events)

    def read_rows(self, after: int, limit: int) -> list[tuple[int, bytes]]:
        return [(p, s) for p, _o, _v, _t, s in self._t.events[after : after + limit]]

    def read_rows_of(self, topics: Sequence[str]) -> list[tuple[int, bytes]]:
        wanted = set(topics)
        return [(p, s) for p, _o, _v, t, s in self._t.events if t in wanted]

    def read_page(self, after: int, limit: int) -> tuple[int, bytes] | None:
        rows = self.read_rows(after, limit)
        if not rows:
            return after, b""
        return rows[-1][0], b"\n".join(bytes(s) for _, s in rows)

    def read_full_rows(self, after: int, limit: int) -> list[tuple[int, str, int, str, bytes]]:
        return [(p, o.hex, v, t, s) for p, o, v, t, s in self._t.events[after : after + limit]]

    def read_chain(self, after: int, limit: int) -> list[tuple[int, bytes]]:
        return [(i + 1, h) for i, h in enumerate(self._t.chain) if i + 1 > after][:limit]

    def existing_event_ids(self, ids: Sequence[str]) -> set[str]:
        return {i for i in ids if i in self._t.event_ids}

    def locate_events(self, ids: Sequence[str]) -> dict[str, str]:
        return {i: self._t.event_ids[i][1] for i in ids if i in self._t.event_ids}

    def employment_owners(self, ids: Sequence[str]) -> dict[str, str]:
        return {i: self._t.employments[i] for i in ids if i in self._t.employments}

    def stream_rows(self, after: dict[UUID, int]) -> dict[UUID, list[tuple[int, bytes]]]:
        out: dict[UUID, list[tuple[int, bytes]]] = {}
        for _p, oid, version, _topic, state in self._t.events:
            if oid in after and version > after[oid]:
                out.setdefault(oid, []).append((version, state))
        return out

    def snapshots(self, ids: Sequence[UUID]) -> dict[UUID, tuple[int, bytes]]:
        out = {}
        for oid in ids:
            taken = self._t.snapshots.get(oid)
            if taken:
                version = max(taken)
                out[oid] = (version, taken[version][1])
        return out

    def save_snapshots(self, rows: Sequence[tuple[UUID, int, str, bytes]]) -> None:
        for oid, version, topic, state in rows:
            self._t.snapshots.setdefault(oid, {}).setdefault(version, (topic, state))

    def key_rows(self, employee_ids: Iterable[str] | None = None) -> list[KeyRow]:
        if employee_ids is None:
            return list(self._t.keys.values())
        wanted = set(employee_ids)
        return [
            r for r in self._t.keys.values() if r.employee_id in wanted or r.key_id == LEDGER_KEY_ID
        ]

    def key_rows_by_id(self, key_ids: Iterable[str]) -> list[KeyRow]:
        return [self._t.keys[k] for k in key_ids if k in self._t.keys]

    def erased_employees(self) -> set[str]:
        return {r.employee_id for r in self._t.keys.values() if r.wrapped is None and r.employee_id}

    # ------------------------------------------------------------ writing
    @contextmanager
    def unit_of_work(self) -> Iterator[MemoryUnitOfWork]:
        if self._writing:
            raise RuntimeError("one unit of work at a time: a database writer would wait here")
        self._writing = True
        try:
            uow = MemoryUnitOfWork(self._t)
            yield uow
            uow.commit()
        finally:
            self._writing = False

    def rewrap_keys(self, rewrap: Rewrap, chunk_size: int = 500) -> int:
        """A master key rotation: every live key row re-wrapped, all or nothing."""
        live = sorted(
            (r for r in self._t.keys.values() if r.wrapped is not None), key=lambda r: r.key_id
        )
        updates: dict[str, bytes] = {}
        with self.unit_of_work():  # writers wait, as on a database
            for chunk in chunks(live, chunk_size):
                updates.update(rewrap(chunk))
            for kid, wrapped in updates.items():
                self._t.keys[kid] = replace(self._t.keys[kid], wrapped=wrapped)
        return len(updates)

    def close(self) -> None:
        pass
