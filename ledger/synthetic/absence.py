"""Leave and sickness absence, drawn as occurrences per person rather than day by day.

Occurrences (a parental leave, a three-day self-certified flu, a long
doctor-certified absence) are what the handbook rules and the duration
bands talk about, so they are the unit of simulation; only at the end is an
occurrence expanded into one `sick_day` line per calendar day.

Absence is simulated from 1 January of the year *before* the first year and
clipped to the file's range, so that long absences and leaves already in
progress on 1 January exist and the first year's sickness rate is not low.
"""

from __future__ import annotations

import bisect
import random
from dataclasses import dataclass
from datetime import date

from ledger.domain.calendar import add_months, is_workday
from ledger.synthetic.model import Person, iso
from ledger.synthetic.presets import Preset
from ledger.synthetic.sampling import add_years, age_on, ordinal, pick_weighted, poisson
from ledger.synthetic.sink import EventSink

# -- calibration of sickness (see docs/synthetic-data.md) ------------------------
AGREED_DAYS_PER_YEAR = 250
SELF_WORKDAYS_PER_OCCURRENCE = 1.55
"""Expected lost work-days of one self-certified occurrence (measured; weekends excluded)."""
DOCTOR_WORKDAYS_PER_OCCURRENCE = 17.4
"""Expected lost, grade-weighted work-days of one doctor-certified occurrence (measured,
after truncation at leaves, employment ends and the next occurrence)."""
GENDER_SICKNESS = {"F": 1.08, "M": 0.66}
"""Women are sick more often than men (NAV: about 1.6 ×); the mean over 81 % women is 1."""
SELF_SPREAD = 0.5
"""Self-certified absence varies half as much between positions as doctor-certified."""
PART_TIME_PCT = 57
"""Mean position size of a part-time position, for weighting positions by agreed days."""
MONTH_SICKNESS = (1.35, 1.35, 1.15, 0.95, 0.9, 0.8, 0.55, 0.8, 1.0, 1.05, 1.1, 1.1)
SELF_WEEKDAY = (1.6, 1.1, 1.0, 0.9, 0.8, 0.3, 0.4)
DOCTOR_WEEKDAY = (1.4, 1.0, 1.0, 1.0, 1.0, 0.3, 0.3)
SELF_DAYS = ((1, 0.33), (2, 0.25), (3, 0.2), (4, 0.08), (5, 0.05), (6, 0.03), (7, 0.03), (8, 0.03))
SELF_LIMIT_MARGIN = 20
"""Self-certified days allowed in any 12 months by the generator (the handbook allows 24)."""
SERVICE_MONTHS = 2
SERVICE_BREAK_DAYS = 14
"""Self-certification only after two months of service, breaks up to two weeks bridged
(folketrygdloven § 8-24, both built-in policies); earlier occurrences are doctor-certified."""
GRADES = ((20, 0.1), (30, 0.05), (40, 0.15), (50, 0.4), (60, 0.15), (70, 0.05), (80, 0.1))

# -- calibration of leave ----------------------------------------------------------
PARENTAL_WOMEN = ((24, 0.0), (27, 0.025), (39, 0.065), (45, 0.022))
"""(upper age bound, yearly probability of a parental leave starting), women."""
PARENTAL_MEN = ((26, 0.0), (47, 0.015))
PAID_WELFARE_CAP = 10
RELIGIOUS_CAP = 2
"""Religious holidays not on the Norwegian calendar: at most 2 unpaid work-days a year (§8.5)."""
"""Paid welfare work-days per year the generator grants (the handbook allows 12)."""
WELFARE_CASES = (
    # reason, weight, (min, max) work-days, probability paid
    ("family_illness", 0.30, (1, 5), 0.9),
    ("bereavement", 0.20, (1, 5), 1.0),
    ("medical_appointment", 0.30, (1, 1), 0.7),
    ("cultural_sports_event", 0.05, (1, 3), 0.8),
    ("own_wedding", 0.05, (1, 1), 1.0),
    ("school_start", 0.10, (1, 1), 1.0),
)
OTHER_LEAVE = (
    # kind, yearly rate per person, (min, max) calendar days, probability paid, partial share
    ("education", 0.030, (1, 120), 0.6, 0.4),
    ("care", 0.012, (5, 40), 0.3, 0.0),
    ("union", 0.010, (1, 3), 1.0, 0.0),
    ("public_office", 0.008, (1, 5), 1.0, 0.0),
    ("other", 0.006, (1, 10), 0.5, 0.0),
)
WELFARE_RATE = 0.30
UNPAID_RATE = 0.008
RELIGIOUS_SHARE = 0.015
"""Share of persons who take (unpaid) leave for religious holidays not on the Norwegian calendar."""


