"""Alternating runs, medians compared: how every benchmark here measures a figure.

Why: on this kind of machine one run of a raw floor moved by a quarter to a
third within the hour (raw ``executemany`` 134,000 and 225,000 rows/s; the
ten-year raw read 6.95 s and 4.81 s). With one run of each, a ratio told
more about the floor's moment than about the code. So a figure and its
floor each run ``RUNS`` times, alternating, and the medians are compared.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

RUNS = 3


def median(values: Sequence[float]) -> float:
    return sorted(values)[len(values) // 2]


def median_run(runs: Sequence[dict[str, Any]], peak: str) -> dict[str, Any]:
    """The run of median ``seconds``, with the highest ``peak`` of all the runs (a peak is
    a maximum: the median run's own would hide the worst)."""
    result = dict(sorted(runs, key=lambda r: float(r["seconds"]))[len(runs) // 2])
    result[peak] = max(r[peak] for r in runs)
    return result
