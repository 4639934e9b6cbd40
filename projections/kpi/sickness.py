"""Sickness absence (sykefravær), SSB/NAV method.

    agreed = Σ over employments, agreed work-days d in P while active:
                 position_pct(d)/100 × (1 − leave_pct(d)/100)
    lost   = Σ over sick days s in P that are agreed work-days, over the
             person's employments active on s:
                 position_pct(s)/100 × grade(s)/100 × (1 − leave_pct(s)/100)
    rate   = 100 × lost / agreed   (self, doctor and total from the sums)

Agreed time is computed per employment stretch × period with a cumulative
work-day count (no per-day explosion); only leave days and sick days are
handled per day.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from projections.facts.timeline import (
    attach_state,
    leave_days,
    person_day_key,
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
    # ctx.facts are effective facts: one sick day per person and date already
    sick = ctx.facts.sick.filter(pl.col("date").is_between(ctx.start, ctx.end)).join(
        ctx.cal.filter("workday").select("date"), on="date", how="semi"
    )
    sick = sick.select(SICK_COLUMNS).join(lv, on=["employee_id", "date"], how="left")
    lost = (
        ctx.with_period(attach_state(sick, ctx.intervals, GROUP_STATE))
        .with_columns(ctx.group())
        .with_columns(
            (
                pl.col("position_pct")
                / 100.0
                * pl.col("grade_pct")
                / 100.0
                * (1.0 - pl.col("leave_frac").fill_null(0.0))
            ).alias("_w")
        )
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


def occurrences(sick: pl.DataFrame) -> pl.DataFrame:
    """Maximal runs of consecutive calendar sick days of one person.

    employee_id, occurrence (int), date (first day), days (length).
    """
    # One integer key per (person, day): consecutive days of one person differ by exactly 1,
    # days of different persons by about 2**24 (dates are Int32 days since 1970).
    s = sick.select("employee_id", "date", person_day_key().alias("_k"))
    s = s.sort("_k").with_columns(pl.col("_k").diff().fill_null(2).alias("_d"))
    s = s.filter(pl.col("_d") != 0)  # the same day twice is one day
    s = s.with_columns((pl.col("_d") != 1).cum_sum().alias("occurrence"))
    return s.group_by("occurrence").agg(
        pl.col("employee_id").first(),
        pl.col("date").min(),
        pl.len().cast(pl.Int64).alias("days"),
    )


def duration_bands(ctx: KpiContext) -> pl.DataFrame:
    """Occurrences that start in the period, counted by length band (1–3, 4–16, 17–56, > 56)."""
    first, last = sick_window(ctx.start, ctx.end)
    sick = ctx.facts.sick.filter(pl.col("date").is_between(first, last))
    occ = occurrences(sick).filter(pl.col("date").is_between(ctx.start, ctx.end))
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
