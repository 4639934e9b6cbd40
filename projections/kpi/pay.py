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
    """Sums and counts of salaries by gender (the means: ``projections.kpi.ratios``)."""
    snap = snapshot(ctx).filter(pl.col("employment_type") != "apprentice").with_columns(ctx.group())
    sal = pl.col("annual_salary")
    female = pl.col("gender") == "F"
    male = pl.col("gender") == "M"
    return snap.group_by(KEYS).agg(
        sal.filter(female).sum().cast(pl.Float64).alias("salary_sum_women"),
        sal.filter(female).count().cast(pl.Int64).alias("salaries_women"),
        sal.filter(male).sum().cast(pl.Float64).alias("salary_sum_men"),
        sal.filter(male).count().cast(pl.Int64).alias("salaries_men"),
    )
