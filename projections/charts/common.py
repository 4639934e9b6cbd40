"""The shared parts of the chart builders: labels, formats, PNG output, small cells, frame tools."""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final, cast

import altair as alt
import polars as pl

from projections.reports.privacy import MIN_PERSONS, small_cells

Chart = alt.Chart | alt.LayerChart | alt.VConcatChart | alt.HConcatChart | alt.FacetChart

CHART_DIR_ENV: Final = "HRLEDGER_CHART_DIR"
MIN_CELL: Final = MIN_PERSONS
"""Cells covering fewer persons than this are not shown (NAV's rule)."""
MAX_POINTS: Final = 400
"""A series longer than this is coarsened (month → quarter → year) before charting."""
WIDTH: Final = 640
HEIGHT: Final = 300

NB_FORMAT_LOCALE: Final[dict[str, Any]] = {
    "decimal": ",",
    "thousands": "\u00a0",
    "grouping": [3],
    "currency": ["", " kr"],
}
NB_TIME_FORMAT_LOCALE: Final[dict[str, Any]] = {
    "dateTime": "%A %e. %B %Y kl. %X",
    "date": "%d.%m.%Y",
    "time": "%H:%M:%S",
    "periods": ["AM", "PM"],
    "days": ["søndag", "mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag"],
    "shortDays": ["søn", "man", "tir", "ons", "tor", "fre", "lør"],
    "months": [
        "januar",
        "februar",
        "mars",
        "april",
        "mai",
        "juni",
        "juli",
        "august",
        "september",
        "oktober",
        "november",
        "desember",
    ],
    "shortMonths": [
        "jan",
        "feb",
        "mar",
        "apr",
        "mai",
        "jun",
        "jul",
        "aug",
        "sep",
        "okt",
        "nov",
        "des",
    ],
}
MONTHS: Final = NB_TIME_FORMAT_LOCALE["months"]
SHORT_MONTHS: Final = NB_TIME_FORMAT_LOCALE["shortMonths"]

# Glossary (docs/glossary.md): column → Norwegian label.
LABELS: Final[dict[str, str]] = {
    "period_start": "Periode",
    "headcount": "Ansatte",
    "fte": "Årsverk",
    "sickness_rate_pct": "Sykefravær",
    "self_certified_rate_pct": "Egenmeldt",
    "doctor_certified_rate_pct": "Legemeldt",
    "sickness_target_pct": "Mål sykefravær",
    "fulltime_share_pct": "Heltidsandel",
    "avg_position_pct": "Gjennomsnittlig stillingsstørrelse",
    "apprentices": "Lærlinger",
    "apprentice_target": "Måltall lærlinger",
    "women": "Kvinner",
    "men": "Menn",
    "women_pay_pct_of_men": "Likelønn (kvinners lønn i % av menns)",
    "hms_deviations": "HMS-avvik",
    "personal_injuries": "Personskader",
    "parental_leave_women": "Foreldrepermisjon, kvinner",
    "parental_leave_men": "Foreldrepermisjon, menn",
    "hires": "Nyansatte",
    "terminations": "Avganger",
    "turnover_pct": "Turnover",
    "sector": "Tjenesteområde",
    "unit": "Virksomhet",
    "gender": "Kjønn",
    "age_band": "Aldersgruppe",
    "fulltime_persons": "Heltid",
    "parttime_persons": "Deltid",
    "permanent_persons": "Fast ansatte",
    "mean_age": "Gjennomsnittsalder",
    "leaders_women": "Ledere, kvinner",
    "leaders_men": "Ledere, menn",
    "hms_violence_threat": "Vold og trusler",
    "hms_near_miss": "Nestenulykker",
    "hms_property_damage": "Materielle skader",
    "hms_other": "Andre avvik",
    "hms_deviations_closed": "Lukkede avvik",
}
GENDER_LABELS: Final = {"F": "Kvinner", "M": "Menn"}
GENDER_COLORS: Final = alt.Scale(domain=["Kvinner", "Menn"], range=["#b83b7d", "#3a7bbf"])
CERT_COLORS: Final = alt.Scale(domain=["Egenmeldt", "Legemeldt"], range=["#f2a93b", "#4c78a8"])
TARGET_COLOR: Final = "#c0392b"
MAIN_COLOR: Final = "#2f5d8a"
DURATION_BANDS: Final = {
    "sick_occurrences_1_3": "1–3 dager",
    "sick_occurrences_4_16": "4–16 dager",
    "sick_occurrences_17_56": "17 dager–8 uker",
    "sick_occurrences_over_56": "Over 8 uker",
}
AGE_BANDS: Final = {
    "age_under_35": "Under 35",
    "age_35_49": "35–49",
    "age_50_60": "50–60",
    "age_over_60": "Over 60",
}
HMS_CATEGORIES: Final = {
    "personal_injuries": "Personskade",
    "hms_violence_threat": "Vold og trusler",
    "hms_near_miss": "Nestenulykke",
    "hms_property_damage": "Materielle skader",
    "hms_other": "Annet",
}
POSITION_BANDS: Final = ("Under 20 %", "20–49 %", "50–79 %", "80–99 %", "100 %")


