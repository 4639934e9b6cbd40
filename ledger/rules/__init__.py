"""The handbook's rules, checked before anything is stored.

Each rule is a pure function of (the new event, the person's live facts,
the policy) returning refusals as (field, message) pairs; the message names
the rule, the values, and the handbook section where there is one.
"""

from __future__ import annotations

from typing import Any

from ledger.person import DeviationState, PersonState
from ledger.policy import Policy
from ledger.rules.employment import check_employment_change, check_hire, check_termination
from ledger.rules.hms import check_deviation
from ledger.rules.leave import check_leave
from ledger.rules.retraction import check_retraction
from ledger.rules.sick_leave import check_sick_day

Refusal = tuple[str | None, str]


def check(ev: dict[str, Any], state: PersonState | DeviationState, policy: Policy) -> list[Refusal]:
    t = ev["type"]
    if t == "retracted":
        return check_retraction(ev, state)
    if isinstance(state, DeviationState):
        return check_deviation(ev, state)
    if t == "hired":
        return check_hire(ev, state)
    if t == "terminated":
        return check_termination(ev, state)
    if t in ("position_changed", "transferred", "salary_changed"):
        return check_employment_change(ev, state)
    if t == "sick_day":
        return check_sick_day(ev, state, policy)
    if t == "leave":
        return check_leave(ev, state, policy)
    return []


__all__ = ["Refusal", "check"]
