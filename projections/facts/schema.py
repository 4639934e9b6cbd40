"""Column names and dtypes of everything the read side hands out.

The names are the public contract of docs/kpis.md and docs/api.md (KPI and
roster columns); extra columns only ever come *after* the contracted ones. Exported
tables carry ``EXPORT_SCHEMA_VERSION`` (Parquet key-value metadata
``hrledger.schema_version``); it is bumped when a column is renamed, dropped
or changes meaning; adding a column at the end is a minor bump.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import polars as pl

from ledger.domain.catalogue import (
    CERTIFICATES,
    EMPLOYMENT_TYPES,
    EVENT_TYPES,
    GENDERS,
    HMS_CATEGORIES,
    LEAVE_KINDS,
    Kind,
)


def make_schema(cols: Mapping[str, Any]) -> pl.Schema:
    """``pl.Schema`` from a literal dict mixing dtype classes and instances (for mypy)."""
    return pl.Schema(cols)


LOST_COLUMNS: Final = ("lost_workdays", "lost_workdays_self", "lost_workdays_doctor")
OCCURRENCE_COLUMNS: Final = (
    "sick_occurrences_1_3",
    "sick_occurrences_4_16",
    "sick_occurrences_17_56",
    "sick_occurrences_over_56",
    "long_term_occurrences",
)
SICKNESS_SUMS: Final = {
    **{n: pl.Float64 for n in LOST_COLUMNS},
    **{n: pl.Int64 for n in OCCURRENCE_COLUMNS},
}
"""The additive parts of the sickness KPIs (rates are computed from them)."""

END_STOCKS: Final = {
    "headcount": pl.Int64,
    "employments": pl.Int64,
    "fte": pl.Float64,
    "apprentices": pl.Int64,
    "women": pl.Int64,
    "men": pl.Int64,
    "leaders_women": pl.Int64,
    "leaders_men": pl.Int64,
    "age_persons": pl.Int64,
    "age_sum": pl.Float64,
    "age_under_35": pl.Int64,
    "age_35_49": pl.Int64,
    "age_50_60": pl.Int64,
    "age_over_60": pl.Int64,
    "permanent_persons": pl.Int64,
    "fulltime_persons": pl.Int64,
    "capped_pct_sum": pl.Float64,
    "salary_sum_women": pl.Float64,
    "salaries_women": pl.Int64,
    "salary_sum_men": pl.Float64,
    "salaries_men": pl.Int64,
}
"""Additive parts of the KPIs counted on the period's last day (workforce, pay)."""
START_STOCKS: Final = {"headcount_start": pl.Int64}
"""Counted on the period's first day."""
HMS_COUNTS: Final = {
    n: pl.Int64
    for n in (
        "hms_deviations",
        "personal_injuries",
        "hms_violence_threat",
        "hms_near_miss",
        "hms_property_damage",
        "hms_other",
        "hms_deviations_closed",
    )
}
"""HMS deviations by date; a removed person's share only moves those naming them between
the `--by gender`/`age_band` groups."""
FLOWS: Final = {
    "agreed_workdays": pl.Float64,
    **SICKNESS_SUMS,
    "hires": pl.Int64,
    "terminations": pl.Int64,
    **HMS_COUNTS,
}
"""Summed over the period's days: a period is the sum of its months."""
OVERLAPS: Final = {
    "parental_leave_women": pl.Int64,
    "parental_leave_men": pl.Int64,
    "parental_weeks_women": pl.Float64,
    "parental_weeks_men": pl.Float64,
}
"""Persons whose leave overlaps the period: not the sum of its months."""
COMPONENTS: Final = {**END_STOCKS, **START_STOCKS, **FLOWS, **OVERLAPS}
"""Every additive part (a sum or a count, never a ratio) a KPI is formed from. A person
adds to each independently of everyone else, so a removed person's share can be kept
apart and added back before the ratios and means are formed."""

FROZEN_ROW_SCHEMA = make_schema(
    {
        "known_from": pl.Datetime("us", "UTC"),
        "every": pl.String,
        "by": pl.String,
        "period_start": pl.Date,
        "period_end": pl.Date,
        "group": pl.String,
        **COMPONENTS,
    }
)
"""A removed person's contribution to the KPI components of one calendar period and group,
as a change from what was known before ``known_from`` (so ``--known-at`` stays exact).
Rows frozen before every component was (sickness only) read 0 for the others."""


