"""The stored event classes, as the `eventsourcing` library sees them.

Each accepted interchange line becomes one of these domain events. Their
stored topics are ``ledger.domain_events:SickDayRecorded`` (the module's first
name, registered with ``register_topic`` below), so class names are settled. Dates are
kept as ISO strings, exactly as in the interchange, so that the stored JSON
decodes column-wise in polars without a custom transcoding.

The bulk write path builds the stored JSON directly (see ``ledger.encoding``)
for speed; a test proves the library's mapper decodes it into these classes.
"""

from __future__ import annotations

from eventsourcing.domain import DomainEvent
from eventsourcing.utils import register_topic


class LedgerEvent(DomainEvent):
    type: str
    event_id: str
    recorded_by: str | None
    note: str | None
    sealed: str | None
    """Shreddable personal fields, sealed with the person's key (``ledger.security.sealing``)."""
    sealed_l: str | None
    """Retained personal fields (birth date, pay), sealed with the ledger key."""


class Hired(LedgerEvent):
    employee_id: str
    employment_id: str
    effective_date: str
    birth_date: str
    gender: str
    sector: str
    unit: str
    position: str
    employment_type: str
    position_pct: float
    annual_salary: float
    is_leader: bool


class PositionChanged(LedgerEvent):
    employee_id: str
    employment_id: str
    effective_date: str
    position_pct: float


class Transferred(LedgerEvent):
    employee_id: str
    employment_id: str
    effective_date: str
    sector: str
    unit: str
    position: str | None
    is_leader: bool | None


class SalaryChanged(LedgerEvent):
    employee_id: str
    employment_id: str
    effective_date: str
    annual_salary: float
    reason: str


class LeaveRecorded(LedgerEvent):
    employee_id: str
    start_date: str
    end_date: str
    kind: str
    paid: bool
    leave_pct: float
    welfare_reason: str | None
    travel_days: int


class SickDayRecorded(LedgerEvent):
    employee_id: str
    effective_date: str
    certificate: str
    grade_pct: float


class HmsDeviationReported(LedgerEvent):
    deviation_id: str
    effective_date: str
    sector: str
    unit: str
    category: str
    employee_id: str | None
    severity: int | None


class HmsDeviationClosed(LedgerEvent):
    deviation_id: str
    effective_date: str
    measures: str | None


class Terminated(LedgerEvent):
    employee_id: str
    employment_id: str
    effective_date: str
    reason: str


class Retracted(LedgerEvent):
    target_event_id: str
    target_type: str
    reason: str


class Erased(LedgerEvent):
    """`hrledger erase`: the person's key was destroyed (GDPR art. 17)."""

    employee_id: str
    reason: str


class StatisticsFrozen(LedgerEvent):
    """An erased person's share of past sickness KPIs, sealed with the ledger key."""

    sealed_stats: str


CLASS_BY_TYPE: dict[str, type[LedgerEvent]] = {
    "hired": Hired,
    "position_changed": PositionChanged,
    "transferred": Transferred,
    "salary_changed": SalaryChanged,
    "leave": LeaveRecorded,
    "sick_day": SickDayRecorded,
    "hms_deviation": HmsDeviationReported,
    "hms_deviation_closed": HmsDeviationClosed,
    "terminated": Terminated,
    "retracted": Retracted,
    "erased": Erased,
    "statistics_frozen": StatisticsFrozen,
}

STORED_MODULE = "ledger.domain_events"
"""The module these classes lived in when the first ledgers were written; the
stored topics keep its name, so existing ledgers open unchanged."""

TOPIC_BY_TYPE: dict[str, str] = {
    name: f"{STORED_MODULE}:{cls.__qualname__}" for name, cls in CLASS_BY_TYPE.items()
}

for _topic, _cls in zip(TOPIC_BY_TYPE.values(), CLASS_BY_TYPE.values(), strict=True):
    # The library writes ``cls.__module__``: keep it the stored name, so that an event the
    # library encodes again is byte for byte what we stored, and resolve that name here.
    _cls.__module__ = STORED_MODULE
    register_topic(_topic, _cls)
