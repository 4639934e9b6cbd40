"""Random draws and date arithmetic shared by the simulation modules.

Only the standard library's `random.Random` is used (numpy is not a
dependency); every stream is seeded from a string so that the workforce,
absence and HMS simulations are independent and reproducible per seed.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from datetime import date, timedelta
from typing import TypeVar

T = TypeVar("T")


def stream(preset: str, seed: int, name: str) -> random.Random:
    """A reproducible random stream; str seeds hash with SHA-512, not Python's `hash`."""
    return random.Random(f"{preset}:{seed}:{name}")


def poisson(rng: random.Random, lam: float) -> int:
    """Knuth's method: fine for the small means (< 30) the simulation uses."""
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit = math.exp(-lam)
    k = 0
    p = rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def pick_weighted(rng: random.Random, items: Sequence[tuple[T, float]]) -> T:
    """One item by weight; a linear scan beats `random.choices` for these short tables."""
    r = rng.random() * sum(w for _, w in items)
    for item, weight in items:
        r -= weight
        if r < 0:
            return item
    return items[-1][0]


def month_end(d: date) -> date:
    nxt = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    return nxt - timedelta(days=1)


def add_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def birthday(birth: date, age: int) -> date:
    return add_years(birth, age)


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def ordinal(year: int, month: int, day: int) -> int:
    return date(year, month, day).toordinal()
