"""The stored format of the `eventsourcing` library, in one place.

A stored event is the JSON of its interchange line plus what the library
adds: the recorded time as ``"timestamp": {"_type_": "datetime_iso",
"_data_": ISO}`` (the library's transcoding of a datetime), and a topic per
row (``module:Class``) that names the event class. We write rows without the
library's mapper, for speed, and read them column-wise on the read side, so
whoever writes or reads these shapes imports them from here: the bytes stay
what the library itself would write, and existing ledgers keep opening.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

TIMESTAMP = "timestamp"
"""The field of a stored event holding its recorded time."""
STAMP_TYPE = "_type_"
STAMP_DATA = "_data_"
DATETIME_ISO = "datetime_iso"

SNAPSHOT_TOPIC = "ledger.person:PersonState"
"""The topic of a person's rule-state snapshot (a name kept from the first ledgers)."""


def stamp(at: datetime) -> dict[str, str]:
    """The stored form of a recorded time."""
    return {STAMP_TYPE: DATETIME_ISO, STAMP_DATA: at.isoformat()}


def recorded_at(stored: dict[str, Any]) -> str:
    """The recorded time of a decoded stored event, as its ISO text."""
    text: str = stored[TIMESTAMP][STAMP_DATA]
    return text


def pop_recorded_at(stored: dict[str, Any]) -> str:
    """Take the recorded time out of an event (export writes ``recorded_at``): decoded
    from the stored JSON, or a datetime when the library's mapper decoded the event."""
    value = stored.pop(TIMESTAMP)
    if isinstance(value, datetime):
        return value.isoformat()
    text: str = value[STAMP_DATA]
    return text


def event_topics() -> Mapping[str, str]:
    """Event type → the topic stored with it (``ledger.domain_events:SickDayRecorded``).

    Imported when asked: the event classes load the library, which only writers need.
    """
    from ledger.domain.event_classes import TOPIC_BY_TYPE

    return TOPIC_BY_TYPE
