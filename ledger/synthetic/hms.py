"""HMS deviations (§1.11, §4.5, §7.8): reported where people work, most of them closed.

Yearly counts are exact (not Poisson) because Sandnes publishes them and the
calibration tests compare against them; where a deviation names an employee,
it is someone employed in that unit on that day.
"""

from __future__ import annotations

import random
from datetime import date

from ledger.synthetic.model import Employment, iso
from ledger.synthetic.presets import Preset
from ledger.synthetic.sampling import ordinal, pick_weighted
from ledger.synthetic.sink import EventSink

CATEGORIES = (("violence_threat", 0.38), ("near_miss", 0.25), ("property_damage", 0.10),
              ("other", 0.27))  # fmt: skip
"""Categories of deviations other than personal injury (which has its own yearly count)."""
WITH_EMPLOYEE = {"personal_injury": 0.9, "violence_threat": 0.75, "near_miss": 0.2,
                 "property_damage": 0.1, "other": 0.1}  # fmt: skip
SEVERITY = {
    "personal_injury": ((1, 0.5), (2, 0.4), (3, 0.1)),
    "default": ((1, 0.6), (2, 0.32), (3, 0.08)),
}
CLOSED_SHARE = 0.92
MEAN_DAYS_TO_CLOSE = 18
MEASURES = (
    "Gjennomgått i personalmøte",
    "Rutine oppdatert",
    "Opplæring gjennomført",
    "Utstyr reparert/byttet",
    "Meldt til AMU",
    "Risikovurdering oppdatert",
    "Bemanning vurdert",
)


def simulate_hms(
    preset: Preset, employments: list[Employment], year_from: int, year_to: int, scale: float,
    rng: random.Random, sink: EventSink,
) -> None:  # fmt: skip
    horizon_end = ordinal(year_to, 12, 31)
    for year in range(year_from, year_to + 1):
        first, last = ordinal(year, 1, 1), ordinal(year, 12, 31)
        staff = [e for e in employments if e.overlaps(first, last)]
        if not staff:
            continue
        days = list(range(first, last + 1))
        weights = [1.0 if date.fromordinal(d).weekday() < 5 else 0.6 for d in days]
        deviations, injuries = preset.hms_for(year, scale)
        for n in range(deviations):
            category = "personal_injury" if n < injuries else pick_weighted(rng, CATEGORIES)
            day = rng.choices(days, weights=weights)[0]
            emp = _employed_on(staff, day, rng)
            if emp is None:
                continue
            where = emp.placement_on(day)
            payload: dict[str, object] = {
                "type": "hms_deviation",
                "deviation_id": f"{preset.code}-HMS-{year}-{n + 1:05d}",
                "effective_date": iso(day),
                "sector": preset.sectors[where.sector].name,
                "unit": where.unit,
                "category": category,
            }
            if rng.random() < WITH_EMPLOYEE[category]:
                payload["employee_id"] = emp.person.employee_id
            payload["severity"] = pick_weighted(rng, SEVERITY.get(category, SEVERITY["default"]))
            sink.add(day, payload)
            closed_share = 0.97 if category == "personal_injury" else CLOSED_SHARE
            if rng.random() < closed_share:
                closed = day + int(rng.expovariate(1 / MEAN_DAYS_TO_CLOSE))
                if closed <= horizon_end:
                    sink.add(closed, {
                        "type": "hms_deviation_closed",
                        "deviation_id": payload["deviation_id"],
                        "effective_date": iso(closed),
                        "measures": rng.choice(MEASURES),
                    })  # fmt: skip


def _employed_on(staff: list[Employment], day: int, rng: random.Random) -> Employment | None:
    """A random employment active on `day` (rejection sampling: most staff are)."""
    for _ in range(200):
        emp = rng.choice(staff)
        if emp.active_on(day):
            return emp
    return next((e for e in staff if e.active_on(day)), None)
