"""Valid-time building blocks: employment intervals, calendar, periods, day facts.

Everything is columnar: sort + shift/forward-fill over an employment, joins
and as-of joins; no Python loop per event or per day.

Valid-time order of an employment's changes is ``effective_date``, ties by
ledger ``position`` (recorded order), so a backdated salary settlement that
is recorded in June with effect from 1 May lands in May.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from ledger.domain.calendar import holidays_between
from projections.facts.schema import AGE_BAND, make_schema
from projections.periods import Every

OPEN_END = date(9999, 12, 31)
"""valid_to of an employment that has not ended."""

STATE_COLUMNS = (
    "employee_id",
    "gender",
    "birth_date",
    "sector",
    "unit",
    "job_title",
    "employment_type",
    "position_pct",
    "annual_salary",
    "is_leader",
)

INTERVAL_SCHEMA = make_schema(
    {
        "employment_id": pl.String,
        "employee_id": pl.String,
        "valid_from": pl.Date,
        "valid_to": pl.Date,
        "gender": pl.Enum(["F", "M"]),
        "birth_date": pl.Date,
        "sector": pl.String,
        "unit": pl.String,
        "job_title": pl.String,
        "employment_type": pl.Enum(["permanent", "temporary", "apprentice"]),
        "position_pct": pl.Float64,
        "annual_salary": pl.Float64,
        "is_leader": pl.Boolean,
        "hire_date": pl.Date,
        "end_date": pl.Date,
    }
)


def employment_intervals(employment: pl.DataFrame) -> pl.DataFrame:
    """One row per employment and stretch of constant state.

    ``valid_from``/``valid_to`` are inclusive; ``valid_to`` of the last
    stretch is the termination date (last day employed) or ``OPEN_END``.
    ``hire_date``/``end_date`` (null when open) describe the whole employment.
    Changes dated before the (live) hire are ignored, as are changes after the
    termination; same-day changes apply in ledger order.
    """
    if employment.height == 0:
        return pl.DataFrame(schema=INTERVAL_SCHEMA)
    ev = employment.sort("employment_id", "effective_date", "position").with_columns(
        (pl.col("type") == "hired").cum_sum().over("employment_id").alias("_hires")
    )
    ev = ev.filter(pl.col("_hires") > 0)
    ends = (
        ev.filter(pl.col("type") == "terminated")
        .group_by("employment_id")
        .agg(pl.col("effective_date").min().alias("end_date"))
    )
    st = ev.filter(pl.col("type") != "terminated")
    st = st.with_columns(
        *[pl.col(c).forward_fill().over("employment_id") for c in STATE_COLUMNS],
        pl.col("effective_date").first().over("employment_id").alias("hire_date"),
        (pl.col("effective_date").shift(-1).over("employment_id") - timedelta(days=1)).alias(
            "_next"
        ),
    ).join(ends, on="employment_id", how="left")
    end = pl.col("end_date").fill_null(OPEN_END)
    out = (
        st.select(
            "employment_id",
            "employee_id",
            pl.col("effective_date").alias("valid_from"),
            pl.min_horizontal(pl.col("_next").fill_null(OPEN_END), end).alias("valid_to"),
            *STATE_COLUMNS[1:],
            "hire_date",
            "end_date",
        )
        .filter(pl.col("valid_from") <= pl.col("valid_to"))
        .filter(pl.col("end_date").is_null() | (pl.col("end_date") >= pl.col("hire_date")))
    )
    return out.match_to_schema(INTERVAL_SCHEMA)


def active_on(intervals: pl.DataFrame, day: date) -> pl.DataFrame:
    return intervals.filter((pl.col("valid_from") <= day) & (pl.col("valid_to") >= day))


# ----------------------------------------------------------------- calendar
def workday_calendar(start: date, end: date) -> pl.DataFrame:
    """Every calendar day in [start, end]: ``date``, ``workday`` (bool), ``cum_before``.

    ``cum_before`` = agreed work-days strictly before the day within the frame,
    so work-days in [a, b] = cum_before(b) + workday(b) − cum_before(a).
    """
    hol = pl.Series("date", holidays_between(start, end), dtype=pl.Date)
    cal = pl.DataFrame({"date": pl.date_range(start, end, "1d", eager=True)}).with_columns(
        ((pl.col("date").dt.weekday() <= 5) & ~pl.col("date").is_in(hol.implode())).alias("workday")
    )
    return cal.with_columns(
        (pl.col("workday").cast(pl.Int32).cum_sum() - pl.col("workday").cast(pl.Int32)).alias(
            "cum_before"
        )
    )


def day_index(col: str, origin: date) -> pl.Expr:
    return (pl.col(col) - pl.lit(origin)).dt.total_days().cast(pl.Int64)


def workdays_between(cal: pl.DataFrame, a: str, b: str, origin: date) -> pl.Expr:
    """Expression: agreed work-days in [a, b] (both columns inside the calendar)."""
    cum = cal["cum_before"]
    wd = cal["workday"].cast(pl.Int32)
    ia = day_index(a, origin)
    ib = day_index(b, origin)
    return (pl.lit(cum).gather(ib) + pl.lit(wd).gather(ib) - pl.lit(cum).gather(ia)).cast(pl.Int64)


# ------------------------------------------------------------------ periods
def periods(start: date, end: date, every: Every) -> pl.DataFrame:
    """Periods covering [start, end], clipped to it: period, period_start, period_end."""
    if end < start:
        raise ValueError(f"--to {end} is before --from {start}")
    step = {"month": "1mo", "quarter": "3mo", "year": "1y"}[every]
    if every == "month":
        first = start.replace(day=1)
    elif every == "quarter":
        first = date(start.year, 3 * ((start.month - 1) // 3) + 1, 1)
    else:
        first = date(start.year, 1, 1)
    starts = pl.date_range(first, end, step, eager=True)
    p = pl.DataFrame({"period_start": starts}).with_columns(
        (pl.col("period_start").dt.offset_by(step) - timedelta(days=1)).alias("period_end")
    )
    return (
        p.with_columns(
            pl.max_horizontal(pl.col("period_start"), pl.lit(start)).alias("period_start"),
            pl.min_horizontal(pl.col("period_end"), pl.lit(end)).alias("period_end"),
        )
        .with_row_index("period")
        .with_columns(pl.col("period").cast(pl.Int32))
    )


# ---------------------------------------------------------- groups and ages
def age_at(birth: str, on: str) -> pl.Expr:
    b, d = pl.col(birth), pl.col(on)
    before_birthday = (d.dt.month().cast(pl.Int32) * 100 + d.dt.day().cast(pl.Int32)) < (
        b.dt.month().cast(pl.Int32) * 100 + b.dt.day().cast(pl.Int32)
    )
    return d.dt.year().cast(pl.Int32) - b.dt.year().cast(pl.Int32) - before_birthday.cast(pl.Int32)


def age_band(age: pl.Expr) -> pl.Expr:
    """Utsira's bands: < 35, 35–49, 50–60, > 60."""
    return (
        pl.when(age < 35)
        .then(pl.lit("<35"))
        .when(age < 50)
        .then(pl.lit("35-49"))
        .when(age <= 60)
        .then(pl.lit("50-60"))
        .otherwise(pl.lit(">60"))
        .cast(AGE_BAND)
    )


