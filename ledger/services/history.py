"""A person's history on both time axes, for clerks and auditors.

Every event of the person is shown with its valid date and its recorded
time; a retracted event stays visible, marked with when, by whom and why it
was retracted, because an auditor must see the trail, not a cleaned story.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ledger.domain.catalogue import detail_fields
from ledger.services.reading import read_person
from ledger.storage.store import EventStore
from ledger.storage.wire import recorded_at

_DETAIL_FIELDS = detail_fields("history")
"""Per type, the fields listed as details (``Field.detail`` in the catalogue)."""


@dataclass(frozen=True)
class HistoryEntry:
    version: int
    type: str
    event_id: str
    valid: str
    recorded_at: str
    recorded_by: str | None
    details: dict[str, Any]
    retracted_at: str | None = None
    retracted_by: str | None = None
    retraction_reason: str | None = None


def _details(ev: dict[str, Any]) -> dict[str, Any]:
    return {k: ev[k] for k in _DETAIL_FIELDS.get(ev["type"], ()) if ev.get(k) is not None}


def _valid(ev: dict[str, Any]) -> str:
    if "start_date" in ev:
        return f"{ev['start_date']}..{ev['end_date']}"
    return str(ev.get("effective_date", ""))


def person_history(
    store: EventStore, employee_id: str, known_at: datetime | None = None
) -> list[HistoryEntry]:
    events = read_person(store, employee_id, mark_erased=True)
    if known_at is not None:
        events = [
            (v, e) for v, e in events
            if datetime.fromisoformat(recorded_at(e)) <= known_at
        ]  # fmt: skip
    retractions = {e["target_event_id"]: e for _, e in events if e["type"] == "retracted"}
    out = []
    for v, e in events:
        r = retractions.get(e["event_id"])
        out.append(
            HistoryEntry(
                version=v,
                type=e["type"],
                event_id=e["event_id"],
                valid=_valid(e),
                recorded_at=recorded_at(e),
                recorded_by=e.get("recorded_by"),
                details=_details(e),
                retracted_at=recorded_at(r) if r else None,
                retracted_by=r.get("recorded_by") if r else None,
                retraction_reason=r.get("reason") if r else None,
            )
        )
    return out
