"""What a person is entitled to on a date, from their recorded facts.

Clerks ask these questions daily (how many self-certified days are left?
what notice applies?), and the answers follow from the same events the
rules check, so they are computed here rather than kept as state.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from ledger.domain.calendar import add_months, months_after
from ledger.domain.errors import LedgerError
from ledger.domain.person import PersonState
from ledger.domain.policy import Policy
from ledger.domain.rules.leave import paid_welfare_used
from ledger.domain.rules.sick_leave import WINDOW_DAYS
from ledger.services.reading import read_person
from ledger.storage.store import EventStore

SERVICE_LEAVE_KINDS = ("parental", "care", "education", "public_office", "union", "welfare")
"""Leave that keeps seniority accruing (§8.2): statutory and agreed leave."""
ANNIVERSARIES = {
    10: "flowers (§10.2)",
    20: "flowers and a gift worth NOK 8,000 (§10.2–10.3)",
    30: "a gift worth NOK 8,000 and the Norges Vel medal if continuous (§10.3)",
    40: "a gift worth NOK 8,000 (§10.3)",
}


@dataclass
class Entitlements:
    employee_id: str
    on: date
    age: int
    active_employments: list[dict[str, Any]]
    self_cert_used_12m: int
    self_cert_left_12m: int | None
    paid_welfare_used: float
    paid_welfare_left: float
    seniority_years: float
    continuous_service_years: float
    employee_notice_months: int
    employer_notice_months: int
    notice_given_today_ends: date
    on_probation: bool
    holiday_pay_pct: float
    senior_measures: list[str] = field(default_factory=list)
    anniversaries: list[str] = field(default_factory=list)


def _age(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _end_of_month_after(on: date, months: int) -> date:
    """Notice runs from the 1st of the next month (AML §15-3) for whole months.

    Past the calendar's last day it shows 9999-12-31 (the latest date there is).
    """
    first_after = months_after(on.replace(day=1), months + 1)
    return date.max if first_after is None else first_after - timedelta(days=1)


def _employment_spans(events: list[dict[str, Any]], on: date) -> list[tuple[date, date]]:
    ends = {e["employment_id"]: e["effective_date"] for e in events if e["type"] == "terminated"}
    spans = []
    for e in events:
        if e["type"] == "hired":
            s = date.fromisoformat(e["effective_date"])
            end = min(date.fromisoformat(ends.get(e["employment_id"], on.isoformat())), on)
            if s <= on:
                spans.append((s, end))
    return sorted(spans)


def _merge(spans: list[tuple[date, date]]) -> list[tuple[date, date]]:
    merged: list[tuple[date, date]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1] + timedelta(days=1):
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged


def _live_events(rows: list[tuple[int, dict[str, Any]]]) -> list[dict[str, Any]]:
    events = [e for _, e in rows]
    gone = {e["target_event_id"] for e in events if e["type"] == "retracted"}
    return [e for e in events if e["type"] != "retracted" and e["event_id"] not in gone]


def entitlements(store: EventStore, employee_id: str, on: date, policy: Policy) -> Entitlements:
    rows = read_person(store, employee_id)
    if not rows:
        raise LedgerError(f"no events recorded for employee {employee_id}")
    if any(e["type"] == "erased" for _, e in rows):
        raise LedgerError(f"employee {employee_id} was erased; their entitlements are gone too")
    state = PersonState(employee_id)
    for _, ev in rows:
        state.apply(ev)
    events = _live_events(rows)
    if state.birth_date is None:
        raise LedgerError(f"employee {employee_id} has no hire recorded")
    age = _age(date.fromisoformat(state.birth_date), on)

    active = _active_employments(events, on)
    total_pct = sum(a["position_pct"] for a in active)

    n = on.toordinal()
    days = state.self_days
    used = bisect.bisect_right(days, n) - bisect.bisect_right(days, n - WINDOW_DAYS)
    limit = policy.self_certification.max_days_per_12_months
    welfare_used = paid_welfare_used(state, on.year)

    spans = _merge(_employment_spans(events, on))
    served: float = sum((e - s).days + 1 for s, e in spans)
    for lv in state.leaves.values():
        if not lv.paid and lv.kind not in SERVICE_LEAVE_KINDS:
            s, e = date.fromisoformat(lv.start), min(date.fromisoformat(lv.end), on)
            served -= max(0, (e - s).days + 1) * lv.leave_pct / 100
    seniority = served / 365.25
    continuous = ((spans[-1][1] - spans[-1][0]).days + 1) / 365.25 if spans else 0.0

    # §5.17 and AML §15-3
    employee_notice = 3 if continuous >= 10 else 2 if continuous >= 5 else 1
    employer_notice = employee_notice
    if continuous >= 10 and age >= 50:
        employer_notice = 4 + (age - 50) // 5
    on_probation = bool(active) and any(
        _before(on, months_after(date.fromisoformat(a["hired"]), 6)) for a in active
    )

    senior: list[str] = []
    permanent_pct = sum(a["position_pct"] for a in active if a["employment_type"] == "permanent")
    if 62 <= age <= 64 and permanent_pct > 0:
        senior.append(
            f"senior bonus NOK {30000 * min(permanent_pct, 100) / 100:,.0f} per year "
            "(age 62–64, permanent; vedlegg 2)"
        )
    if 65 <= age <= 67 and total_pct > 0:
        senior.append(
            f"{10 * min(total_pct, 100) / 100:g} paid days off per year (age 65–67; vedlegg 2)"
        )
    if age >= 55 and seniority >= 5:
        senior.append("right to up to 1 year unpaid leave (age 55+, 5 years' service; §8.7)")

    anniversaries = []
    # §10.2: combined (sammenlagt) service; earlier spans shorten the wait from the current one.
    current = spans[-1][0] if spans else on
    months_before = days_before = 0
    for s, e in spans[:-1]:
        m, d = _months_and_days(s, e + timedelta(days=1))
        months_before += m
        days_before += d
    for years, gift in ANNIVERSARIES.items():
        reached = months_after(current, 12 * years - months_before)
        if reached is None:  # past the calendar's last day
            continue
        due = reached - timedelta(days=days_before)
        horizon = months_after(on, 12)  # None: past the calendar, later than any date
        if on <= due and (horizon is None or due <= horizon):
            anniversaries.append(f"{years} years' service on {due}: {gift}")

    return Entitlements(
        employee_id=employee_id,
        on=on,
        age=age,
        active_employments=active,
        self_cert_used_12m=used,
        self_cert_left_12m=None if limit is None else max(0, limit - used),
        paid_welfare_used=welfare_used,
        paid_welfare_left=max(0.0, policy.welfare_leave.max_paid_workdays_per_year - welfare_used),
        seniority_years=round(seniority, 2),
        continuous_service_years=round(continuous, 2),
        employee_notice_months=employee_notice,
        employer_notice_months=employer_notice,
        notice_given_today_ends=_end_of_month_after(on, employer_notice),
        on_probation=on_probation,
        holiday_pay_pct=14.3 if age >= 60 else 12.0,
        senior_measures=senior,
        anniversaries=anniversaries,
    )


def _before(day: date, other: date | None) -> bool:
    """``day < other``, where None is a date past the calendar's end."""
    return other is None or day < other