def group_expr(by: str | None, on: str = "period_end") -> pl.Expr:
    """The `--by` key of a row: its sector/unit/gender, or age band at ``on``."""
    if by is None:
        return pl.lit(None, dtype=pl.String).alias("_g")
    if by == "age_band":
        return age_band(age_at("birth_date", on)).cast(pl.String).alias("_g")
    if by in ("sector", "unit", "gender"):
        return pl.col(by).cast(pl.String).alias("_g")
    raise ValueError(f"--by {by!r}: choose sector, unit, gender or age_band")


# --------------------------------------------------------------- day facts
def persons(intervals: pl.DataFrame) -> pl.DataFrame:
    """employee_id → gender, birth_date (from the live hires)."""
    return intervals.group_by("employee_id").agg(
        pl.col("gender").last(), pl.col("birth_date").last()
    )


def attach_state(days: pl.DataFrame, intervals: pl.DataFrame, cols: list[str]) -> pl.DataFrame:
    """Join person-days (``employee_id``, ``date``, ...) to every employment active that day.

    One output row per (input row, active employment), with the employment's
    state columns ``cols``; days without an active employment drop out.
    """
    if days.height == 0:
        intervals = intervals.clear()
    else:  # only the stretches that can be active on one of the days (a year of ten: ~1/10)
        first, last = days["date"].min(), days["date"].max()
        intervals = intervals.filter((pl.col("valid_to") >= first) & (pl.col("valid_from") <= last))
    emps = intervals.select("employee_id", "employment_id").unique()
    left = days.join(emps, on="employee_id", how="inner").sort("date")
    right = intervals.select("employment_id", "valid_from", "valid_to", *cols).sort("valid_from")
    j = left.join_asof(
        right,
        left_on="date",
        right_on="valid_from",
        by="employment_id",
        strategy="backward",
        check_sortedness=False,
    )
    return j.filter(pl.col("valid_to") >= pl.col("date")).drop("valid_from", "valid_to")


def leave_days(leave: pl.DataFrame, start: date, end: date, cal: pl.DataFrame) -> pl.DataFrame:
    """Agreed work-days on leave in [start, end]: ``employee_id``, ``date``, ``leave_frac``.

    Overlapping leaves of one person add up, capped at 100 %.
    """
    lv = leave.filter((pl.col("start_date") <= end) & (pl.col("end_date") >= start)).select(
        "employee_id",
        pl.date_ranges(
            pl.max_horizontal("start_date", pl.lit(start)),
            pl.min_horizontal("end_date", pl.lit(end)),
        ).alias("date"),
        "leave_pct",
    )
    lv = lv.explode("date").join(cal.filter("workday").select("date"), on="date", how="semi")
    return lv.group_by("employee_id", "date").agg(
        (pl.col("leave_pct").sum() / 100.0).clip(upper_bound=1.0).alias("leave_frac")
    )


def person_day_key(person: str = "employee_id", day: str = "date") -> pl.Expr:
    """One Int64 per (person, day); consecutive days of one person differ by exactly 1."""
    code = pl.col(person).cast(pl.Categorical).to_physical().cast(pl.Int64)
    return code * 2**24 + pl.col(day).cast(pl.Int32).cast(pl.Int64) + 2**23


def sick_days(sick: pl.DataFrame) -> pl.DataFrame:
    """One sick day per person and date (the last recorded, should the ledger hold two).

    The write side refuses a second sick day for a person and date, so queries
    skip this (``source.effective`` relies on it); it guards data from elsewhere.
    """
    if not sick.select(person_day_key().is_duplicated().any()).item():
        return sick
    return sick.sort("position").unique(["employee_id", "date"], keep="last", maintain_order=True)
