"""The workforce: people hired, changed, promoted and leaving, year by year.

The simulation follows individual people, not totals, so that every KPI
(headcount, FTE, full-time share, apprentices, leaders, pay equality) comes
out of the same events a real HR system would record. Year-end headcount
is steered to the preset's target by hiring exactly the shortfall after
the year's departures; everything else is drawn per person.
"""

from __future__ import annotations

import bisect
import random
from datetime import date, timedelta
from typing import Any

from ledger.synthetic.model import Employment, Person, Placement, iso
from ledger.synthetic.presets import CENTRAL_SETTLEMENT, DEFAULT_SETTLEMENT, Position, Preset
from ledger.synthetic.sampling import age_on, birthday, month_end, ordinal, pick_weighted
from ledger.synthetic.sink import EventSink

RETIREMENT_AGES = ((62, 0.10), (63, 0.04), (64, 0.04), (65, 0.05), (66, 0.05), (67, 0.42),
                   (68, 0.12), (69, 0.18))  # fmt: skip
"""Age at which a person retires (last day: end of that birthday's month); AFP from 62."""

HIRE_MONTHS = ((1, 0.10), (2, 0.07), (3, 0.07), (4, 0.07), (5, 0.07), (6, 0.09), (7, 0.03),
               (8, 0.21), (9, 0.09), (10, 0.07), (11, 0.07), (12, 0.06))  # fmt: skip
"""Schools and kindergartens hire for August."""

TEMPORARY_DAYS = ((61, 0.15), (92, 0.25), (183, 0.30), (365, 0.30))
TEMPORARY_PCTS = ((10, 0.1), (20, 0.15), (30, 0.12), (40, 0.12), (50, 0.15), (60, 0.1),
                  (80, 0.08), (100, 0.18))  # fmt: skip
SECOND_PCTS = ((10, 0.15), (20, 0.3), (30, 0.2), (40, 0.15), (50, 0.2))
OTHER_SALARY_REASONS = (
    ("recruit_retain", 0.35),
    ("special_negotiation", 0.3),
    ("function_supplement", 0.25),
    ("other", 0.1),
)
EARLIEST_HIRE = date(1985, 1, 1)


def round_hundred(amount: float) -> int:
    """Salaries are agreed in whole hundreds of kroner."""
    return round(amount / 100) * 100


def salary_level(day: int) -> float:
    """Pay level on `day` relative to the 2022 settlement (base salaries are quoted there)."""
    d = date.fromordinal(day)
    year = d.year if (d.month, d.day) >= (5, 1) else d.year - 1
    level = 1.0
    for y in range(min(year, 2022) + 1, max(year, 2022) + 1):
        factor = 1 + CENTRAL_SETTLEMENT.get(y, DEFAULT_SETTLEMENT)
        level = level * factor if year > 2022 else level / factor
    return level


