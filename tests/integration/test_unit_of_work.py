"""The storage port's unit of work, the same on SQLite, PostgreSQL and in memory.

The write service relies on these promises (``ledger.storage.port``); the
in-memory store is held to them here too, so the unit tests that run on it
say something about the databases.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from uuid import UUID, uuid4

import orjson
import pytest

from ledger.domain.streams import person_stream, stream_uuid
from ledger.security.keys import KeyRow
from ledger.services.verification import verify
from ledger.services.write_behind import WriteBehind, waiting
from ledger.storage.memory import MemoryStore
from ledger.storage.port import ConcurrentWrite, Erasure, EventStore, NewEvent
from ledger.storage.store import open_store

TOPIC = "ledger.domain_events:SickDayRecorded"


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest) -> Iterator[EventStore]:
    s: EventStore
    if request.param == "memory":
        s = MemoryStore()
    else:
        s = open_store(str(request.getfixturevalue(f"{request.param}_url")))
    try:
        yield s
    finally:
        s.close()


def event(employee_id: str, version: int, event_id: str) -> NewEvent:
    stream = person_stream(employee_id)
    state = orjson.dumps({"type": "sick_day", "event_id": event_id, "employee_id": employee_id})
    return NewEvent(stream_uuid(stream), version, TOPIC, state, event_id, stream)


def hire(employee_id: str, employment_id: str, version: int, event_id: str) -> NewEvent:
    e = event(employee_id, version, event_id)
    e.employment = (employment_id, employee_id)
    return e


def key(employee_id: str) -> KeyRow:
    return KeyRow(uuid4().hex, employee_id, b"wrapped", "2026-11-23T12:00:00+00:00")


def test_chunks_written_in_one_unit_get_the_next_positions_and_one_chain(
    store: EventStore,
) -> None:
    with store.unit_of_work() as uow:
        first = uow.write([hire("E1", "A1", 1, "h1"), event("E1", 2, "s1")], [key("E1")])
        second = uow.write([event("E1", 3, "s2")])
    with store.unit_of_work() as uow:
        third = uow.write([event("E2", 1, "s3")])

    assert (first, second, third) == ([1, 2], [3], [4])
    assert verify(store).ok and verify(store).events == 4
    assert store.locate_events(["s2", "s3"]) == {"s2": "person:E1", "s3": "person:E2"}
    assert store.employment_owners(["A1"]) == {"A1": "E1"}
    assert [r.employee_id for r in store.key_rows(["E1"])] == ["E1"]


def test_non_ascii_ids_and_mixed_topics_are_stored_as_given(store: EventStore) -> None:
    """SQLite's rows are cut out of blobs at byte offsets: a multi-byte id must not shift."""
    ids = ["sjukdag-æøå-1", "h-Ø2", "s3"]
    rows = [
        event("Ærlig", 1, ids[0]),
        hire("Øystein", "Åtte-1", 1, ids[1]),
        event("E3", 1, ids[2]),
    ]
    rows[0].state = orjson.dumps({"type": "sick_day", "note": "vondt i ryggen – «sjuk»"})
    with store.unit_of_work() as uow:
        assert uow.write(rows) == [1, 2, 3]

    assert [state for _, state in store.read_rows(0, 10)] == [r.state for r in rows]
    assert store.locate_events(ids) == {
        "sjukdag-æøå-1": "person:Ærlig", "h-Ø2": "person:Øystein", "s3": "person:E3"
    }
    assert store.existing_event_ids(["h-Ø2", "h-O2"]) == {"h-Ø2"}
    assert store.employment_owners(["Åtte-1"]) == {"Åtte-1": "Øystein"}
    assert verify(store).ok


