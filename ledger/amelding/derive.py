"""The ledger's events, derived from the differences between one month and the next.

The a-melding is a monthly state, not a list of changes. Per employment
(`arbeidsforholdId` of one person at one reporter), month after month:

- first seen: `hired` on `startdato`, with the month's state at its end;
- `stillingsprosent` changed: `position_changed` on `sisteDatoForStillingsprosentendring`;
- sub-unit, job title or leader position changed: `transferred` on the month's first day
  (the a-melding carries no date for it);
- pay changed: `salary_changed` on `sisteLoennsendringsdato`;
- a `sluttdato` within the month: `terminated`, reason from `aarsakTilSluttdato`;
- `formForAnsettelse` changed (temporary → permanent): the employment ends the day before
  the month and a new one begins (the ledger keeps one type per employment);
- each `permisjon`: one `leave` of its person, as last reported.

A date the a-melding gives is used when it falls after the previous change
of the same kind and within the month; otherwise the month's first day.

Event ids are deterministic (a hash of the fact and of the hire it depends
on), so importing the same history again stores nothing, and a corrected
month changes exactly the ids of the facts it changes.
"""

from __future__ import annotations

import hashlib
import json
from calendar import monthrange
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from ledger.amelding import identity
from ledger.amelding.codes import EMPLOYMENT_KINDS, NEVER_REPORTED
from ledger.amelding.history import History, JobMonth, Key
from ledger.amelding.mapping import Mapping
from ledger.amelding.message import Finding, Leave, PayLine, Source

ID_PREFIX = "am-"
RECORDED_BY = "a-melding"
RANK = {
    "hired": 0,
    "transferred": 1,
    "position_changed": 2,
    "salary_changed": 3,
    "leave": 4,
    "terminated": 9,
}


@dataclass(frozen=True)
class Derived:
    line: dict[str, Any]
    source: Source
    day: str
    rank: int


def event_id(*parts: object, retracted: Callable[[str], bool] = lambda _: False) -> str:
    """A deterministic id from a fact's parts; a fact recorded again after a retraction
    gets the next free generation (`~2`, `~3` …), because retracted ids stay taken."""
    digest = hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:24]
    base = f"{ID_PREFIX}{digest}"
    eid, n = base, 1
    while retracted(eid):
        n += 1
        eid = f"{base}~{n}"
    return eid


def _month_end(month: str) -> str:
    y, m = int(month[:4]), int(month[5:7])
    return f"{month}-{monthrange(y, m)[1]:02d}"


def _day_before(day: str) -> str:
    return (date.fromisoformat(day) - timedelta(days=1)).isoformat()


def annual_salary(
    pay: tuple[PayLine, ...], month: str, pct: float, mapping: Mapping
) -> float | None:
    """The full-time-equivalent annual salary at the month's end (see `PayRule`)."""
    rule = mapping.pay
    first, last = f"{month}-01", _month_end(month)
    groups: dict[tuple[str, str], float] = {}
    for line in pay:
        if line.description not in rule.income:
            continue
        start = line.period_start or first
        end = line.period_end or last
        if start < first or end > last or start > end:
            continue  # back pay or a period outside the month: not this month's rate
        groups[(start, end)] = groups.get((start, end), 0.0) + line.amount
    if not groups or pct <= 0:
        return None
    (start, end), amount = max(groups.items(), key=lambda kv: (kv[0][1], kv[0][0]))
    if amount <= 0:
        return None
    days = (date.fromisoformat(end) - date.fromisoformat(start)).days + 1
    month_days = int(last[-2:])
    annual = amount * 12 * month_days / days / (pct / 100)
    step = rule.round_to
    rounded = round(annual / step) * step
    return int(rounded) if float(rounded).is_integer() else rounded


@dataclass
class _Employment:
    employment_id: str
    hire_id: str
    start: str
    type: str
    pct: float
    salary: float
    place: tuple[str, str, str, bool]
    pct_floor: str
    pay_floor: str
    place_floor: str
    end: str | None = None
    stint: list[JobMonth] = field(default_factory=list)