# The catalogue's allowed values (ledger.domain.catalogue), in its order.
GENDER = pl.Enum(GENDERS)
EMPLOYMENT_TYPE = pl.Enum(EMPLOYMENT_TYPES)
CERTIFICATE = pl.Enum(CERTIFICATES)
LEAVE_KIND = pl.Enum(LEAVE_KINDS)
HMS_CATEGORY = pl.Enum(HMS_CATEGORIES)
EMPLOYMENT_EVENT = pl.Enum([t for t, spec in EVENT_TYPES.items() if spec.has("employment_id")])
"""The types about an employment: the employment fact frame."""
HMS_EVENT = pl.Enum([t for t, spec in EVENT_TYPES.items() if spec.has("deviation_id")])
"""The types about an HMS deviation: the hms fact frame."""

STORED_DTYPE: Final[dict[Kind, pl.DataType]] = {
    "str": pl.String(),
    "text": pl.String(),
    "enum": pl.String(),
    "date": pl.String(),  # ISO strings, parsed when a fact frame is made
    "pct": pl.Float64(),
    "money": pl.Float64(),
    "bool": pl.Boolean(),
    "int": pl.Int64(),
}
"""How a field of each kind is decoded from the stored JSON."""
AGE_BANDS: Final = ("<35", "35-49", "50-60", ">60")
AGE_BAND = pl.Enum(list(AGE_BANDS))

RECORDED_AT = pl.Datetime("us", "UTC")

ROSTER_SCHEMA: Final = pl.Schema(
    {
        "employee_id": pl.String,
        "employment_id": pl.String,
        "gender": pl.String,
        "birth_date": pl.Date,
        "sector": pl.String,
        "unit": pl.String,
        "position": pl.String,
        "employment_type": pl.String,
        "position_pct": pl.Float64,
        "annual_salary": pl.Float64,
        "is_leader": pl.Boolean,
    }
)
ROSTER_COLUMNS: Final = tuple(ROSTER_SCHEMA.names())

# The contracted KPI columns, in order; `--by` column goes after period_end.
KPI_HEAD: Final = ("period_start", "period_end")
KPI_CONTRACT: Final = pl.Schema(
    {
        "headcount": pl.Int64,
        "fte": pl.Float64,
        "sickness_rate_pct": pl.Float64,
        "self_certified_rate_pct": pl.Float64,
        "doctor_certified_rate_pct": pl.Float64,
        "sickness_target_pct": pl.Float64,
        "fulltime_share_pct": pl.Float64,
        "avg_position_pct": pl.Float64,
        "apprentices": pl.Int64,
        "apprentice_target": pl.Float64,
        "women": pl.Int64,
        "men": pl.Int64,
        "women_pay_pct_of_men": pl.Float64,
        "hms_deviations": pl.Int64,
        "personal_injuries": pl.Int64,
        "parental_leave_women": pl.Int64,
        "parental_leave_men": pl.Int64,
        "hires": pl.Int64,
        "terminations": pl.Int64,
    }
)
# Extra columns (after the contract), documented in docs/kpis.md.
KPI_EXTRA: Final = pl.Schema(
    {
        "employments": pl.Int64,
        "agreed_workdays": pl.Float64,
        **SICKNESS_SUMS,
        "fulltime_persons": pl.Int64,
        "permanent_persons": pl.Int64,
        "leaders_women": pl.Int64,
        "leaders_men": pl.Int64,
        "avg_salary_women": pl.Float64,
        "avg_salary_men": pl.Float64,
        "mean_age": pl.Float64,
        "age_under_35": pl.Int64,
        "age_35_49": pl.Int64,
        "age_50_60": pl.Int64,
        "age_over_60": pl.Int64,
        "headcount_start": pl.Int64,
        "turnover_pct": pl.Float64,
        "parental_leave_avg_weeks_women": pl.Float64,
        "parental_leave_avg_weeks_men": pl.Float64,
        "hms_violence_threat": pl.Int64,
        "hms_near_miss": pl.Int64,
        "hms_property_damage": pl.Int64,
        "hms_other": pl.Int64,
        "hms_deviations_closed": pl.Int64,
    }
)


def kpi_schema(by: str | None) -> pl.Schema:
    cols: dict[str, pl.DataType] = {"period_start": pl.Date(), "period_end": pl.Date()}
    if by is not None:
        cols[by] = pl.String()
    for name, dtype in KPI_CONTRACT.items():
        cols[name] = dtype
    for name, dtype in KPI_EXTRA.items():
        cols[name] = dtype
    return pl.Schema(cols)


def empty(schema: pl.Schema) -> pl.DataFrame:
    return pl.DataFrame(schema=schema)