def _months_and_days(start: date, end: date) -> tuple[int, int]:
    """Whole months from start to end (exclusive), and the days left over."""
    months = (end.year - start.year) * 12 + end.month - start.month
    if add_months(start, months) > end:
        months -= 1
    return months, (end - add_months(start, months)).days


def _active_employments(events: list[dict[str, Any]], on: date) -> list[dict[str, Any]]:
    day = on.isoformat()
    out: dict[str, dict[str, Any]] = {}
    for e in sorted(
        (e for e in events if "effective_date" in e and e["effective_date"] <= day),
        key=lambda e: e["effective_date"],
    ):
        t = e["type"]
        if t == "hired":
            out[e["employment_id"]] = {
                "employment_id": e["employment_id"],
                "hired": e["effective_date"],
                "employment_type": e["employment_type"],
                "position_pct": e["position_pct"],
                "unit": e["unit"],
            }
        elif t == "position_changed" and e["employment_id"] in out:
            out[e["employment_id"]]["position_pct"] = e["position_pct"]
        elif t == "transferred" and e["employment_id"] in out:
            out[e["employment_id"]]["unit"] = e["unit"]
        elif t == "terminated" and e["effective_date"] < day:
            out.pop(e["employment_id"], None)
    return list(out.values())


def format_entitlements(ent: Entitlements) -> str:
    lines = [f"Entitlements of employee {ent.employee_id} on {ent.on} (age {ent.age})"]
    for a in ent.active_employments:
        lines.append(
            f"  employment {a['employment_id']}: {a['employment_type']}, {a['position_pct']:g} %,"
            f" {a['unit']} (since {a['hired']})"
        )
    if not ent.active_employments:
        lines.append("  no active employment on this date")
    left = "no limit" if ent.self_cert_left_12m is None else f"{ent.self_cert_left_12m} left"
    lines += [
        f"  self-certified sick days, last 12 months: {ent.self_cert_used_12m} used, {left}",
        f"  paid welfare leave {ent.on.year}: {ent.paid_welfare_used:g} work-days used, "
        f"{ent.paid_welfare_left:g} left (§8.5)",
        f"  seniority: {ent.seniority_years:g} years (§8.2); continuous service "
        f"{ent.continuous_service_years:g} years",
        f"  notice (§5.17, AML §15-3): employee {ent.employee_notice_months} month(s), employer "
        f"{ent.employer_notice_months} month(s); employer's notice given today ends "
        f"{ent.notice_given_today_ends}" + ("; on probation: 14 days" if ent.on_probation else ""),
        f"  holiday pay: {ent.holiday_pay_pct:g} % of last year's gross pay (§5.8)",
    ]
    lines += [f"  senior measure: {s}" for s in ent.senior_measures]
    lines += [f"  service anniversary: {a}" for a in ent.anniversaries]
    return "\n".join(lines)
