"""Parental leave (foreldrepermisjon) overlapping the period, by gender.

- parental_leave_women / _men: persons with parental leave overlapping P
- parental_leave_avg_weeks_women / _men: mean over those persons of the
  weeks taken inside P, Σ calendar days × leave_pct/100 / 7 (a 50 % leave
  over 20 weeks is 10 weeks taken)

Grouping by sector/unit uses the employments active on the person's first
leave day inside P.
"""

from __future__ import annotations

import polars as pl

from projections.facts.timeline import attach_state, persons
from projections.kpi.context import KEYS, KpiContext


def parental(ctx: KpiContext) -> pl.DataFrame:
    lv = ctx.facts.leave.filter(pl.col("kind") == "parental")
    lp = ctx.explode_periods(lv, "start_date", "end_date").with_columns(
        (((pl.col("_b") - pl.col("_a")).dt.total_days() + 1) * pl.col("leave_pct") / 100.0).alias(
            "_days"
        )
    )
    per_person = (
        lp.group_by("period", "period_start", "period_end", "employee_id")
        .agg((pl.col("_days").sum() / 7.0).alias("_weeks"), pl.col("_a").min().alias("date"))
        .join(persons(ctx.intervals), on="employee_id", how="left")
    )
    if ctx.by in ("sector", "unit"):
        per_person = attach_state(
            per_person.drop("gender", "birth_date"),
            ctx.intervals,
            ["sector", "unit", "gender", "birth_date"],
        )
    per_person = per_person.with_columns(ctx.group())
    people = per_person.group_by([*KEYS, "employee_id"]).agg(
        pl.col("gender").first(), pl.col("_weeks").first()
    )
    f = pl.col("gender") == "F"
    m = pl.col("gender") == "M"
    return people.group_by(KEYS).agg(
        f.sum().cast(pl.Int64).alias("parental_leave_women"),
        m.sum().cast(pl.Int64).alias("parental_leave_men"),
        pl.col("_weeks").filter(f).sum().cast(pl.Float64).alias("parental_weeks_women"),
        pl.col("_weeks").filter(m).sum().cast(pl.Float64).alias("parental_weeks_men"),
    )
