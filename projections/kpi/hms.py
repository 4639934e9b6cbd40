"""HMS deviations (HMS-avvik) by occurrence date, and personal injuries.

Grouping: sector/unit of the deviation itself; gender/age band of the
employee it names (null group when it names none).
"""

from __future__ import annotations

import polars as pl

from projections.facts.timeline import persons
from projections.kpi.context import KEYS, KpiContext

CATEGORY_COLUMNS = {
    "personal_injury": "personal_injuries",
    "violence_threat": "hms_violence_threat",
    "near_miss": "hms_near_miss",
    "property_damage": "hms_property_damage",
    "other": "hms_other",
}


def hms(ctx: KpiContext) -> pl.DataFrame:
    h = ctx.facts.hms
    # a closing carries no sector/unit/employee: take the deviation's own
    reported_rows = (
        h.filter(pl.col("type") == "hms_deviation")
        .unique("deviation_id", keep="last")
        .select("deviation_id", "sector", "unit", "employee_id")
    )
    h = h.join(reported_rows, on="deviation_id", how="left", suffix="_d").with_columns(
        pl.coalesce("sector", "sector_d").alias("sector"),
        pl.coalesce("unit", "unit_d").alias("unit"),
        pl.coalesce("employee_id", "employee_id_d").alias("employee_id"),
    )
    if ctx.by in ("gender", "age_band"):
        h = h.join(persons(ctx.intervals), on="employee_id", how="left")
    h = ctx.with_period(h).with_columns(ctx.group())
    dev = pl.col("deviation_id")
    reported = pl.col("type") == "hms_deviation"
    aggs = [dev.filter(reported).n_unique().cast(pl.Int64).alias("hms_deviations")]
    for category, name in CATEGORY_COLUMNS.items():
        aggs.append(
            dev.filter(reported & (pl.col("category") == category))
            .n_unique()
            .cast(pl.Int64)
            .alias(name)
        )
    aggs.append(
        dev.filter(pl.col("type") == "hms_deviation_closed")
        .n_unique()
        .cast(pl.Int64)
        .alias("hms_deviations_closed")
    )
    return h.group_by(KEYS).agg(aggs)
