"""Retention carried out: destroy the keys of the kinds of field whose period has run out.

Why keys and not rows: as with an erasure (``ledger.services.erasure``) the
log is immutable and hash-chained. Each kind of personal field has its own
key per person (``ledger.security.sealing``): health data and free text the
person's own key, pay and birth date one key each. Destroying one makes that
kind unreadable in every copy of the log that lacks the key, and no stored
byte changes. One transaction appends a ``shredded`` event per kind (and, the
first time, the person's frozen share of every KPI, so past figures stay as
published) and destroys the keys, or does none of it.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

import orjson

from ledger.domain.errors import LedgerError
from ledger.domain.streams import person_stream, stream_uuid
from ledger.security.keys import Keyring, kind_owner
from ledger.services.erasure import frozen_statistics_event
from ledger.services.recording import Ledger
from ledger.storage.store import ConcurrentWrite, Erasure, NewEvent
from ledger.storage.wire import TIMESTAMP, event_topics, stamp

KEY_OF_KIND = {"health": None, "free_text": None, "pay": "pay", "birth_date": "birth_date"}
"""Which of the person's keys seals each kind (None: their own key, shared by health data
and free text, so the two are shredded together: the earlier of the two dates decides)."""


@dataclass(frozen=True)
class ShredResult:
    employee_id: str
    kinds: tuple[str, ...]
    """The kinds recorded as shredded (those due, and any sharing their key)."""
    keys: int
    """Keys destroyed."""
    frozen_rows: int


def owner_of(employee_id: str, kind: str) -> str:
    """The key owner (``ledger_person_keys.employee_id``) of one kind of the person's fields."""
    key = KEY_OF_KIND[kind]
    return employee_id if key is None else kind_owner(employee_id, key)


def still_readable(ring: Keyring, employee_id: str, kinds: Sequence[str]) -> list[str]:
    """Those of ``kinds`` whose key has not been destroyed yet (in ``KEY_OF_KIND`` order)."""
    return [k for k in KEY_OF_KIND if k in kinds and not ring.erased(owner_of(employee_id, k))]


def shred(
    ledger: Ledger,
    employee_id: str,
    due: dict[str, str],
    frozen_rows: list[dict[str, Any]] | None,
    *,
    recorded_by: str | None = None,
) -> ShredResult | None:
    """Destroy the keys of the kinds in ``due`` (kind → why: the policy's source).

    ``frozen_rows``: the person's share of every KPI, computed before (None
    when it was frozen already: by an earlier retention run). Returns None when
    every key is gone already (nothing to do).
    """
    ledger.store.master_key.require()
    ring = Keyring.load(ledger.store, [employee_id])
    kinds = still_readable(ring, employee_id, list(due))
    # a kind sharing a key with a due one goes with it
    kinds = still_readable(
        ring,
        employee_id,
        [k for k in KEY_OF_KIND if any(KEY_OF_KIND[k] == KEY_OF_KIND[d] for d in kinds)],
    )
    if not kinds:
        return None
    recorded_at = ledger.clock()
    at = stamp(recorded_at)
    topics = event_topics()
    stream = person_stream(employee_id)
    uid = stream_uuid(stream)
    rows = ledger.store.stream_rows({uid: 0}).get(uid, [])
    version = rows[-1][0] if rows else 0
    if version == 0:
        raise LedgerError(f"employee {employee_id} is not in the ledger; check the employee id")
    events = []
    for n, kind in enumerate(kinds):
        event_id = str(uuid4())
        why = due.get(kind) or "shares its key with " + ", ".join(k for k in kinds if k in due)
        event = {
            "type": "shredded",
            "event_id": event_id,
            "recorded_by": recorded_by,
            "note": None,
            "employee_id": employee_id,
            "field_kind": kind,
            "reason": why,
            "frozen_share": "all" if n == 0 and frozen_rows is not None else None,
            TIMESTAMP: at,
        }
        events.append(
            NewEvent(uid, version + 1 + n, topics["shredded"], orjson.dumps(event),
                     event_id, stream)
        )  # fmt: skip
    if frozen_rows is not None:
        events.append(frozen_statistics_event(ring, frozen_rows, at, recorded_by))
    owners = list(dict.fromkeys(owner_of(employee_id, k) for k in kinds))
    destroy = Erasure(
        owners[0],
        uid,
        recorded_at.isoformat(),
        secrets.token_hex(16),
        tuple((o, secrets.token_hex(16)) for o in owners[1:]),
    )
    try:
        with ledger.store.unit_of_work() as uow:
            uow.write(events, ring.take_new_rows())
            uow.erase(destroy)
    except ConcurrentWrite:
        raise LedgerError(
            f"another writer recorded for {employee_id} meanwhile; nothing was shredded, "
            "run it again"
        ) from None
    return ShredResult(employee_id, tuple(kinds), len(owners), len(frozen_rows or []))
