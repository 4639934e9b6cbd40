"""Flows over the period: hires and terminations (employments), turnover.

- hires: employments whose (live) hire date is in P
- terminations: employments whose last day employed is in P
- turnover_pct = 100 × terminations / average headcount, the average of the
  headcount on the period's first and last day (computed at assembly)
"""

from __future__ import annotations

import polars as pl

from projections.kpi.context import KEYS, KpiContext


def flows(ctx: KpiContext) -> pl.DataFrame:
    iv = ctx.intervals
    first = iv.filter(pl.col("valid_from") == pl.col("hire_date"))
    hires = (
        ctx.with_period(first.with_columns(pl.col("hire_date").alias("date")))
        .with_columns(ctx.group())
        .group_by(KEYS)
        .agg(pl.col("employment_id").n_unique().cast(pl.Int64).alias("hires"))
    )
    last = iv.filter(pl.col("end_date").is_not_null() & (pl.col("valid_to") == pl.col("end_date")))
    terms = (
        ctx.with_period(last.with_columns(pl.col("end_date").alias("date")))
        .with_columns(ctx.group())
        .group_by(KEYS)
        .agg(pl.col("employment_id").n_unique().cast(pl.Int64).alias("terminations"))
    )
    return hires.join(terms, on=KEYS, how="full", coalesce=True, nulls_equal=True)
