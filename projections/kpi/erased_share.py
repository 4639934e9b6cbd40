"""Erased persons' frozen share of the sickness sums (see ``projections.facts.frozen``).

Kept apart from the freezing itself so the KPI families can add the share
without importing the code that computes it from their own results.
"""

from __future__ import annotations

import polars as pl

from projections.kpi.context import KEYS, KpiContext


def add_frozen(ctx: KpiContext, computed: pl.DataFrame, columns: tuple[str, ...]) -> pl.DataFrame:
    """``computed`` (keyed by period and group) plus the erased persons' frozen share.

    A frozen row counts in the query period that is exactly its calendar
    period. A period clipped by ``--from``/``--to`` (year to date, say) sums
    the frozen *months* that lie wholly inside it; with ``--by age_band``
    those months carry the age band at their own end, not the period's.
    """
    f = ctx.facts.frozen
    if f.height == 0:
        return computed
    by = ctx.by or ""
    step = {"month": "1mo", "quarter": "3mo", "year": "1y"}[ctx.every]
    first = pl.col("period_start").dt.truncate(step)
    per = ctx.per.with_columns(
        ((pl.col("period_start") == first)
         & (pl.col("period_end") == first.dt.offset_by(step).dt.offset_by("-1d"))).alias("_whole")
    )  # fmt: skip
    whole = f.filter((pl.col("every") == ctx.every) & (pl.col("by") == by)).join(
        per.filter("_whole").select("period", "period_start", "period_end"),
        on=["period_start", "period_end"],
    )
    clipped = per.filter(~pl.col("_whole")).select(
        "period", pl.col("period_start").alias("_lo"), pl.col("period_end").alias("_hi")
    )
    months = (
        f.filter((pl.col("every") == "month") & (pl.col("by") == by))
        .join(clipped, how="cross")
        .filter((pl.col("period_start") >= pl.col("_lo")) & (pl.col("period_end") <= pl.col("_hi")))
    )
    picked = ["period", "group", *columns]
    f = pl.concat([whole.select(picked), months.select(picked)])
    if f.height == 0:
        return computed
    extra = f.group_by("period", pl.col("group").alias("_g")).agg(pl.col(columns).sum())
    keys = computed.select(KEYS).schema
    extra = extra.with_columns(pl.col(k).cast(t) for k, t in keys.items())
    both = pl.concat([computed, extra], how="diagonal_relaxed")
    sums = [c for c in computed.columns if c not in KEYS]
    return (
        both.group_by(KEYS)
        .agg(pl.col(sums).sum())
        .with_columns(pl.col(c).cast(computed.schema[c]) for c in sums)
        .select(computed.columns)
    )
