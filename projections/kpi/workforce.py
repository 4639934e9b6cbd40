"""Workforce at a date (the period's last day): persons, FTEs, full-time, apprentices.

- headcount: persons with at least one active employment (all types)
- employments: active employments (arbeidsforhold)
- fte: Σ position_pct/100 over active employments except apprentices
- fulltime_share_pct: among persons with an active permanent employment, the
  share whose permanent position percentages sum to ≥ 100
- avg_position_pct: mean over the same persons of that sum, capped at 100
- apprentices: persons with an active apprentice employment
- women / men, leaders_women / leaders_men: persons
- mean_age and age band counts: persons, age on the period's last day

Returned as additive parts (``schema.END_STOCKS``: counts and sums); the means
and shares are formed in ``projections.kpi.ratios`` after a removed person's
frozen share is added.
"""

from __future__ import annotations

import polars as pl

from projections.facts.timeline import age_at
from projections.kpi.context import KEYS, KpiContext


def snapshot(ctx: KpiContext, on: str = "period_end") -> pl.DataFrame:
    """Active employments on each period's ``on`` day (period_end or period_start)."""
    ip = ctx.interval_periods()
    return ip.filter((pl.col("valid_from") <= pl.col(on)) & (pl.col("valid_to") >= pl.col(on)))


def _persons(expr: pl.Expr) -> pl.Expr:
    return pl.col("employee_id").filter(expr).n_unique().cast(pl.Int64)


def workforce(ctx: KpiContext) -> pl.DataFrame:
    snap = snapshot(ctx).with_columns(ctx.group(), age_at("birth_date", "period_end").alias("_age"))
    typ = pl.col("employment_type")
    female = pl.col("gender") == "F"
    male = pl.col("gender") == "M"
    head = snap.group_by(KEYS).agg(
        pl.col("employee_id").n_unique().cast(pl.Int64).alias("headcount"),
        pl.len().cast(pl.Int64).alias("employments"),
        (pl.col("position_pct").filter(typ != "apprentice").sum() / 100.0).alias("fte"),
        _persons(typ == "apprentice").alias("apprentices"),
        _persons(female).alias("women"),
        _persons(male).alias("men"),
        _persons(female & pl.col("is_leader")).alias("leaders_women"),
        _persons(male & pl.col("is_leader")).alias("leaders_men"),
    )
    people = snap.group_by([*KEYS, "employee_id"]).agg(pl.col("_age").first())
    ages = people.group_by(KEYS).agg(
        pl.col("_age").count().cast(pl.Int64).alias("age_persons"),
        pl.col("_age").sum().cast(pl.Float64).alias("age_sum"),
        (pl.col("_age") < 35).sum().cast(pl.Int64).alias("age_under_35"),
        pl.col("_age").is_between(35, 49).sum().cast(pl.Int64).alias("age_35_49"),
        pl.col("_age").is_between(50, 60).sum().cast(pl.Int64).alias("age_50_60"),
        (pl.col("_age") > 60).sum().cast(pl.Int64).alias("age_over_60"),
    )
    perm = (
        snap.filter(typ == "permanent")
        .group_by([*KEYS, "employee_id"])
        .agg(pl.col("position_pct").sum().alias("_sum"))
        .group_by(KEYS)
        .agg(
            pl.len().cast(pl.Int64).alias("permanent_persons"),
            (pl.col("_sum") >= 100.0).sum().cast(pl.Int64).alias("fulltime_persons"),
            pl.col("_sum").clip(upper_bound=100.0).sum().alias("capped_pct_sum"),
        )
    )
    start = (
        snapshot(ctx, "period_start")
        .with_columns(ctx.group())  # same group as at the end (age on the last day)
        .group_by(KEYS)
        .agg(pl.col("employee_id").n_unique().cast(pl.Int64).alias("headcount_start"))
    )
    out = head
    for other in (ages, perm, start):
        out = out.join(other, on=KEYS, how="full", coalesce=True, nulls_equal=True)
    return out