# --------------------------------------------------------------- formatting
def fmt_num(x: float | None, decimals: int = 1) -> str:
    """Norwegian number: decimal comma, space as thousands separator."""
    if x is None:
        return "–"
    s = f"{x:,.{decimals}f}"
    return s.replace(",", " ").replace(".", ",")


def fmt_int(x: float | None) -> str:
    return fmt_num(x, 0)


def fmt_pct(x: float | None, decimals: int = 1) -> str:
    return "–" if x is None else f"{fmt_num(x, decimals)} %"


def fmt_date(d: date | datetime) -> str:
    if isinstance(d, datetime):
        return f"{d.day}. {MONTHS[d.month - 1]} {d.year} kl. {d:%H:%M}"
    return f"{d.day}. {MONTHS[d.month - 1]} {d.year}"


def _points(x: float) -> str:
    return f"{fmt_num(abs(x))} poeng"


# ------------------------------------------------------------ environment
EMBED_OPTIONS: Final[dict[str, Any]] = {
    "formatLocale": NB_FORMAT_LOCALE,
    "timeFormatLocale": NB_TIME_FORMAT_LOCALE,
    "renderer": "svg",
    # Save as SVG/PNG only: "Open in Vega Editor" would send the chart's data off site.
    "actions": {"export": True, "source": False, "compiled": False, "editor": False},
}


def setup() -> None:
    """Norwegian number and date formats in every chart, drawn without network access.

    In JupyterLab charts display through altair's ``jupyter`` renderer in
    offline mode: a JupyterChart widget (anywidget) whose Vega, Vega-Lite and
    vega-embed come bundled from the installed ``vl-convert-python``, so
    nothing is loaded from a CDN. Headless runs (``$HRLEDGER_CHART_DIR`` set)
    display the PNG written by ``save_png`` instead, so the exported HTML is
    self-contained; they skip building the bundle.
    """
    if os.environ.get(CHART_DIR_ENV):
        alt.renderers.enable(alt.renderers.active, embed_options=dict(EMBED_OPTIONS))
    else:
        alt.renderers.enable("jupyter", offline=True, embed_options=dict(EMBED_OPTIONS))
        alt.JupyterChart.enable_offline(True)  # bundle now (~2 s), not at the first chart


def _chart(obj: Any) -> Chart:
    """Altair's builder methods are untyped; every builder returns through here."""
    return cast(Chart, obj)


def _slug(name: str) -> str:
    s = re.sub(r"[^0-9A-Za-z_-]+", "_", name.strip()).strip("_")
    return s or "chart"


