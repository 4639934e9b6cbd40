"""What every KPI family needs for one query: periods, calendar, intervals, groups."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import date

import polars as pl

from projections.facts.sick_runs import sick_runs
from projections.facts.source import Facts
from projections.facts.timeline import (
    day_index,
    employment_intervals,
    group_expr,
    periods,
    workday_calendar,
)
from projections.periods import Every

KEYS = ["period", "_g"]
"""Every KPI family returns one row per period and group (``_g``, the `--by` value)."""


@dataclass(frozen=True)
class KpiContext:
    facts: Facts
    """Effective facts (known_at and retractions already applied)."""
    intervals: pl.DataFrame
    start: date
    end: date
    every: Every
    by: str | None
    per: pl.DataFrame
    """period, period_start, period_end."""
    cal: pl.DataFrame
    """date, workday, cum_before, period: every day of [start, end]."""
    runs: pl.DataFrame | None = None
    """Runs of sick days (``sick_runs``) kept with the projection, or None: from ``facts``."""
    _memo: dict[str, pl.DataFrame] = field(default_factory=dict, compare=False, repr=False)
    _memo_lock: threading.Lock = field(default_factory=threading.Lock, compare=False, repr=False)
    """The families run in threads (``kpi_components``): the second to ask waits."""

    def interval_periods(self) -> pl.DataFrame:
        """Employment stretches × overlapped periods (shared by sickness and workforce)."""
        with self._memo_lock:
            if "ip" not in self._memo:
                self._memo["ip"] = self.explode_periods(self.intervals, "valid_from", "valid_to")
            return self._memo["ip"]

    def sick_runs(self) -> pl.DataFrame:
        """The runs of sick days (shared by lost work-days and the duration bands)."""
        with self._memo_lock:
            if "runs" not in self._memo:
                given = self.runs
                self._memo["runs"] = sick_runs(self.facts.sick) if given is None else given
            return self._memo["runs"]

    def group(self, on: str = "period_end") -> pl.Expr:
        return group_expr(self.by, on)

    def with_period(self, df: pl.DataFrame, on: str = "date") -> pl.DataFrame:
        """Attach period, period_start, period_end to rows dated inside [start, end]."""
        idx = day_index(on, self.start)
        return (
            df.filter(pl.col(on).is_between(self.start, self.end))
            .with_columns(pl.lit(self.cal["period"]).gather(idx).alias("period"))
            .join(self.per, on="period", how="left")
        )

    def explode_periods(self, df: pl.DataFrame, lo: str, hi: str) -> pl.DataFrame:
        """One row per (row, overlapped period) for rows valid over [lo, hi].

        Adds ``period``, ``period_start``, ``period_end`` and the clipped
        ``_a``/``_b`` (the part of [lo, hi] inside the period).
        """
        d = df.filter((pl.col(lo) <= self.end) & (pl.col(hi) >= self.start))
        a = pl.max_horizontal(pl.col(lo), pl.lit(self.start)).alias("_a")
        b = pl.min_horizontal(pl.col(hi), pl.lit(self.end)).alias("_b")
        d = d.with_columns(a, b)
        per = self.cal["period"]
        d = d.with_columns(
            pl.int_ranges(
                pl.lit(per).gather(day_index("_a", self.start)),
                pl.lit(per).gather(day_index("_b", self.start)) + 1,
                dtype=pl.Int32,
            ).alias("period")
        ).explode("period")
        return d.join(self.per, on="period", how="left").with_columns(
            pl.max_horizontal(pl.col("_a"), pl.col("period_start")).alias("_a"),
            pl.min_horizontal(pl.col("_b"), pl.col("period_end")).alias("_b"),
        )


def build_context(
    facts: Facts,
    start: date,
    end: date,
    every: Every,
    by: str | None,
    intervals: pl.DataFrame | None = None,
    runs: pl.DataFrame | None = None,
) -> KpiContext:
    per = periods(start, end, every)
    cal = workday_calendar(start, end)
    day_period = (
        per.select("period", pl.date_ranges("period_start", "period_end").alias("date"))
        .explode("date")
        .select("date", "period")
    )
    cal = cal.join(day_period, on="date", how="left").sort("date")
    iv = employment_intervals(facts.employment) if intervals is None else intervals
    return KpiContext(facts, iv, start, end, every, by, per, cal, runs)