@dataclass(slots=True)
class Leave:
    start: int
    end: int
    pct: int
    kind: str
    paid: bool
    reason: str | None = None


class YearCalendar:
    """Days of one year with the seasonal × weekday weights of occurrence starts."""

    def __init__(self, year: int) -> None:
        first, last = ordinal(year, 1, 1), ordinal(year, 12, 31)
        self.days = list(range(first, last + 1))
        self.self_cum: list[float] = []
        self.doctor_cum: list[float] = []
        s = d = 0.0
        for day in self.days:
            when = date.fromordinal(day)
            month = MONTH_SICKNESS[when.month - 1]
            s += month * SELF_WEEKDAY[when.weekday()]
            d += month * DOCTOR_WEEKDAY[when.weekday()]
            self.self_cum.append(s)
            self.doctor_cum.append(d)


class Absence:
    def __init__(
        self, preset: Preset, year_from: int, year_to: int, rng: random.Random, sink: EventSink
    ) -> None:
        self.preset = preset
        self.rng = rng
        self.sink = sink
        self.years = range(year_from - 1, year_to + 1)
        self.window_start = ordinal(year_from - 1, 1, 1)
        self.horizon_start = ordinal(year_from, 1, 1)
        self.horizon_end = ordinal(year_to, 12, 31)
        self.calendars = {y: YearCalendar(y) for y in self.years}
        self.norm = sickness_norm(preset)

    def run(self, persons: list[Person]) -> None:
        for person in persons:
            spans = person.spans(self.window_start, self.horizon_end)
            if not spans:
                continue
            leaves = self._leaves(person, spans)
            for lv in leaves:
                self._emit_leave(person, lv)
            self._sickness(person, spans, leaves)

    # -- helpers ---------------------------------------------------------------
    @staticmethod
    def _segments(spans: list[tuple[int, int]], first: int, last: int) -> list[tuple[int, int]]:
        return [(max(a, first), min(b, last)) for a, b in spans if a <= last and b >= first]

    def _random_day(self, segments: list[tuple[int, int]]) -> int:
        total = sum(b - a + 1 for a, b in segments)
        r = self.rng.randrange(total)
        for a, b in segments:
            if r <= b - a:
                return a + r
            r -= b - a + 1
        raise AssertionError("unreachable")

    @staticmethod
    def _span_end(spans: list[tuple[int, int]], day: int) -> int | None:
        for a, b in spans:
            if a <= day <= b:
                return b
        return None

    def _place(self, leaves: list[Leave], spans: list[tuple[int, int]], candidate: Leave) -> bool:
        """Truncate the candidate to its employment span and keep it only if it overlaps nothing."""
        span_end = self._span_end(spans, candidate.start)
        if span_end is None:
            return False
        candidate.end = min(candidate.end, span_end, self.horizon_end)
        if candidate.end < candidate.start:
            return False
        if any(lv.start <= candidate.end and candidate.start <= lv.end for lv in leaves):
            return False
        leaves.append(candidate)
        return True

    # -- leave -------------------------------------------------------------------
    def _leaves(self, person: Person, spans: list[tuple[int, int]]) -> list[Leave]:
        rng = self.rng
        factor = self.preset.leave_rate_factor
        leaves: list[Leave] = []
        paid_welfare: dict[int, int] = {}
        last_parental = -10_000
        last_unpaid: int | None = None
        religious = rng.random() < RELIGIOUS_SHARE
        religious_used: dict[int, int] = {}
        for year in self.years:
            first, last = ordinal(year, 1, 1), ordinal(year, 12, 31)
            segments = self._segments(spans, first, last)
            if not segments:
                continue
            exposure = sum(b - a + 1 for a, b in segments) / (last - first + 1)
            # parental leave: by age and gender; about one child every few years at most
            start = self._random_day(segments)
            age = age_on(person.birth, date.fromordinal(start))
            table = PARENTAL_WOMEN if person.gender == "F" else PARENTAL_MEN
            rate = next((r for bound, r in table if age < bound), 0.0)
            if start - last_parental > 600 and rng.random() < rate * exposure:
                if person.gender == "F":
                    weeks = min(max(rng.gauss(30, 8), 8), 49)
                else:
                    weeks = min(max(rng.gauss(9, 4), 2), 16)
                leave = Leave(start, start + int(weeks * 7) - 1, 100, "parental", True)
                if self._place(leaves, spans, leave):
                    last_parental = start
                    if person.gender == "F" and rng.random() < 0.7:
                        self._welfare(leaves, spans, paid_welfare, "kindergarten_start",
                                      start + rng.randint(330, 420), 3, True)  # fmt: skip
            for _ in range(poisson(rng, WELFARE_RATE * factor * exposure)):
                reason, _w, (lo, hi), p_paid = rng.choices(
                    WELFARE_CASES, weights=[c[1] for c in WELFARE_CASES]
                )[0]
                self._welfare(leaves, spans, paid_welfare, reason, self._random_day(segments),
                              rng.randint(lo, hi), rng.random() < p_paid)  # fmt: skip
            if religious:
                self._welfare(leaves, spans, paid_welfare, "religious_holiday",
                              self._random_day(segments), rng.randint(1, 2), False,
                              religious_used)  # fmt: skip
            for kind, kind_rate, (lo, hi), p_paid, partial in OTHER_LEAVE:
                for _ in range(poisson(rng, kind_rate * factor * exposure)):
                    begin = self._random_day(segments)
                    self._place(leaves, spans, Leave(
                        begin, begin + rng.randint(lo, hi) - 1,
                        50 if rng.random() < partial else 100, kind, rng.random() < p_paid,
                    ))  # fmt: skip
            if rng.random() < UNPAID_RATE * factor * exposure:
                begin = self._random_day(segments)
                # once per five years (§8.7), with a month's margin
                if last_unpaid is None or (
                    begin - add_years(date.fromordinal(last_unpaid), 5).toordinal() > 31
                ):
                    length = rng.choice((31, 61, 92, 183, 240, 300, 360))
                    unpaid = Leave(begin, begin + length - 1, 100, "unpaid", False)
                    if self._place(leaves, spans, unpaid):
                        last_unpaid = begin
        leaves.sort(key=lambda lv: lv.start)
        return leaves

    def _welfare(
        self, leaves: list[Leave], spans: list[tuple[int, int]], paid_used: dict[int, int],
        reason: str, start: int, workdays: int, paid: bool,
        religious_used: dict[int, int] | None = None,
    ) -> None:  # fmt: skip
        """Welfare leave of `workdays` agreed work-days, kept inside one calendar year."""
        while not is_workday(date.fromordinal(start)):
            start += 1
        year = date.fromordinal(start).year
        year_end = ordinal(year, 12, 31)
        end, counted = start, 1
        while counted < workdays and end < year_end:
            end += 1
            if is_workday(date.fromordinal(end)):
                counted += 1
        if paid and paid_used.get(year, 0) + counted > PAID_WELFARE_CAP:
            paid = False
        # Religious holidays: at most 2 unpaid work-days a calendar year (§8.5); a
        # late-December draw rolls into January, so count per calendar year.
        if (
            reason == "religious_holiday"
            and religious_used is not None
            and religious_used.get(year, 0) + counted > RELIGIOUS_CAP
        ):
            return
        leave = Leave(start, end, 100, "welfare", paid, reason)
        if self._place(leaves, spans, leave):
            counted = sum(
                1 for d in range(leave.start, leave.end + 1) if is_workday(date.fromordinal(d))
            )
            if paid:
                paid_used[year] = paid_used.get(year, 0) + counted
            if reason == "religious_holiday" and religious_used is not None:
                religious_used[year] = religious_used.get(year, 0) + counted

    def _emit_leave(self, person: Person, lv: Leave) -> None:
        if lv.end < self.horizon_start:
            return
        start = max(lv.start, self.horizon_start)
        payload: dict[str, object] = {
            "type": "leave",
            "employee_id": person.employee_id,
            "start_date": iso(start),
            "end_date": iso(lv.end),
            "kind": lv.kind,
            "paid": lv.paid,
        }
        if lv.pct != 100:
            payload["leave_pct"] = lv.pct
        if lv.reason is not None:
            payload["welfare_reason"] = lv.reason
        self.sink.add(start, payload)

    # -- sickness ----------------------------------------------------------------
    def _sickness(self, person: Person, spans: list[tuple[int, int]], leaves: list[Leave]) -> None:
        rng = self.rng
        gender = GENDER_SICKNESS[person.gender]
        frailty_self = rng.gammavariate(2.0, 0.5) * gender
        frailty_doctor = rng.gammavariate(0.6, 1 / 0.6) * gender
        drawn: list[tuple[int, int, str]] = []
        for year in self.years:
            first, last = ordinal(year, 1, 1), ordinal(year, 12, 31)
            segments = self._segments(spans, first, last)
            if not segments:
                continue
            exposure = sum(b - a + 1 for a, b in segments) / (last - first + 1)
            self_pct, doctor_pct = self.preset.sickness_for(year)
            where = self._position_factor(person, segments[0][0])
            lam_self = self_pct / 100 * AGREED_DAYS_PER_YEAR / SELF_WORKDAYS_PER_OCCURRENCE
            lam_self *= 1 + (where - 1) * SELF_SPREAD
            lam_doctor = doctor_pct / 100 * AGREED_DAYS_PER_YEAR / DOCTOR_WORKDAYS_PER_OCCURRENCE
            lam_doctor *= where
            cal = self.calendars[year]
            for cert, lam, cum in (
                ("self", lam_self * frailty_self, cal.self_cum),
                ("doctor", lam_doctor * frailty_doctor, cal.doctor_cum),
            ):
                for _ in range(poisson(rng, lam * exposure)):
                    start = self._active_start(cal.days, cum, segments)
                    if start is None:
                        continue
                    drawn.append((start, self._length(cert), cert))
        drawn.sort()
        full_leaves = [(lv.start, lv.end) for lv in leaves if lv.pct == 100]
        self_runs: list[tuple[int, int]] = []
        prev_end = -1
        for start, length, cert in drawn:
            if start <= prev_end + 1:
                continue  # keep occurrences apart, so self-certified runs never merge
            span_end = self._span_end(spans, start)
            if span_end is None:
                continue
            end = min(start + length - 1, span_end, self.horizon_end)
            blocked = False
            for a, b in full_leaves:
                if a <= start <= b:
                    blocked = True
                    break
                if start < a <= end:
                    end = a - 1
            if blocked:
                continue
            if cert == "self" and not self._may_self_certify(person, start):
                cert = "doctor"
            if cert == "self":
                recent = sum(
                    min(b, end + 365) - max(a, start - 365) + 1
                    for a, b in self_runs
                    if b >= start - 365 and a <= end + 365
                )
                if recent + end - start + 1 > SELF_LIMIT_MARGIN:
                    cert = "doctor"  # the employer asks for a doctor's certificate
                else:
                    self_runs.append((start, end))
            self._emit_sick(person, start, end, cert)
            prev_end = end

    def _position_factor(self, person: Person, day: int) -> float:
        """Relative sickness of the person's main job (largest position) on `day`."""
        active = [e for e in person.employments if e.active_on(day)]
        if not active:
            return 1.0
        main = max(active, key=lambda e: (e.pct_on(day), e.employment_id))
        place = main.placement_on(day)
        p = self.preset
        return (
            p.sickness_by_position.get(place.position, 1.0)
            * p.sickness_by_unit.get(place.unit, 1.0)
            / self.norm
        )

    @staticmethod
    def _may_self_certify(person: Person, day: int) -> bool:
        since = person.service_start(day, SERVICE_BREAK_DAYS)
        if since is None:
            return False
        return day >= add_months(date.fromordinal(since), SERVICE_MONTHS).toordinal()

    def _active_start(
        self, days: list[int], cum: list[float], segments: list[tuple[int, int]]
    ) -> int | None:
        total = cum[-1]
        for _ in range(30):
            day = days[bisect.bisect_right(cum, self.rng.random() * total)]
            if any(a <= day <= b for a, b in segments):
                return day
        return None

    def _length(self, cert: str) -> int:
        rng = self.rng
        if cert == "self":
            return int(pick_weighted(rng, SELF_DAYS))
        u = rng.random()
        if u < 0.45:
            return rng.randint(4, 16)
        if u < 0.80:
            return rng.randint(17, 56)
        return min(365, 57 + int(rng.expovariate(1 / 70)))

    def _emit_sick(self, person: Person, start: int, end: int, cert: str) -> None:
        rng = self.rng
        eid = person.employee_id
        pieces: list[tuple[int, int, float]] = [(start, end, 100)]
        if cert == "doctor":
            length = end - start + 1
            if length >= 17 and rng.random() < 0.45:
                full = min(length - 1, rng.randint(7, 21))
                graded = pick_weighted(rng, GRADES)
                pieces = [(start, start + full - 1, 100), (start + full, end, graded)]
            elif rng.random() < 0.05:
                pieces = [(start, end, 50)]
        for a, b, grade in pieces:
            first = max(a, self.horizon_start)
            if first <= b:
                self.sink.add_sick_days(first, b, (eid, cert, grade))


