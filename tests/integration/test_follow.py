"""Following the log from a checkpoint with personal fields opened (`ledger.services.follow`).

The story: E1 and E2 are hired in November 2021 and fall sick; a sick day is
retracted; E1 leaves in March and is erased three years later. A consumer
reads the log as `hrledger export events` writes it, from any checkpoint,
on SQLite and PostgreSQL.
"""

from __future__ import annotations

import threading
from typing import Any

import orjson
import pytest

from ledger.security.keys import KeyProblem
from ledger.services.follow import open_log
from ledger.services.interchange import iter_events
from tests.builders import sick
from tests.conftest import TEST_MASTER_KEY
from tests.integration.story import FIRST, SECOND, erase_e1, record, two_employees


@pytest.fixture
def story(ledger_url: str) -> str:
    two_employees(ledger_url)
    return ledger_url


def by_id(events: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {e["event_id"]: e for e in events}


def test_the_stored_rows_hold_the_health_fields_sealed(story: str) -> None:
    with open_log(story) as log:
        raw = orjson.loads(log.store.read_rows(2, 1)[0][1])

    assert raw["type"] == "sick_day" and "sealed" in raw
    assert "effective_date" not in raw and "certificate" not in raw


def test_events_come_in_export_form_with_the_sealed_fields_opened(story: str) -> None:
    with open_log(story) as log:
        events = list(log.events())
        exported = list(iter_events(log.store))  # what `hrledger export events` writes

    assert [e["ledger_position"] for e in events] == list(range(1, 10))
    s3 = by_id(events)["s3"]
    assert [s3["effective_date"], s3["certificate"], s3["grade_pct"]] == [
        "2022-02-07",
        "doctor",
        50,
    ]
    assert s3["recorded_at"] == FIRST.isoformat() and "sealed" not in s3
    h1 = by_id(events)["h1"]
    assert (h1["birth_date"], h1["annual_salary"], h1["note"]) == (
        "1980-05-05", 550_000, "overført frå Bokn"
    )  # fmt: skip
    assert by_id(events)["v1"]["welfare_reason"] == "family_illness"
    assert by_id(events)["r1"]["reason"] == "feilregistrert"
    assert events == exported


def test_reading_after_a_checkpoint_returns_only_later_events(story: str) -> None:
    with open_log(story) as log:
        page = log.read(after=6)
        nothing = log.read(after=page.position)

    assert [e["event_id"] for e in page.events] == ["r1", "s4", "t1"]
    assert page.position == 9
    assert nothing.events == [] and nothing.position == 9


def test_pages_end_at_the_limit_and_continue_from_their_position(story: str) -> None:
    with open_log(story, page_size=4) as log:
        first = log.read()
        second = log.read(after=first.position)

    assert [e["ledger_position"] for e in first.events] == [1, 2, 3, 4]
    assert [e["ledger_position"] for e in second.events] == [5, 6, 7, 8]


def test_an_erased_persons_fields_read_erased_and_the_others_stay_open(story: str) -> None:
    erase_e1(story)

    with open_log(story) as log:
        events = by_id(list(log.events()))
        end = log.max_position()

    assert (events["s1"]["effective_date"], events["s1"]["certificate"]) == ("[erased]",) * 2
    assert events["h1"]["note"] == "[erased]"
    # her pay and birth-date keys went with the erasure; unit and job title are masked
    assert events["h1"]["birth_date"] == events["h1"]["annual_salary"] == "[erased]"
    assert events["h1"]["unit"] == events["h1"]["position"] == "[erased]"
    assert events["s3"]["effective_date"] == "2022-02-07"
    types = [e["type"] for e in events.values()]
    assert types.count("erased") == 1 and "statistics_frozen" not in types
    assert end == 11  # the frozen statistics are read past, not handed out


def test_a_reader_that_meets_an_erasure_stops_opening_that_persons_fields(story: str) -> None:
    with open_log(story) as log:
        before = by_id(log.read().events)
        erase_e1(story)
        log.read(after=9)  # the erasure passes by
        again = by_id(log.read().events)

    assert before["s1"]["effective_date"] == "2022-01-10"
    assert again["s1"]["effective_date"] == "[erased]"


def test_a_wrong_master_key_is_refused_with_what_to_do(story: str) -> None:
    with open_log(story, master_key="ff" * 32) as log, pytest.raises(KeyProblem, match="master"):
        log.read()


def test_a_master_key_given_in_the_call_opens_the_fields(
    story: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HRLEDGER_MASTER_KEY")
    with open_log(story) as log, pytest.raises(KeyProblem, match="no master key configured"):
        log.read()

    with open_log(story, master_key=TEST_MASTER_KEY) as log:
        s1 = by_id(log.read().events)["s1"]

    assert s1["effective_date"] == "2022-01-10"


def test_follow_sees_each_event_stored_meanwhile_exactly_once(story: str) -> None:
    seen: list[dict[str, Any]] = []
    stop = threading.Event()

    def consume() -> None:
        with open_log(story) as log:
            for event in log.follow(after=4, poll=0.02, stop=stop):
                seen.append(event)

    thread = threading.Thread(target=consume)
    thread.start()
    try:
        for n in range(5):
            record(story, SECOND, [sick(f"2022-05-{n + 2:02d}", "E2", event_id=f"m{n}")])
        with open_log(story) as log:
            end = log.max_position()
        for _ in range(500):
            if seen and seen[-1]["ledger_position"] == end:
                break
            threading.Event().wait(0.02)
    finally:
        stop.set()
        thread.join(timeout=10)

    assert [e["ledger_position"] for e in seen] == list(range(5, 15))
    assert [e["effective_date"] for e in seen[-5:]] == [f"2022-05-0{d}" for d in range(2, 7)]