class Workforce:
    """Runs the people simulation and emits employment events into a sink."""

    def __init__(
        self, preset: Preset, year_from: int, year_to: int, scale: float, rng: random.Random,
        sink: EventSink,
    ) -> None:  # fmt: skip
        self.preset = preset
        self.year_from = year_from
        self.year_to = year_to
        self.scale = scale
        self.rng = rng
        self.sink = sink
        self.horizon_start = ordinal(year_from, 1, 1)
        self.horizon_end = ordinal(year_to, 12, 31)
        self.persons: list[Person] = []
        self.employments: list[Employment] = []
        self._fixed_terms: list[Employment] = []
        self._pending_leaders: list[tuple[int, int, str]] = []
        self._active: list[Person] = []
        self._quota: dict[str, tuple[int, int]] = {}

    # -- the run ------------------------------------------------------------
    def run(self) -> None:
        self._initial_population()
        for year in range(self.year_from, self.year_to + 1):
            self._simulate_year(year)

    def _simulate_year(self, year: int) -> None:
        first, last = ordinal(year, 1, 1), ordinal(year, 12, 31)
        self._active = [p for p in self._active if (p.last_day() or last) >= first]
        self._departures(year, first)
        self._replace_leaders(year, last)
        self._hire_apprentices(year, last)
        self._extra_leaders(year, last)
        target = self.preset.target_persons(year, self.scale)
        while True:
            self._resolve_fixed_terms(last)
            deficit = target - sum(1 for p in self._active if p.active_on(last))
            if deficit <= 0:
                break
            for _ in range(deficit):
                self._hire_new(year)
        self._yearly_changes(year, first, last)

    # -- emitting -----------------------------------------------------------
    def _emit(self, day: int, payload: dict[str, Any]) -> None:
        if day <= self.horizon_end:
            self.sink.add(day, payload)

    def _employment_event(self, kind: str, emp: Employment, day: int, **fields: Any) -> None:
        self._emit(
            day,
            {
                "type": kind,
                "employee_id": emp.person.employee_id,
                "employment_id": emp.employment_id,
                "effective_date": iso(day),
                **fields,
            },
        )

    # -- people and employments --------------------------------------------
    def _new_person(self, gender: str, birth: date, earliest_exit: date) -> Person:
        rng = self.rng
        age_now = age_on(birth, earliest_exit)
        ages = [(a, w) for a, w in RETIREMENT_AGES if a > age_now] or [(69, 1.0)]
        person = Person(
            index=len(self.persons) + 1,
            employee_id=f"{self.preset.code}{len(self.persons) + 1:06d}",
            birth=birth,
            gender=gender,
            retire_age=pick_weighted(rng, ages),
        )
        self.persons.append(person)
        self._active.append(person)
        return person

    def _hire(
        self, person: Person, day: int, kind: str, placement: Placement, pct: int, salary: int,
        planned_end: int | None = None,
    ) -> Employment:  # fmt: skip
        emp = Employment(
            employment_id=f"{person.employee_id}-{len(person.employments) + 1}",
            person=person,
            kind=kind,
            start=day,
            end=planned_end,
            placements=[(day, placement)],
            pcts=[(day, pct)],
            salaries=[(day, salary)],
        )
        person.employments.append(emp)
        self.employments.append(emp)
        if planned_end is not None:
            self._fixed_terms.append(emp)
        self._emit(
            day,
            {
                "type": "hired",
                "employee_id": person.employee_id,
                "employment_id": emp.employment_id,
                "effective_date": iso(day),
                "birth_date": person.birth.isoformat(),
                "gender": person.gender,
                "sector": self.preset.sectors[placement.sector].name,
                "unit": placement.unit,
                "position": placement.position,
                "employment_type": kind,
                "position_pct": pct,
                "annual_salary": salary,
                "is_leader": placement.is_leader,
            },
        )
        return emp

    def _terminate(self, emp: Employment, day: int, reason: str) -> None:
        emp.end = day
        emp.resolved = True
        self._employment_event("terminated", emp, day, reason=reason)

    # -- draws ----------------------------------------------------------------
    def _salary(self, base: int, day: int, person: Person) -> int:
        """Full-time-equivalent pay: position base, pay level of the day, experience, noise."""
        age = age_on(person.birth, date.fromordinal(day))
        experience = 1 + 0.007 * min(max(age - 24, 0), 16)
        gender = self.preset.men_pay_factor if person.gender == "M" else 1.0
        noise = self.rng.gauss(1.0, 0.04)
        return max(200_000, round_hundred(base * salary_level(day) * experience * gender * noise))

    def _on_quota(self, key: str, share: float) -> bool:
        """A yes/no draw that keeps the running share of yeses under `key` on `share`.

        A quota instead of a coin flip per person keeps each position's gender
        mix and full-time share, and so the pay-equality, leader and full-time
        figures, stable across seeds (a coin flip alone varies by ±0.7 points).
        """
        n, yes = self._quota.get(key, (0, 0))
        p_yes = min(max(share * (n + 1) - yes, 0.0), 1.0)
        answer = self.rng.random() < p_yes
        self._quota[key] = (n + 1, yes + answer)
        return answer

    def _gender(self, key: str, women_share: float) -> str:
        return "F" if self._on_quota(f"woman:{key}", women_share) else "M"

    def _sector_index(self) -> int:
        sectors = self.preset.sectors
        return self.rng.choices(range(len(sectors)), weights=[s.weight for s in sectors])[0]

    def _position(self, sector: int) -> Position:
        positions = self.preset.sectors[sector].positions
        return self.rng.choices(positions, weights=[p.weight for p in positions])[0]

    def _unit(self, sector: int) -> str:
        return self.rng.choice(self.preset.sectors[sector].units)

    def _permanent_pct(self, position: Position, *, initial: bool = False) -> int:
        """100 on the position's full-time quota, else a part-time size.

        The workforce on 1 January keeps a quota of its own, at the full-time level
        of the year before the first year (`Preset.initial_fulltime_prob`), so that
        new hires are drawn at the position's level and do not make up the difference.
        """
        if initial:
            key = f"fulltime-initial:{position.title}"
            share = self.preset.initial_fulltime_prob(position, self.year_from)
        else:
            key, share = f"fulltime:{position.title}", position.fulltime_prob
        if self._on_quota(key, share):
            return 100
        return int(pick_weighted(self.rng, self.preset.part_time_pcts))

    def _birth_for_age(self, day: date, age_years: float) -> date:
        return day - timedelta(days=int(age_years * 365.25) + self.rng.randrange(0, 30))

    def _hire_age(self) -> float:
        a, b = self.preset.hire_age_beta
        return 20 + 42 * self.rng.betavariate(a, b)

    # -- the workforce on 1 January of the first year --------------------------
    def _initial_population(self) -> None:
        p, rng = self.preset, self.rng
        start = date(self.year_from, 1, 1)
        before = self.year_from - 1
        total = p.target_persons(before, self.scale)
        leaders = p.target_leaders(before, self.scale)
        apprentices = p.target_apprentices(before, self.scale)
        temporaries = round(total * p.temporary_share)
        permanents = max(total - leaders - apprentices - temporaries, 0)

        for _ in range(leaders):
            gender = self._gender("leader", p.leader_women_share)
            age = 32 + 34 * rng.betavariate(2.6, 2.0)
            person = self._new_person(gender, self._birth_for_age(start, age), start)
            sector = self._sector_index()
            placement = Placement(sector, self._unit(sector), p.sectors[sector].leader_title, True)
            hired = self._past_hire_day(person, start)
            self._hire(
                person, hired, "permanent", placement, 100,
                self._salary(p.leader_salary, start.toordinal(), person),
            )  # fmt: skip

        # two cohorts of apprentices, hired in August one and two years ago
        for k in range(apprentices):
            cohort_year = before - (k % 2)
            self._hire_apprentice(ordinal(cohort_year, 8, 15))

        for _ in range(temporaries):
            hired = start.toordinal() - rng.randint(1, 300)
            end = hired + int(pick_weighted(rng, TEMPORARY_DAYS)) - 1
            if end < start.toordinal():
                end = start.toordinal() + rng.randint(30, 330)
            self._hire_fresh(hired, temporary=True, end=end)

        a, b = p.age_beta
        for _ in range(permanents):
            sector = self._sector_index()
            position = self._position(sector)
            gender = self._gender(position.title, position.women_share)
            age = 20 + 46 * rng.betavariate(a, b)
            person = self._new_person(gender, self._birth_for_age(start, age), start)
            hired = self._past_hire_day(person, start)
            placement = Placement(sector, self._unit(sector), position.title, False)
            pct = self._permanent_pct(position, initial=True)
            salary = self._salary(position.base_salary, start.toordinal(), person)
            self._hire(person, hired, "permanent", placement, pct, salary)
            if pct < 100 and rng.random() < p.second_employment_share:
                self._second_employment(person, hired, pct, salary_day=start.toordinal())

    def _past_hire_day(self, person: Person, start: date) -> int:
        """A hire date before `start`: exponential seniority, not before age 19 or 1985."""
        earliest = max(birthday(person.birth, 19), EARLIEST_HIRE).toordinal()
        latest = start.toordinal() - 1
        years = self.rng.expovariate(1 / 10)
        day = latest - int(years * 365.25)
        return max(min(day, latest), min(earliest, latest))

    # -- hiring ----------------------------------------------------------------
    def _hire_fresh(self, day: int, *, temporary: bool, end: int | None = None) -> Person:
        """A new person into a random position (temporary with a planned end, or permanent)."""
        p, rng = self.preset, self.rng
        sector = self._sector_index()
        position = self._position(sector)
        gender = self._gender(position.title, position.women_share)
        person = self._new_person(
            gender, self._birth_for_age(date.fromordinal(day), self._hire_age()),
            date.fromordinal(day),
        )  # fmt: skip
        placement = Placement(sector, self._unit(sector), position.title, False)
        salary = self._salary(position.base_salary, day, person)
        if temporary:
            if end is None:
                end = day + int(pick_weighted(rng, TEMPORARY_DAYS)) - 1
            pct = int(pick_weighted(rng, TEMPORARY_PCTS))
            self._hire(person, day, "temporary", placement, pct, salary, planned_end=end)
        else:
            pct = self._permanent_pct(position)
            self._hire(person, day, "permanent", placement, pct, salary)
            if pct < 100 and rng.random() < p.second_employment_share:
                self._second_employment(person, day, pct)
        return person

    def _second_employment(
        self, person: Person, day: int, main_pct: int, *, salary_day: int | None = None
    ) -> None:
        """A concurrent position elsewhere; permanent ones often top the person up to 100 %.

        `salary_day` is the day whose pay level the salary is drawn at (default: `day`).
        """
        rng = self.rng
        sector = self._sector_index()
        position = self._position(sector)
        placement = Placement(sector, self._unit(sector), position.title, False)
        salary = self._salary(position.base_salary, salary_day or day, person)
        if rng.random() < 0.7:
            room = 100 - main_pct
            pct = room if rng.random() < 0.45 else int(pick_weighted(rng, SECOND_PCTS))
            self._hire(person, day, "permanent", placement, max(min(pct, 100), 10), salary)
        else:
            end = day + int(pick_weighted(rng, TEMPORARY_DAYS)) - 1
            pct = int(pick_weighted(rng, SECOND_PCTS))
            self._hire(person, day, "temporary", placement, pct, salary, planned_end=end)

    def _hire_apprentice(self, day: int) -> None:
        p, rng = self.preset, self.rng
        hire_day = date.fromordinal(day)
        gender = self._gender("apprentice", 0.7)
        person = self._new_person(
            gender, self._birth_for_age(hire_day, 18 + 5 * rng.betavariate(1.2, 3.0)), hire_day
        )
        sector = self._sector_index()
        title = rng.choice(p.apprentice_positions)
        placement = Placement(sector, self._unit(sector), title, False)
        end = (birthday(hire_day, 2) - timedelta(days=1)).toordinal()  # a two-year term
        salary = max(200_000, round_hundred(p.apprentice_salary * salary_level(day)))
        self._hire(person, day, "apprentice", placement, 100, salary, planned_end=end)

    def _hire_new(self, year: int) -> None:
        rng = self.rng
        month = pick_weighted(rng, HIRE_MONTHS)
        first = ordinal(year, month, 1)
        day = first + rng.randrange(month_end(date.fromordinal(first)).day)
        self._hire_fresh(day, temporary=rng.random() < self.preset.temporary_hire_share)

    def _hire_apprentices(self, year: int, last: int) -> None:
        continuing = sum(
            1
            for e in self._fixed_terms
            if e.kind == "apprentice" and e.active_on(last) and e.start < ordinal(year, 1, 1)
        )
        wanted = self.preset.target_apprentices(year, self.scale) - continuing
        for _ in range(max(wanted, 0)):
            self._hire_apprentice(ordinal(year, 8, 15))

    # -- leaving -----------------------------------------------------------------
    def _departures(self, year: int, first: int) -> None:
        """Retirements and resignations of people with an open-ended (permanent) employment."""
        rng, p = self.rng, self.preset
        for person in self._active:
            if not any(e.end is None for e in person.employments):
                continue
            retire = month_end(birthday(person.birth, person.retire_age))
            if retire.year == year:
                self._leave(person, retire.toordinal(), "retirement")
                continue
            if retire.year < year:  # defensive: never keep anyone past retirement
                self._leave(person, first, "retirement")
                continue
            age = year - person.birth.year
            rate = next(r for bound, r in p.resignation_by_age if age < bound)
            if rng.random() >= rate:
                continue
            month = rng.randint(1, 12)
            if rng.random() < 0.7:
                day = month_end(date(year, month, 1)).toordinal()
            else:
                day = ordinal(year, month, 1) + rng.randrange(28)
            latest_change = max(
                max(e.placements[-1][0], e.pcts[-1][0], e.salaries[-1][0], e.start)
                for e in person.employments
            )
            day = max(day, latest_change, first)
            reason = pick_weighted(rng, (("resignation", 0.93), ("dismissal", 0.03),
                                         ("other", 0.04)))  # fmt: skip
            self._leave(person, day, reason)

    def _leave(self, person: Person, day: int, reason: str) -> None:
        for emp in person.employments:
            if emp.start <= day and (emp.end is None or (emp.end >= day and not emp.resolved)):
                if emp.placement_on(day).is_leader:
                    self._pending_leaders.append(
                        (day + self.rng.randint(14, 75), emp.placement.sector, emp.placement.unit)
                    )
                self._terminate(emp, day, reason)

    def _resolve_fixed_terms(self, last: int) -> None:
        """Decide what happens when a temporary contract or apprenticeship runs out."""
        p, rng = self.preset, self.rng
        while True:
            due = sorted(
                (e for e in self._fixed_terms if not e.resolved and e.end is not None
                 and e.end <= last),
                key=lambda e: (e.end, e.employment_id),
            )  # fmt: skip
            self._fixed_terms = [e for e in self._fixed_terms if not e.resolved]
            if not due:
                return
            for emp in due:
                assert emp.end is not None
                end = emp.end
                self._terminate(emp, end, "end_of_contract")
                person, nxt = emp.person, end + 1
                placement = emp.placement
                keeps_other = any(e.active_on(nxt) for e in person.employments)
                staying = any(e.end is None for e in person.employments)
                u = rng.random()
                if emp.kind == "apprentice":
                    if u < p.apprentice_hired_on_share:
                        position = self._position(placement.sector)
                        new = Placement(placement.sector, placement.unit, position.title, False)
                        salary = self._salary(position.base_salary, nxt, person)
                        self._hire(person, nxt, "permanent", new, self._permanent_pct(position),
                                   salary)  # fmt: skip
                    continue
                base = emp.salary_on(end)
                if keeps_other:
                    if staying and u < 0.8:  # a secondary extra position, renewed
                        days = int(pick_weighted(rng, TEMPORARY_DAYS))
                        self._hire(person, nxt, "temporary", placement, emp.pct, base,
                                   planned_end=nxt + days - 1)  # fmt: skip
                elif u < p.temporary_converted_share:
                    position = next(
                        (q for s in p.sectors for q in s.positions
                         if q.title == placement.position),
                        self._position(placement.sector),
                    )  # fmt: skip
                    self._hire(person, nxt, "permanent", placement, self._permanent_pct(position),
                               base)  # fmt: skip
                elif u < p.temporary_converted_share + p.temporary_renewed_share:
                    days = int(pick_weighted(rng, TEMPORARY_DAYS))
                    self._hire(person, nxt, "temporary", placement, emp.pct, base,
                               planned_end=nxt + days - 1)  # fmt: skip

    # -- leaders -----------------------------------------------------------------
    def _replace_leaders(self, year: int, last: int) -> None:
        """A leader who leaves is replaced within weeks: half from inside, half from outside."""
        due = sorted(x for x in self._pending_leaders if x[0] <= last)
        self._pending_leaders = [x for x in self._pending_leaders if x[0] > last]
        for day, sector, unit in due:
            if self.rng.random() < 0.5 and self._promote(day, sector, unit):
                continue
            self._hire_leader(day, sector, unit)

    def _extra_leaders(self, year: int, last: int) -> None:
        """A growing municipality needs more leaders than it loses."""
        count = sum(
            1
            for p in self._active
            for e in p.employments
            if e.active_on(last) and e.placement_on(last).is_leader
        )
        for _ in range(self.preset.target_leaders(year, self.scale) - count):
            sector = self._sector_index()
            day = ordinal(year, 1, 1) + self.rng.randrange(360)
            self._hire_leader(day, sector, self._unit(sector))

    def _hire_leader(self, day: int, sector: int, unit: str) -> None:
        p, rng = self.preset, self.rng
        gender = self._gender("leader", p.leader_women_share)
        hire_day = date.fromordinal(day)
        person = self._new_person(
            gender, self._birth_for_age(hire_day, 32 + 28 * rng.betavariate(2, 2)), hire_day
        )
        placement = Placement(sector, unit, p.sectors[sector].leader_title, True)
        self._hire(person, day, "permanent", placement, 100,
                   self._salary(p.leader_salary, day, person))  # fmt: skip

    def _promote(self, day: int, sector: int, unit: str) -> bool:
        p, rng = self.preset, self.rng
        gender = self._gender("leader", p.leader_women_share)
        for attempt in range(80):
            person = rng.choice(self._active)
            if person.gender != gender or (day - person.birth.toordinal()) < 30 * 365:
                continue
            emp = next(
                (e for e in person.employments
                 if e.kind == "permanent" and e.end is None and e.start < day),
                None,
            )  # fmt: skip
            if emp is None or emp.placement.is_leader:
                continue
            if attempt < 50 and emp.placement.sector != sector:
                continue
            if max(emp.placements[-1][0], emp.pcts[-1][0], emp.salaries[-1][0]) >= day:
                continue
            new = Placement(sector, unit, p.sectors[sector].leader_title, True)
            emp.placements.append((day, new))
            self._employment_event(
                "transferred", emp, day, sector=p.sectors[sector].name, unit=unit,
                position=new.position, is_leader=True,
            )  # fmt: skip
            if emp.pct < 100:
                emp.pcts.append((day, 100))
                self._employment_event("position_changed", emp, day, position_pct=100)
            salary = max(emp.salary_on(day), self._salary(p.leader_salary, day, person))
            emp.salaries.append((day, salary))
            self._employment_event(
                "salary_changed", emp, day, annual_salary=salary, reason="special_negotiation"
            )
            return True
        return False

    # -- pay, position size, transfers -------------------------------------------
    def _yearly_changes(self, year: int, first: int, last: int) -> None:
        p, rng = self.preset, self.rng
        may1 = ordinal(year, 5, 1)
        settlement = CENTRAL_SETTLEMENT.get(year, DEFAULT_SETTLEMENT)
        for emp in self.employments:
            if not emp.overlaps(first, last):
                continue
            lo = max(emp.start, first)
            hi = min(emp.end if emp.end is not None else last, last)
            # central settlement, 1 May, for everyone employed before that day
            if emp.start < may1 <= hi and all(d != may1 for d, _ in emp.salaries):
                salary = round_hundred(emp.salary_on(may1 - 1) * (1 + settlement))
                bisect.insort(emp.salaries, (may1, salary))
                self._employment_event(
                    "salary_changed", emp, may1, annual_salary=salary, reason="central_settlement"
                )
            if emp.kind != "permanent":
                continue
            u = rng.random()
            if u < p.local_negotiation_rate:
                self._salary_change(emp, lo, hi, "local_negotiation", 0.01, 0.035, local=True)
            elif u < p.local_negotiation_rate + 0.04:
                reason = pick_weighted(rng, OTHER_SALARY_REASONS)
                self._salary_change(emp, lo, hi, reason, 0.02, 0.06, local=False)
            pct = emp.pct
            u = rng.random()
            if pct < 100 and u < p.upgrade_rate:
                step = 100 - pct if rng.random() < 0.3 else rng.choice((10, 20, 25, 30))
                self._pct_change(emp, lo, hi, min(100, pct + step))
            elif pct >= 40 and u > 1 - p.downgrade_rate and not emp.placement.is_leader:
                self._pct_change(emp, lo, hi, pct - rng.choice((10, 20)))
            if not emp.placement.is_leader and rng.random() < p.transfer_rate:
                self._transfer(emp, lo, hi)

    def _random_day_after(self, emp_last: int, lo: int, hi: int) -> int | None:
        lo = max(lo, emp_last + 1)
        if lo > hi:
            return None
        return lo + self.rng.randrange(hi - lo + 1)

    def _salary_change(
        self, emp: Employment, lo: int, hi: int, reason: str, low: float, high: float, *,
        local: bool,
    ) -> None:  # fmt: skip
        if local:  # local negotiations take effect from a month's first day after May
            year = date.fromordinal(lo).year
            days = [ordinal(year, m, 1) for m in (5, 6, 8, 9, 10)]
            days = [d for d in days if lo <= d <= hi and d > emp.salaries[-1][0]]
            if not days:
                return
            day = self.rng.choice(days)
        else:
            picked = self._random_day_after(emp.salaries[-1][0], lo, hi)
            if picked is None:
                return
            day = picked
        salary = round_hundred(emp.salary_on(day) * (1 + self.rng.uniform(low, high)))
        emp.salaries.append((day, salary))
        self._employment_event("salary_changed", emp, day, annual_salary=salary, reason=reason)

    def _pct_change(self, emp: Employment, lo: int, hi: int, pct: int) -> None:
        day = self._random_day_after(emp.pcts[-1][0], lo, hi)
        if day is None or pct == emp.pct:
            return
        emp.pcts.append((day, pct))
        self._employment_event("position_changed", emp, day, position_pct=pct)

    def _transfer(self, emp: Employment, lo: int, hi: int) -> None:
        p = self.preset
        day = self._random_day_after(emp.placements[-1][0], lo, hi)
        if day is None:
            return
        old = emp.placement
        if self.rng.random() < 0.8 and len(p.sectors[old.sector].units) > 1:
            units = [u for u in p.sectors[old.sector].units if u != old.unit]
            new = Placement(old.sector, self.rng.choice(units), old.position, False)
            emp.placements.append((day, new))
            self._employment_event(
                "transferred", emp, day, sector=p.sectors[old.sector].name, unit=new.unit
            )
            return
        sector = self._sector_index()
        new = Placement(sector, self._unit(sector), self._position(sector).title, False)
        if new.unit == old.unit:
            return
        emp.placements.append((day, new))
        self._employment_event(
            "transferred", emp, day, sector=p.sectors[sector].name, unit=new.unit,
            position=new.position,
        )  # fmt: skip
