"""Sealing personal fields: what is sealed with whose key, and what tampering does."""

from __future__ import annotations

from typing import Any

import pytest

from ledger.security.keys import KeyProblem, Keyring, KeyRow
from ledger.security.sealing import ERASED, LEDGER, PERSON, open_event, seal_event
from tests.builders import hired, leave, sick
from tests.key_table import KeyTable


def _stored(ev: dict[str, Any], table: KeyTable, owner: str | None = "E1") -> dict[str, Any]:
    ring = Keyring.load(table)
    out = seal_event({"event_id": "ev-1", **ev}, ring, owner)
    table.keep(ring)
    return out


def test_a_sick_day_keeps_only_its_person_in_clear() -> None:
    table = KeyTable()

    stored = _stored(sick("2021-03-01", certificate="doctor", grade_pct=50, note="migrene"), table)

    assert set(stored) == {"type", "event_id", "employee_id", PERSON}
    assert stored[PERSON].startswith(table.rows[stored[PERSON].split(":")[0]].key_id)
    opened = dict(stored)
    assert open_event(opened, Keyring.load(table))
    assert opened["effective_date"] == "2021-03-01" and opened["grade_pct"] == 50
    assert opened["note"] == "migrene"


def test_birth_date_and_pay_are_sealed_each_with_the_persons_key_of_that_kind() -> None:
    table = KeyTable()

    stored = _stored(hired(), table)

    assert "birth_date" not in stored and "annual_salary" not in stored and LEDGER not in stored
    owners = {r.key_id: r.employee_id for r in table.rows.values()}
    assert owners[stored["sealed_p"].split(":")[0]] == "E1\x1fpay"
    assert owners[stored["sealed_b"].split(":")[0]] == "E1\x1fbirth_date"
    opened = dict(stored)
    assert open_event(opened, Keyring.load(table))
    assert (opened["birth_date"], opened["annual_salary"]) == ("1980-05-05", 550_000)
    assert stored["gender"] == "F" and stored["unit"] == "Utsira skule"  # KPI fields stay clear


def test_a_welfare_reason_is_sealed_but_the_leave_itself_is_not() -> None:
    stored = _stored(leave("2021-05-03", "2021-05-03", welfare_reason="family_illness"), KeyTable())

    assert stored["start_date"] == "2021-05-03" and stored["kind"] == "welfare"
    assert "welfare_reason" not in stored


def test_a_sealed_value_moved_to_another_event_fails_its_integrity_check() -> None:
    table = KeyTable()
    stored = _stored(sick("2021-03-01"), table)

    moved = {**stored, "event_id": "ev-2"}  # the ciphertext is bound to its event id

    with pytest.raises(KeyProblem, match="failed its integrity check"):
        open_event(moved, Keyring.load(table))


def test_a_destroyed_key_reads_as_erased() -> None:
    table = KeyTable()
    stored = _stored(sick("2021-03-01"), table)
    kid = stored[PERSON].split(":")[0]
    del table.rows[kid]  # what `hrledger erase` leaves: a tombstone under a new key id
    table.rows["tombstone"] = KeyRow("tombstone", "E1", None, "2025-01-01", "2025-01-01")

    ring = Keyring.load(table)
    marked, bare = dict(stored), dict(stored)

    assert not open_event(marked, ring, mark_erased=True)
    assert marked["effective_date"] == ERASED and marked["certificate"] == ERASED
    assert not open_event(bare, ring) and "effective_date" not in bare


def test_a_ring_that_has_sealed_for_a_person_still_sees_their_erasure() -> None:
    """The import's hot loop answers ``erased`` from its cache of sealing keys; an erasure
    the ring learns of later (a tombstone row, or ``forget``) must still count."""
    table = KeyTable()
    ring = Keyring.load(table)
    seal_event({"event_id": "ev-1", **sick("2021-03-01")}, ring, "E1")
    seal_event({"event_id": "ev-2", **sick("2021-03-01", employee_id="E2")}, ring, "E2")
    assert not ring.erased("E1") and not ring.erased("E2")

    ring.include([KeyRow("tombstone", "E1", None, "2025-01-01", "2025-01-01")])
    ring.forget("E2")

    assert ring.erased("E1") and ring.erased("E2")
    with pytest.raises(KeyProblem, match="E1 was erased"):
        ring.sealing_key("E1")


def test_a_malformed_master_key_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HRLEDGER_MASTER_KEY", "not-hex")
    with pytest.raises(KeyProblem, match="HRLEDGER_MASTER_KEY is not 64 hexadecimal"):
        Keyring.load(KeyTable())
    monkeypatch.setenv("HRLEDGER_MASTER_KEY", "abcd")
    with pytest.raises(KeyProblem, match="must be 64 hexadecimal characters"):
        Keyring.load(KeyTable())
