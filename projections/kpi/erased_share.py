"""Erased persons' frozen share of the sickness sums (see ``projections.frozen``).

Kept apart from the freezing itself so the KPI families can add the share
without importing the code that computes it from their own results.
"""

from __future__ import annotations

import polars as pl

from projections.kpi.context import KEYS, KpiContext


def add_frozen(ctx: KpiContext, computed: pl.DataFrame, columns: tuple[str, ...]) -> pl.DataFrame:
    """``computed`` (keyed by period and group) plus the erased persons' frozen share.

    A frozen row counts when its calendar period is a whole period of the
    query (``--from``/``--to`` on period boundaries, as published figures are).
    """
    f = ctx.facts.frozen
    if f.height == 0:
        return computed
    f = f.filter((pl.col("every") == ctx.every) & (pl.col("by") == (ctx.by or "")))
    f = f.join(ctx.per, on=["period_start", "period_end"], how="inner")
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
