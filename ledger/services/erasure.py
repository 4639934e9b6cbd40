"""Erasure by crypto-shredding: destroy a person's key, record that it was done.

Why not delete: the log is immutable and hash-chained; deleting rows would
break `hrledger verify` and the auditor's trail. Destroying the key changes
no stored byte, so the chain still verifies, while the person's health
fields and notes become unreadable in every copy of the log that lacks the
key. One transaction appends the ``erased`` event, the frozen statistics
(``projections.facts.frozen``) and destroys the key, or does none of it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import uuid4

import orjson

from ledger.domain.errors import LedgerError
from ledger.domain.person import PersonState
from ledger.domain.streams import person_stream, stream_uuid
from ledger.security.keys import KEY_KINDS, Keyring, kind_owner
from ledger.security.sealing import shreddable_fields
from ledger.services.recording import Ledger
from ledger.storage.store import ConcurrentWrite, Erasure, NewEvent
from ledger.storage.wire import TIMESTAMP, event_topics, stamp


@dataclass(frozen=True)
class ErasureResult:
    employee_id: str
    erased_at: str
    positions: tuple[int, int]
    frozen_rows: int
    warning: str | None = None


def erasure_check(ledger: Ledger, employee_id: str, today: date) -> PersonState:
    """The person's state, if they may be erased today; otherwise a refusal naming why."""
    ledger.store.master_key.require()
    ring = Keyring.load(ledger.store, [employee_id])
    if ring.erased(employee_id):
        raise LedgerError(f"employee {employee_id} is already erased; nothing to do")
    state = ledger.person_state(employee_id, ring)
    if state.version == 0:
        raise LedgerError(f"employee {employee_id} is not in the ledger; check the employee id")
    _refuse_clear_fields(ledger, employee_id)
    for emp in state.employments.values():
        if emp.end is None or emp.end >= today.isoformat():
            until = "has no end date" if emp.end is None else f"runs until {emp.end}"
            raise LedgerError(
                f"employee {employee_id} cannot be erased: employment {emp.employment_id} "
                f"{until}. Record `terminated` first; erasure is for former employees "
                "(docs/privacy.md)"
            )
    return state


def _refuse_clear_fields(ledger: Ledger, employee_id: str) -> None:
    """A person recorded before sealing existed has health fields in clear: shredding a key
    would hide nothing, and the frozen share would count their sick days twice."""
    uid = stream_uuid(person_stream(employee_id))
    for version, raw in ledger.store.stream_rows({uid: 0}).get(uid, []):
        ev = orjson.loads(raw)
        clear = [f for f in shreddable_fields(ev["type"]) if ev.get(f) is not None]
        if clear:
            raise LedgerError(
                f"employee {employee_id} cannot be erased by destroying a key: their event "
                f"{version} ({ev['type']}) was stored before sealing existed, with "
                f"{', '.join(clear)} in clear; see docs/privacy.md (ledgers from before sealing)"
            )


def erase(
    ledger: Ledger,
    employee_id: str,
    reason: str,
    frozen_rows: list[dict[str, Any]],
    *,
    state: PersonState,
    recorded_by: str | None = None,
) -> ErasureResult:
    """Append ``erased`` and ``statistics_frozen``, destroy the key: all at once.

    ``state`` is what ``erasure_check`` returned before ``frozen_rows`` were
    computed: if the person's stream grew since, the append conflicts and
    nothing is erased (the frozen rows would be stale).
    """
    if not reason.strip():
        raise LedgerError("--reason is required: say why (e.g. the request's case number)")
    recorded_at = ledger.clock()
    ring = Keyring.load(ledger.store, [employee_id])
    at = stamp(recorded_at)
    erased_id = str(uuid4())
    erased: dict[str, Any] = {
        "type": "erased",
        "event_id": erased_id,
        "recorded_by": recorded_by,
        "note": None,
        "employee_id": employee_id,
        "reason": reason,
        "frozen_share": "all",
        TIMESTAMP: at,
    }
    stream = person_stream(employee_id)
    topics = event_topics()
    events = [
        NewEvent(
            stream_uuid(stream),
            state.version + 1,
            topics["erased"],
            orjson.dumps(erased),
            erased_id,
            stream,
        ),
        frozen_statistics_event(ring, frozen_rows, at, recorded_by),
    ]
    shred = Erasure(
        employee_id,
        stream_uuid(stream),
        recorded_at.isoformat(),
        secrets.token_hex(16),
        # and the person's pay and birth-date keys, where they have them
        tuple((kind_owner(employee_id, k), secrets.token_hex(16)) for k in KEY_KINDS),
    )
    try:
        with ledger.store.unit_of_work() as uow:
            positions = uow.write(events, ring.take_new_rows())
            uow.erase(shred)
    except ConcurrentWrite:
        raise LedgerError(
            f"another writer recorded for {employee_id} meanwhile; nothing was erased, try again"
        ) from None
    warning = None
    if getattr(ledger.store, "key_left_in_log", False):
        warning = (
            "other programs kept the ledger's write-ahead log busy, so the destroyed key may "
            "still be in it: when they are closed, run "
            "`sqlite3 LEDGER.sqlite 'PRAGMA wal_checkpoint(TRUNCATE)'` (docs/operations.md)"
        )
    return ErasureResult(
        employee_id,
        recorded_at.isoformat(),
        (positions[0], positions[-1]),
        len(frozen_rows),
        warning,
    )


def frozen_statistics_event(
    ring: Keyring, rows: list[dict[str, Any]], at: dict[str, str], recorded_by: str | None
) -> NewEvent:
    """A ``statistics_frozen`` event in its own stream: a person's share of published sums.

    Sealed with the ledger key and without an employee id, so that it outlives the
    person's keys (erasure and retention both record one before they destroy keys).
    """
    stats_id = str(uuid4())
    frozen = {
        "type": "statistics_frozen",
        "event_id": stats_id,
        "recorded_by": recorded_by,
        "note": None,
        TIMESTAMP: at,
        "sealed_stats": ring.seal(ring.key_for(None), {"rows": rows}, stats_id),
    }
    stream = f"statistics:{stats_id}"
    return NewEvent(
        stream_uuid(stream), 1, event_topics()["statistics_frozen"], orjson.dumps(frozen),
        stats_id, stream,
    )  # fmt: skip
