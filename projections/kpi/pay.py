"""Equal pay (likelønn) at the period's last day.

women_pay_pct_of_men = mean full-time-equivalent annual salary of women / of
men × 100, over active non-apprentice employments (salaries in events are
already full-time equivalents).
"""

from __future__ import annotations

import polars as pl

from projections.kpi.context import KEYS, KpiContext
from projections.kpi.workforce import snapshot


def pay(ctx: KpiContext) -> pl.DataFrame:
    snap = snapshot(ctx).filter(pl.col("employment_type") != "apprentice").with_columns(ctx.group())
    sal = pl.col("annual_salary")
    return (
        snap.group_by(KEYS)
        .agg(
            sal.filter(pl.col("gender") == "F").mean().alias("avg_salary_women"),
            sal.filter(pl.col("gender") == "M").mean().alias("avg_salary_men"),
        )
        .with_columns(
            pl.when(pl.col("avg_salary_men") > 0)
            .then(100.0 * pl.col("avg_salary_women") / pl.col("avg_salary_men"))
            .otherwise(None)
            .alias("women_pay_pct_of_men")
        )
    )