def test_a_chunk_of_many_topics_keeps_each_rows_topic_stream_and_version(
    store: EventStore,
) -> None:
    """SQLite names a row's topic by a code into the chunk's list of topics: twelve
    topics in one chunk need codes past 9."""
    rows = [event(f"E{i % 3}", i // 3 + 1, f"ev-{i}") for i in range(12)]
    for i, row in enumerate(rows):
        row.topic = f"ledger.domain_events:Kind{i}"
    with store.unit_of_work() as uow:
        uow.write(rows)

    stored = store.read_full_rows(0, 20)
    assert [(t, v) for _, _, v, t, _ in stored] == [(r.topic, r.version) for r in rows]
    assert [UUID(oid) for _, oid, _, _, _ in stored] == [r.originator_id for r in rows]
    assert verify(store).ok


def test_an_error_inside_the_unit_rolls_back_every_chunk(store: EventStore) -> None:
    with pytest.raises(RuntimeError, match="a rule refused line 3"), store.unit_of_work() as uow:
        uow.write([event("E1", 1, "s1")], [key("E1")])
        uow.write([event("E1", 2, "s2")])
        raise RuntimeError("a rule refused line 3")

    assert store.max_position() == 0
    assert store.key_rows() == [] and store.existing_event_ids(["s1", "s2"]) == set()


def test_an_event_id_stored_meanwhile_is_a_concurrent_write(store: EventStore) -> None:
    with store.unit_of_work() as uow:
        uow.write([event("E1", 1, "s1")])

    with pytest.raises(ConcurrentWrite), store.unit_of_work() as uow:
        uow.write([event("E2", 1, "s2")])
        uow.write([event("E3", 1, "s1")])

    assert store.max_position() == 1 and store.existing_event_ids(["s2"]) == set()


def test_writes_behind_get_the_next_positions_in_order(store: EventStore) -> None:
    with store.unit_of_work() as uow:
        writes = WriteBehind(uow)
        writes.write([hire("E1", "A1", 1, "h1"), event("E1", 2, "s1")], [key("E1")])
        writes.write([event("E1", 3, "s2")], [])
        waiting(store, writes).max_position()  # waits for the write in flight
        assert (writes.span, writes.stored) == ((1, 3), 3)
        writes.write([event("E2", 1, "s3")], [])
        writes.close()

    assert (writes.span, writes.stored) == ((1, 4), 4)
    assert verify(store).ok and verify(store).events == 4
    assert store.locate_events(["s2", "s3"]) == {"s2": "person:E1", "s3": "person:E2"}


def test_a_write_behind_that_fails_rolls_back_the_unit(store: EventStore) -> None:
    with store.unit_of_work() as uow:
        uow.write([event("E1", 1, "s1")])

    with pytest.raises(ConcurrentWrite), store.unit_of_work() as uow:
        writes = WriteBehind(uow)
        try:
            writes.write([event("E2", 1, "s2")], [key("E2")])
            writes.write([event("E3", 1, "s1")], [])  # s1 is taken: fails in the thread
            writes.write([event("E4", 1, "s4")], [])  # the failure is raised here, or …
        finally:
            writes.close()  # … here, before the unit of work ends

    assert store.max_position() == 1
    assert store.existing_event_ids(["s2", "s4"]) == set() and store.key_rows(["E2"]) == []


def test_a_stream_version_stored_meanwhile_is_a_concurrent_write(store: EventStore) -> None:
    with store.unit_of_work() as uow:
        uow.write([event("E1", 1, "s1")])

    with pytest.raises(ConcurrentWrite), store.unit_of_work() as uow:
        uow.write([event("E1", 1, "s2")])

    assert store.max_position() == 1


def test_a_key_for_a_person_stored_meanwhile_is_a_concurrent_write(store: EventStore) -> None:
    with store.unit_of_work() as uow:
        uow.write([event("E1", 1, "s1")], [key("E1")])

    with pytest.raises(ConcurrentWrite), store.unit_of_work() as uow:
        uow.write([event("E1", 2, "s2")], [key("E1")])

    assert store.max_position() == 1


def test_an_erasure_destroys_the_key_and_drops_the_snapshots_with_its_events(
    store: EventStore,
) -> None:
    uid = stream_uuid(person_stream("E1"))
    with store.unit_of_work() as uow:
        uow.write([event("E1", 1, "s1")], [key("E1")])
    store.save_snapshots([(uid, 1, "ledger.person:PersonState", b"{}")])

    with store.unit_of_work() as uow:
        uow.write([event("E1", 2, "erased-1")])
        uow.erase(Erasure("E1", uid, "2026-11-24T09:00:00+00:00", uuid4().hex))

    assert store.erased_employees() == {"E1"}
    assert [r.wrapped for r in store.key_rows(["E1"])] == [None]
    assert store.snapshots([uid]) == {}
    assert store.max_position() == 2


def test_a_key_rotation_rewraps_the_live_keys_and_leaves_the_erased(store: EventStore) -> None:
    live, gone = key("E1"), key("E2")
    with store.unit_of_work() as uow:
        uow.write([event("E1", 1, "s1"), event("E2", 1, "s2")], [live, gone])
        uow.erase(Erasure("E2", stream_uuid(person_stream("E2")), "2026-11-24", uuid4().hex))
    seen: list[str | None] = []

    def rewrap(rows: Sequence[KeyRow]) -> list[tuple[str, bytes]]:
        seen.extend(r.employee_id for r in rows)
        return [(r.key_id, b"new " + (r.wrapped or b"")) for r in rows]

    assert store.rewrap_keys(rewrap) == 1

    assert seen == ["E1"]
    assert [r.wrapped for r in store.key_rows(["E1", "E2"]) if r.employee_id == "E1"] == [
        b"new wrapped"
    ]
