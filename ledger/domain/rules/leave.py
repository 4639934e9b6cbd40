"""Leave (§8.5 welfare leave, §8.7 unpaid leave outside agreements).

Welfare caps are counted in agreed work-days ("arbeidsdager") weighted by
the leave percentage, because a half-day appointment uses half a day.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from ledger.domain.calendar import count_workdays, months_after
from ledger.domain.errors import Refusal
from ledger.domain.person import Leave, PersonState
from ledger.domain.policy import Policy


def check_leave(ev: dict[str, Any], state: PersonState, policy: Policy) -> list[Refusal]:
    refusals = _coverage(ev, state)
    if refusals:
        return refusals
    refusals += _overlap(ev, state)
    if ev["kind"] == "welfare":
        refusals += _welfare(ev, state, policy)
    if ev["kind"] == "unpaid":
        refusals += _unpaid(ev, state, policy)
    return refusals


def _coverage(ev: dict[str, Any], state: PersonState) -> list[Refusal]:
    """Every day of the leave must fall inside an active employment."""
    start, end = ev["start_date"], ev["end_date"]
    cur = start
    while cur <= end:
        ends = [e.end or "9999-12-31" for e in state.employments.values() if e.active_on(cur)]
        if not ends:
            return [
                (
                    "start_date" if cur == start else "end_date",
                    f"leave {start} to {end}: employee {state.employee_id} has no active "
                    f"employment on {cur}; leave only while employed",
                )
            ]
        furthest = max(ends)
        if furthest >= end:
            return []
        cur = (date.fromisoformat(furthest) + timedelta(days=1)).isoformat()
    return []


def _overlap(ev: dict[str, Any], state: PersonState) -> list[Refusal]:
    overlapping = [
        lv
        for lv in state.leaves.values()
        if lv.start <= ev["end_date"] and ev["start_date"] <= lv.end
    ]
    total = ev["leave_pct"] + sum(lv.leave_pct for lv in overlapping)
    if overlapping and total > 100:
        first = min(overlapping, key=lambda lv: lv.start)
        return [
            (
                "leave_pct",
                f"leave {ev['start_date']} to {ev['end_date']} at {ev['leave_pct']} % overlaps "
                f"{first.kind} leave {first.start} to {first.end}; together over 100 % "
                f"({total:g} %)",
            )
        ]
    return []


def _weighted_workdays(start: str, end: str, pct: float, year: int | None = None) -> float:
    s, e = date.fromisoformat(start), date.fromisoformat(end)
    if year is not None:
        s, e = max(s, date(year, 1, 1)), min(e, date(year, 12, 31))
        if s > e:
            return 0.0
    return count_workdays(s, e) * pct / 100


def _welfare(ev: dict[str, Any], state: PersonState, policy: Policy) -> list[Refusal]:
    rule = policy.welfare_leave
    reason = ev["welfare_reason"]
    refusals: list[Refusal] = []
    days = _weighted_workdays(ev["start_date"], ev["end_date"], ev["leave_pct"])
    if reason in rule.unpaid_only and ev["paid"]:
        refusals.append(
            (
                "paid",
                f"welfare leave for {reason} is unpaid only ({rule.source}); record paid: false",
            )
        )
    travel = ev["travel_days"] or 0
    if travel and reason != "bereavement":
        refusals.append(("travel_days", f"travel days are only for bereavement ({rule.source})"))
    if travel > rule.max_travel_days:
        refusals.append(
            ("travel_days", f"{travel} travel days is over {rule.max_travel_days} ({rule.source})")
        )
    cap = rule.paid_caps_per_case.get(reason)
    if ev["paid"] and cap is not None and days > cap + travel:
        refusals.append(
            (
                "end_date",
                f"paid welfare leave for {reason} is at most {cap:g} work-days per case"
                f"{' plus travel days' if reason == 'bereavement' else ''} ({rule.source}); "
                f"this case has {days:g}",
            )
        )
    first_year = int(ev["start_date"][:4])
    last_year = int(ev["end_date"][:4])
    for year in range(first_year, last_year + 1):
        new = _weighted_workdays(ev["start_date"], ev["end_date"], ev["leave_pct"], year)
        if ev["paid"]:
            used = _used(state, year, paid=True)
            if used + new > rule.max_paid_workdays_per_year:
                refusals.append(
                    (
                        "paid",
                        f"paid welfare leave in {year} would be {used + new:g} work-days, over "
                        f"{rule.max_paid_workdays_per_year:g} per calendar year ({rule.source}); "
                        f"{used:g} already used",
                    )
                )
        if reason in rule.unpaid_only:
            used = _used(state, year, reason=reason)
            if used + new > rule.max_religious_holiday_workdays_per_year:
                refusals.append(
                    (
                        "end_date",
                        f"leave for {reason} in {year} would be {used + new:g} work-days, over "
                        f"{rule.max_religious_holiday_workdays_per_year:g} per year "
                        f"({rule.source})",
                    )
                )
    return refusals


def _used(state: PersonState, year: int, *, paid: bool = False, reason: str | None = None) -> float:
    total = 0.0
    for lv in state.leaves.values():
        if lv.kind != "welfare":
            continue
        if paid and not lv.paid:
            continue
        if reason is not None and lv.welfare_reason != reason:
            continue
        total += _weighted_workdays(lv.start, lv.end, lv.leave_pct, year)
    return total


def paid_welfare_used(state: PersonState, year: int) -> float:
    return _used(state, year, paid=True)


def _unpaid(ev: dict[str, Any], state: PersonState, policy: Policy) -> list[Refusal]:
    rule = policy.unpaid_leave
    start = date.fromisoformat(ev["start_date"])
    end = date.fromisoformat(ev["end_date"])
    refusals: list[Refusal] = []
    too_late = months_after(start, rule.max_months)  # None: past the calendar's end
    if too_late is not None and end >= too_late:
        refusals.append(
            (
                "end_date",
                f"unpaid leave {ev['start_date']} to {ev['end_date']} is longer than "
                f"{rule.max_months} months (ends at the latest {too_late - timedelta(days=1)}) "
                f"({rule.source})",
            )
        )
    others: list[Leave] = [lv for lv in state.leaves.values() if lv.kind == "unpaid"]
    for lv in others:
        other = date.fromisoformat(lv.start)
        lo, hi = sorted((other, start))
        allowed_again = months_after(lo, rule.once_per_years * 12)
        if allowed_again is None or allowed_again > hi:
            refusals.append(
                (
                    "start_date",
                    f"unpaid leave is granted once per {rule.once_per_years} years of "
                    f"employment ({rule.source}); another began {lv.start}",
                )
            )
            break
    return refusals
