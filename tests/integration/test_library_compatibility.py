"""The stored rows are the `eventsourcing` library's own: its mapper and recorders read them.

The bulk write path builds the stored JSON directly for speed (see docs/performance.md),
so these tests prove that nothing of the library's contract was lost on the way: every
row decodes through `Mapper(JSONTranscoder())` into its `ledger.domain.event_classes` class,
and the library's recorder lists the same rows, in the same order, as the ledger.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    Mapper,
    StoredEvent,
    UUIDAsHex,
)
from eventsourcing.sqlite import SQLiteFactory
from eventsourcing.utils import Environment

from ledger.domain import event_classes as de
from ledger.domain.streams import deviation_stream, person_stream, stream_uuid
from ledger.security.keys import Keyring
from ledger.services.recording import Ledger
from ledger.storage.store import EventStore
from tests.builders import hired, leave, retracted, sick, terminated

RECORDED_AT = datetime(2025, 3, 10, 9, 30, tzinfo=UTC)


def the_library_mapper() -> Mapper[UUID]:
    """A mapper built as `Application.construct_mapper` builds one in 9.5.6."""
    transcoder = JSONTranscoder()
    transcoder.register(UUIDAsHex())
    transcoder.register(DecimalAsStr())
    transcoder.register(DatetimeAsISO())
    return Mapper(transcoder=transcoder)


def one_of_every_type() -> list[dict[str, Any]]:
    return [
        hired(event_id="h1", recorded_by="kari", note="from the old system"),
        {"type": "position_changed", "event_id": "p1", "employment_id": "A1",
         "effective_date": "2021-01-01", "position_pct": 80},
        {"type": "transferred", "event_id": "t1", "employment_id": "A1",
         "effective_date": "2021-02-01", "sector": "Helse og omsorg", "unit": "Heimetenesta",
         "is_leader": True},
        {"type": "salary_changed", "event_id": "l1", "employment_id": "A1",
         "effective_date": "2021-05-01", "annual_salary": 575_000.5,
         "reason": "local_negotiation"},
        leave("2021-08-16", "2021-08-16", event_id="v1", welfare_reason="school_start"),
        sick("2021-03-01", event_id="s1"),
        {"type": "hms_deviation", "event_id": "d1", "deviation_id": "D1",
         "effective_date": "2021-06-11", "sector": "Helse og omsorg", "unit": "Heimetenesta",
         "category": "violence_threat", "severity": 3},
        {"type": "hms_deviation_closed", "event_id": "d2", "deviation_id": "D1",
         "effective_date": "2021-06-30"},
        retracted("s1", event_id="r1"),
        terminated("2021-12-31", event_id="x1", reason="end_of_contract"),
    ]  # fmt: skip


@pytest.fixture
def ledger(ledger_url: str) -> Iterator[Ledger]:
    with Ledger(ledger_url, clock=lambda: RECORDED_AT) as ledger:
        ledger.record(one_of_every_type())
        yield ledger


def stored_events(store: EventStore) -> list[tuple[int, StoredEvent]]:
    return [
        (pos, StoredEvent(UUID(str(oid)), version, topic, bytes(state)))
        for pos, oid, version, topic, state in store.read_full_rows(0, 1000)
    ]


def test_every_stored_row_decodes_into_its_domain_event_class(ledger: Ledger) -> None:
    mapper = the_library_mapper()

    decoded = [mapper.to_domain_event(s) for _, s in stored_events(ledger.store)]

    assert [type(e) for e in decoded] == [
        de.Hired, de.PositionChanged, de.Transferred, de.SalaryChanged, de.LeaveRecorded,
        de.SickDayRecorded, de.HmsDeviationReported, de.HmsDeviationClosed, de.Retracted,
        de.Terminated,
    ]  # fmt: skip
    assert all(isinstance(e, de.LedgerEvent) for e in decoded)


def test_decoded_events_carry_an_aware_recorded_time(ledger: Ledger) -> None:
    mapper = the_library_mapper()

    decoded = [mapper.to_domain_event(s) for _, s in stored_events(ledger.store)]

    for event in decoded:
        assert isinstance(event, de.LedgerEvent)
        assert isinstance(event.timestamp, datetime)
        assert event.timestamp.utcoffset() == timedelta(0)
        assert event.timestamp == RECORDED_AT


def test_decoded_events_keep_the_interchange_fields(ledger: Ledger) -> None:
    mapper = the_library_mapper()

    hire, change, *_ = (mapper.to_domain_event(s) for _, s in stored_events(ledger.store))

    assert isinstance(hire, de.Hired) and isinstance(change, de.PositionChanged)
    assert hire.event_id == "h1" and hire.recorded_by == "kari"
    assert hire.effective_date == "2020-01-01"
    assert hire.position_pct == 100 and hire.is_leader is False
    # personal fields travel sealed; the ledger's keys open them
    assert not hasattr(hire, "birth_date") and not hasattr(hire, "note")
    ring = Keyring.load(ledger.store)
    # pay and birth date each with the person's key of that kind (retention destroys one)
    assert ring.open(hire.sealed_p, "h1") == {"annual_salary": 550_000}
    assert ring.open(hire.sealed_b, "h1") == {"birth_date": "1980-05-05"}
    assert ring.open(hire.sealed, "h1") == {"note": "from the old system"}
    assert change.employee_id == "E1"  # filled in from the employment's owner


def test_streams_are_per_person_and_per_deviation_with_gapless_versions(ledger: Ledger) -> None:
    mapper = the_library_mapper()

    decoded = [mapper.to_domain_event(s) for _, s in stored_events(ledger.store)]

    person = stream_uuid(person_stream("E1"))
    deviation = stream_uuid(deviation_stream("D1"))
    assert [e.originator_version for e in decoded if e.originator_id == person] == list(range(1, 9))
    assert [e.originator_version for e in decoded if e.originator_id == deviation] == [1, 2]


def test_the_library_encodes_a_decoded_event_back_to_the_same_json(ledger: Ledger) -> None:
    mapper = the_library_mapper()

    for _, s in stored_events(ledger.store):
        again = mapper.to_stored_event(mapper.to_domain_event(s))

        assert again.topic == s.topic and again.originator_version == s.originator_version
        assert mapper.transcoder.decode(again.state) == mapper.transcoder.decode(s.state)


def test_the_library_recorder_lists_the_same_rows_in_the_same_order(sqlite_url: str) -> None:
    with Ledger(sqlite_url, clock=lambda: RECORDED_AT) as ledger:
        ledger.record(one_of_every_type())
        ours = stored_events(ledger.store)
    path = sqlite_url.split(":///", 1)[1]
    factory = SQLiteFactory(Environment(env={"SQLITE_DBNAME": path}))
    try:
        recorder = factory.application_recorder()

        notifications = recorder.select_notifications(start=1, limit=100)
        sick_days = recorder.select_notifications(
            start=1, limit=100, topics=[de.TOPIC_BY_TYPE["sick_day"]]
        )
        max_id = recorder.max_notification_id()
    finally:
        factory.close()

    assert [(n.id, n.originator_id, n.originator_version, n.topic, n.state) for n in
            notifications] == [
        (pos, s.originator_id, s.originator_version, s.topic, s.state) for pos, s in ours
    ]  # fmt: skip
    assert [n.topic for n in sick_days] == ["ledger.domain_events:SickDayRecorded"]
    assert max_id == len(ours) == 10
