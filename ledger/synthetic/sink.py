"""Collects generated events under a sort key, so the file comes out in date order.

The ledger checks each line against what came before it, so a `hired` line
must precede everything that refers to its employment, and `terminated`
must come after everything else on its last day. Sorting by (date, rank,
creation order) gives exactly that, deterministically; the key is packed
into one integer so that sorting a million events only compares ints.
"""

from __future__ import annotations

from operator import itemgetter
from typing import Any

RANK: dict[str, int] = {
    "hired": 0,
    "transferred": 1,
    "position_changed": 2,
    "salary_changed": 3,
    "leave": 4,
    "sick_day": 5,
    "hms_deviation": 6,
    "hms_deviation_closed": 7,
    "terminated": 9,
}

SickPayload = tuple[str, str, float]
"""(employee_id, certificate, grade_pct): one object shared by every day of a sick run."""

Payload = dict[str, Any] | SickPayload

_SEQ_BITS = 32
_RANK_BITS = 4


class EventSink:
    """An append-only bag of (sort key, payload) pairs."""

    def __init__(self) -> None:
        self._events: list[tuple[int, Payload]] = []
        self._seq = 0

    def _key(self, day: int, rank: int) -> int:
        self._seq += 1
        return (((day << _RANK_BITS) | rank) << _SEQ_BITS) | self._seq

    def add(self, day: int, payload: dict[str, Any]) -> None:
        """Add an event dated `day` (a date ordinal); payload starts with its `type`."""
        self._events.append((self._key(day, RANK[payload["type"]]), payload))

    def add_sick_days(self, first: int, last: int, payload: SickPayload) -> None:
        rank = RANK["sick_day"]
        append = self._events.append
        for day in range(first, last + 1):
            append((self._key(day, rank), payload))

    def __len__(self) -> int:
        return len(self._events)

    def sorted_events(self) -> list[tuple[int, Payload]]:
        """Events in file order; the sink is emptied (the list is handed over, not copied)."""
        events, self._events = self._events, []
        events.sort(key=itemgetter(0))
        return events


def day_of(key: int) -> int:
    """The date ordinal packed into a sort key."""
    return key >> (_SEQ_BITS + _RANK_BITS)
