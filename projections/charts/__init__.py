"""Chart builders for the analyst notebooks: polars frame in, altair chart out.

Every builder is pure (no I/O, no ledger access): it takes a KPI frame (the
interchange columns of ``Projection.kpi``, extras used when present), a roster
or an equality report, aggregates it to what is drawn (so no chart ever
carries person-level or period×unit-sized data), and returns a chart whose
title states the finding, computed from the data ("Sykefraværet 2022 var
9,3 % – 2,8 poeng over målet på 6,5 %"). Targets are drawn as dashed rules.

Anything shown per unit/sector passes ``suppress_small_cells`` first (cells
with fewer than 5 persons are not shown, NAV's rule); the subtitle says how
many were left out.

Helpers: ``setup`` (Norwegian number/time formats; PNG output when run
headless), ``save_png`` (writes each chart to ``$HRLEDGER_CHART_DIR``),
``revision_events`` / ``revision_table`` / ``recording_batches`` (frames for
the audit notebook: what changed between two ``known_at`` moments).
"""

from __future__ import annotations

from projections.charts.common import (
    AGE_BANDS,
    CERT_COLORS,
    CHART_DIR_ENV,
    DURATION_BANDS,
    GENDER_COLORS,
    GENDER_LABELS,
    HEIGHT,
    HMS_CATEGORIES,
    LABELS,
    MAIN_COLOR,
    MAX_POINTS,
    MIN_CELL,
    MONTHS,
    NB_FORMAT_LOCALE,
    NB_TIME_FORMAT_LOCALE,
    POSITION_BANDS,
    SHORT_MONTHS,
    TARGET_COLOR,
    WIDTH,
    Chart,
    SavedChart,
    fmt_date,
    fmt_int,
    fmt_num,
    fmt_pct,
    kpi_table,
    save_png,
    setup,
    suppress_small_cells,
)
from projections.charts.equality import (
    gender_balance,
    parental_leave_weeks,
    parttime_and_temporary_by_gender,
    pay_ratio,
    pay_ratio_trend,
)
from projections.charts.fulltime import (
    fulltime_by_group,
    fulltime_trend,
    parttime_trend,
    position_size_distribution,
)
from projections.charts.hms import (
    hms_by_category,
    hms_by_year,
    hms_monthly,
    hms_per_100,
)
from projections.charts.recruitment import (
    age_distribution,
    apprentices_trend,
    hires_and_turnover,
)
from projections.charts.revision import (
    recording_batches,
    reported_at,
    revision_comparison,
    revision_events,
    revision_events_chart,
    revision_table,
)
from projections.charts.sickness import (
    sickness_by_group,
    sickness_duration_bands,
    sickness_seasonality,
    sickness_self_vs_doctor,
    sickness_trend,
)

__all__ = [
    "AGE_BANDS",
    "CERT_COLORS",
    "CHART_DIR_ENV",
    "DURATION_BANDS",
    "GENDER_COLORS",
    "GENDER_LABELS",
    "HEIGHT",
    "HMS_CATEGORIES",
    "LABELS",
    "MAIN_COLOR",
    "MAX_POINTS",
    "MIN_CELL",
    "MONTHS",
    "NB_FORMAT_LOCALE",
    "NB_TIME_FORMAT_LOCALE",
    "POSITION_BANDS",
    "SHORT_MONTHS",
    "TARGET_COLOR",
    "WIDTH",
    "Chart",
    "SavedChart",
    "age_distribution",
    "apprentices_trend",
    "fmt_date",
    "fmt_int",
    "fmt_num",
    "fmt_pct",
    "fulltime_by_group",
    "fulltime_trend",
    "gender_balance",
    "hires_and_turnover",
    "hms_by_category",
    "hms_by_year",
    "hms_monthly",
    "hms_per_100",
    "kpi_table",
    "parental_leave_weeks",
    "parttime_and_temporary_by_gender",
    "parttime_trend",
    "pay_ratio",
    "pay_ratio_trend",
    "position_size_distribution",
    "recording_batches",
    "reported_at",
    "revision_comparison",
    "revision_events",
    "revision_events_chart",
    "revision_table",
    "save_png",
    "setup",
    "sickness_by_group",
    "sickness_duration_bands",
    "sickness_seasonality",
    "sickness_self_vs_doctor",
    "sickness_trend",
    "suppress_small_cells",
]
