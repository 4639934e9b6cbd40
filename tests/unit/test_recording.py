"""The write service's unit of work, on the in-memory store: all or nothing, every problem
in one round, a retry that starts from the same lines, and the stored form of an event."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import orjson
import pytest

import ledger.services.recording as recording
from ledger.domain.errors import ImportRefused, Problem
from ledger.domain.streams import person_stream, stream_uuid
from ledger.security.chain import GENESIS, link
from ledger.security.master_key import MasterKeySource
from ledger.services.erasure import erase, erasure_check
from ledger.services.recording import Ledger
from ledger.services.verification import verify
from ledger.storage.memory import MemoryStore, MemoryUnitOfWork
from tests.builders import hired, retracted, sick, terminated
from tests.unit.rules.recorder import MASTER_KEY, RECORDED_AT, memory_ledger, refusals, stored


def test_a_refusal_in_a_late_chunk_rolls_back_the_chunks_written_before_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(recording, "CHUNK", 2)  # lines 1–2 and 3–4 are written before line 6
    ledger = memory_ledger()
    lines = [hired(), *[sick(f"2021-03-0{d}", certificate="doctor") for d in (1, 2, 3, 4)]]

    problems = refusals(ledger, [*lines, sick("2021-03-02", certificate="doctor")])

    assert [(p.line, p.field) for p in problems] == [(6, "effective_date")]


def test_a_file_is_written_in_chunks_into_one_run_of_positions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(recording, "CHUNK", 2)
    ledger = memory_ledger()

    result = ledger.record([hired(), *[sick(f"2021-03-0{d}") for d in (1, 2, 3, 4)]])

    assert (result.stored, result.positions) == (5, (1, 5))
    assert verify(ledger.store).ok and verify(ledger.store).events == 5


def test_malformed_lines_and_refused_lines_are_reported_together_in_line_order() -> None:
    ledger = memory_ledger()

    problems = refusals(
        ledger,
        [sick("2021-03-01", employee_id="E9"), hired(position_pct=0), retracted("nope")],
    )

    assert [(p.line, p.field) for p in problems] == [
        (1, "effective_date"),
        (2, "position_pct"),
        (3, "target_event_id"),
    ]


def test_a_line_after_a_malformed_line_is_still_checked() -> None:
    problems = refusals(memory_ledger(), [hired(gender="X"), sick("2021-03-01")])

    assert [(p.line, p.field) for p in problems] == [(1, "gender"), (2, "effective_date")]


def test_an_event_id_twice_in_one_file_is_refused() -> None:
    problems = refusals(memory_ledger(), [hired(event_id="a"), sick("2021-03-01", event_id="a")])

    assert problems == [Problem(2, "'a' appears twice in the input (first on line 1)", "event_id")]


def test_importing_the_same_lines_again_stores_nothing_new() -> None:
    ledger = memory_ledger()
    lines = [hired(event_id="h1"), sick("2021-03-01", event_id="s1")]
    ledger.record(lines)

    again = ledger.record(lines)

    assert (again.stored, again.already_stored, again.positions) == (0, 2, None)
    assert ledger.store.max_position() == 2


def test_the_stored_event_is_the_line_with_its_id_owner_target_type_and_recorded_time() -> None:
    """The key order is the one the first ledgers stored; ``reason`` is sealed."""
    ledger = memory_ledger()
    stored(ledger, [hired(), sick("2021-03-01", event_id="s1")])

    stored(ledger, [retracted("s1", event_id="r1")])

    event = orjson.loads(ledger.store.read_rows(2, 1)[0][1])
    assert list(event) == [
        "type", "event_id", "recorded_by", "note", "target_event_id", "target_type",
        "timestamp", "sealed",
    ]  # fmt: skip
    assert event["target_type"] == "sick_day"
    assert event["timestamp"] == {"_type_": "datetime_iso", "_data_": "2026-11-23T12:00:00+00:00"}


def test_a_line_without_an_event_id_gets_a_new_one_and_the_input_is_not_changed() -> None:
    ledger = memory_ledger()
    lines = [hired(), sick("2021-03-01")]
    before = copy.deepcopy(lines)

    ledger.record(lines)

    ids = [orjson.loads(s)["event_id"] for _, s in ledger.store.read_rows(0, 10)]
    assert len(set(ids)) == 2 and all(len(i) == 36 for i in ids)
    assert lines == before


def test_the_chain_links_each_row_to_the_one_before() -> None:
    ledger = memory_ledger()

    stored(ledger, [hired(), sick("2021-03-01")])

    rows = ledger.store.read_full_rows(0, 10)
    first = link(GENESIS, *rows[0])
    assert ledger.store.read_chain(0, 10) == [(1, first), (2, link(first, *rows[1]))]


class RacingStore(MemoryStore):
    """Another writer records for the same person just before our unit of work begins."""

    def __init__(self) -> None:
        super().__init__(master_key=MasterKeySource(value=MASTER_KEY))
        self.rival: list[dict[str, Any]] | None = None

    @contextmanager
    def unit_of_work(self) -> Iterator[MemoryUnitOfWork]:
        if self.rival is not None:
            rival, self.rival = self.rival, None
            Ledger(store=self, clock=lambda: RECORDED_AT).record(rival)
        with super().unit_of_work() as uow:
            yield uow


def test_a_concurrent_write_is_retried_from_the_same_lines() -> None:
    store = RacingStore()
    Ledger(store=store).record([hired()])
    store.rival = [sick("2021-03-02", event_id="theirs")]
    ours = [sick("2021-03-01"), sick("2021-03-02", event_id="theirs"), sick("2021-03-03")]
    before = copy.deepcopy(ours)

    result = Ledger(store=store, clock=lambda: RECORDED_AT).record(ours)

    assert (result.stored, result.already_stored) == (2, 1)  # their line is not stored twice
    uid = stream_uuid(person_stream("E1"))
    assert [v for v, _ in store.stream_rows({uid: 0})[uid]] == [1, 2, 3, 4]
    assert ours == before
    assert verify(store).ok


def test_a_rival_that_breaks_our_rules_meanwhile_refuses_the_retry() -> None:
    """They recorded 2 March first: our 2 March is now a second sick day on that date."""
    store = RacingStore()
    Ledger(store=store).record([hired()])
    store.rival = [sick("2021-03-02", event_id="theirs")]

    with pytest.raises(ImportRefused) as refused:
        Ledger(store=store).record([sick("2021-03-02", certificate="doctor")])

    assert [p.message[:37] for p in refused.value.problems] == [
        "a sick day on 2021-03-02 is already r"
    ]
    assert store.max_position() == 2  # the hire and their sick day


def test_nothing_more_is_recorded_for_an_erased_person() -> None:
    ledger = memory_ledger()
    stored(ledger, [hired(), sick("2021-03-01"), terminated("2021-06-30")])
    state = erasure_check(ledger, "E1", date(2026, 1, 1))
    erase(ledger, "E1", "case 2026/17", [], state=state)

    problems = refusals(ledger, [sick("2021-03-02")])

    assert problems == [
        Problem(
            1,
            "employee E1 was erased (GDPR art. 17, docs/privacy.md); nothing more can be "
            "recorded for them — record a returning employee under a new employee id",
            "employee_id",
        )
    ]
    # her own key and her pay and birth-date keys (owners E1␟pay, E1␟birth_date)
    assert ledger.store.erased_employees() == {"E1", "E1\x1fpay", "E1\x1fbirth_date"}
