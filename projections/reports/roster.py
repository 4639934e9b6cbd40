"""The roster: active employments on a date, columns as docs/api.md."""

from __future__ import annotations

from datetime import date

import polars as pl

from projections.facts.schema import ROSTER_SCHEMA
from projections.facts.timeline import active_on


def roster(intervals: pl.DataFrame, on: date) -> pl.DataFrame:
    """One row per employment active on ``on`` (valid_from ≤ on ≤ valid_to)."""
    r = active_on(intervals, on).rename({"job_title": "position"})
    return r.select([pl.col(n).cast(t) for n, t in ROSTER_SCHEMA.items()]).sort(
        "employee_id", "employment_id"
    )
