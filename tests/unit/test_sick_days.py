"""The packed sick days answer as the mapping they replaced, through retractions and snapshots."""

from __future__ import annotations

import orjson

from ledger.domain.person import PersonState
from ledger.domain.sick_days import SickDays


def _ordinal(day: str) -> int:
    from datetime import date

    return date.fromisoformat(day).toordinal()


def test_days_read_back_by_date_in_date_order_whatever_order_they_came_in() -> None:
    days = SickDays()
    days.add("2024-03-05", "doctor", "ev-2")
    days.add("2024-03-04", "self", "ev-1")
    days.add("2024-12-31", "self", "a-much-longer-event-id-from-a-payroll-system-0001")

    assert list(days) == ["2024-03-04", "2024-03-05", "2024-12-31"]
    assert days["2024-03-05"] == ("doctor", "ev-2")
    assert days.get("2024-03-06") is None
    assert "2024-03-04" in days and "2024-03-06" not in days
    assert dict(days.items())["2024-12-31"][1].endswith("system-0001")
    assert list(days.self_days) == [_ordinal("2024-03-04"), _ordinal("2024-12-31")]


def test_removing_an_event_frees_its_day_and_a_removed_id_is_not_found_again() -> None:
    days = SickDays()
    days.add("2024-03-04", "self", "ev-1")
    days.add("2024-03-05", "self", "ev-12")

    assert days.remove_event("ev-1") is True
    assert not days.holds_event("ev-1") and days.holds_event("ev-12")
    assert days.remove_event("ev-1") is False
    assert list(days) == ["2024-03-05"]
    assert list(days.self_days) == [_ordinal("2024-03-05")]
    days.add("2024-03-04", "doctor", "ev-13")  # the freed day, recorded again
    assert days["2024-03-04"] == ("doctor", "ev-13")
    assert days.is_self(_ordinal("2024-03-05")) and not days.is_self(_ordinal("2024-03-04"))


def _person() -> PersonState:
    state = PersonState("E1")
    base = {"employee_id": "E1", "employment_id": "A1"}
    hire = {"type": "hired", "event_id": "h", "effective_date": "2024-01-01"}
    state.apply({**base, **hire, "birth_date": "1980-05-05", "gender": "F",
                 "employment_type": "permanent"})  # fmt: skip
    for n, day in enumerate(["2024-03-04", "2024-03-05", "2024-03-06"], start=1):
        state.apply({**base, "type": "sick_day", "event_id": f"s{n}", "effective_date": day,
                     "certificate": "self"})  # fmt: skip
    state.apply({"type": "retracted", "event_id": "r1", "target_event_id": "s2"})
    return state


def test_a_person_knows_the_kind_of_each_live_event_and_forgets_a_retracted_sick_day() -> None:
    state = _person()

    assert state.kind_of("s1") == "sick_day" and state.kind_of("h") == "hired"
    assert state.kind_of("s2") is None  # retracted
    assert sorted(state.live_facts()) == [("h", "hired"), ("s1", "sick_day"), ("s3", "sick_day")]
    assert list(state.self_days) == [_ordinal("2024-03-04"), _ordinal("2024-03-06")]


def test_a_snapshot_round_trips_and_an_older_snapshot_with_sick_days_among_facts_reads() -> None:
    state = _person()
    snap = orjson.loads(orjson.dumps(state.to_snapshot()))
    again = PersonState.from_snapshot(snap)
    assert dict(again.sick_days.items()) == dict(state.sick_days.items())
    assert again.kind_of("s3") == "sick_day" and again.version == state.version == 5

    snap["facts"] = {"h": "hired", "s1": "sick_day", "s3": "sick_day"}  # the older layout
    older = PersonState.from_snapshot(snap)
    assert older.facts == {"h": "hired"}
    assert sorted(older.live_facts()) == sorted(state.live_facts())


def test_ids_with_and_without_the_persons_prefix_read_back_and_retract_exactly() -> None:
    days = SickDays()
    days.add("2024-01-02", "doctor", "payroll-2024-000017")
    days.add("2024-01-03", "doctor", "payroll-2024-")  # the prefix itself
    days.add("2024-01-04", "doctor", "absence-7")  # another source
    days.add("2024-01-05", "doctor", "1234")
    days.add("2024-01-08", "doctor", "payroll-2024-0000171")

    assert [eid for _, eid in days.values()] == [
        "payroll-2024-000017", "payroll-2024-", "absence-7", "1234", "payroll-2024-0000171",
    ]  # fmt: skip
    assert days.remove_event("payroll-2024-000017")
    assert days.holds_event("payroll-2024-0000171") and not days.holds_event("payroll-2024-00001")
    assert days.remove_event("absence-7") and days.remove_event("payroll-2024-")
    assert list(days) == ["2024-01-05", "2024-01-08"]
