"""The event catalogue: every interchange type, its fields and their rules.

The interchange contract (shared/interchange.md) is the public face of the
ledger, so the catalogue is written as data that validation, export, docs
and the domain event classes all read. Names here are the wire names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["str", "date", "pct", "money", "bool", "enum", "int", "text"]

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


@dataclass(frozen=True)
class EventType:
    name: str
    fields: tuple[Field, ...]
    date_field: str
    """The field that carries the valid date (when it is true in the world)."""
    scope: Literal["person", "employment", "deviation", "retraction"]


COMMON_FIELDS = (
    Field("event_id", "str", required=False),
    Field("recorded_by", "text", required=False),
    Field("note", "text", required=False),
)

EVENT_TYPES: dict[str, EventType] = {
    t.name: t
    for t in (
        EventType(
            "hired",
            (
                Field("employee_id", "str"),
                Field("employment_id", "str"),
                Field("effective_date", "date"),
                Field("birth_date", "date"),
                Field("gender", "enum", choices=GENDERS),
                Field("sector", "text"),
                Field("unit", "text"),
                Field("position", "text"),
                Field("employment_type", "enum", choices=EMPLOYMENT_TYPES),
                Field("position_pct", "pct"),
                Field("annual_salary", "money"),
                Field("is_leader", "bool", required=False, default=False),
            ),
            "effective_date",
            "person",
        ),
        EventType(
            "position_changed",
            (
                Field("employment_id", "str"),
                Field("employee_id", "str", required=False),
                Field("effective_date", "date"),
                Field("position_pct", "pct"),
            ),
            "effective_date",
            "employment",
        ),
        EventType(
            "transferred",
            (
                Field("employment_id", "str"),
                Field("employee_id", "str", required=False),
                Field("effective_date", "date"),
                Field("sector", "text"),
                Field("unit", "text"),
                Field("position", "text", required=False),
                Field("is_leader", "bool", required=False),
            ),
            "effective_date",
            "employment",
        ),
        EventType(
            "salary_changed",
            (
                Field("employment_id", "str"),
                Field("employee_id", "str", required=False),
                Field("effective_date", "date"),
                Field("annual_salary", "money"),
                Field("reason", "enum", choices=SALARY_REASONS),
            ),
            "effective_date",
            "employment",
        ),
        EventType(
            "leave",
            (
                Field("employee_id", "str"),
                Field("start_date", "date"),
                Field("end_date", "date"),
                Field("kind", "enum", choices=LEAVE_KINDS),
                Field("paid", "bool"),
                Field("leave_pct", "pct", required=False, default=100),
                Field("welfare_reason", "enum", required=False, choices=WELFARE_REASONS),
                Field("travel_days", "int", required=False, default=0, low=0, high=5),
            ),
            "start_date",
            "person",
        ),
        EventType(
            "sick_day",
            (
                Field("employee_id", "str"),
                Field("effective_date", "date"),
                Field("certificate", "enum", choices=CERTIFICATES),
                Field("grade_pct", "pct", required=False, default=100),
            ),
            "effective_date",
            "person",
        ),
        EventType(
            "hms_deviation",
            (
                Field("deviation_id", "str"),
                Field("effective_date", "date"),
                Field("sector", "text"),
                Field("unit", "text"),
                Field("category", "enum", choices=HMS_CATEGORIES),
                Field("employee_id", "str", required=False),
                Field("severity", "int", required=False, low=1, high=3),
            ),
            "effective_date",
            "deviation",
        ),
        EventType(
            "hms_deviation_closed",
            (
                Field("deviation_id", "str"),
                Field("effective_date", "date"),
                Field("measures", "text", required=False),
            ),
            "effective_date",
            "deviation",
        ),
        EventType(
            "terminated",
            (
                Field("employment_id", "str"),
                Field("employee_id", "str", required=False),
                Field("effective_date", "date"),
                Field("reason", "enum", choices=TERMINATION_REASONS),
            ),
            "effective_date",
            "employment",
        ),
        EventType(
            "retracted",
            (
                Field("target_event_id", "str"),
                Field("reason", "text"),
            ),
            "",
            "retraction",
        ),
    )
}

MAX_TEXT_LENGTH = 2000
"""Free text longer than this is refused: an HR record is not a document store."""
