"""Sickness absence (sykefravær), SSB/NAV method.

    agreed = Σ over employments, agreed work-days d in P while active:
                 position_pct(d)/100 × (1 − leave_pct(d)/100)
    lost   = Σ over sick days s in P that are agreed work-days, over the
             person's employments active on s:
                 position_pct(s)/100 × grade(s)/100 × (1 − leave_pct(s)/100)
    rate   = 100 × lost / agreed   (self, doctor and total from the sums)

Agreed time is computed per employment stretch × period with a cumulative
work-day count (no per-day explosion), and lost time the same way per run of
sick days (``sick_runs``) × stretch × period; only leave days, and the sick
days that fall on them, are handled per day.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from projections.facts.timeline import (
    attach_state,
    leave_days,
    workdays_between,
)
from projections.kpi.context import KEYS, KpiContext

GROUP_STATE = ["position_pct", "sector", "unit", "gender", "birth_date"]
SICK_COLUMNS = ("employee_id", "date", "certificate", "grade_pct")
"""The sick-day columns the KPIs read: a query narrows the table to them first, so that
the millions of event ids and timestamps are neither copied nor (from a saved
projection) decoded."""


def agreed_and_lost(ctx: KpiContext) -> pl.DataFrame:
    """period, _g, agreed_workdays, lost_workdays, lost_workdays_self, lost_workdays_doctor."""
    ip = ctx.interval_periods()
    a1 = (
        ip.with_columns(workdays_between(ctx.cal, "_a", "_b", ctx.start).alias("_wd"))
        .with_columns(ctx.group())
        .group_by(KEYS)
        .agg((pl.col("position_pct") / 100.0 * pl.col("_wd")).sum().alias("_a1"))
    )
    lv = leave_days(ctx.facts.leave, ctx.start, ctx.end, ctx.cal)
    a2 = (
        ctx.with_period(attach_state(lv, ctx.intervals, GROUP_STATE))
        .with_columns(ctx.group())
        .group_by(KEYS)
        .agg((pl.col("position_pct") / 100.0 * pl.col("leave_frac")).sum().alias("_a2"))
    )
    lost = _lost(ctx, lv)
    out = (
        a1.join(a2, on=KEYS, how="full", coalesce=True, nulls_equal=True)
        .join(lost, on=KEYS, how="full", coalesce=True, nulls_equal=True)
        .with_columns(pl.col("_a1", "_a2").fill_null(0.0))
        .with_columns((pl.col("_a1") - pl.col("_a2")).alias("agreed_workdays"))
        .with_columns(
            pl.col("lost_workdays", "lost_workdays_self", "lost_workdays_doctor").fill_null(0.0)
        )
    )
    out = out.select(
        *KEYS,
        "agreed_workdays",
        "lost_workdays",
        "lost_workdays_self",
        "lost_workdays_doctor",
    )
    return out


def _lost(ctx: KpiContext, lv: pl.DataFrame) -> pl.DataFrame:
    """Lost work-days per period and group: each run × employment stretch × period counts
    position × grade × its work-days; the sick days that are leave days give back their
    leave share (the only days handled one by one)."""
    runs = ctx.sick_runs().filter((pl.col("last") >= ctx.start) & (pl.col("first") <= ctx.end))
    stretches = ctx.intervals.filter(
        (pl.col("valid_to") >= ctx.start) & (pl.col("valid_from") <= ctx.end)
    ).select("employee_id", "valid_from", "valid_to", *GROUP_STATE)
    both = runs.join(stretches, on="employee_id", how="inner").filter(
        (pl.col("valid_from") <= pl.col("last")) & (pl.col("valid_to") >= pl.col("first"))
    )
    both = both.with_columns(
        pl.max_horizontal("first", "valid_from").alias("_lo"),
        pl.min_horizontal("last", "valid_to").alias("_hi"),
    )
    share = pl.col("position_pct") / 100.0 * pl.col("grade_pct") / 100.0
    workdays = workdays_between(ctx.cal, "_a", "_b", ctx.start)
    whole = (
        ctx.explode_periods(both, "_lo", "_hi")
        .with_columns(ctx.group())
        .select(*KEYS, "certificate", (share * workdays).alias("_w"))
    )
    on_leave = lv.sort("date").join_asof(
        runs.sort("first"),
        left_on="date",
        right_on="first",
        by="employee_id",
        strategy="backward",
        check_sortedness=False,
    )
    on_leave = on_leave.filter(pl.col("date") <= pl.col("last")).select(
        "employee_id", "date", "leave_frac", "grade_pct", "certificate"
    )
    given_back = (
        ctx.with_period(attach_state(on_leave, ctx.intervals, GROUP_STATE))
        .with_columns(ctx.group())
        .select(*KEYS, "certificate", (-share * pl.col("leave_frac")).alias("_w"))
    )
    return (
        pl.concat([whole, given_back])
        .group_by(KEYS)
        .agg(
            pl.col("_w").sum().alias("lost_workdays"),
            pl.col("_w").filter(pl.col("certificate") == "self").sum().alias("lost_workdays_self"),
            pl.col("_w")
            .filter(pl.col("certificate") == "doctor")
            .sum()
            .alias("lost_workdays_doctor"),
        )
    )


def rates(df: pl.DataFrame) -> pl.DataFrame:
    """The three rates from the sums; null when nothing was agreed."""
    agreed = pl.col("agreed_workdays")

    def pct(col: str) -> pl.Expr:
        return pl.when(agreed > 0).then(100.0 * pl.col(col) / agreed).otherwise(None)

    return df.with_columns(
        pct("lost_workdays").alias("sickness_rate_pct"),
        pct("lost_workdays_self").alias("self_certified_rate_pct"),
        pct("lost_workdays_doctor").alias("doctor_certified_rate_pct"),
    )


BANDS = (
    ("sick_occurrences_1_3", 1, 3),
    ("sick_occurrences_4_16", 4, 16),
    ("sick_occurrences_17_56", 17, 56),
    ("sick_occurrences_over_56", 57, None),
)
LONGEST_BAND_EDGE = 57
"""An occurrence of 57 days or more is in the last band whatever its true length."""


def sick_window(start: date, end: date) -> tuple[date, date]:
    """The sick days the sickness KPIs of [start, end] need, and no more.

    The day before ``start`` tells whether a run of sick days began before the
    period; ``LONGEST_BAND_EDGE`` days after ``end`` are enough to band an
    occurrence that begins on ``end`` (a run cut there is still ≥ 57 days long).
    Why: a one-year query on three years of Oslo (7 million sick days) then
    sorts the year's days, not all of them.
    """
    first = start - min(timedelta(days=1), start - date.min)  # a period at the calendar's ends
    last = end + min(timedelta(days=LONGEST_BAND_EDGE), date.max - end)
    return first, last


def occurrences(runs: pl.DataFrame) -> pl.DataFrame:
    """Sickness occurrences: runs of one person that follow day after day, joined.

    employee_id, occurrence (int), date (first day), days (calendar days).
    ``runs`` in the order ``sick_runs`` gives them.
    """
    person = pl.col("employee_id")
    follows = (person == person.shift(1)) & (
        pl.col("first") == pl.col("last").shift(1) + pl.duration(days=1)
    )
    return (
        runs.with_columns(
            (~follows.fill_null(False)).cum_sum().alias("occurrence"),
            ((pl.col("last") - pl.col("first")).dt.total_days() + 1).alias("_n"),
        )
        .group_by("occurrence", maintain_order=True)
        .agg(
            person.first(),
            pl.col("first").first().alias("date"),
            pl.col("_n").sum().cast(pl.Int64).alias("days"),
        )
    )


def duration_bands(ctx: KpiContext) -> pl.DataFrame:
    """Occurrences that start in the period, counted by length band (1–3, 4–16, 17–56, > 56)."""
    first, last = sick_window(ctx.start, ctx.end)
    runs = ctx.sick_runs().filter((pl.col("last") >= first) & (pl.col("first") <= last))
    occ = occurrences(runs).filter(pl.col("date").is_between(ctx.start, ctx.end))
    occ = ctx.with_period(attach_state(occ, ctx.intervals, GROUP_STATE)).with_columns(ctx.group())
    aggs = []
    for name, lo, hi in BANDS:
        cond = pl.col("days") >= lo
        if hi is not None:
            cond = cond & (pl.col("days") <= hi)
        aggs.append(pl.col("occurrence").filter(cond).n_unique().cast(pl.Int64).alias(name))
    aggs.append(
        pl.col("occurrence")
        .filter(pl.col("days") > 16)
        .n_unique()
        .cast(pl.Int64)
        .alias("long_term_occurrences")
    )
    return occ.group_by(KEYS).agg(aggs)
