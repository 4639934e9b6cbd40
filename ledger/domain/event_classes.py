"""The stored event classes, as the `eventsourcing` library sees them.

Each accepted interchange line becomes one of these domain events. Their
stored topics are ``ledger.domain_events:SickDayRecorded`` (the module's first
name, registered with ``register_topic`` below), so class names are settled. Dates are
kept as ISO strings, exactly as in the interchange, so that the stored JSON
decodes column-wise in polars without a custom transcoding.

One class per stored type of the catalogue (``ledger.domain.catalogue``),
made from it when this module is imported: its name is the type's
``stored_class``, its annotated fields are the type's stored fields. The
write path builds the stored JSON directly for speed
(``ledger.services.recording``); tests/integration/test_library_compatibility.py
proves the library's mapper decodes it into these classes.
"""

from __future__ import annotations

import types
from typing import cast

from eventsourcing.domain import DomainEvent
from eventsourcing.utils import register_topic

from ledger.domain.catalogue import STORED_TYPES, EventType, Field, Kind


class LedgerEvent(DomainEvent):
    type: str
    event_id: str
    recorded_by: str | None
    note: str | None
    sealed: str | None
    """Shreddable personal fields, sealed with the person's key (``ledger.security.sealing``)."""
    sealed_l: str | None
    """Birth date and pay as sealed before they had keys of their own: the ledger key."""
    sealed_p: str | None
    """Pay, sealed with the person's pay key (destroyed by retention after its period)."""
    sealed_b: str | None
    """Birth date, sealed with the person's birth-date key."""


STORED_MODULE = "ledger.domain_events"
"""The module these classes lived in when the first ledgers were written; the
stored topics keep its name, so existing ledgers open unchanged."""

_PYTHON_TYPE: dict[Kind, type] = {
    "str": str,
    "date": str,
    "enum": str,
    "text": str,
    "pct": float,
    "money": float,
    "bool": bool,
    "int": int,
}
_ENVELOPE = frozenset(LedgerEvent.__annotations__)


def _annotation(f: Field) -> object:
    python = _PYTHON_TYPE[f.kind]
    return python | None if f.optional_when_stored else python


def _event_class(spec: EventType) -> type[LedgerEvent]:
    fields = {f.name: _annotation(f) for f in spec.stored_fields if f.name not in _ENVELOPE}
    namespace: dict[str, object] = {
        "__annotations__": fields,
        # The library writes ``cls.__module__``: keep it the stored name, so that an event
        # the library encodes again is byte for byte what we stored.
        "__module__": STORED_MODULE,
        "__qualname__": spec.stored_class,
    }
    if spec.doc:
        namespace["__doc__"] = spec.doc
    # new_class, not type(): the library's metaclass makes each class a frozen dataclass
    cls = types.new_class(spec.stored_class, (LedgerEvent,), {}, lambda ns: ns.update(namespace))
    return cast("type[LedgerEvent]", cls)


CLASS_BY_TYPE: dict[str, type[LedgerEvent]] = {
    name: _event_class(spec) for name, spec in STORED_TYPES.items()
}

TOPIC_BY_TYPE: dict[str, str] = {
    name: f"{STORED_MODULE}:{cls.__qualname__}" for name, cls in CLASS_BY_TYPE.items()
}

for _topic, _cls in zip(TOPIC_BY_TYPE.values(), CLASS_BY_TYPE.values(), strict=True):
    register_topic(_topic, _cls)
    globals()[_cls.__name__] = _cls  # ``event_classes.Hired`` … as before
