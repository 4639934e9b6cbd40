"""Ratios and means, formed only after every additive part is complete.

Why a separate step: a person removed from the read side (erased, or whose
pay or birth date was shredded by retention) still counts in past periods
through a frozen share of sums and counts. A mean of means or a ratio of
ratios cannot take that share in; sums can. So the families return sums,
``erased_share.add_frozen`` adds the frozen share, and this module divides.
"""

from __future__ import annotations

import polars as pl

from projections.kpi.sickness import rates


def _ratio(num: str, den: str, scale: float = 1.0) -> pl.Expr:
    return pl.when(pl.col(den) > 0).then(scale * pl.col(num) / pl.col(den)).otherwise(None)


def finish(components: pl.DataFrame) -> pl.DataFrame:
    """The KPI columns from the complete sums."""
    out = rates(components).with_columns(
        _ratio("age_sum", "age_persons").alias("mean_age"),
        _ratio("fulltime_persons", "permanent_persons", 100.0).alias("fulltime_share_pct"),
        _ratio("capped_pct_sum", "permanent_persons").alias("avg_position_pct"),
        _ratio("salary_sum_women", "salaries_women").alias("avg_salary_women"),
        _ratio("salary_sum_men", "salaries_men").alias("avg_salary_men"),
        _ratio("parental_weeks_women", "parental_leave_women").alias(
            "parental_leave_avg_weeks_women"
        ),
        _ratio("parental_weeks_men", "parental_leave_men").alias("parental_leave_avg_weeks_men"),
    )
    out = out.with_columns(
        pl.when(pl.col("avg_salary_men") > 0)
        .then(100.0 * pl.col("avg_salary_women") / pl.col("avg_salary_men"))
        .otherwise(None)
        .alias("women_pay_pct_of_men")
    )
    return out
