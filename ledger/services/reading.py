"""One person's stored events with their sealed fields opened: what history and
entitlements read. It is a service, not part of sealing, because it reads the
store; the security package never touches storage."""

from __future__ import annotations

from typing import Any

import orjson

from ledger.domain.streams import person_stream, stream_uuid
from ledger.security.keys import Keyring
from ledger.security.sealing import open_event
from ledger.storage.store import EventStore


def read_person(
    store: EventStore, employee_id: str, *, mark_erased: bool = False
) -> list[tuple[int, dict[str, Any]]]:
    """(version, event) of one person's stream, sealed fields opened.

    Events whose key was destroyed are returned with ``[erased]`` fields
    (``mark_erased``) or left out (for code that computes with the fields).
    """
    uid = stream_uuid(person_stream(employee_id))
    rows = store.stream_rows({uid: 0}).get(uid, [])
    ring = Keyring.load(store, [employee_id])
    out = []
    for version, raw in rows:
        ev = orjson.loads(raw)
        if open_event(ev, ring, mark_erased=mark_erased) or mark_erased:
            out.append((version, ev))
    return out