class Deriver:
    def __init__(
        self, history: History, mapping: Mapping, retracted: Callable[[str], bool]
    ) -> None:
        self.history = history
        self.mapping = mapping
        self.retracted = retracted
        self.findings: list[Finding] = []
        self.events: list[Derived] = []
        self.hires: dict[str, list[str]] = {}
        """Employee id → hire ids (a leave's id depends on them)."""
        self.leaves: dict[tuple[str, str, str], tuple[JobMonth, Leave, _Employment]] = {}
        """(employee, employment, permisjonId) → its latest report."""
        self.used: dict[str, int] = {}

    def bad(self, source: Source, message: str) -> None:
        self.findings.append(Finding(source.file, source.path, message))

    def run(self) -> tuple[list[Derived], list[Finding]]:
        for key in sorted(self.history.jobs):
            self._employment_history(key, self.history.jobs[key])
        self._emit_leaves()
        self.events.sort(key=lambda d: (d.day, d.rank))
        return self.events, self.findings

    # -- one employment key, month by month ------------------------------------
    def _employment_history(self, key: Key, by_month: dict[str, JobMonth]) -> None:
        reporter, employee_id, job_id = key
        reports = [by_month[m] for m in sorted(by_month)]
        if reports[0].job.kind not in EMPLOYMENT_KINDS:
            return
        if all((r.job.pct or 0) == 0 for r in reports):
            return  # on call (stillingsprosent 0): no agreed position to record
        if any((r.job.pct or 0) == 0 for r in reports):
            r = next(r for r in reports if (r.job.pct or 0) == 0)
            self.bad(
                r.job.source,
                "stillingsprosent is 0 in some months and not in others; "
                "the ledger records agreed positions (0 only for on-call work throughout)",
            )
            return
        if any(r.job.end_reason == NEVER_REPORTED for r in reports):
            return  # should never have been reported: no facts at all
        months = self.history.months[reporter]
        base = f"{employee_id}-{job_id}"
        emp: _Employment | None = None
        previous: JobMonth | None = None
        for r in reports:
            if previous is not None and emp is not None and emp.end is None:
                expected = months[months.index(previous.month) + 1]
                if r.month != expected:
                    self._vanished(previous, expected)
                    return
            if emp is None or emp.end is not None:
                if emp is not None and (r.job.start or "") <= (emp.end or ""):
                    self.bad(
                        r.job.source,
                        f"arbeidsforhold {job_id} of employee {employee_id} "
                        f"is reported again after its sluttdato {emp.end} with startdato "
                        f"{r.job.start}; a new employment needs a later startdato",
                    )
                    return
                emp = self._hire(r, self._next_id(base), reports)
            else:
                emp = self._changes(r, emp, base, reports)
            if emp is None:
                return
            emp.stint.append(r)
            self._note_leaves(r, emp)
            self._termination(r, emp)
            previous = r
        if previous is not None and emp is not None and emp.end is None:
            i = months.index(previous.month)
            if i + 1 < len(months):
                self._vanished(previous, months[i + 1])

    def _next_id(self, base: str) -> str:
        """`E1-1`, then `E1-1.2`, `E1-1.3` … for later employments under the same id."""
        n = self.used.get(base, 0) + 1
        self.used[base] = n
        return base if n == 1 else f"{base}.{n}"

    def _vanished(self, last: JobMonth, missing: str) -> None:
        self.bad(
            last.job.source,
            f"arbeidsforhold {last.job.job_id} of employee "
            f"{last.employee_id} is in {last.month} but missing from {missing} without a "
            "sluttdato; an arbeidsforhold is reported every month until its sluttdato",
        )

    def _place(self, r: JobMonth) -> tuple[str, str, str, bool] | None:
        place = self.mapping.place(r.unit)
        if place is None:
            unit_path = r.job.source.path.split("/inntektsmottaker")[0]
            self.bad(
                Source(r.job.source.file, f"{unit_path}/norskIdentifikator"),
                f"virksomhet {r.unit} is not in the mapping's units; add it with its "
                "unit and sector",
            )
            return None
        occupation = r.job.occupation or ""
        return (
            place.sector,
            place.unit,
            self.mapping.title(occupation),
            self.mapping.is_leader(occupation),
        )

    def _type(self, r: JobMonth) -> str:
        if (r.job.occupation or "") in self.mapping.apprentice_occupations:
            return "apprentice"
        if r.job.form is None:
            return self.mapping.default_employment_type
        found = self.mapping.employment_forms.get(r.job.form)
        if found is None:
            self.bad(
                Source(r.job.source.file, f"{r.job.source.path}/formForAnsettelse"),
                f"{r.job.form!r} is not one of {', '.join(self.mapping.employment_forms)}",
            )
            return self.mapping.default_employment_type
        return found

    def _salary(self, r: JobMonth, later: list[JobMonth]) -> float | None:
        for m in [r, *later]:
            salary = annual_salary(m.pay, m.month, m.job.pct or 0, self.mapping)
            if salary is not None:
                return salary
        self.bad(
            r.job.source,
            f"no pay ({', '.join(self.mapping.pay.income)}) is reported for "
            f"arbeidsforhold {r.job.job_id} of employee {r.employee_id} in {r.month} or "
            "later; the ledger needs an annual salary (mapping: pay.income)",
        )
        return None

    def _person(self, r: JobMonth) -> tuple[str, str] | None:
        rec = r.recipient
        birth = rec.birth_date
        if birth is None and rec.national_id is not None:
            decoded = identity.birth_date(rec.national_id)
            birth = decoded.isoformat() if decoded else None
        gender = self.mapping.genders.get(r.employee_id)
        if gender is None and rec.national_id is not None:
            gender = identity.gender(rec.national_id)
        if birth is None or gender is None:
            what = "foedselsdato" if birth is None else "gender"
            self.bad(
                rec.source,
                f"the {what} of employee {r.employee_id} is unknown: give "
                "identifiserendeInformasjon/foedselsdato, a norskIdentifikator, or the "
                "mapping's genders",
            )
            return None
        return birth, gender

    def _hire(self, r: JobMonth, employment_id: str, reports: list[JobMonth]) -> _Employment | None:
        person = self._person(r)
        place = self._place(r)
        later = reports[reports.index(r) + 1 :]
        salary = self._salary(r, later)
        start = r.job.start
        if person is None or place is None or salary is None or start is None:
            return None
        return self._hire_on(r, employment_id, start, person, place, salary, self._type(r))

    def _hire_on(
        self,
        r: JobMonth,
        employment_id: str,
        start: str,
        person: tuple[str, str],
        place: tuple[str, str, str, bool],
        salary: float,
        kind: str,
    ) -> _Employment:
        pct = r.job.pct or 0
        sector, unit, title, leader = place
        hire_id = event_id(
            r.message.reporter,
            "hired",
            employment_id,
            start,
            *person,
            *place,
            kind,
            pct,
            salary,
            retracted=self.retracted,
        )
        self._emit(
            r,
            r.job.source,
            start,
            {
                "type": "hired",
                "event_id": hire_id,
                "employee_id": r.employee_id,
                "employment_id": employment_id,
                "effective_date": start,
                "birth_date": person[0],
                "gender": person[1],
                "sector": sector,
                "unit": unit,
                "position": title,
                "employment_type": kind,
                "position_pct": pct,
                "annual_salary": salary,
                "is_leader": leader,
            },
        )
        self.hires.setdefault(r.employee_id, []).append(hire_id)
        return _Employment(
            employment_id, hire_id, start, kind, pct, salary, place, start, start, start
        )

    def _changes(
        self, r: JobMonth, emp: _Employment, base: str, reports: list[JobMonth]
    ) -> _Employment | None:
        job = r.job
        first, last = f"{r.month}-01", _month_end(r.month)
        if emp.stint and job.start != emp.stint[0].job.start:
            self.bad(
                Source(job.source.file, f"{job.source.path}/startdato"),
                f"startdato changed from {emp.stint[0].job.start} to {job.start} while "
                "the arbeidsforhold continues; correct the earlier months with "
                "replacement messages",
            )
            return None
        kind = self._type(r)
        place = self._place(r)
        if place is None:
            return None
        if kind != emp.type:
            return self._converted(r, emp, base, kind, place, reports)
        if place != emp.place:
            day = max(first, _next_day(emp.place_floor))
            sector, unit, title, leader = place
            self._change(
                r,
                emp,
                "transferred",
                day,
                job.source,
                sector=sector,
                unit=unit,
                position=title,
                is_leader=leader,
            )
            emp.place, emp.place_floor = place, day
        pct = job.pct or 0
        if pct != emp.pct:
            day = _dated(job.pct_date, emp.pct_floor, first, last)
            self._change(
                r,
                emp,
                "position_changed",
                day,
                Source(job.source.file, f"{job.source.path}/stillingsprosent"),
                position_pct=pct,
            )
            emp.pct, emp.pct_floor = pct, day
        salary = annual_salary(r.pay, r.month, pct, self.mapping)
        if salary is not None and salary != emp.salary:
            day = _dated(job.pay_date, emp.pay_floor, first, last)
            reason = (
                "central_settlement"
                if day[5:] in self.mapping.pay.settlement_dates
                else self.mapping.pay.other_reason
            )
            self._change(
                r,
                emp,
                "salary_changed",
                day,
                r.pay[0].source if r.pay else job.source,
                annual_salary=salary,
                reason=reason,
            )
            emp.salary, emp.pay_floor = salary, day
        return emp

    def _converted(
        self,
        r: JobMonth,
        emp: _Employment,
        base: str,
        kind: str,
        place: tuple[str, str, str, bool],
        reports: list[JobMonth],
    ) -> _Employment | None:
        """A new employment type: the old employment ends the day before the month."""
        first = f"{r.month}-01"
        end = _day_before(first)
        tid = event_id(
            r.message.reporter, "terminated", emp.hire_id, end, "other", retracted=self.retracted
        )
        self._emit(
            r,
            Source(r.job.source.file, f"{r.job.source.path}/formForAnsettelse"),
            end,
            {
                "type": "terminated",
                "event_id": tid,
                "employment_id": emp.employment_id,
                "effective_date": end,
                "reason": "other",
            },
        )
        person = self._person(r)
        salary = self._salary(r, reports[reports.index(r) + 1 :])
        if person is None or salary is None:
            return None
        return self._hire_on(r, self._next_id(base), first, person, place, salary, kind)

    def _change(
        self, r: JobMonth, emp: _Employment, kind: str, day: str, source: Source, **values: Any
    ) -> None:
        eid = event_id(
            r.message.reporter, kind, emp.hire_id, day, *values.values(), retracted=self.retracted
        )
        self._emit(
            r,
            source,
            day,
            {
                "type": kind,
                "event_id": eid,
                "employment_id": emp.employment_id,
                "effective_date": day,
                **values,
            },
        )

    def _termination(self, r: JobMonth, emp: _Employment) -> None:
        job = r.job
        if job.end is None or job.end > _month_end(r.month):
            return  # no end, or one planned after this month: it ends when it ends
        code = job.end_reason or ""
        reason = self.mapping.termination_reasons.get(code)
        where = Source(job.source.file, f"{job.source.path}/aarsakTilSluttdato")
        if reason is None:
            self.bad(
                where,
                f"{code!r} is not one of "
                f"{', '.join(c for c in self.mapping.termination_reasons if c)}",
            )
            return
        eid = event_id(
            r.message.reporter, "terminated", emp.hire_id, job.end, reason, retracted=self.retracted
        )
        self._emit(
            r,
            Source(job.source.file, f"{job.source.path}/sluttdato"),
            job.end,
            {
                "type": "terminated",
                "event_id": eid,
                "employment_id": emp.employment_id,
                "effective_date": job.end,
                "reason": reason,
            },
        )
        emp.end = job.end

    def _note_leaves(self, r: JobMonth, emp: _Employment) -> None:
        for leave in r.job.leaves:
            self.leaves[(r.employee_id, emp.employment_id, leave.leave_id)] = (r, leave, emp)

    # -- leave ------------------------------------------------------------------
    def _emit_leaves(self) -> None:
        """Each permisjon as last reported; the same leave under two employments is one,
        kept within the employments it is reported under."""
        groups: dict[tuple[Any, ...], list[tuple[JobMonth, Leave, _Employment]]] = {}
        for (employee_id, _, _), (r, leave, emp) in sorted(self.leaves.items()):
            spec = self.mapping.leave_kinds.get(leave.description)
            if spec is None:
                self.bad(
                    Source(leave.source.file, f"{leave.source.path}/beskrivelse"),
                    f"{leave.description!r} is not one of {', '.join(self.mapping.leave_kinds)}",
                )
                continue
            kind, paid_default = spec
            paid = leave.paid if leave.paid is not None else paid_default
            end = leave.end or _month_end(r.month)  # still running: known to last this long
            fact = (employee_id, leave.start, end, leave.pct, kind, paid)
            groups.setdefault(fact, []).append((r, leave, emp))
        for fact, reports in groups.items():
            employee_id, start, end, pct, kind, paid = fact
            start = max(start, min(emp.start for _, _, emp in reports))
            end = min(end, max(emp.end or "9999-12-31" for _, _, emp in reports))
            if end < start:
                continue
            r, leave, _ = reports[0]
            eid = event_id(
                r.message.reporter,
                "leave",
                sorted(self.hires.get(employee_id, [])),
                employee_id,
                start,
                end,
                pct,
                kind,
                paid,
                retracted=self.retracted,
            )
            self._emit(
                r,
                leave.source,
                start,
                {
                    "type": "leave",
                    "event_id": eid,
                    "employee_id": employee_id,
                    "start_date": start,
                    "end_date": end,
                    "kind": kind,
                    "paid": paid,
                    "leave_pct": pct,
                },
            )

    def _emit(self, r: JobMonth, source: Source, day: str, line: dict[str, Any]) -> None:
        line["recorded_by"] = RECORDED_BY
        line["note"] = f"a-melding {r.month}, meldingsId {r.message.message_id}"
        self.events.append(Derived(line, source, day, RANK[line["type"]]))


def _next_day(day: str) -> str:
    return (date.fromisoformat(day) + timedelta(days=1)).isoformat()


def _dated(given: str | None, floor: str, first: str, last: str) -> str:
    """The a-melding's date when it is after the previous change and within the month."""
    if given is not None and floor < given <= last:
        return given
    return max(first, _next_day(floor))


def derive(
    history: History, mapping: Mapping, retracted: Callable[[str], bool] = lambda _: False
) -> tuple[list[Derived], list[Finding]]:
    return Deriver(history, mapping, retracted).run()
