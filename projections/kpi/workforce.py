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


def workforce(ctx: KpiContext) -> pl.DataFrame:
    """Why one pass per person: the counts of persons (women, leaders, apprentices, the
    full-time share's) are sums over a frame of one row per person, period and group,
    grouped once, instead of a distinct count over the employments for each."""
    snap = snapshot(ctx).with_columns(ctx.group(), age_at("birth_date", "period_end").alias("_age"))
    typ = pl.col("employment_type")
    female = pl.col("gender") == "F"
    male = pl.col("gender") == "M"
    permanent = typ == "permanent"
    people = snap.group_by([*KEYS, "employee_id"]).agg(
        pl.len().alias("_n"),
        pl.col("position_pct").filter(typ != "apprentice").sum().alias("_fte_pct"),
        (typ == "apprentice").any().alias("_apprentice"),
        female.any().alias("_woman"),
        male.any().alias("_man"),
        (female & pl.col("is_leader")).any().alias("_leader_woman"),
        (male & pl.col("is_leader")).any().alias("_leader_man"),
        pl.col("_age").first(),
        permanent.any().alias("_permanent"),
        pl.col("position_pct").filter(permanent).sum().alias("_perm_pct"),
    )
    age = pl.col("_age")
    perm = pl.col("_permanent")
    out = people.group_by(KEYS).agg(
        pl.len().cast(pl.Int64).alias("headcount"),
        pl.col("_n").sum().cast(pl.Int64).alias("employments"),
        (pl.col("_fte_pct").sum() / 100.0).alias("fte"),
        pl.col("_apprentice").sum().cast(pl.Int64).alias("apprentices"),
        pl.col("_woman").sum().cast(pl.Int64).alias("women"),
        pl.col("_man").sum().cast(pl.Int64).alias("men"),
        pl.col("_leader_woman").sum().cast(pl.Int64).alias("leaders_women"),
        pl.col("_leader_man").sum().cast(pl.Int64).alias("leaders_men"),
        age.count().cast(pl.Int64).alias("age_persons"),
        age.sum().cast(pl.Float64).alias("age_sum"),
        (age < 35).sum().cast(pl.Int64).alias("age_under_35"),
        age.is_between(35, 49).sum().cast(pl.Int64).alias("age_35_49"),
        age.is_between(50, 60).sum().cast(pl.Int64).alias("age_50_60"),
        (age > 60).sum().cast(pl.Int64).alias("age_over_60"),
        perm.sum().cast(pl.Int64).alias("permanent_persons"),
        (perm & (pl.col("_perm_pct") >= 100.0)).sum().cast(pl.Int64).alias("fulltime_persons"),
        pl.col("_perm_pct").filter(perm).clip(upper_bound=100.0).sum().alias("capped_pct_sum"),
    )
    start = (
        snapshot(ctx, "period_start")
        .with_columns(ctx.group())  # same group as at the end (age on the last day)
        .group_by(KEYS)
        .agg(pl.col("employee_id").n_unique().cast(pl.Int64).alias("headcount_start"))
    )
    return out.join(start, on=KEYS, how="full", coalesce=True, nulls_equal=True)
