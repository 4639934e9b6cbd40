"""Runs of sick days: what the sickness KPIs read in place of the days themselves.

A run is a maximal stretch of consecutive calendar days of one person with
the same grade and certificate. Why: a year at Oslo's size holds 1.7 million
sick work-days but 200,000 runs. Lost work-days are then counted per run ×
employment stretch × period with the cumulative work-day calendar, as agreed
time is (``projections.kpi.sickness``), and the occurrences the duration
bands count are runs joined end to start. A projection keeps the runs of
everything known beside the facts (``projections.facts.store``), so a KPI
query need not read the sick days at all.
"""

from __future__ import annotations

from collections.abc import Collection

import polars as pl

from projections.facts.schema import CERTIFICATE, make_schema
from projections.facts.timeline import person_day_key

RUN_SCHEMA = make_schema(
    {
        "employee_id": pl.String,
        "first": pl.Date,
        "last": pl.Date,
        "grade_pct": pl.Float64,
        "certificate": CERTIFICATE,
    }
)


def sick_runs(sick: pl.DataFrame) -> pl.DataFrame:
    """The runs of ``sick`` (one row per person and date, as effective facts are):
    each person's together, in order of their first day (``occurrences`` needs that)."""
    key = pl.col("_k")
    new = (
        (key.diff() != 1)
        | (pl.col("grade_pct") != pl.col("grade_pct").shift(1))
        | (pl.col("certificate") != pl.col("certificate").shift(1))
    )
    days = (
        sick.select("employee_id", "date", "grade_pct", "certificate", person_day_key().alias("_k"))
        .sort("_k")
        .with_columns(new.fill_null(True).alias("_new"))
        .with_row_index("_i")
    )
    starts = days.filter("_new")
    ends = starts["_i"].shift(-1, fill_value=days.height) - 1
    return starts.select(
        "employee_id",
        pl.col("date").alias("first"),
        days["date"].gather(ends).alias("last"),
        "grade_pct",
        "certificate",
    ).match_to_schema(RUN_SCHEMA)


def renewed_runs(runs: pl.DataFrame, sick: pl.DataFrame, persons: Collection[str]) -> pl.DataFrame:
    """``runs`` with those of ``persons`` derived again from ``sick`` (everything known).

    Why: a month's import, or an erasure, changes the sick days of some persons;
    deriving the runs of everyone again would cost a second at Oslo's size.
    """
    if not persons:
        return runs
    theirs = pl.col("employee_id").is_in(pl.Series(list(persons), dtype=pl.String).implode())
    return pl.concat([runs.filter(~theirs), sick_runs(sick.filter(theirs))])
