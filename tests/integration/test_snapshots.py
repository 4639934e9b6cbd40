"""Snapshots of a person's rule state: taken every SNAPSHOT_EVERY events, never lose history.

Rules read a person's live facts from the latest snapshot plus the events after it;
these tests make a rule depend on facts recorded before the snapshot.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from psycopg import sql

from ledger.domain.errors import ImportRefused
from ledger.domain.streams import person_stream, stream_uuid
from ledger.services.recording import SNAPSHOT_EVERY, Ledger
from tests.builders import hired, retracted, sick, terminated


@pytest.fixture
def ledger(ledger_url: str) -> Iterator[Ledger]:
    with Ledger(ledger_url) as ledger:
        yield ledger


def snapshot_versions(ledger: Ledger, employee_id: str = "E1") -> list[int]:
    """Every snapshot version stored for the person, read from `stored_snapshots`."""
    store: Any = ledger.store
    oid = stream_uuid(person_stream(employee_id))
    if store.kind == "sqlite":
        rows = store.conn.execute(
            "SELECT originator_version FROM stored_snapshots WHERE originator_id = ? "
            "ORDER BY originator_version",
            (oid.hex,),
        ).fetchall()
    else:
        table = sql.SQL("{}.stored_snapshots").format(sql.Identifier(store.schema))
        rows = store.conn.execute(
            sql.SQL(
                "SELECT originator_version FROM {} WHERE originator_id = %s "
                "ORDER BY originator_version"
            ).format(table),
            (oid,),
        ).fetchall()
    return [r[0] for r in rows]


def days(start: str, n: int, step: int = 1) -> list[str]:
    first = date.fromisoformat(start)
    return [(first + timedelta(days=i * step)).isoformat() for i in range(n)]


def doctor_days(start: str, n: int) -> list[dict[str, Any]]:
    return [sick(d, certificate="doctor") for d in days(start, n)]


def test_snapshot_every_is_one_hundred() -> None:
    assert SNAPSHOT_EVERY == 100


def test_a_person_with_over_250_events_gets_a_snapshot_every_hundred_new_events(
    ledger: Ledger,
) -> None:
    # Batches of 60, 60, 60, 60, 20 events → versions 60, 120, 180, 240, 260.
    # A snapshot is taken when the stream grew by ≥ 100 since the last one:
    # at 120 (120 − 0) and at 240 (240 − 120); not at 60, 180 or 260.
    sick_days = doctor_days("2020-01-01", 259)
    batches = (
        [[hired(), *sick_days[:59]]]
        + [sick_days[i : i + 60] for i in range(59, 239, 60)]
        + [sick_days[239:]]
    )
    assert [len(b) for b in batches] == [60, 60, 60, 60, 20]

    for batch in batches:
        ledger.record(batch)

    assert snapshot_versions(ledger) == [120, 240]
    assert ledger.store.max_position() == 260


def test_one_large_file_gives_one_snapshot_at_its_end(ledger: Ledger) -> None:
    ledger.record([hired(), *doctor_days("2020-01-01", 299)])

    assert snapshot_versions(ledger) == [300]


def test_a_person_under_the_threshold_gets_no_snapshot(ledger: Ledger) -> None:
    ledger.record([hired(), *doctor_days("2020-01-01", SNAPSHOT_EVERY - 2)])

    assert snapshot_versions(ledger) == []


def a_snapshot_after_twelve_self_certified_days_in_january(ledger: Ledger) -> None:
    """Hire, 12 single self-certified days in January 2021 and 100 doctor days: 113 events,
    so the snapshot (version 113) holds the twelve January days."""
    january = [sick(d, event_id=f"jan-{i}") for i, d in enumerate(days("2021-01-04", 12, 2))]
    ledger.record([hired(), *january, *doctor_days("2021-02-01", 100)])
    assert snapshot_versions(ledger) == [113]


def test_the_yearly_self_certification_limit_counts_days_before_the_snapshot(
    ledger: Ledger,
) -> None:
    # 12 days before the snapshot + 12 after = 24, the Utsira limit; the 25th is refused.
    a_snapshot_after_twelve_self_certified_days_in_january(ledger)
    ledger.record([sick(d) for d in days("2021-07-05", 12, 2)])

    with pytest.raises(ImportRefused, match=r"would be 25 in the 12 months .* limit of 24"):
        ledger.record([sick("2021-08-16")])


def test_the_occurrence_limit_sees_a_run_that_began_before_the_snapshot(ledger: Ledger) -> None:
    # 7 consecutive self days end the first file (the snapshot); the 8th is allowed and
    # the 9th makes a run of 9 > 8.
    ledger.record(
        [hired(), *doctor_days("2021-01-01", 105), *[sick(d) for d in days("2021-06-01", 7)]]
    )
    assert snapshot_versions(ledger) == [113]
    ledger.record([sick("2021-06-08")])

    with pytest.raises(ImportRefused, match="9 consecutive calendar days"):
        ledger.record([sick("2021-06-09")])


def test_retracting_an_event_recorded_before_the_snapshot_frees_its_day(ledger: Ledger) -> None:
    # After the retraction only 23 self days remain in the window, so one more fits, and
    # the retracted day itself may be recorded again.
    a_snapshot_after_twelve_self_certified_days_in_january(ledger)
    ledger.record([sick(d) for d in days("2021-07-05", 12, 2)])

    ledger.record([retracted("jan-0")])
    result = ledger.record([sick("2021-08-16")])
    again = ledger.record([sick("2021-01-04", certificate="doctor")])

    assert result.stored == 1 and again.stored == 1


def test_a_retraction_before_the_snapshot_is_remembered_after_it(ledger: Ledger) -> None:
    ledger.record([hired(), sick("2021-01-04", event_id="s1"), retracted("s1")])
    ledger.record(doctor_days("2021-02-01", 100))
    assert snapshot_versions(ledger) == [103]

    with pytest.raises(ImportRefused, match="event s1 is already retracted"):
        ledger.record([retracted("s1")])


def test_a_termination_before_the_snapshot_still_blocks_later_sick_days(ledger: Ledger) -> None:
    ledger.record([hired(), *doctor_days("2021-01-01", 100), terminated("2021-06-30")])
    assert snapshot_versions(ledger) == [102]

    with pytest.raises(ImportRefused, match="no active employment"):
        ledger.record([sick("2021-07-01", certificate="doctor")])


def test_a_file_that_makes_many_snapshots_stores_every_one(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ledger.services.streaming as streaming

    monkeypatch.setattr(streaming, "SNAPSHOT_BATCH", 2)  # five persons: three batches
    people = [f"E{i}" for i in range(1, 6)]
    lines = [hired(p, f"A{p}", "2020-01-01") for p in people]
    for p in people:
        lines += [sick(d, p, certificate="doctor") for d in days("2020-02-01", SNAPSHOT_EVERY)]
    assert ledger.record(lines).stored == 5 * (SNAPSHOT_EVERY + 1)
    assert [snapshot_versions(ledger, p) for p in people] == [[SNAPSHOT_EVERY + 1]] * 5
