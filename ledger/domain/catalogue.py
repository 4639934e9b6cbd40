"""The event catalogue: every event type, its fields and their rules, in one place.

The interchange contract (docs/events.md) is the public face of the ledger,
so the catalogue is written as data, and everything that depends on the
shape of an event is derived from it when its module is imported: the
field checks (``ledger.domain.validation``), the stored event classes
(``ledger.domain.event_classes``), which fields are sealed with whose key
(``ledger.security.sealing``), the details that ``hrledger history`` and
``hrledger diff`` list, and on the read side the polars enums and decoding
dtypes (``projections.facts.schema``, ``projections.facts.source``). Names
here are the wire names. docs/events.md, "Adding an event type or a value",
says which other files give a new type or value its meaning.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["str", "date", "pct", "money", "bool", "enum", "int", "text"]
Seal = Literal["person", "pay", "birth_date", "ledger"]
"""``person``: shreddable, sealed with the person's own key, unreadable after an erasure
(health data, free text that may name people); ``pay`` and ``birth_date``: sealed with
the person's key *of that kind*, kept while the law requires (bokføringsloven) and
destroyed by `hrledger retention --apply` when its period has run out, or by an
erasure; ``ledger``: the ledger key (events written before the kinds existed sealed
birth date and pay with it; it still opens them)."""
Detail = Literal["none", "history", "all"]
"""Where a field is listed among an event's details: ``all`` = in ``hrledger history``
and ``hrledger diff``; ``history`` = only in a person's own history (personal details
and free text an auditor's diff does not need); ``none`` = not listed (ids shown in
their own column, valid dates, fields nobody asked to see)."""

MAX_ID_LENGTH = 200
"""Identifiers and choices longer than this are refused."""
MAX_TEXT_LENGTH = 2000
"""Free text longer than this is refused: an HR record is not a document store."""
MAX_PCT = 100
"""Percentages are in (0, MAX_PCT]."""
MAX_MONEY = 100_000_000
"""Amounts in NOK are above 0 and below this."""

GENDERS = ("F", "M")
EMPLOYMENT_TYPES = ("permanent", "temporary", "apprentice")
SALARY_REASONS = (
    "central_settlement",
    "local_negotiation",
    "special_negotiation",
    "recruit_retain",
    "function_supplement",
    "other",
)
LEAVE_KINDS = (
    "parental",
    "welfare",
    "unpaid",
    "education",
    "public_office",
    "union",
    "care",
    "other",
)
WELFARE_REASONS = (
    "family_illness",
    "bereavement",
    "kindergarten_start",
    "school_start",
    "own_wedding",
    "cultural_sports_event",
    "religious_holiday",
    "medical_appointment",
)
CERTIFICATES = ("self", "doctor")
HMS_CATEGORIES = ("personal_injury", "violence_threat", "near_miss", "property_damage", "other")
SHREDDABLE_KINDS = ("health", "free_text", "pay", "birth_date")
"""Kinds of personal field with a retention period (``ledger.domain.policy``)."""
TERMINATION_REASONS = ("resignation", "dismissal", "end_of_contract", "retirement", "other")


@dataclass(frozen=True)
class Field:
    name: str
    kind: Kind
    required: bool = True
    choices: tuple[str, ...] = ()
    default: object = None
    low: int | None = None
    high: int | None = None
    sealed: Seal | None = None
    """Stored encrypted, and with whose key (see ``Seal``); None: stored in clear."""
    detail: Detail = "none"
    filled: bool = False
    """The ledger fills it in when a line leaves it out, so every stored event has it."""

    @property
    def optional_when_stored(self) -> bool:
        """May a stored event hold null here?"""
        return not self.required and self.default is None and not self.filled


@dataclass(frozen=True)
class EventType:
    name: str
    fields: tuple[Field, ...]
    """The fields of an interchange line of this type (after the common ones)."""
    date_field: str
    """The field that carries the valid date (when it is true in the world)."""
    scope: Literal["person", "employment", "deviation", "retraction", "statistics"]
    stored_class: str
    """The stored event class; its topic ``ledger.domain_events:<stored_class>`` is in
    every stored row, so it never changes."""
    added: tuple[Field, ...] = ()
    """Fields the ledger adds when it stores the event; never read from a line."""
    interchange: bool = True
    """False: stored only (written by the ledger itself), never imported."""
    doc: str = ""

    @property
    def stored_fields(self) -> tuple[Field, ...]:
        """Every field of a stored event of this type, the common ones first."""
        return (*COMMON_FIELDS, *self.fields, *self.added)

    def has(self, name: str) -> bool:
        return any(f.name == name for f in self.stored_fields)


COMMON_FIELDS = (
    Field("event_id", "str", required=False, filled=True),
    Field("recorded_by", "text", required=False),
    Field("note", "text", required=False, sealed="person", detail="history"),
)

_STORED_TYPES = (
    EventType(
        "hired",
        (
            Field("employee_id", "str"),
            Field("employment_id", "str", detail="all"),
            Field("effective_date", "date"),
            Field("birth_date", "date", sealed="birth_date", detail="history"),
            Field("gender", "enum", choices=GENDERS),
            Field("sector", "text", detail="all"),
            Field("unit", "text", detail="all"),
            Field("position", "text", detail="all"),
            Field("employment_type", "enum", choices=EMPLOYMENT_TYPES, detail="all"),
            Field("position_pct", "pct", detail="all"),
            Field("annual_salary", "money", sealed="pay", detail="all"),
            Field("is_leader", "bool", required=False, default=False),
        ),
        "effective_date",
        "person",
        "Hired",
    ),
    EventType(
        "position_changed",
        (
            Field("employment_id", "str", detail="all"),
            Field("employee_id", "str", required=False, filled=True),
            Field("effective_date", "date"),
            Field("position_pct", "pct", detail="all"),
        ),
        "effective_date",
        "employment",
        "PositionChanged",
    ),
    EventType(
        "transferred",
        (
            Field("employment_id", "str", detail="all"),
            Field("employee_id", "str", required=False, filled=True),
            Field("effective_date", "date"),
            Field("sector", "text", detail="all"),
            Field("unit", "text", detail="all"),
            Field("position", "text", required=False, detail="all"),
            Field("is_leader", "bool", required=False),
        ),
        "effective_date",
        "employment",
        "Transferred",
    ),
    EventType(
        "salary_changed",
        (
            Field("employment_id", "str", detail="all"),
            Field("employee_id", "str", required=False, filled=True),
            Field("effective_date", "date"),
            Field("annual_salary", "money", sealed="pay", detail="all"),
            Field("reason", "enum", choices=SALARY_REASONS, detail="all"),
        ),
        "effective_date",
        "employment",
        "SalaryChanged",
    ),
    EventType(
        "leave",
        (
            Field("employee_id", "str"),
            Field("start_date", "date"),
            Field("end_date", "date"),
            Field("kind", "enum", choices=LEAVE_KINDS, detail="all"),
            Field("paid", "bool", detail="all"),
            Field("leave_pct", "pct", required=False, default=100, detail="all"),
            Field(
                "welfare_reason",
                "enum",
                required=False,
                choices=WELFARE_REASONS,
                sealed="person",
                detail="history",
            ),
            Field("travel_days", "int", required=False, default=0, low=0, high=5),
        ),
        "start_date",
        "person",
        "LeaveRecorded",
    ),
    EventType(
        "sick_day",
        (
            Field("employee_id", "str"),
            Field("effective_date", "date", sealed="person"),
            Field("certificate", "enum", choices=CERTIFICATES, sealed="person", detail="all"),
            Field("grade_pct", "pct", required=False, default=100, sealed="person", detail="all"),
        ),
        "effective_date",
        "person",
        "SickDayRecorded",
    ),
    EventType(
        "hms_deviation",
        (
            Field("deviation_id", "str", detail="all"),
            Field("effective_date", "date"),
            Field("sector", "text", detail="all"),
            Field("unit", "text", detail="all"),
            Field("category", "enum", choices=HMS_CATEGORIES, detail="all"),
            Field("employee_id", "str", required=False),
            Field("severity", "int", required=False, low=1, high=3),
        ),
        "effective_date",
        "deviation",
        "HmsDeviationReported",
    ),
    EventType(
        "hms_deviation_closed",
        (
            Field("deviation_id", "str", detail="all"),
            Field("effective_date", "date"),
            Field("measures", "text", required=False),
        ),
        "effective_date",
        "deviation",
        "HmsDeviationClosed",
    ),
    EventType(
        "terminated",
        (
            Field("employment_id", "str", detail="all"),
            Field("employee_id", "str", required=False, filled=True),
            Field("effective_date", "date"),
            Field("reason", "enum", choices=TERMINATION_REASONS, detail="all"),
        ),
        "effective_date",
        "employment",
        "Terminated",
    ),
    EventType(
        "retracted",
        (
            Field("target_event_id", "str", detail="history"),
            Field("reason", "text", sealed="person", detail="history"),
        ),
        "",
        "retraction",
        "Retracted",
        added=(Field("target_type", "str"),),
    ),
    EventType(
        "erased",
        (
            Field("employee_id", "str"),
            Field("reason", "text", detail="history"),
            Field("frozen_share", "str", required=False),
        ),
        "",
        "person",
        "Erased",
        interchange=False,
        doc="`hrledger erase`: the person's key was destroyed (GDPR art. 17). "
        "`frozen_share` `all`: their share of every KPI was frozen and they leave the KPIs "
        "(absent in erasures before that: only their sickness share was frozen).",
    ),
    EventType(
        "shredded",
        (
            Field("employee_id", "str"),
            Field("field_kind", "enum", choices=SHREDDABLE_KINDS, detail="history"),
            Field("reason", "text", detail="history"),
            Field("frozen_share", "str", required=False),
        ),
        "",
        "person",
        "Shredded",
        interchange=False,
        doc="`hrledger retention --apply`: one kind of the person's fields reached the end of "
        "its retention period and its key was destroyed. `frozen_share` `all`: the person's "
        "share of every KPI was frozen with it (the first time) and they leave the KPIs.",
    ),
    EventType(
        "statistics_frozen",
        (Field("sealed_stats", "str"),),
        "",
        "statistics",
        "StatisticsFrozen",
        interchange=False,
        doc="A removed person's share of past KPIs (sums and counts), sealed with the ledger key.",
    ),
)

STORED_TYPES: dict[str, EventType] = {t.name: t for t in _STORED_TYPES}
"""Every type a stored row can have, in catalogue order."""
EVENT_TYPES: dict[str, EventType] = {t.name: t for t in _STORED_TYPES if t.interchange}
"""The interchange types: what an import line may be."""
ADDED_FIELDS = frozenset(f.name for t in _STORED_TYPES for f in t.added)
"""Fields only the ledger writes (an export carries them; an import ignores them)."""


_AS_JSON_STRING = ("str", "text", "enum", "date")


def _field_kinds() -> dict[str, Kind]:
    """The kind of every stored field name; a name must be stored alike in every type."""
    kinds: dict[str, Kind] = {}
    for t in _STORED_TYPES:
        for f in t.stored_fields:
            known = kinds.setdefault(f.name, f.kind)
            if known != f.kind and not {known, f.kind} <= set(_AS_JSON_STRING):
                raise TypeError(f"field {f.name} of {t.name} is {f.kind}, elsewhere {known}")
    return kinds


FIELD_KINDS: dict[str, Kind] = _field_kinds()
"""Stored field name → its kind (the first declared; every declaration stores alike)."""


def sealed_fields(event_type: str, seal: Seal) -> tuple[str, ...]:
    """The fields of ``event_type`` sealed with ``seal``'s key: its own, then the common ones."""
    spec = STORED_TYPES.get(event_type)
    own = (*spec.fields, *spec.added) if spec is not None else ()
    return tuple(f.name for f in (*own, *COMMON_FIELDS) if f.sealed == seal)


def detail_fields(view: Literal["history", "all"]) -> dict[str, tuple[str, ...]]:
    """Per type, the fields a view lists among an event's details (own fields, then common)."""
    shown = ("history", "all") if view == "history" else ("all",)
    return {
        name: tuple(f.name for f in (*t.fields, *t.added, *COMMON_FIELDS) if f.detail in shown)
        for name, t in STORED_TYPES.items()
    }
