"""KPI series: one row per period (and `--by` group), columns as docs/kpis.md.

Each family module is a pure function ``KpiContext -> frame keyed by
(period, _g)`` of additive parts (sums and counts); ``kpi_series`` joins them
onto the periods, adds the frozen share of persons whose facts left the read
side (``erased_share``), and only then forms ratios and means from the sums
(``ratios``; never averages of percentages).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import date

import polars as pl

from projections.facts.schema import COMPONENTS, kpi_schema
from projections.facts.source import Facts
from projections.kpi.context import KEYS, KpiContext, build_context
from projections.kpi.erased_share import add_frozen
from projections.kpi.flows import flows
from projections.kpi.hms import hms
from projections.kpi.parental import parental
from projections.kpi.pay import pay
from projections.kpi.ratios import finish
from projections.kpi.sickness import SICK_COLUMNS, agreed_and_lost, duration_bands, sick_window
from projections.kpi.workforce import workforce
from projections.periods import BY_CHOICES, EVERY_CHOICES, Every
from projections.targets import Targets, load_targets

FAMILIES = (agreed_and_lost, duration_bands, workforce, pay, flows, parental, hms)
"""The KPI families, slowest first (so the pool starts them first)."""
FAMILY_THREADS = min(4, os.cpu_count() or 1)

__all__ = [
    "KpiContext",
    "build_context",
    "kpi_components",
    "kpi_from_context",
    "kpi_series",
]


def kpi_series(
    facts: Facts,
    start: date,
    end: date,
    every: Every = "month",
    by: str | None = None,
    targets: Targets | None = None,
    intervals: pl.DataFrame | None = None,
    runs: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """KPI series over [start, end] from *effective* facts (see ``source.effective``).

    ``intervals`` and ``runs`` (of sick days), when given, are those of the same
    facts, kept by the projection; the sick days themselves are then not read.
    """
    if by is not None and by not in BY_CHOICES:
        raise ValueError(f"--by {by!r}: choose one of {', '.join(BY_CHOICES)}")
    if every not in EVERY_CHOICES:
        raise ValueError(f"--every {every!r}: choose {', '.join(EVERY_CHOICES)}")
    first, last = sick_window(start, end)
    days = facts.sick.select(SICK_COLUMNS).filter(pl.col("date").is_between(first, last))
    facts = replace(facts, sick=days)
    gone = facts.removed()
    if gone:  # removed persons count only through their frozen share
        facts = facts.without(gone)
        if intervals is not None:
            intervals = intervals.filter(~pl.col("employee_id").is_in(gone))
        if runs is not None:
            runs = runs.filter(~pl.col("employee_id").is_in(gone))
    ctx = build_context(facts, start, end, every, by, intervals, runs)
    return kpi_from_context(ctx, targets or load_targets())


def kpi_components(ctx: KpiContext) -> pl.DataFrame:
    """Every additive part (``schema.COMPONENTS``) per period and group, 0 where none.

    Without any frozen share: what the facts in ``ctx`` alone contribute (the
    erasure freezes a person's share by calling this on their facts alone).
    """
    # The families share nothing but the context, and polars releases the GIL: on two
    # cores the slow ones (sickness, workforce) can overlap.
    with ThreadPoolExecutor(max_workers=FAMILY_THREADS) as pool:
        parts = list(pool.map(lambda family: family(ctx), FAMILIES))
    parts = [p.with_columns(pl.col("_g").cast(pl.String)) for p in parts]
    if ctx.by is None:
        keys = ctx.per.select("period").with_columns(pl.lit(None, dtype=pl.String).alias("_g"))
    else:
        keys = pl.concat([p.select(KEYS) for p in parts]).unique()
    out = keys
    for p in parts:
        out = out.join(p, on=KEYS, how="left", nulls_equal=True)
    return out.select(*KEYS, *(pl.col(n).fill_null(0).cast(t) for n, t in COMPONENTS.items()))


def kpi_from_context(ctx: KpiContext, targets: Targets) -> pl.DataFrame:
    schema = kpi_schema(ctx.by)
    components = add_frozen(ctx, kpi_components(ctx))
    out = finish(components)
    out = out.join(ctx.per, on="period", how="left")
    counts = [n for n, t in schema.items() if t == pl.Int64]
    sums = ["fte", "agreed_workdays", "lost_workdays", "lost_workdays_self", "lost_workdays_doctor"]
    out = out.with_columns(pl.col(counts).fill_null(0), pl.col(sums).fill_null(0.0))
    avg_head = (pl.col("headcount_start") + pl.col("headcount")) / 2.0
    out = out.with_columns(
        pl.when(avg_head > 0)
        .then(100.0 * pl.col("terminations") / avg_head)
        .otherwise(None)
        .alias("turnover_pct"),
        pl.lit(targets.sickness_rate_pct, dtype=pl.Float64).alias("sickness_target_pct"),
        # the apprentice target is the municipality's; it does not split by group
        pl.lit(targets.apprentices if ctx.by is None else None, dtype=pl.Float64).alias(
            "apprentice_target"
        ),
    )
    if ctx.by is not None:
        out = out.rename({"_g": ctx.by})
    sort = ["period_start"] if ctx.by is None else ["period_start", ctx.by]
    return out.sort(sort, nulls_last=True).select([pl.col(n).cast(t) for n, t in schema.items()])