def sickness_norm(preset: Preset) -> float:
    """The workforce's mean position × unit factor, so that the factors move sickness
    between positions and units but keep the municipality's level.

    Weighted as the workforce is drawn (sector × position weights, units alike
    within a sector, leaders in every sector) and by agreed days (position
    size) and gender (women are sick more often, so a female position's factor
    weighs more).
    """
    total = weighted = 0.0
    for sector in preset.sectors:
        unit_mean = sum(preset.sickness_by_unit.get(u, 1.0) for u in sector.units) / len(
            sector.units
        )
        share = sum(q.weight for q in sector.positions)
        for q in sector.positions:
            days = q.fulltime_prob * 100 + (1 - q.fulltime_prob) * PART_TIME_PCT
            gender = (
                q.women_share * GENDER_SICKNESS["F"] + (1 - q.women_share) * GENDER_SICKNESS["M"]
            )
            w = sector.weight * q.weight / share * days * gender
            total += w
            weighted += w * preset.sickness_by_position.get(q.title, 1.0) * unit_mean
    leaders = preset.leaders / preset.persons  # full-time, in every sector by its weight
    gender = (
        preset.leader_women_share * GENDER_SICKNESS["F"]
        + (1 - preset.leader_women_share) * GENDER_SICKNESS["M"]
    )
    for sector in preset.sectors:
        w = leaders * sector.weight * 100 * gender
        total += w
        weighted += w * preset.sickness_by_position.get(sector.leader_title, 1.0)
    return weighted / total if total else 1.0