class SavedChart:
    """A chart written as PNG; displays as that PNG (no second rendering, no CDN)."""

    def __init__(self, chart: Chart, png: bytes, path: Path):
        self.chart = chart
        self.png = png
        self.path = path

    def _repr_mimebundle_(
        self, include: Any = None, exclude: Any = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        width = int.from_bytes(self.png[16:20], "big") // 2  # saved at scale 2
        data = {"image/png": base64.b64encode(self.png).decode(), "text/plain": str(self.path)}
        return data, {"image/png": {"width": width}}


def save_png(chart: Chart, name: str, directory: str | Path | None = None) -> Chart | SavedChart:
    """Write ``chart`` as ``<directory>/<name>.png``; return what to display.

    ``directory`` defaults to ``$HRLEDGER_CHART_DIR``; when neither is set
    nothing is written and the (interactive) chart itself is returned, so the
    notebooks behave as usual in JupyterLab. When written, the returned
    ``SavedChart`` displays the PNG (``.chart`` is the chart).
    """
    where = directory if directory is not None else os.environ.get(CHART_DIR_ENV)
    if not where:
        return chart
    import vl_convert

    path = Path(where)
    path.mkdir(parents=True, exist_ok=True)
    png = vl_convert.vegalite_to_png(
        chart.to_dict(),
        scale=2,
        format_locale=NB_FORMAT_LOCALE,
        time_format_locale=NB_TIME_FORMAT_LOCALE,
    )
    target = path / f"{_slug(name)}.png"
    target.write_bytes(png)
    return SavedChart(chart, png, target)


# ---------------------------------------------------------------- privacy
def suppress_small_cells(
    frame: pl.DataFrame, count_col: str, min_count: int = MIN_CELL
) -> pl.DataFrame:
    """Drop rows whose ``count_col`` (persons behind the cell) is below ``min_count``.

    Rows with a null count are dropped too: an unknown cell size is not shown.
    """
    return frame.filter(~small_cells(count_col, threshold=min_count))


_SINGULAR: Final = {
    "tjenesteområder": "tjenesteområde",
    "virksomheter": "virksomhet",
    "grupper": "gruppe",
    "stillingsgrupper": "stillingsgruppe",
}


def _n_hidden(frame: pl.DataFrame, count_col: str, min_count: int = MIN_CELL) -> int:
    """Cells suppressed for privacy: 0 < persons < ``min_count`` (empty cells are just empty)."""
    return frame.filter(small_cells(count_col, threshold=min_count, empty_is_small=False)).height


def _suppressed_note(n: int, what: str, min_count: int = MIN_CELL) -> list[str]:
    if n <= 0:
        return []
    noun = _SINGULAR.get(what, what) if n == 1 else what
    return [f"{n} {noun} med færre enn {min_count} ansatte er ikke vist (personvern)."]


# ------------------------------------------------------------- frame tools
def _granularity(frame: pl.DataFrame) -> str:
    if frame.height == 0 or "period_end" not in frame.columns:
        return "month"
    first = frame.row(0, named=True)
    days = (first["period_end"] - first["period_start"]).days
    return "month" if days <= 31 else "quarter" if days <= 92 else "year"


def _period_label(every: str) -> pl.Expr:
    ps = pl.col("period_start")
    if every == "year":
        return ps.dt.year().cast(pl.String)
    if every == "quarter":
        return pl.format("{} K{}", ps.dt.year(), ps.dt.quarter())
    return pl.format(
        "{} {}",
        ps.dt.month().map_elements(lambda m: SHORT_MONTHS[m - 1], return_dtype=pl.String),
        ps.dt.year(),
    )


def _sick_sums(frame: pl.DataFrame) -> pl.DataFrame:
    """Work-day sums for sickness rates; from the rates when the sums are absent.

    The KPI frame carries ``agreed_workdays``/``lost_workdays*`` as extras; a
    frame with only the interchange columns is weighted by headcount instead.
    """
    if {"agreed_workdays", "lost_workdays_self", "lost_workdays_doctor"} <= set(frame.columns):
        return frame.with_columns(
            pl.col("agreed_workdays").fill_null(0.0).alias("_agreed"),
            pl.col("lost_workdays_self").fill_null(0.0).alias("_self"),
            pl.col("lost_workdays_doctor").fill_null(0.0).alias("_doctor"),
        )
    w = pl.col("headcount").cast(pl.Float64).fill_null(0.0)
    return frame.with_columns(
        w.alias("_agreed"),
        (w * pl.col("self_certified_rate_pct").fill_null(0.0) / 100).alias("_self"),
        (w * pl.col("doctor_certified_rate_pct").fill_null(0.0) / 100).alias("_doctor"),
    )


def _rates(keys: Sequence[str | pl.Expr], frame: pl.DataFrame) -> pl.DataFrame:
    """Sickness rates per ``keys``, computed from summed work-days (never averaged)."""
    s = _sick_sums(frame)
    agreed = pl.col("_agreed").sum()
    return s.group_by(list(keys), maintain_order=True).agg(
        pl.when(agreed > 0).then(100 * pl.col("_self").sum() / agreed).alias("egen"),
        pl.when(agreed > 0).then(100 * pl.col("_doctor").sum() / agreed).alias("lege"),
        pl.when(agreed > 0)
        .then(100 * (pl.col("_self").sum() + pl.col("_doctor").sum()) / agreed)
        .alias("rate"),
        pl.col("headcount").max().alias("headcount"),
        pl.col("period_end").max().alias("period_end"),
    )


def _coarsen(frame: pl.DataFrame) -> tuple[pl.DataFrame, str]:
    """Sickness series: month → quarter → year until at most ``MAX_POINTS`` periods."""
    every = _granularity(frame)
    n = frame.select(pl.col("period_start").n_unique()).item() if frame.height else 0
    if n <= MAX_POINTS:
        return frame, every
    for coarser, trunc in (("quarter", "1q"), ("year", "1y")):
        if coarser == "quarter" and every != "month":
            continue
        g = frame.with_columns(pl.col("period_start").dt.truncate(trunc))
        out = (
            _sick_sums(g)
            .group_by("period_start")
            .agg(
                pl.col("_agreed").sum().alias("agreed_workdays"),
                pl.col("_self").sum().alias("lost_workdays_self"),
                pl.col("_doctor").sum().alias("lost_workdays_doctor"),
                pl.col("period_end").max(),
                pl.col("headcount").last(),
                pl.col("sickness_target_pct").first(),
            )
        )
        if out.height <= MAX_POINTS:
            return out.sort("period_start"), coarser
        frame, every = out, coarser
    return frame, every


def _first(frame: pl.DataFrame, col: str) -> float | None:
    if col not in frame.columns:
        return None
    s = frame[col].drop_nulls()
    return float(s[0]) if s.len() else None


def _last_year(frame: pl.DataFrame) -> int | None:
    if frame.height == 0:
        return None
    y = frame.select(pl.col("period_start").dt.year().max()).item()
    return int(y) if y is not None else None


def _year_rows(frame: pl.DataFrame, year: int) -> pl.DataFrame:
    return frame.filter(pl.col("period_start").dt.year() == year)


def _at_end(frame: pl.DataFrame) -> pl.DataFrame:
    """The rows of the last period (stock KPIs are taken at the period's last day)."""
    if frame.height == 0:
        return frame
    return frame.filter(pl.col("period_start") == pl.col("period_start").max())


def _group_label(by: str) -> pl.Expr:
    c = pl.col(by).cast(pl.String)
    if by == "gender":
        return c.replace(GENDER_LABELS)
    return c.fill_null("(ukjent)")


def _title(text: str, *subtitle: str) -> alt.TitleParams:
    return alt.TitleParams(
        text=text, subtitle=list(subtitle) or alt.Undefined, anchor="start", fontSize=15
    )


def _rule(value: float, label: str, *, axis: str = "y", width: int = WIDTH) -> Chart:
    df = pl.DataFrame({"v": [value], "label": [label]})
    base = alt.Chart(df)
    enc: dict[str, Any] = {axis: alt.Y("v:Q") if axis == "y" else alt.X("v:Q")}
    rule = base.mark_rule(color=TARGET_COLOR, strokeDash=[6, 4], strokeWidth=2).encode(
        **enc, tooltip=[alt.Tooltip("label:N", title="Mål")]
    )
    if axis == "y":
        text = base.mark_text(
            align="right", dx=-4, dy=-7, color=TARGET_COLOR, fontWeight="bold"
        ).encode(y="v:Q", x=alt.value(width), text="label:N")
    else:
        text = base.mark_text(
            align="left", dx=4, dy=-4, color=TARGET_COLOR, fontWeight="bold", baseline="bottom"
        ).encode(x="v:Q", y=alt.value(0), text="label:N")
    return _chart(alt.layer(rule, text))


def _empty(title: str) -> Chart:
    """A chart for an empty frame: says so instead of failing."""
    df = pl.DataFrame({"msg": ["Ingen data i perioden"]})
    return _chart(
        alt.Chart(df)
        .mark_text(fontSize=14, color="#666")
        .encode(text="msg:N")
        .properties(title=_title(title, "Ingen data i perioden"), width=WIDTH, height=80)
    )


def _x_period(every: str, title: str = "") -> alt.X:
    if every == "month":
        return alt.X(
            "period_start:T",
            title=title or "Måned",
            axis=alt.Axis(format="%b %Y", labelAngle=0, tickCount="year"),
        )
    return alt.X(
        "periode:O",
        title=title or ("År" if every == "year" else "Kvartal"),
        axis=alt.Axis(labelAngle=0),
        sort=None,
    )


def _with_period(frame: pl.DataFrame, every: str) -> pl.DataFrame:
    return frame.with_columns(_period_label(every).alias("periode"))


def _over_under(diff: float) -> str:
    if round(diff, 1) == 0:
        return "på målet"
    return f"{_points(diff)} {'over' if diff > 0 else 'under'} målet"


def kpi_table(
    kpi: pl.DataFrame, columns: Sequence[str], by: str | None = None, min_count: int = MIN_CELL
) -> pl.DataFrame:
    """A display table: period label, the group, ``columns`` with Norwegian headers, rounded.

    With ``by``, groups whose headcount is below ``min_count`` are left out.
    """
    every = _granularity(kpi)
    if by is not None and "headcount" in kpi.columns:
        kpi = suppress_small_cells(kpi, "headcount", min_count)
    cols = [c for c in columns if c in kpi.columns]
    out = _with_period(kpi, every).select(
        pl.col("periode").alias("Periode"),
        *([_group_label(by).alias(LABELS.get(by, by))] if by else []),
        *[
            (pl.col(c).round(1) if kpi.schema[c].is_float() else pl.col(c)).alias(LABELS.get(c, c))
            for c in cols
        ],
    )
    return out


def yearly_long(kpi: pl.DataFrame, labels: dict[str, str], key: str, value: str) -> pl.DataFrame:
    """Sum the labelled KPI columns per year, one row per (year, label), in catalogue order.

    The category and duration-band charts both show counts per year from a
    monthly frame; ``order`` keeps the catalogue's order for stacking.
    """
    cols = [c for c in labels if c in kpi.columns]
    return (
        kpi.group_by(pl.col("period_start").dt.year().cast(pl.String).alias("år"))
        .agg(pl.col(cols).sum())
        .unpivot(index="år", on=cols, variable_name=key, value_name=value)
        .with_columns(
            pl.col(key).replace_strict(list(labels), list(range(len(labels)))).alias("order"),
            pl.col(key).replace(labels),
        )
        .sort("år", "order")
    )
