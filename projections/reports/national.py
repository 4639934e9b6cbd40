"""National statistics from many municipalities' exported KPI tables: sums first, then ratios.

Why SQL text and not code that runs it: national figures are computed where
the exports of 356 municipalities meet (a statistics office, KS), with an
engine built for partitioned Parquet — DuckDB on one machine, Spark on many
— not inside one municipality's ledger. This module only says *what* to
compute, in SQL both engines read, so the definition lives beside the KPI
code it must agree with (docs/performance.md, "National scale").

A national sickness rate is Σ lost work-days / Σ agreed work-days over every
municipality — never the mean of the municipal rates, which would weigh
Utsira (41 employees) like Oslo (60,000). Every ratio of the KPI table is
recomputed that way from the numerators and denominators the export carries;
a mean over persons is recomputed as Σ(mean × persons) / Σ persons.
"""

from __future__ import annotations

from projections.periods import BY_CHOICES

ADDITIVE: tuple[str, ...] = (
    "headcount", "fte", "employments", "apprentices", "women", "men",
    "leaders_women", "leaders_men", "permanent_persons", "fulltime_persons",
    "age_under_35", "age_35_49", "age_50_60", "age_over_60", "headcount_start",
    "hires", "terminations", "agreed_workdays", "lost_workdays", "lost_workdays_self",
    "lost_workdays_doctor", "sick_occurrences_1_3", "sick_occurrences_4_16",
    "sick_occurrences_17_56", "sick_occurrences_over_56", "long_term_occurrences",
    "hms_deviations", "personal_injuries", "hms_violence_threat", "hms_near_miss",
    "hms_property_damage", "hms_other", "hms_deviations_closed",
    "parental_leave_women", "parental_leave_men",
)  # fmt: skip
"""Counts and sums: the national value is the sum of the municipal ones."""

RATIOS: dict[str, str] = {
    "sickness_rate_pct": "100.0 * sum(lost_workdays) / nullif(sum(agreed_workdays), 0)",
    "self_certified_rate_pct": "100.0 * sum(lost_workdays_self) / nullif(sum(agreed_workdays), 0)",
    "doctor_certified_rate_pct": (
        "100.0 * sum(lost_workdays_doctor) / nullif(sum(agreed_workdays), 0)"
    ),
    "fulltime_share_pct": "100.0 * sum(fulltime_persons) / nullif(sum(permanent_persons), 0)",
    "turnover_pct": (
        "100.0 * sum(terminations) / nullif((sum(headcount_start) + sum(headcount)) / 2.0, 0)"
    ),
}
"""Ratios: numerator and denominator summed over municipalities, then divided."""

WEIGHTED: dict[str, str] = {
    "avg_position_pct": "permanent_persons",
    "mean_age": "headcount",
    "parental_leave_avg_weeks_women": "parental_leave_women",
    "parental_leave_avg_weeks_men": "parental_leave_men",
}
"""Means over persons: Σ(mean × persons) / Σ persons (the persons the mean is taken over)."""

NOT_NATIONAL: dict[str, str] = {
    "women_pay_pct_of_men": "a mean over employments, whose count per gender is not exported",
    "avg_salary_women": "a mean over employments, whose count per gender is not exported",
    "avg_salary_men": "a mean over employments, whose count per gender is not exported",
    "sickness_target_pct": "each municipality's own target",
    "apprentice_target": "each municipality's own target",
}
"""KPI columns left out of the national table, and why."""


def national_kpi_sql(source: str, by: str | None = None, *, table: bool = False) -> str:
    """A SELECT giving one national row per period (and ``by`` group): how many
    ``municipalities`` reported, the sums, the recomputed ratios.

    ``source``: the exported KPI tables as a Parquet path or glob with a Hive
    partition ``municipality=<number>/`` (DuckDB's ``read_parquet``); with
    ``table=True``, the name of a table or view holding them (Spark SQL:
    ``spark.read.parquet(root).createOrReplaceTempView("kpi")``).
    """
    if by is not None and by not in BY_CHOICES:
        raise ValueError(f"--by {by!r}: choose one of {', '.join(BY_CHOICES)}")
    keys = ["period_start", "period_end", *([by] if by else [])]
    weighted = [
        f"sum(coalesce({mean} * {persons}, 0)) / nullif(sum({persons}), 0) AS {mean}"
        for mean, persons in WEIGHTED.items()
    ]
    columns = [
        *keys,
        "count(DISTINCT municipality) AS municipalities",
        *(f"sum({n}) AS {n}" for n in ADDITIVE),
        *(f"{expr} AS {n}" for n, expr in RATIOS.items()),
        *weighted,
    ]
    if table:
        if not source.replace("_", "").replace(".", "").isalnum():
            raise ValueError(f"table {source!r}: a plain (schema.)name, please")
        relation = source
    else:
        quoted = source.replace("'", "''")
        relation = f"read_parquet('{quoted}', hive_partitioning = true, union_by_name = true)"
    return (
        "SELECT\n    "
        + ",\n    ".join(columns)
        + f"\nFROM {relation}"
        + f"\nGROUP BY {', '.join(keys)}\nORDER BY {', '.join(keys)}"
    )
