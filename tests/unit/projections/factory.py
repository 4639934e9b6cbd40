"""Tiny literal ledgers for the projection tests: dicts → stored JSON rows → facts."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from ledger.security.keys import KeyRow
from ledger.storage.wire import TIMESTAMP, stamp
from projections.facts.source import Facts, decode_rows

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)

DEFAULTS: dict[str, dict[str, Any]] = {
    "hired": {"is_leader": False, "employment_type": "permanent", "annual_salary": 600000.0},
    "leave": {"leave_pct": 100, "paid": True, "kind": "unpaid", "welfare_reason": None},
    "sick_day": {"grade_pct": 100, "certificate": "doctor"},
    "transferred": {"position": None, "is_leader": None},
}


def hire(emp: str, empl: str, start: str, **kw: Any) -> dict[str, Any]:
    ev: dict[str, Any] = {
        "type": "hired",
        "employee_id": emp,
        "employment_id": empl,
        "effective_date": start,
        "birth_date": "1980-06-15",
        "gender": "F",
        "sector": "Oppvekst",
        "unit": "Skole A",
        "position": "Lærer",
        "position_pct": 100,
    }
    ev.update(kw)
    return ev


def sick(emp: str, day: str, **kw: Any) -> dict[str, Any]:
    return {"type": "sick_day", "employee_id": emp, "effective_date": day, **kw}


class Ledger:
    """An in-memory stand-in for ``ledger.storage.store.EventStore`` (read side only)."""

    def __init__(self) -> None:
        self.rows: list[tuple[int, bytes]] = []
        self.clock = T0

    def record(self, *events: dict[str, Any], at: datetime | None = None) -> list[str]:
        at = at or self.clock
        ids = []
        for ev in events:
            full = {**DEFAULTS.get(ev["type"], {}), "recorded_by": None, "note": None, **ev}
            full.setdefault("event_id", f"ev{len(self.rows) + 1}")
            full[TIMESTAMP] = stamp(at)
            self.rows.append((len(self.rows) + 1, json.dumps(full).encode()))
            ids.append(full["event_id"])
        return ids

    def max_position(self) -> int:
        return len(self.rows)

    def read_rows(self, after: int, limit: int) -> list[tuple[int, bytes]]:
        return self.rows[after : after + limit]

    def key_rows(self, employee_ids: object = None) -> list[KeyRow]:
        return []  # the rows are written in clear, as a ledger from before sealing

    def key_rows_by_id(self, key_ids: object) -> list[KeyRow]:
        return []

    def erased_employees(self) -> set[str]:
        return set()

    def facts(self) -> Facts:
        return decode_rows(self.rows)
