"""Employment rules: changes only while the employment exists and is active."""

from __future__ import annotations

from typing import Any

from ledger.domain.errors import Refusal
from ledger.domain.person import Employment, PersonState


def _employment(ev: dict[str, Any], state: PersonState) -> Employment | Refusal:
    emp = state.employments.get(ev["employment_id"])
    if emp is None:
        return (
            "employment_id",
            f"employment {ev['employment_id']} of employee {state.employee_id} is not hired "
            "(or its hire was retracted); record `hired` first",
        )
    return emp


def check_hire(ev: dict[str, Any], state: PersonState) -> list[Refusal]:
    refusals: list[Refusal] = []
    if ev["employment_id"] in state.employments:
        refusals.append(
            (
                "employment_id",
                f"employment id {ev['employment_id']} is already in use; employment ids are "
                "unique (retract the earlier hire to correct it)",
            )
        )
    if state.employments and state.birth_date not in (None, ev["birth_date"]):
        refusals.append(
            (
                "birth_date",
                f"{ev['birth_date']} differs from the birth date {state.birth_date} recorded "
                f"for employee {state.employee_id}; retract the earlier hire to correct it",
            )
        )
    if state.employments and state.gender not in (None, ev["gender"]):
        refusals.append(
            (
                "gender",
                f"{ev['gender']} differs from the gender {state.gender} recorded for employee "
                f"{state.employee_id}; retract the earlier hire to correct it",
            )
        )
    return refusals


def check_employment_change(ev: dict[str, Any], state: PersonState) -> list[Refusal]:
    emp = _employment(ev, state)
    if isinstance(emp, tuple):
        return [emp]
    day = ev["effective_date"]
    if day < emp.start:
        return [
            (
                "effective_date",
                f"{ev['type']} on {day} is before employment {emp.employment_id} began "
                f"({emp.start}); changes only while the employment is active",
            )
        ]
    if emp.end is not None and day > emp.end:
        return [
            (
                "effective_date",
                f"{ev['type']} on {day} is after employment {emp.employment_id} ended "
                f"({emp.end}); changes only while the employment is active",
            )
        ]
    return []


def check_termination(ev: dict[str, Any], state: PersonState) -> list[Refusal]:
    emp = _employment(ev, state)
    if isinstance(emp, tuple):
        return [emp]
    day = ev["effective_date"]
    if emp.end is not None:
        return [
            (
                "employment_id",
                f"employment {emp.employment_id} is already terminated on {emp.end} "
                f"(event {emp.end_event_id}); retract that termination to change it",
            )
        ]
    if day < emp.start:
        return [
            (
                "effective_date",
                f"termination on {day} is before employment {emp.employment_id} began "
                f"({emp.start})",
            )
        ]
    later = max(emp.changes.values(), default=None)
    if later is not None and later > day:
        return [
            (
                "effective_date",
                f"termination on {day} is before a recorded change of employment "
                f"{emp.employment_id} effective {later}; retract that change first",
            )
        ]
    return []
