"""Sick days (§5.7, folketrygdloven §§ 8-23 to 8-27).

Self-certification (egenmelding) is limited per occurrence (a run of
consecutive calendar self-certified days) and per 12 months; the limits come
from the policy, because Utsira's IA rule and the statutory rule differ.
It is open only after two months of service with the employer (§ 8-24).
"""

from __future__ import annotations

import bisect
from datetime import date
from typing import Any

from ledger.domain.calendar import add_months
from ledger.domain.errors import Refusal
from ledger.domain.person import PersonState
from ledger.domain.policy import Policy

WINDOW_DAYS = 365
"""'12 months' is read as any 365 consecutive days ending on a self-certified day."""


def check_sick_day(ev: dict[str, Any], state: PersonState, policy: Policy) -> list[Refusal]:
    day = ev["effective_date"]
    if not state.active_on(day):
        first = state.first_hire()
        known = f"first hired {first}" if first else "no employment recorded"
        return [
            (
                "effective_date",
                f"sick day {day}: employee {state.employee_id} has no active employment that "
                f"day ({known}); sick days only while employed",
            )
        ]
    existing = state.sick_days.get(day)
    if existing is not None:
        return [
            (
                "effective_date",
                f"a sick day on {day} is already recorded for employee {state.employee_id} "
                f"(event {existing[1]}); retract it to change it",
            )
        ]
    if ev["certificate"] == "self":
        return _self_certification(day, state, policy)
    return []


def service_start(state: PersonState, day: str, break_days: int) -> date | None:
    """First day of the unbroken service with the employer that covers `day`.

    Employments are joined when the next one starts at most `break_days` days
    after the previous one ended (fl. § 8-24: re-employment within two weeks
    counts the earlier employment); concurrent employments overlap and join.
    """
    spans = sorted(
        (date.fromisoformat(e.start).toordinal(), _end_ordinal(e.end))
        for e in state.employments.values()
    )
    target = date.fromisoformat(day).toordinal()
    start: int | None = None
    reach = 0
    for first, last in spans:
        if first > target:
            break
        if start is None or first > reach + break_days + 1:
            start = first
        reach = max(reach, last)
    if start is None or reach < target:
        return None
    return date.fromordinal(start)


def _end_ordinal(end: str | None) -> int:
    """An open-ended employment reaches past any date (no 9999-12-31 arithmetic)."""
    return date.max.toordinal() if end is None else date.fromisoformat(end).toordinal()


def _service(day: str, state: PersonState, policy: Policy) -> list[Refusal]:
    rule = policy.self_certification
    start = service_start(state, day, rule.service_break_days)
    if start is None:
        return []  # not employed that day: refused above
    allowed = add_months(start, rule.min_service_months)
    if date.fromisoformat(day) >= allowed:
        return []
    return [
        (
            "certificate",
            f"self-certification on {day} is before employee {state.employee_id} has "
            f"{rule.min_service_months} months of service (employed since {start}; "
            f"self-certification from {allowed}) (folketrygdloven § 8-24); use a doctor's "
            "certificate",
        )
    ]


def _self_certification(day: str, state: PersonState, policy: Policy) -> list[Refusal]:
    rule = policy.self_certification
    d = date.fromisoformat(day)
    n = d.toordinal()
    days = state.self_days
    refusals: list[Refusal] = _service(day, state, policy)

    # Length of the run of consecutive self-certified days the new day joins
    # (by ordinal: a day at either end of the calendar has no neighbour there).
    before = 0
    while _is_self(state, n - before - 1):
        before += 1
    after = 0
    while _is_self(state, n + after + 1):
        after += 1
    run = before + 1 + after
    if run > rule.max_days_per_occurrence:
        refusals.append(
            (
                "certificate",
                f"self-certification for {run} consecutive calendar days "
                f"({date.fromordinal(n - before).isoformat()} to "
                f"{date.fromordinal(n + after).isoformat()}) exceeds "
                f"{rule.max_days_per_occurrence} days per occurrence ({rule.source}); "
                "use a doctor's certificate",
            )
        )

    if rule.max_days_per_12_months is not None:
        limit = rule.max_days_per_12_months
        # Every 365-day window containing the new day ends on a self day in [n, n+364].
        ends = [
            n,
            *days[bisect.bisect_left(days, n) : bisect.bisect_right(days, n + WINDOW_DAYS - 1)],
        ]
        for end in ends:
            count = bisect.bisect_right(days, end) - bisect.bisect_right(days, end - WINDOW_DAYS)
            count += 1  # the new day
            if count > limit:
                refusals.append(
                    (
                        "certificate",
                        f"self-certified days would be {count} in the 12 months up to "
                        f"{date.fromordinal(end).isoformat()}, over the limit of {limit} "
                        f"({rule.source}); use a doctor's certificate",
                    )
                )
                break

    if rule.max_occurrences_per_12_months is not None and before == 0 and after == 0:
        starts = [
            o
            for o in days[bisect.bisect_right(days, n - WINDOW_DAYS) : bisect.bisect_left(days, n)]
            if not _is_self(state, o - 1)
        ]
        if len(starts) + 1 > rule.max_occurrences_per_12_months:
            refusals.append(
                (
                    "certificate",
                    f"this would be self-certified occurrence no. {len(starts) + 1} in the 12 "
                    f"months up to {day}; the right lapses after "
                    f"{rule.max_occurrences_per_12_months} ({rule.source}); "
                    "use a doctor's certificate",
                )
            )
    return refusals


_FIRST, _LAST = date.min.toordinal(), date.max.toordinal()


def _is_self(state: PersonState, n: int) -> bool:
    """Is day ``n`` (an ordinal) a recorded self-certified sick day? False off the calendar."""
    if not _FIRST <= n <= _LAST:
        return False
    return state.sick_days.is_self(n)
