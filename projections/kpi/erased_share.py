"""Removed persons' frozen share of the KPI components (see ``projections.facts.frozen``).

Kept apart from the freezing itself so the KPI code can add the share
without importing the code that computes it from their own results.
"""

from __future__ import annotations

import polars as pl

from projections.facts.schema import COMPONENTS, END_STOCKS, FLOWS, START_STOCKS
from projections.kpi.context import KEYS, KpiContext

_STEP = {"month": "1mo", "quarter": "3mo", "year": "1y"}


def add_frozen(ctx: KpiContext, computed: pl.DataFrame) -> pl.DataFrame:
    """``computed`` (every component, keyed by period and group) plus the frozen share.

    A frozen row counts in the query period that is exactly its calendar
    period. A period clipped by ``--from``/``--to`` (year to date, say) takes
    from the frozen *months* that lie wholly inside it: the sum of those
    months for flows (sick days, hires), the month that ends on its last day
    for what is counted on the last day (headcount, pay, age), the month that
    starts on its first day for ``headcount_start``; persons with parental
    leave overlapping it cannot be formed from months and get no share. With
    ``--by age_band`` those months carry the age band at their own end.
    """
    f = ctx.facts.frozen
    if f.height == 0:
        return computed
    by = ctx.by or ""
    step = _STEP[ctx.every]
    first = pl.col("period_start").dt.truncate(step)
    per = ctx.per.with_columns(
        ((pl.col("period_start") == first)
         & (pl.col("period_end") == first.dt.offset_by(step).dt.offset_by("-1d"))).alias("_whole")
    )  # fmt: skip
    columns = [c for c in COMPONENTS if c in f.columns]
    picked = ["period", "group", *columns]
    whole = f.filter((pl.col("every") == ctx.every) & (pl.col("by") == by)).join(
        per.filter("_whole").select("period", "period_start", "period_end"),
        on=["period_start", "period_end"],
    )
    parts = [whole.select(picked)]
    clipped = per.filter(~pl.col("_whole")).select(
        "period", pl.col("period_start").alias("_lo"), pl.col("period_end").alias("_hi")
    )
    if clipped.height:
        months = (
            f.filter((pl.col("every") == "month") & (pl.col("by") == by))
            .join(clipped, how="cross")
            .filter(
                (pl.col("period_start") >= pl.col("_lo")) & (pl.col("period_end") <= pl.col("_hi"))
            )
        )
        keep = {
            **{c: pl.lit(True) for c in FLOWS},
            **{c: pl.col("period_end") == pl.col("_hi") for c in END_STOCKS},
            **{c: pl.col("period_start") == pl.col("_lo") for c in START_STOCKS},
        }
        parts.append(
            months.select(
                "period",
                "group",
                *(
                    pl.when(keep[c]).then(pl.col(c)).otherwise(0).cast(COMPONENTS[c]).alias(c)
                    if c in keep
                    else pl.lit(0, dtype=COMPONENTS[c]).alias(c)
                    for c in columns
                ),
            )
        )
    f = pl.concat(parts)
    if f.height == 0:
        return computed
    extra = f.group_by("period", pl.col("group").alias("_g")).agg(pl.col(columns).sum())
    keys = computed.select(KEYS).schema
    extra = extra.with_columns(pl.col(k).cast(t) for k, t in keys.items())
    both = pl.concat(
        [computed.with_columns(pl.lit(False).alias("_frozen")),
         extra.with_columns(pl.lit(True).alias("_frozen"))],
        how="diagonal_relaxed",
    )  # fmt: skip
    sums = [c for c in computed.columns if c not in KEYS]
    out = (
        both.group_by(KEYS)
        .agg(pl.col(sums).sum(), pl.col("_frozen").any())
        .with_columns(pl.col(c).cast(computed.schema[c]) for c in sums)
    )
    if ctx.by is not None:
        # a group the share moved everything out of (an HMS deviation naming a removed
        # person counts under no person live, under theirs in the share) is no group
        nothing = pl.all_horizontal(pl.col(c) == 0 for c in sums)
        out = out.filter(~(pl.col("_frozen") & nothing))
    return out.select(computed.columns)
