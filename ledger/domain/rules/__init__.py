"""The handbook's rules, checked before anything is stored.

Each rule is a pure function of (the new event, the person's live facts,
the policy) returning refusals as (field, message) pairs; the message names
the rule, the values, and the handbook section where there is one.
"""

from __future__ import annotations

from typing import Any

from ledger.domain.errors import Refusal
from ledger.domain.person import DeviationState, PersonState
from ledger.domain.policy import Policy
from ledger.domain.rules.employment import check_employment_change, check_hire, check_termination
from ledger.domain.rules.hms import check_deviation
from ledger.domain.rules.leave import check_leave
from ledger.domain.rules.retraction import check_retraction
from ledger.domain.rules.sick_leave import check_sick_day

_PERSON_RULES = {
    "hired": lambda ev, st, _p: check_hire(ev, st),
    "terminated": lambda ev, st, _p: check_termination(ev, st),
    "position_changed": lambda ev, st, _p: check_employment_change(ev, st),
    "transferred": lambda ev, st, _p: check_employment_change(ev, st),
    "salary_changed": lambda ev, st, _p: check_employment_change(ev, st),
    "sick_day": check_sick_day,
    "leave": check_leave,
}


def check(ev: dict[str, Any], state: PersonState | DeviationState, policy: Policy) -> list[Refusal]:
    t = ev["type"]
    if t == "retracted":
        return check_retraction(ev, state)
    if isinstance(state, DeviationState):
        return check_deviation(ev, state)
    rule = _PERSON_RULES.get(t)
    return rule(ev, state, policy) if rule is not None else []


__all__ = ["Refusal", "check"]
