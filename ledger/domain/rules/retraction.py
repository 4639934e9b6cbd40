"""Retractions: the only way to undo a fact, so they must aim true."""

from __future__ import annotations

from typing import Any

from ledger.domain.errors import Refusal
from ledger.domain.person import DeviationState, PersonState


def check_retraction(ev: dict[str, Any], state: PersonState | DeviationState) -> list[Refusal]:
    target = ev["target_event_id"]
    if target in state.retracted:
        return [("target_event_id", f"event {target} is already retracted")]
    if target in state.retractions:
        return [
            (
                "target_event_id",
                f"event {target} is itself a retraction and cannot be retracted; to restore "
                "the fact, record it again as a new event",
            )
        ]
    kind = state.kind_of(target)
    if kind is None:
        return [("target_event_id", f"event {target} does not exist in the ledger")]
    if isinstance(state, PersonState) and kind == "hired":
        return _orphans(target, state)
    return []


def _orphans(target: str, state: PersonState) -> list[Refusal]:
    """A hire may be retracted only when nothing recorded depends on it.

    Otherwise the ledger would keep facts its rules would have refused on
    entry. To correct a hire, retract its dependants first (in the same file).
    """
    emp = next(e for e in state.employments.values() if e.hire_event_id == target)
    dependants = [*emp.changes]
    if emp.end_event_id:
        dependants.append(emp.end_event_id)
    others = [e for e in state.employments.values() if e is not emp]

    def covered(day: str) -> bool:
        return any(o.active_on(day) for o in others)

    dependants += [eid for day, (_, eid) in sorted(state.sick_days.items()) if not covered(day)]
    dependants += [
        eid for eid, lv in state.leaves.items() if not (covered(lv.start) and covered(lv.end))
    ]
    if not dependants:
        return []
    shown = ", ".join(dependants[:5]) + (" …" if len(dependants) > 5 else "")
    return [
        (
            "target_event_id",
            f"the hire {target} of employment {emp.employment_id} has {len(dependants)} "
            f"event(s) depending on it ({shown}); retract those first, in the same file",
        )
    ]
