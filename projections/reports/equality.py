"""The equality report (likestillings- og diskrimineringsloven § 26), per year.

Tables (Sandnes' "statistikkpakke"), taken at 31 December of the year unless
said otherwise. Every table is long-form with the same columns::

    table, group, n_women, n_men, women, men, total, women_pct

- ``gender_balance``: persons; women_pct = women's share.
- ``temporary``: persons with an active temporary employment; women/men are
  counts, women_pct = share of temporaries who are women.
- ``part_time``: employments (arbeidsforhold, as Sandnes table 9b/9c), groups
  ``full_time`` (position_pct ≥ 100) and ``part_time``.
- ``parental_leave``: persons with parental leave in the year; women/men are
  the average weeks taken in the year (Σ days × leave_pct/100 / 7).
- ``pay``: mean full-time-equivalent salary of women/men over active
  non-apprentice employments; women_pct = women's pay as % of men's; group
  ``total`` and one row per position (job title).
- ``level``: persons by level, groups ``leader`` / ``other``.

``n_women``/``n_men`` are the persons (or employments) behind a cell; with
``suppress=True`` a value whose cell covers fewer than 5 persons is nulled
(NAV's rule) and ``suppressed`` says so.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from projections.facts.source import Facts
from projections.facts.timeline import active_on, employment_intervals
from projections.kpi.context import build_context
from projections.kpi.parental import parental
from projections.reports.privacy import MIN_PERSONS, small_cells, suppress_complementary
from projections.reports.secondary import EQUALITY_ACROSS, EQUALITY_WITHIN

REPORT_SCHEMA = pl.Schema(
    {
        "table": pl.String,
        "group": pl.String,
        "n_women": pl.Int64,
        "n_men": pl.Int64,
        "women": pl.Float64,
        "men": pl.Float64,
        "total": pl.Float64,
        "women_pct": pl.Float64,
        "suppressed": pl.Boolean,
    }
)


def suppress_small(
    df: pl.DataFrame,
    count_cols: list[str],
    value_cols: list[str],
    threshold: int = MIN_PERSONS,
) -> pl.DataFrame:
    """Null ``value_cols`` of rows where any of ``count_cols`` is below ``threshold``.

    Adds (or updates) a boolean ``suppressed`` column. Zero counts are not
    suppressed (an empty cell reveals nobody).
    """
    small = small_cells(*count_cols, threshold=threshold, empty_is_small=False)
    prior = pl.col("suppressed") if "suppressed" in df.columns else pl.lit(False)
    hidden = [*value_cols, *count_cols]  # the counts are values too: hide them as well
    return df.with_columns(
        *[pl.when(small).then(None).otherwise(pl.col(c)).alias(c) for c in hidden],
        (prior | small).alias("suppressed"),
    )


def suppress_complements(df: pl.DataFrame, hidden_columns: list[str]) -> pl.DataFrame:
    """Hide more cells until no hidden one can be worked out (``privacy.suppress_complementary``).

    Otherwise a hidden cell is the published total minus the others (1 woman
    leader = 6 women − 5 women in other positions; a position's pay from the
    pay table's total row), or follows from the other cells of its row.
    """
    marked = df.with_columns(
        pl.when(pl.col("suppressed"))
        .then(pl.lit(hidden_columns, dtype=pl.List(pl.String)))
        .otherwise(pl.lit([], dtype=pl.List(pl.String)))
        .alias("suppressed_cells"),
        # partners are taken from the smallest groups (a hidden one counts as 0)
        (pl.col("n_women").fill_null(0) + pl.col("n_men").fill_null(0)).alias("_persons"),
    )
    out = suppress_complementary(
        marked,
        group="group",
        slice_by=("table",),
        total_group="total",
        persons="_persons",
        within=EQUALITY_WITHIN,
        across=EQUALITY_ACROSS,
    )
    return out.drop("suppressed_cells", "_persons")


def _counts(table: str, df: pl.DataFrame, group: pl.Expr, unit: str) -> pl.DataFrame:
    g = df.with_columns(group.alias("group")).group_by("group")
    return (
        g.agg(
            pl.col(unit).filter(pl.col("gender") == "F").n_unique().cast(pl.Int64).alias("n_women"),
            pl.col(unit).filter(pl.col("gender") == "M").n_unique().cast(pl.Int64).alias("n_men"),
        )
        .with_columns(
            pl.lit(table).alias("table"),
            pl.col("n_women").cast(pl.Float64).alias("women"),
            pl.col("n_men").cast(pl.Float64).alias("men"),
            (pl.col("n_women") + pl.col("n_men")).cast(pl.Float64).alias("total"),
        )
        .with_columns(
            pl.when(pl.col("total") > 0)
            .then(100.0 * pl.col("women") / pl.col("total"))
            .otherwise(None)
            .alias("women_pct")
        )
    )


def _mean(total: str, count: str) -> pl.Expr:
    return pl.when(pl.col(count) > 0).then(pl.col(total) / pl.col(count)).otherwise(None)


def equality_report(
    facts: Facts,
    year: int,
    *,
    suppress: bool = True,
    intervals: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """The § 26 tables for ``year`` from effective facts."""
    iv = employment_intervals(facts.employment) if intervals is None else intervals
    day = date(year, 12, 31)
    snap = active_on(iv, day)
    tables = [
        _counts("gender_balance", snap, pl.lit("all"), "employee_id"),
        _counts(
            "temporary",
            snap.filter(pl.col("employment_type") == "temporary"),
            pl.lit("temporary"),
            "employee_id",
        ),
        _counts(
            "part_time",
            snap,
            pl.when(pl.col("position_pct") >= 100.0)
            .then(pl.lit("full_time"))
            .otherwise(pl.lit("part_time")),
            "employment_id",
        ),
        _counts(
            "level",
            snap,
            pl.when(pl.col("is_leader")).then(pl.lit("leader")).otherwise(pl.lit("other")),
            "employee_id",
        ),
    ]
    ctx = build_context(facts, date(year, 1, 1), day, "year", None, iv)
    pt = parental(ctx)
    tables.append(
        pt.select(
            pl.lit("parental_leave").alias("table"),
            pl.lit("all").alias("group"),
            pl.col("parental_leave_women").alias("n_women"),
            pl.col("parental_leave_men").alias("n_men"),
            _mean("parental_weeks_women", "parental_leave_women").alias("women"),
            _mean("parental_weeks_men", "parental_leave_men").alias("men"),
            pl.lit(None, dtype=pl.Float64).alias("total"),
            pl.lit(None, dtype=pl.Float64).alias("women_pct"),
        )
    )
    paid = snap.filter(pl.col("employment_type") != "apprentice")
    for label, grp in (("total", pl.lit("total")), ("position", pl.col("job_title"))):
        del label
        tables.append(
            paid.with_columns(grp.alias("group"))
            .group_by("group")
            .agg(
                pl.col("employee_id")
                .filter(pl.col("gender") == "F")
                .n_unique()
                .cast(pl.Int64)
                .alias("n_women"),
                pl.col("employee_id")
                .filter(pl.col("gender") == "M")
                .n_unique()
                .cast(pl.Int64)
                .alias("n_men"),
                pl.col("annual_salary").filter(pl.col("gender") == "F").mean().alias("women"),
                pl.col("annual_salary").filter(pl.col("gender") == "M").mean().alias("men"),
                pl.col("annual_salary").mean().alias("total"),
            )
            .with_columns(
                pl.lit("pay").alias("table"),
                pl.when(pl.col("men") > 0)
                .then(100.0 * pl.col("women") / pl.col("men"))
                .otherwise(None)
                .alias("women_pct"),
            )
        )
    order = ["gender_balance", "temporary", "part_time", "parental_leave", "pay", "level"]
    out = (
        pl.concat(
            [
                t.with_columns(pl.lit(False).alias("suppressed")).match_to_schema(REPORT_SCHEMA)
                for t in tables
                if t.height
            ],
            how="vertical",
        )
        if any(t.height for t in tables)
        else pl.DataFrame(schema=REPORT_SCHEMA)
    )
    out = (
        out.with_columns(
            pl.col("table").replace_strict(order, list(range(len(order)))).alias("_o"),
            (pl.col("group") != "total").alias("_t"),
        )
        .sort("_o", "_t", "group")
        .drop("_o", "_t")
    )
    if suppress:
        counts, values = ["n_women", "n_men"], ["women", "men", "total", "women_pct"]
        out = suppress_complements(suppress_small(out, counts, values), [*counts, *values])
    return out.match_to_schema(REPORT_SCHEMA)
