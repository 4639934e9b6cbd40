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

import base64
import os
import re
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Final, cast

import altair as alt
import polars as pl

from projections.source import Facts

Chart = alt.Chart | alt.LayerChart | alt.VConcatChart | alt.HConcatChart | alt.FacetChart

CHART_DIR_ENV: Final = "HRLEDGER_CHART_DIR"
MIN_CELL: Final = 5
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

# Glossary (shared/domain.md): column → Norwegian label.
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
def setup() -> None:
    """Norwegian number and date formats in every chart; PNGs when run headless.

    Headless runs (``$HRLEDGER_CHART_DIR`` set) display the PNG written by
    ``save_png``, so the exported HTML is self-contained.
    """
    alt.renderers.set_embed_options(
        format_locale=NB_FORMAT_LOCALE, time_format_locale=NB_TIME_FORMAT_LOCALE
    )


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
    return frame.filter(pl.col(count_col).fill_null(0) >= min_count)


_SINGULAR: Final = {
    "tjenesteområder": "tjenesteområde",
    "virksomheter": "virksomhet",
    "grupper": "gruppe",
    "stillingsgrupper": "stillingsgruppe",
}


def _n_hidden(frame: pl.DataFrame, count_col: str, min_count: int = MIN_CELL) -> int:
    """Cells suppressed for privacy: 0 < persons < ``min_count`` (empty cells are just empty)."""
    c = pl.col(count_col).fill_null(0)
    return frame.filter((c > 0) & (c < min_count)).height


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


# ============================================================ 01 sykefravær
def sickness_trend(kpi: pl.DataFrame, target: float | None = None) -> Chart:
    """Sykefravær per period with the target drawn; title: the last year vs target.

    ``kpi``: KPI series without ``by`` (monthly is best). ``target`` defaults
    to the frame's ``sickness_target_pct``.
    """
    if kpi.height == 0:
        return _empty("Sykefravær")
    target = target if target is not None else _first(kpi, "sickness_target_pct")
    year = _last_year(kpi)
    assert year is not None
    yearly = _rates([pl.col("period_start").dt.year().alias("year")], kpi).sort("year")
    this = yearly.filter(pl.col("year") == year).row(0, named=True)
    prev = yearly.filter(pl.col("year") == year - 1)
    text = f"Sykefraværet {year} var {fmt_pct(this['rate'])}"
    if target is not None and this["rate"] is not None:
        text += f" – {_over_under(this['rate'] - target)} på {fmt_pct(target)}"
    subtitle = []
    if prev.height and prev["rate"][0] is not None and this["rate"] is not None:
        p = float(prev["rate"][0])
        verb = "opp" if this["rate"] > p else "ned" if this["rate"] < p else "uendret"
        subtitle.append(f"{verb.capitalize()} fra {fmt_pct(p)} i {year - 1}.")
    subtitle.append(
        "Tapte avtalte dagsverk i % av avtalte dagsverk (egenmeldt + legemeldt), per periode."
    )
    series, every = _coarsen(kpi)
    data = _with_period(_rates(["period_start"], series), every).sort("period_start")
    line = (
        alt.Chart(data)
        .mark_line(point=True, color=MAIN_COLOR)
        .encode(
            x=_x_period(every),
            y=alt.Y("rate:Q", title="Sykefravær (%)", scale=alt.Scale(zero=True)),
            tooltip=[
                alt.Tooltip("periode:N", title="Periode"),
                alt.Tooltip("rate:Q", title="Sykefravær %", format=".1f"),
                alt.Tooltip("egen:Q", title="Egenmeldt %", format=".1f"),
                alt.Tooltip("lege:Q", title="Legemeldt %", format=".1f"),
                alt.Tooltip("headcount:Q", title="Ansatte", format=",d"),
            ],
        )
    )
    layers: list[Any] = [line]
    if target is not None:
        layers.append(_rule(target, f"Mål {fmt_pct(target)}"))
    return alt.layer(*layers).properties(title=_title(text, *subtitle), width=WIDTH, height=HEIGHT)


def sickness_self_vs_doctor(kpi: pl.DataFrame) -> Chart:
    """Egenmeldt vs legemeldt, stacked per period; title: doctor share of the last year."""
    if kpi.height == 0:
        return _empty("Egenmeldt og legemeldt sykefravær")
    year = _last_year(kpi)
    assert year is not None
    r = _rates([pl.lit(year).alias("year")], _year_rows(kpi, year)).row(0, named=True)
    if r["rate"]:
        text = (
            f"Legemeldt fravær sto for {fmt_pct(100 * r['lege'] / r['rate'], 0)} av "
            f"sykefraværet i {year} ({fmt_pct(r['lege'])} av {fmt_pct(r['rate'])})"
        )
    else:
        text = f"Ikke registrert sykefravær i {year}"
    series, every = _coarsen(kpi)
    data = (
        _with_period(_rates(["period_start"], series), every)
        .unpivot(
            index=["period_start", "periode", "rate"],
            on=["egen", "lege"],
            variable_name="kind",
            value_name="pct",
        )
        .with_columns(
            pl.col("kind").replace({"egen": "Egenmeldt", "lege": "Legemeldt"}),
            pl.col("kind").replace({"egen": "0", "lege": "1"}).cast(pl.Int32).alias("order"),
        )
        .sort("period_start", "order")
    )
    chart = (
        alt.Chart(data).mark_area(opacity=0.85) if every == "month" else alt.Chart(data).mark_bar()
    )
    return _chart(
        chart.encode(
            x=_x_period(every),
            y=alt.Y("pct:Q", title="Sykefravær (%)", stack="zero"),
            color=alt.Color("kind:N", title="Sykemelding", scale=CERT_COLORS),
            order=alt.Order("order:Q"),
            tooltip=[
                alt.Tooltip("periode:N", title="Periode"),
                alt.Tooltip("kind:N", title="Type"),
                alt.Tooltip("pct:Q", title="%", format=".2f"),
                alt.Tooltip("rate:Q", title="Totalt %", format=".2f"),
            ],
        ).properties(
            title=_title(text, "Egenmelding: inntil 8 dager per tilfelle. Legemeldt: sykemelding."),
            width=WIDTH,
            height=HEIGHT,
        )
    )


def sickness_duration_bands(kpi: pl.DataFrame) -> Chart:
    """Fraværstilfeller per varighet and year; title: share over 16 days in the last year.

    Best given a yearly KPI frame (an occurrence spanning two months would be
    counted in both months of a monthly frame).
    """
    cols = [c for c in DURATION_BANDS if c in kpi.columns]
    if kpi.height == 0 or not cols:
        return _empty("Sykefravær etter varighet")
    data = (
        kpi.group_by(pl.col("period_start").dt.year().cast(pl.String).alias("år"))
        .agg(pl.col(cols).sum())
        .unpivot(index="år", on=cols, variable_name="band", value_name="tilfeller")
        .with_columns(
            pl.col("band").replace_strict(list(DURATION_BANDS), list(range(4))).alias("order"),
            pl.col("band").replace(DURATION_BANDS),
        )
        .sort("år", "order")
    )
    year = str(data["år"].max())
    last = data.filter(pl.col("år") == year)
    total = int(last["tilfeller"].sum())
    long = int(last.filter(pl.col("order") >= 2)["tilfeller"].sum())
    if total:
        text = (
            f"{fmt_pct(100 * long / total, 0)} av fraværstilfellene i {year} varte mer enn "
            f"16 dager ({fmt_int(long)} av {fmt_int(total)})"
        )
    else:
        text = f"Ingen fraværstilfeller registrert i {year}"
    return _chart(
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("år:O", title="År", axis=alt.Axis(labelAngle=0)),
            xOffset=alt.XOffset("band:N", sort=list(DURATION_BANDS.values())),
            y=alt.Y("tilfeller:Q", title="Fraværstilfeller"),
            color=alt.Color(
                "band:N",
                title="Varighet",
                sort=list(DURATION_BANDS.values()),
                scale=alt.Scale(scheme="orangered"),
            ),
            tooltip=[
                alt.Tooltip("år:O", title="År"),
                alt.Tooltip("band:N", title="Varighet"),
                alt.Tooltip("tilfeller:Q", title="Tilfeller", format=",d"),
            ],
        )
        .properties(
            title=_title(
                text,
                "Et tilfelle er en sammenhengende periode med sykedager. "
                "Over 16 dager = utover arbeidsgiverperioden (langtidsfravær).",
            ),
            width=WIDTH,
            height=HEIGHT,
        )
    )


def sickness_by_group(
    kpi: pl.DataFrame,
    by: str,
    *,
    top: int | None = None,
    target: float | None = None,
    min_count: int = MIN_CELL,
) -> Chart:
    """Sykefravær per tjenesteområde/virksomhet over the whole frame, against the target.

    Rates come from summed work-days over all periods; a group whose largest
    headcount is below ``min_count`` is suppressed. ``top``: only the groups
    furthest above the target (or highest, without a target).
    """
    what = "tjenesteområder" if by == "sector" else "virksomheter" if by == "unit" else "grupper"
    if kpi.height == 0 or by not in kpi.columns:
        return _empty(f"Sykefravær per {LABELS.get(by, by).lower()}")
    target = target if target is not None else _first(kpi, "sickness_target_pct")
    agg = _rates([_group_label(by).alias("gruppe")], kpi).drop_nulls("rate")
    shown = suppress_small_cells(agg, "headcount", min_count)
    hidden = _n_hidden(agg, "headcount", min_count)
    ref = target if target is not None else 0.0
    shown = shown.with_columns((pl.col("rate") - ref).alias("avvik")).sort("avvik", descending=True)
    n_all = shown.height
    if shown.height == 0:
        return _empty(f"Sykefravær per {LABELS.get(by, by).lower()}")
    span = (
        f"{shown['period_end'].max().year}"  # type: ignore[union-attr]
        if kpi["period_start"].dt.year().n_unique() == 1
        else f"{kpi['period_start'].min().year}–{kpi['period_end'].max().year}"  # type: ignore[union-attr]
    )
    worst = shown.row(0, named=True)
    if target is not None:
        above = shown.filter(pl.col("rate") > target).height
        if top is not None:
            text = (
                f"{above} av {n_all} {what} lå over målet på {fmt_pct(target)} i {span}; "
                f"høyest: {worst['gruppe']} med {fmt_pct(worst['rate'])}"
            )
        else:
            text = (
                f"{worst['gruppe']} har høyest sykefravær i {span}: {fmt_pct(worst['rate'])} "
                f"– {_over_under(worst['rate'] - target)}"
            )
    else:
        text = f"{worst['gruppe']} har høyest sykefravær i {span}: {fmt_pct(worst['rate'])}"
    if top is not None:
        shown = shown.head(top)
    shown = shown.with_columns(
        pl.when(pl.col("rate") > ref)
        .then(pl.lit("Over målet"))
        .otherwise(pl.lit("På eller under målet"))
        .alias("status")
    )
    subtitle = _suppressed_note(hidden, what, min_count)
    if top is not None and n_all > top:
        subtitle.insert(0, f"De {top} {what} lengst over målet av {n_all}.")
    bars = (
        alt.Chart(shown)
        .mark_bar()
        .encode(
            y=alt.Y("gruppe:N", title=LABELS.get(by, by), sort="-x"),
            x=alt.X("rate:Q", title="Sykefravær (%)"),
            color=alt.Color(
                "status:N",
                title=None,
                scale=alt.Scale(
                    domain=["Over målet", "På eller under målet"], range=["#d9822b", "#5b8c5a"]
                ),
                legend=alt.Legend(orient="bottom") if target is not None else None,
            ),
            tooltip=[
                alt.Tooltip("gruppe:N", title=LABELS.get(by, by)),
                alt.Tooltip("rate:Q", title="Sykefravær %", format=".1f"),
                alt.Tooltip("egen:Q", title="Egenmeldt %", format=".1f"),
                alt.Tooltip("lege:Q", title="Legemeldt %", format=".1f"),
                alt.Tooltip("headcount:Q", title="Ansatte (maks)", format=",d"),
            ],
        )
    )
    layers: list[Any] = [bars]
    if target is not None:
        layers.append(_rule(target, f"Mål {fmt_pct(target)}", axis="x"))
    return alt.layer(*layers).properties(
        title=_title(text, *subtitle),
        width=WIDTH - 120,
        height=alt.Step(18),
    )


def sickness_seasonality(kpi: pl.DataFrame) -> Chart:
    """Sykefravær per calendar month, one line per year; title: peak and low month."""
    if kpi.height == 0:
        return _empty("Sesongvariasjon i sykefraværet")
    per = _rates(
        [
            pl.col("period_start").dt.year().cast(pl.String).alias("år"),
            pl.col("period_start").dt.month().alias("mnd"),
        ],
        kpi,
    ).with_columns(
        pl.col("mnd")
        .map_elements(lambda m: SHORT_MONTHS[m - 1], return_dtype=pl.String)
        .alias("måned")
    )
    by_month = _rates([pl.col("period_start").dt.month().alias("mnd")], kpi).drop_nulls("rate")
    if by_month.height:
        hi = by_month.sort("rate", descending=True).row(0, named=True)
        lo = by_month.sort("rate").row(0, named=True)
        text = (
            f"Sykefraværet er høyest i {MONTHS[hi['mnd'] - 1]} ({fmt_pct(hi['rate'])}) "
            f"og lavest i {MONTHS[lo['mnd'] - 1]} ({fmt_pct(lo['rate'])})"
        )
    else:
        text = "Sesongvariasjon i sykefraværet"
    return _chart(
        alt.Chart(per)
        .mark_line(point=True)
        .encode(
            x=alt.X("måned:N", title="Måned", sort=SHORT_MONTHS, axis=alt.Axis(labelAngle=0)),
            y=alt.Y("rate:Q", title="Sykefravær (%)"),
            color=alt.Color("år:O", title="År", scale=alt.Scale(scheme="viridis")),
            tooltip=[
                alt.Tooltip("år:O", title="År"),
                alt.Tooltip("måned:N", title="Måned"),
                alt.Tooltip("rate:Q", title="Sykefravær %", format=".1f"),
            ],
        )
        .properties(
            title=_title(text, "Snitt over alle år i perioden, beregnet fra summerte dagsverk."),
            width=WIDTH,
            height=HEIGHT,
        )
    )


# ============================================================ 02 heltid
def fulltime_trend(kpi: pl.DataFrame, goal_pct: float | None = None) -> Chart:
    """Heltidsandel and gjennomsnittlig stillingsstørrelse per period vs goal.

    Without a numeric goal ("øke heltidsandelen"), the first period's level is
    drawn as the baseline to beat.
    """
    if kpi.height == 0:
        return _empty("Heltidsandel")
    every = _granularity(kpi)
    data = _with_period(kpi.sort("period_start"), every)
    first, last = data.row(0, named=True), data.row(-1, named=True)
    a, b = first["fulltime_share_pct"], last["fulltime_share_pct"]
    if a is None or b is None:
        text = "Heltidsandel"
    else:
        verb = "økte" if b > a else "falt" if b < a else "var uendret"
        text = (
            f"Heltidsandelen {verb} fra {fmt_pct(a)} i {first['periode']} "
            f"til {fmt_pct(b)} i {last['periode']}"
            if verb != "var uendret"
            else f"Heltidsandelen var uendret på {fmt_pct(b)}"
        )
        if goal_pct is not None:
            text += f" – {_over_under(b - goal_pct)} på {fmt_pct(goal_pct)}"
    long = data.unpivot(
        index=["period_start", "periode"],
        on=["fulltime_share_pct", "avg_position_pct"],
        variable_name="kpi",
        value_name="pct",
    ).with_columns(pl.col("kpi").replace(LABELS))
    line = (
        alt.Chart(long)
        .mark_line(point=True)
        .encode(
            x=_x_period(every),
            y=alt.Y("pct:Q", title="Prosent", scale=alt.Scale(zero=False)),
            color=alt.Color(
                "kpi:N",
                title=None,
                legend=alt.Legend(orient="bottom", labelLimit=400),
                scale=alt.Scale(
                    domain=[LABELS["fulltime_share_pct"], LABELS["avg_position_pct"]],
                    range=[MAIN_COLOR, "#8fb3d9"],
                ),
            ),
            tooltip=[
                alt.Tooltip("periode:N", title="Periode"),
                alt.Tooltip("kpi:N", title="Nøkkeltall"),
                alt.Tooltip("pct:Q", title="%", format=".1f"),
            ],
        )
    )
    if goal_pct is not None:
        ref, label = goal_pct, f"Mål {fmt_pct(goal_pct)}"
    else:
        ref, label = a, f"Utgangspunkt {first['periode']}: {fmt_pct(a)}"
    layers: list[Any] = [line]
    if ref is not None:
        layers.append(_rule(ref, label))
    return alt.layer(*layers).properties(
        title=_title(
            text,
            "Heltidsandel: fast ansatte med samlet stillingsprosent ≥ 100 (KS). "
            "Lærlinger og midlertidige er ikke med.",
        ),
        width=WIDTH,
        height=HEIGHT,
    )


def fulltime_by_group(kpi: pl.DataFrame, by: str, min_count: int = MIN_CELL) -> Chart:
    """Heltidsandel per kjønn/tjenesteområde over time; title: highest vs lowest, last period."""
    if kpi.height == 0 or by not in kpi.columns:
        return _empty(f"Heltidsandel per {LABELS.get(by, by).lower()}")
    every = _granularity(kpi)
    count = "permanent_persons" if "permanent_persons" in kpi.columns else "headcount"
    data = _with_period(kpi, every).with_columns(_group_label(by).alias("gruppe"))
    sizes = data.group_by("gruppe").agg(pl.col(count).max())
    small = sizes.filter(pl.col(count).fill_null(0) < min_count)
    data = data.join(small.select("gruppe"), on="gruppe", how="anti").drop_nulls(
        "fulltime_share_pct"
    )
    if data.height == 0:
        return _empty(f"Heltidsandel per {LABELS.get(by, by).lower()}")
    end = _at_end(data).sort("fulltime_share_pct", descending=True)
    hi, lo = end.row(0, named=True), end.row(-1, named=True)
    when = hi["periode"]
    if by == "gender" and end.height == 2:
        text = (
            f"{hi['gruppe']} har oftere heltid: {fmt_pct(hi['fulltime_share_pct'])} mot "
            f"{fmt_pct(lo['fulltime_share_pct'])} for {lo['gruppe'].lower()} i {when}"
        )
    else:
        text = (
            f"Høyest heltidsandel i {hi['gruppe']} ({fmt_pct(hi['fulltime_share_pct'])}), "
            f"lavest i {lo['gruppe']} ({fmt_pct(lo['fulltime_share_pct'])}) i {when}"
        )
    color = (
        alt.Color("gruppe:N", title=LABELS.get(by, by), scale=GENDER_COLORS)
        if by == "gender"
        else alt.Color("gruppe:N", title=LABELS.get(by, by))
    )
    what = "grupper" if by != "unit" else "virksomheter"
    return _chart(
        alt.Chart(data.select("period_start", "periode", "gruppe", "fulltime_share_pct", count))
        .mark_line(point=True)
        .encode(
            x=_x_period(every),
            y=alt.Y("fulltime_share_pct:Q", title="Heltidsandel (%)", scale=alt.Scale(zero=False)),
            color=color,
            tooltip=[
                alt.Tooltip("periode:N", title="Periode"),
                alt.Tooltip("gruppe:N", title=LABELS.get(by, by)),
                alt.Tooltip("fulltime_share_pct:Q", title="Heltidsandel %", format=".1f"),
                alt.Tooltip(f"{count}:Q", title="Fast ansatte", format=",d"),
            ],
        )
        .properties(
            title=_title(text, *_suppressed_note(_n_hidden(sizes, count, min_count), what)),
            width=WIDTH,
            height=HEIGHT,
        )
    )


def position_size_distribution(roster: pl.DataFrame) -> Chart:
    """Arbeidsforhold per stillingsstørrelse and kjønn (apprentices left out).

    Aggregates the roster (one row per employment) to 5 bands × 2 genders.
    """
    r = roster.filter(pl.col("employment_type") != "apprentice") if roster.height else roster
    if r.height == 0:
        return _empty("Stillingsstørrelse")
    p = pl.col("position_pct")
    data = (
        r.with_columns(
            pl.when(p < 20)
            .then(pl.lit(POSITION_BANDS[0]))
            .when(p < 50)
            .then(pl.lit(POSITION_BANDS[1]))
            .when(p < 80)
            .then(pl.lit(POSITION_BANDS[2]))
            .when(p < 100)
            .then(pl.lit(POSITION_BANDS[3]))
            .otherwise(pl.lit(POSITION_BANDS[4]))
            .alias("band"),
            pl.col("gender").cast(pl.String).replace(GENDER_LABELS).alias("kjønn"),
        )
        .group_by("band", "kjønn")
        .agg(pl.len().alias("arbeidsforhold"))
        .sort("band", "kjønn")
    )
    total = int(data["arbeidsforhold"].sum())
    small = int(data.filter(pl.col("band").is_in(POSITION_BANDS[:2]))["arbeidsforhold"].sum())
    text = (
        f"{fmt_int(small)} arbeidsforhold ({fmt_pct(100 * small / total, 0)}) er små "
        f"stillinger under 50 %"
    )
    return _chart(
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X(
                "band:N",
                title="Stillingsstørrelse",
                sort=list(POSITION_BANDS),
                axis=alt.Axis(labelAngle=0),
            ),
            xOffset=alt.XOffset("kjønn:N"),
            y=alt.Y("arbeidsforhold:Q", title="Arbeidsforhold"),
            color=alt.Color("kjønn:N", title="Kjønn", scale=GENDER_COLORS),
            tooltip=[
                alt.Tooltip("band:N", title="Stillingsstørrelse"),
                alt.Tooltip("kjønn:N", title="Kjønn"),
                alt.Tooltip("arbeidsforhold:Q", title="Arbeidsforhold", format=",d"),
            ],
        )
        .properties(
            title=_title(
                text,
                f"{fmt_int(total)} arbeidsforhold (fast og midlertidig) på dagen; "
                "en person kan ha flere.",
            ),
            width=WIDTH,
            height=HEIGHT,
        )
    )


def parttime_trend(kpi: pl.DataFrame) -> Chart:
    """Fast ansatte på heltid og deltid over time; title: how part-time changed."""
    need = {"fulltime_persons", "permanent_persons"}
    if kpi.height == 0 or not need <= set(kpi.columns):
        return _empty("Heltid og deltid")
    every = _granularity(kpi)
    data = _with_period(kpi.sort("period_start"), every).with_columns(
        (pl.col("permanent_persons") - pl.col("fulltime_persons")).alias("parttime_persons")
    )
    a, b = data.row(0, named=True), data.row(-1, named=True)
    d = b["parttime_persons"] - a["parttime_persons"]
    verb = "økte" if d > 0 else "falt" if d < 0 else "var uendret"
    text = (
        f"Antall fast ansatte på deltid {verb} med {fmt_int(abs(d))} fra {a['periode']} til "
        f"{b['periode']} ({fmt_int(a['parttime_persons'])} → {fmt_int(b['parttime_persons'])})"
        if d
        else f"Antall fast ansatte på deltid var uendret: {fmt_int(b['parttime_persons'])}"
    )
    long = data.unpivot(
        index=["period_start", "periode"],
        on=["fulltime_persons", "parttime_persons"],
        variable_name="kind",
        value_name="personer",
    ).with_columns(pl.col("kind").replace(LABELS))
    return _chart(
        alt.Chart(long)
        .mark_line(point=True)
        .encode(
            x=_x_period(every),
            y=alt.Y("personer:Q", title="Fast ansatte (personer)"),
            color=alt.Color(
                "kind:N",
                title=None,
                legend=alt.Legend(orient="bottom"),
                scale=alt.Scale(domain=["Heltid", "Deltid"], range=[MAIN_COLOR, "#d9822b"]),
            ),
            tooltip=[
                alt.Tooltip("periode:N", title="Periode"),
                alt.Tooltip("kind:N", title=""),
                alt.Tooltip("personer:Q", title="Personer", format=",d"),
            ],
        )
        .properties(
            title=_title(text, "Personer med minst ett fast arbeidsforhold, ved periodens slutt."),
            width=WIDTH,
            height=HEIGHT,
        )
    )


# ============================================================ 03 lærlinger
def apprentices_trend(kpi: pl.DataFrame, target: float | None = None) -> Chart:
    """Lærlinger at each period's end vs the måltall."""
    if kpi.height == 0:
        return _empty("Lærlinger")
    target = target if target is not None else _first(kpi, "apprentice_target")
    every = _granularity(kpi)
    data = _with_period(kpi.sort("period_start"), every).select(
        "period_start", "period_end", "periode", "apprentices"
    )
    last = data.row(-1, named=True)
    n = last["apprentices"]
    when = (
        f"ved utgangen av {last['period_end'].year}"
        if every == "year"
        else (f"per {fmt_date(last['period_end'])}")
    )
    text = f"{fmt_int(n)} lærlinger {when}"
    if target is not None:
        gap = n - target
        text += (
            f" – {fmt_int(-gap)} under måltallet på {fmt_int(target)}"
            if gap < 0
            else f" – {fmt_int(gap)} over måltallet på {fmt_int(target)}"
            if gap > 0
            else f" – på måltallet {fmt_int(target)}"
        )
    mark = (
        alt.Chart(data).mark_bar(color=MAIN_COLOR)
        if every != "month"
        else (alt.Chart(data).mark_line(point=True, color=MAIN_COLOR))
    )
    bars = mark.encode(
        x=_x_period(every),
        y=alt.Y("apprentices:Q", title="Lærlinger"),
        tooltip=[
            alt.Tooltip("periode:N", title="Periode"),
            alt.Tooltip("apprentices:Q", title="Lærlinger", format=",d"),
        ],
    )
    layers: list[Any] = [bars]
    if target is not None:
        layers.append(_rule(target, f"Måltall {fmt_int(target)}"))
    return alt.layer(*layers).properties(
        title=_title(text, "Personer med aktivt lærlingeforhold ved periodens slutt."),
        width=WIDTH,
        height=HEIGHT,
    )


def hires_and_turnover(kpi: pl.DataFrame, by: str, min_count: int = MIN_CELL) -> Chart:
    """Nyansatte and avganger per group in the frame's last year; title: highest turnover."""
    if kpi.height == 0 or by not in kpi.columns:
        return _empty(f"Nyansatte og avganger per {LABELS.get(by, by).lower()}")
    year = _last_year(kpi)
    assert year is not None
    rows = _year_rows(kpi, year).with_columns(_group_label(by).alias("gruppe"))
    agg = (
        rows.group_by("gruppe")
        .agg(
            pl.col("hires").sum(),
            pl.col("terminations").sum(),
            pl.col("headcount").max().alias("ansatte"),
            pl.col("headcount_start").first().alias("hs")
            if "headcount_start" in rows.columns
            else pl.col("headcount").first().alias("hs"),
            pl.col("headcount").last().alias("he"),
        )
        .with_columns(
            pl.when((pl.col("hs") + pl.col("he")) > 0)
            .then(200.0 * pl.col("terminations") / (pl.col("hs") + pl.col("he")))
            .alias("turnover")
        )
    )
    shown = suppress_small_cells(agg, "ansatte", min_count)
    hidden = _n_hidden(agg, "ansatte", min_count)
    what = "tjenesteområder" if by == "sector" else "grupper"
    if shown.height == 0:
        return _empty(f"Nyansatte og avganger {year}")
    hi = shown.sort("turnover", descending=True, nulls_last=True).row(0, named=True)
    text = (
        f"Høyest turnover i {year}: {hi['gruppe']} med {fmt_pct(hi['turnover'])} "
        f"({fmt_int(hi['terminations'])} avganger, {fmt_int(hi['hires'])} nyansatte)"
    )
    long = shown.unpivot(
        index=["gruppe", "turnover", "ansatte"],
        on=["hires", "terminations"],
        variable_name="kind",
        value_name="antall",
    ).with_columns(pl.col("kind").replace(LABELS))
    return _chart(
        alt.Chart(long)
        .mark_bar()
        .encode(
            y=alt.Y("gruppe:N", title=LABELS.get(by, by), sort="-x"),
            yOffset=alt.YOffset("kind:N"),
            x=alt.X("antall:Q", title=f"Arbeidsforhold {year}"),
            color=alt.Color(
                "kind:N",
                title=None,
                legend=alt.Legend(orient="bottom"),
                scale=alt.Scale(domain=["Nyansatte", "Avganger"], range=["#5b8c5a", "#d9822b"]),
            ),
            tooltip=[
                alt.Tooltip("gruppe:N", title=LABELS.get(by, by)),
                alt.Tooltip("kind:N", title=""),
                alt.Tooltip("antall:Q", title="Antall", format=",d"),
                alt.Tooltip("turnover:Q", title="Turnover %", format=".1f"),
            ],
        )
        .properties(
            title=_title(
                text,
                "Turnover = avsluttede arbeidsforhold / gjennomsnittlig antall ansatte.",
                *_suppressed_note(hidden, what, min_count),
            ),
            width=WIDTH - 120,
            height=alt.Step(14),
        )
    )


def age_distribution(kpi: pl.DataFrame, by: str | None = None, min_count: int = MIN_CELL) -> Chart:
    """Ansatte per aldersgruppe: per year (no ``by``) or per group at the last period."""
    cols = [c for c in AGE_BANDS if c in kpi.columns]
    if kpi.height == 0 or not cols or (by is not None and by not in kpi.columns):
        return _empty("Aldersfordeling")
    every = _granularity(kpi)
    if by is None:
        base = (
            _with_period(kpi, every)
            .group_by("periode", "period_start")
            .agg(pl.col(cols).last())
            .with_columns(pl.col("periode").alias("gruppe"))
        )
        hidden = 0
    else:
        base = _at_end(kpi).with_columns(_group_label(by).alias("gruppe"))
        base = base.with_columns(_period_label(every).alias("periode"))
        base = base.with_columns(pl.sum_horizontal(cols).alias("_n"))
        hidden = _n_hidden(base, "_n", min_count)
        base = suppress_small_cells(base, "_n", min_count).drop("_n")
    if base.height == 0:
        return _empty("Aldersfordeling")
    data = (
        base.select("gruppe", "periode", *cols)
        .unpivot(index=["gruppe", "periode"], on=cols, variable_name="band", value_name="personer")
        .with_columns(
            pl.col("band").replace_strict(list(AGE_BANDS), list(range(4))).alias("order"),
            pl.col("band").replace(AGE_BANDS),
            (100 * pl.col("personer") / pl.col("personer").sum().over("gruppe")).alias("andel"),
        )
    )
    last = data.filter(pl.col("periode") == data.sort("periode")["periode"][-1])
    tot = float(last["personer"].sum()) or 1.0
    young = float(last.filter(pl.col("order") == 0)["personer"].sum())
    old = float(last.filter(pl.col("order") == 3)["personer"].sum())
    when = last["periode"][0]
    text = (
        f"{fmt_pct(100 * old / tot, 0)} av de ansatte var over 60 år og "
        f"{fmt_pct(100 * young / tot, 0)} under 35 år ({when})"
    )
    label = LABELS.get(by, by) if by else "År"
    return _chart(
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=alt.Y("gruppe:N", title=label, sort=None if by is None else "-x"),
            x=alt.X("andel:Q", title="Andel av ansatte (%)", stack="zero"),
            color=alt.Color(
                "band:N",
                title="Alder",
                sort=list(AGE_BANDS.values()),
                scale=alt.Scale(scheme="tealblues"),
            ),
            order=alt.Order("order:Q"),
            tooltip=[
                alt.Tooltip("gruppe:N", title=label),
                alt.Tooltip("band:N", title="Alder"),
                alt.Tooltip("personer:Q", title="Personer", format=",d"),
                alt.Tooltip("andel:Q", title="Andel %", format=".1f"),
            ],
        )
        .properties(
            title=_title(
                text,
                "Aldersgrupper som i Utsiras tabell: under 35, 35–49, 50–60, over 60.",
                *_suppressed_note(hidden, "grupper", min_count),
            ),
            width=WIDTH - 120,
            height=alt.Step(22),
        )
    )


# ============================================================ 04 HMS
def hms_by_year(kpi: pl.DataFrame) -> Chart:
    """HMS-avvik and personskader per year; title: the last year against the one before."""
    if kpi.height == 0:
        return _empty("HMS-avvik")
    data = (
        kpi.group_by(pl.col("period_start").dt.year().cast(pl.String).alias("år"))
        .agg(pl.col("hms_deviations").sum(), pl.col("personal_injuries").sum())
        .sort("år")
    )
    last = data.row(-1, named=True)
    text = f"{fmt_int(last['hms_deviations'])} HMS-avvik i {last['år']}"
    if data.height > 1:
        prev = data.row(-2, named=True)
        text += f" (mot {fmt_int(prev['hms_deviations'])} i {prev['år']})"
    text += f", hvorav {fmt_int(last['personal_injuries'])} personskader"
    if data.height > 1:
        text += f" ({fmt_int(prev['personal_injuries'])} året før)"
    long = data.unpivot(
        index="år",
        on=["hms_deviations", "personal_injuries"],
        variable_name="kind",
        value_name="antall",
    ).with_columns(
        pl.col("kind").replace(
            {"hms_deviations": "HMS-avvik i alt", "personal_injuries": "Personskader"}
        )
    )
    base = alt.Chart(long).encode(
        x=alt.X("år:O", title="År", axis=alt.Axis(labelAngle=0)),
        xOffset=alt.XOffset("kind:N"),
        y=alt.Y("antall:Q", title="Antall"),
    )
    bars = base.mark_bar().encode(
        color=alt.Color(
            "kind:N",
            title=None,
            legend=alt.Legend(orient="bottom"),
            scale=alt.Scale(
                domain=["HMS-avvik i alt", "Personskader"], range=[MAIN_COLOR, TARGET_COLOR]
            ),
        ),
        tooltip=[
            alt.Tooltip("år:O", title="År"),
            alt.Tooltip("kind:N", title=""),
            alt.Tooltip("antall:Q", title="Antall", format=",d"),
        ],
    )
    labels = base.mark_text(dy=-6, fontSize=10).encode(text=alt.Text("antall:Q", format=",d"))
    return alt.layer(bars, labels).properties(
        title=_title(
            text,
            "Avvik etter dato for hendelsen. Flere meldte avvik er ikke "
            "nødvendigvis negativt (meldekultur).",
        ),
        width=WIDTH,
        height=HEIGHT,
    )


def hms_monthly(kpi: pl.DataFrame) -> Chart:
    """HMS-avvik and personskader per month; title: the busiest month."""
    if kpi.height == 0:
        return _empty("HMS-avvik per måned")
    data = _with_period(kpi, "month").select(
        "period_start", "periode", "hms_deviations", "personal_injuries"
    )
    top = data.sort("hms_deviations", descending=True).row(0, named=True)
    last_year = _last_year(kpi)
    assert last_year is not None
    avg = _year_rows(data, last_year)["hms_deviations"].mean()
    prev = _year_rows(data, last_year - 1)["hms_deviations"]
    text = f"I snitt {fmt_int(avg)} avvik per måned i {last_year}"  # type: ignore[arg-type]
    if prev.len():
        text += f" (mot {fmt_int(prev.mean())} i {last_year - 1})"  # type: ignore[arg-type]
    text += (
        f"; flest i {MONTHS[top['period_start'].month - 1]} {top['period_start'].year} "
        f"({fmt_int(top['hms_deviations'])})"
    )
    long = data.unpivot(
        index=["period_start", "periode"],
        on=["hms_deviations", "personal_injuries"],
        variable_name="kind",
        value_name="antall",
    ).with_columns(
        pl.col("kind").replace(
            {"hms_deviations": "HMS-avvik i alt", "personal_injuries": "Personskader"}
        )
    )
    return _chart(
        alt.Chart(long)
        .mark_line(point=True)
        .encode(
            x=_x_period("month"),
            y=alt.Y("antall:Q", title="Antall per måned"),
            color=alt.Color(
                "kind:N",
                title=None,
                legend=alt.Legend(orient="bottom"),
                scale=alt.Scale(
                    domain=["HMS-avvik i alt", "Personskader"], range=[MAIN_COLOR, TARGET_COLOR]
                ),
            ),
            tooltip=[
                alt.Tooltip("periode:N", title="Måned"),
                alt.Tooltip("kind:N", title=""),
                alt.Tooltip("antall:Q", title="Antall", format=",d"),
            ],
        )
        .properties(title=_title(text), width=WIDTH, height=HEIGHT)
    )


def hms_by_category(kpi: pl.DataFrame) -> Chart:
    """HMS-avvik per kategori and year; title: the largest category in the last year."""
    cols = [c for c in HMS_CATEGORIES if c in kpi.columns]
    if kpi.height == 0 or not cols:
        return _empty("HMS-avvik per kategori")
    data = (
        kpi.group_by(pl.col("period_start").dt.year().cast(pl.String).alias("år"))
        .agg(pl.col(cols).sum())
        .unpivot(index="år", on=cols, variable_name="cat", value_name="antall")
        .with_columns(
            pl.col("cat").replace_strict(list(HMS_CATEGORIES), list(range(5))).alias("order"),
            pl.col("cat").replace(HMS_CATEGORIES),
        )
        .sort("år")
    )
    year = str(data["år"].max())
    last = data.filter(pl.col("år") == year).sort("antall", descending=True)
    tot = int(last["antall"].sum())
    big = last.row(0, named=True)
    text = (
        f"{big['cat']} er den største kategorien i {year}: {fmt_int(big['antall'])} av "
        f"{fmt_int(tot)} avvik ({fmt_pct(100 * big['antall'] / tot, 0)})"
        if tot
        else f"Ingen HMS-avvik i {year}"
    )
    return _chart(
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("år:O", title="År", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("antall:Q", title="HMS-avvik", stack="zero"),
            color=alt.Color(
                "cat:N",
                title="Kategori",
                sort=list(HMS_CATEGORIES.values()),
                scale=alt.Scale(
                    domain=list(HMS_CATEGORIES.values()),
                    range=[TARGET_COLOR, "#e8a33d", "#4c78a8", "#8fb3d9", "#b0b0b0"],
                ),
            ),
            order=alt.Order("order:Q"),
            tooltip=[
                alt.Tooltip("år:O", title="År"),
                alt.Tooltip("cat:N", title="Kategori"),
                alt.Tooltip("antall:Q", title="Antall", format=",d"),
            ],
        )
        .properties(title=_title(text), width=WIDTH, height=HEIGHT)
    )


def hms_per_100(
    kpi: pl.DataFrame, by: str, *, top: int | None = None, min_count: int = MIN_CELL
) -> Chart:
    """HMS-avvik and personskader per 100 ansatte per group, over the whole frame.

    Per year of the frame: counts summed, divided by the group's mean
    headcount and by the number of years.
    """
    if kpi.height == 0 or by not in kpi.columns:
        return _empty(f"HMS-avvik per 100 ansatte per {LABELS.get(by, by).lower()}")
    years = kpi["period_start"].dt.year().n_unique()
    agg = (
        kpi.with_columns(_group_label(by).alias("gruppe"))
        .group_by("gruppe")
        .agg(
            pl.col("hms_deviations").sum(),
            pl.col("personal_injuries").sum(),
            pl.col("headcount").mean().alias("snitt"),
            pl.col("headcount").max().alias("ansatte"),
        )
        .with_columns(
            pl.when(pl.col("snitt") > 0)
            .then(100 * pl.col("hms_deviations") / pl.col("snitt") / years)
            .alias("avvik_per_100"),
            pl.when(pl.col("snitt") > 0)
            .then(100 * pl.col("personal_injuries") / pl.col("snitt") / years)
            .alias("skader_per_100"),
        )
    )
    shown = suppress_small_cells(agg, "ansatte", min_count).drop_nulls("avvik_per_100")
    hidden = _n_hidden(agg, "ansatte", min_count)
    what = "tjenesteområder" if by == "sector" else "virksomheter" if by == "unit" else "grupper"
    if shown.height == 0:
        return _empty("HMS-avvik per 100 ansatte")
    shown = shown.sort("avvik_per_100", descending=True)
    n_all = shown.height
    hi = shown.row(0, named=True)
    span = (
        str(kpi["period_start"].min().year)  # type: ignore[union-attr]
        if years == 1
        else f"{kpi['period_start'].min().year}–{kpi['period_end'].max().year}"  # type: ignore[union-attr]
    )
    text = (
        f"{hi['gruppe']} har flest HMS-avvik per 100 ansatte: {fmt_num(hi['avvik_per_100'])} "
        f"i {span}, og {fmt_num(hi['skader_per_100'])} personskader per 100"
    )
    if top is not None:
        shown = shown.head(top)
    subtitle = ["Per år: avvik / gjennomsnittlig antall ansatte × 100."]
    if top is not None and n_all > top:
        subtitle.append(f"De {top} {what} med flest avvik per ansatt av {n_all}.")
    subtitle += _suppressed_note(hidden, what, min_count)
    long = shown.unpivot(
        index=["gruppe", "hms_deviations", "personal_injuries", "ansatte"],
        on=["avvik_per_100", "skader_per_100"],
        variable_name="kind",
        value_name="per100",
    ).with_columns(
        pl.col("kind").replace({"avvik_per_100": "HMS-avvik", "skader_per_100": "Personskader"})
    )
    return _chart(
        alt.Chart(long)
        .mark_bar()
        .encode(
            y=alt.Y(
                "gruppe:N",
                title=LABELS.get(by, by),
                sort=alt.EncodingSortField("per100", op="max", order="descending"),
            ),
            yOffset=alt.YOffset("kind:N"),
            x=alt.X("per100:Q", title="Per 100 ansatte per år"),
            color=alt.Color(
                "kind:N",
                title=None,
                legend=alt.Legend(orient="bottom"),
                scale=alt.Scale(
                    domain=["HMS-avvik", "Personskader"], range=[MAIN_COLOR, TARGET_COLOR]
                ),
            ),
            tooltip=[
                alt.Tooltip("gruppe:N", title=LABELS.get(by, by)),
                alt.Tooltip("kind:N", title=""),
                alt.Tooltip("per100:Q", title="Per 100 ansatte", format=".1f"),
                alt.Tooltip("hms_deviations:Q", title="Avvik i alt", format=",d"),
                alt.Tooltip("personal_injuries:Q", title="Personskader i alt", format=",d"),
            ],
        )
        .properties(title=_title(text, *subtitle), width=WIDTH - 120, height=alt.Step(12))
    )


# ============================================================ 05 likestilling
def gender_balance(kpi: pl.DataFrame) -> Chart:
    """Kvinner/menn among all employees and among leaders, per period."""
    if kpi.height == 0:
        return _empty("Kjønnsbalanse")
    every = _granularity(kpi)
    has_leaders = {"leaders_women", "leaders_men"} <= set(kpi.columns)
    data = _with_period(kpi.sort("period_start"), every)
    parts = [
        data.select(
            "periode",
            pl.lit("Alle ansatte").alias("gruppe"),
            pl.col("women").cast(pl.Int64).alias("Kvinner"),
            pl.col("men").cast(pl.Int64).alias("Menn"),
        )
    ]
    if has_leaders:
        parts.append(
            data.select(
                "periode",
                pl.lit("Ledere").alias("gruppe"),
                pl.col("leaders_women").cast(pl.Int64).alias("Kvinner"),
                pl.col("leaders_men").cast(pl.Int64).alias("Menn"),
            )
        )
    long = (
        pl.concat(parts)
        .unpivot(
            index=["periode", "gruppe"],
            on=["Kvinner", "Menn"],
            variable_name="kjønn",
            value_name="personer",
        )
        .with_columns(
            (100 * pl.col("personer") / pl.col("personer").sum().over("periode", "gruppe")).alias(
                "andel"
            ),
            (pl.col("kjønn") == "Menn").cast(pl.Int8).alias("order"),
        )
    )
    last = data.row(-1, named=True)
    share = 100 * last["women"] / max(last["women"] + last["men"], 1)
    text = f"{fmt_pct(share, 0)} kvinner blant de ansatte"
    if has_leaders and (last["leaders_women"] + last["leaders_men"]):
        lshare = 100 * last["leaders_women"] / (last["leaders_women"] + last["leaders_men"])
        text += f" og {fmt_pct(lshare, 0)} blant lederne"
    text += f" ({last['periode']})"
    sub = f"{fmt_int(last['women'])} kvinner og {fmt_int(last['men'])} menn ved periodens slutt" + (
        f"; ledere {fmt_int(last['leaders_women'])} / {fmt_int(last['leaders_men'])}."
        if has_leaders
        else "."
    )
    return _chart(
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=alt.X("periode:O", title=None, sort=None, axis=alt.Axis(labelAngle=0)),
            y=alt.Y("andel:Q", title="Andel (%)", stack="zero", scale=alt.Scale(domain=[0, 100])),
            color=alt.Color("kjønn:N", title="Kjønn", scale=GENDER_COLORS),
            column=alt.Column("gruppe:N", title=None),
            order=alt.Order("order:Q"),
            tooltip=[
                alt.Tooltip("periode:N", title="Periode"),
                alt.Tooltip("gruppe:N", title=""),
                alt.Tooltip("kjønn:N", title="Kjønn"),
                alt.Tooltip("personer:Q", title="Personer", format=",d"),
                alt.Tooltip("andel:Q", title="Andel %", format=".1f"),
            ],
        )
        .properties(width=WIDTH // 2 - 40, height=HEIGHT, title=_title(text, sub))
    )


def _report(report: pl.DataFrame, table: str) -> pl.DataFrame:
    return report.filter(pl.col("table") == table) if report.height else report


def pay_ratio(report: pl.DataFrame, year: int | None = None, *, top: int | None = 25) -> Chart:
    """Likelønn: women's mean pay as % of men's, in total and per stilling (§ 26 ``pay``).

    Suppressed cells (fewer than 5 women or men) are not shown; ``top``: the
    largest groups by number of persons.
    """
    pay = _report(report, "pay")
    if pay.height == 0:
        return _empty("Likelønn")
    total = pay.filter(pl.col("group") == "total")
    groups = pay.filter(pl.col("group") != "total")
    shown = groups.drop_nulls("women_pct")
    hidden = groups.height - shown.height
    shown = shown.with_columns((pl.col("n_women") + pl.col("n_men")).alias("n")).sort(
        "n", descending=True
    )
    n_groups = shown.height
    if top is not None:
        shown = shown.head(top)
    when = f" i {year}" if year is not None else ""
    t = total["women_pct"][0] if total.height else None
    text = (
        f"Kvinner tjener i gjennomsnitt {fmt_pct(t, 0)} av menns lønn{when}"
        if t is not None
        else f"Likelønn{when}"
    )
    if shown.height:
        lo = shown.sort("women_pct").row(0, named=True)
        text += f"; lavest i gruppen {lo['group']} ({fmt_pct(lo['women_pct'], 0)})"
    data = pl.concat(
        [
            total.select(
                pl.lit("Alle").alias("gruppe"),
                "women_pct",
                "n_women",
                "n_men",
                "women",
                "men",
                pl.lit(True).alias("total"),
            ),
            shown.select(
                pl.col("group").alias("gruppe"),
                "women_pct",
                "n_women",
                "n_men",
                "women",
                "men",
                pl.lit(False).alias("total"),
            ),
        ]
    ).drop_nulls("women_pct")
    subtitle = [
        "Gjennomsnittlig årslønn i 100 % stilling, kvinner i % av menn. "
        "Stillinger med færre enn 5 kvinner eller menn er ikke vist (personvern)."
    ]
    if hidden:
        subtitle.append(f"{hidden} stillingsgrupper er skjult.")
    if top is not None and n_groups > top:
        subtitle.append(f"De {top} største av {n_groups} stillingsgrupper.")
    if data.height == 0:
        return _empty("Likelønn")
    bars = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=alt.Y("gruppe:N", title="Stilling", sort=None),
            x=alt.X(
                "women_pct:Q",
                title="Kvinners lønn i % av menns",
                scale=alt.Scale(zero=False, domainMid=100),
            ),
            color=alt.condition("datum.total", alt.value(MAIN_COLOR), alt.value("#8fb3d9")),
            tooltip=[
                alt.Tooltip("gruppe:N", title="Stilling"),
                alt.Tooltip("women_pct:Q", title="Likelønn %", format=".1f"),
                alt.Tooltip("women:Q", title="Snitt kvinner (kr)", format=",.0f"),
                alt.Tooltip("men:Q", title="Snitt menn (kr)", format=",.0f"),
                alt.Tooltip("n_women:Q", title="Kvinner", format=",d"),
                alt.Tooltip("n_men:Q", title="Menn", format=",d"),
            ],
        )
    )
    return alt.layer(bars, _rule(100.0, "Lik lønn", axis="x")).properties(
        title=_title(text, *subtitle), width=WIDTH - 120, height=alt.Step(16)
    )


def pay_ratio_trend(kpi: pl.DataFrame) -> Chart:
    """Likelønn per period with 100 % drawn."""
    if kpi.height == 0:
        return _empty("Likelønn over tid")
    every = _granularity(kpi)
    data = (
        _with_period(kpi.sort("period_start"), every)
        .select("period_start", "periode", "women_pay_pct_of_men")
        .drop_nulls("women_pay_pct_of_men")
    )
    if data.height == 0:
        return _empty("Likelønn over tid")
    a, b = data.row(0, named=True), data.row(-1, named=True)
    text = (
        f"Kvinners lønn i % av menns: {fmt_pct(b['women_pay_pct_of_men'])} i {b['periode']}"
        f" (mot {fmt_pct(a['women_pay_pct_of_men'])} i {a['periode']})"
    )
    line = (
        alt.Chart(data)
        .mark_line(point=True, color=MAIN_COLOR)
        .encode(
            x=_x_period(every),
            y=alt.Y(
                "women_pay_pct_of_men:Q",
                title="Kvinners lønn i % av menns",
                scale=alt.Scale(zero=False),
            ),
            tooltip=[
                alt.Tooltip("periode:N", title="Periode"),
                alt.Tooltip("women_pay_pct_of_men:Q", title="Likelønn %", format=".1f"),
            ],
        )
    )
    return alt.layer(line, _rule(100.0, "Lik lønn 100 %")).properties(
        title=_title(text), width=WIDTH, height=HEIGHT
    )


def parttime_and_temporary_by_gender(report: pl.DataFrame, year: int | None = None) -> Chart:
    """Deltid (share of employments) and midlertidig (share of persons) per kjønn (§ 26)."""
    pt = _report(report, "part_time")
    bal = _report(report, "gender_balance")
    tmp = _report(report, "temporary")
    if pt.height == 0 or bal.height == 0:
        return _empty("Deltid og midlertidige etter kjønn")

    def share(frame: pl.DataFrame, group: str, col: str, denom: float) -> float | None:
        row = frame.filter(pl.col("group") == group)
        if row.height == 0 or denom <= 0:
            return 0.0 if denom > 0 else None
        v = row[col][0]
        return None if v is None else 100 * float(v) / denom

    rows = []
    for g, ncol, label in (("F", "n_women", "Kvinner"), ("M", "n_men", "Menn")):
        del g
        emps = float(pt[ncol].sum())
        persons = float(bal[ncol].sum())
        part = pt.filter(pl.col("group") == "part_time")
        n_part = int(part[ncol][0]) if part.height else 0
        n_tmp = int(tmp[ncol][0]) if tmp.height else 0
        rows.append(
            {
                "kjønn": label,
                "mål": "Deltid (av arbeidsforhold)",
                "andel": share(pt, "part_time", ncol, emps),
                "antall": n_part,
                "av": int(emps),
            }
        )
        rows.append(
            {
                "kjønn": label,
                "mål": "Midlertidig (av ansatte)",
                "andel": None if 0 < n_tmp < MIN_CELL else share(tmp, "temporary", ncol, persons),
                "antall": n_tmp if not 0 < n_tmp < MIN_CELL else None,
                "av": int(persons),
            }
        )
    data = pl.DataFrame(
        rows,
        schema={
            "kjønn": pl.String,
            "mål": pl.String,
            "andel": pl.Float64,
            "antall": pl.Int64,
            "av": pl.Int64,
        },
    )
    w = data.filter((pl.col("kjønn") == "Kvinner") & pl.col("mål").str.starts_with("Deltid"))
    m = data.filter((pl.col("kjønn") == "Menn") & pl.col("mål").str.starts_with("Deltid"))
    when = f" i {year}" if year is not None else ""
    text = (
        f"{fmt_pct(w['andel'][0], 0)} av kvinnenes arbeidsforhold er deltid, mot "
        f"{fmt_pct(m['andel'][0], 0)} av mennenes{when}"
    )
    hidden = data.filter(pl.col("andel").is_null()).height
    data = data.drop_nulls("andel")
    return _chart(
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("andel:Q", title="Andel (%)"),
            y=alt.Y("kjønn:N", title=None),
            color=alt.Color("kjønn:N", title="Kjønn", scale=GENDER_COLORS, legend=None),
            row=alt.Row("mål:N", title=None, header=alt.Header(labelAngle=0, labelAlign="left")),
            tooltip=[
                alt.Tooltip("mål:N", title=""),
                alt.Tooltip("kjønn:N", title="Kjønn"),
                alt.Tooltip("andel:Q", title="Andel %", format=".1f"),
                alt.Tooltip("antall:Q", title="Antall", format=",d"),
                alt.Tooltip("av:Q", title="Av", format=",d"),
            ],
        )
        .properties(
            title=_title(
                text,
                "Deltid: stillingsprosent under 100 i arbeidsforholdet "
                "(tabell 9b/9c). Ved 31. desember.",
                *(["Celler med færre enn 5 personer er skjult."] if hidden else []),
            ),
            width=WIDTH - 120,
            height=60,
        )
    )


def parental_leave_weeks(report: pl.DataFrame, year: int | None = None) -> Chart:
    """Foreldrepermisjon: average weeks and persons per kjønn (§ 26 ``parental_leave``)."""
    pl_rows = _report(report, "parental_leave")
    if pl_rows.height == 0:
        return _empty("Foreldrepermisjon")
    r = pl_rows.row(0, named=True)
    data = pl.DataFrame(
        {
            "kjønn": ["Kvinner", "Menn"],
            "uker": [r["women"], r["men"]],
            "personer": [r["n_women"], r["n_men"]],
        },
        schema={"kjønn": pl.String, "uker": pl.Float64, "personer": pl.Int64},
    )
    when = f" i {year}" if year is not None else ""

    def part(one: str, many: str, n: int | None, weeks: float | None) -> str:
        if not n:
            return f"ingen {many}"
        who = f"{fmt_int(n)} {one if n == 1 else many}"
        return who if weeks is None else f"{who} i snitt {fmt_num(weeks, 0)} uker"

    text = (
        f"Foreldrepermisjon{when}: {part('kvinne', 'kvinner', r['n_women'], r['women'])}, "
        f"{part('mann', 'menn', r['n_men'], r['men'])}"
    )
    shown = data.drop_nulls("uker")
    if shown.height == 0:
        return _chart(
            alt.Chart(pl.DataFrame({"msg": ["Gjennomsnittet er skjult: færre enn 5 i en celle"]}))
            .mark_text(fontSize=13, color="#666")
            .encode(text="msg:N")
            .properties(title=_title(text), width=WIDTH - 120, height=60)
        )
    base = alt.Chart(shown).encode(
        y=alt.Y("kjønn:N", title=None),
        x=alt.X("uker:Q", title="Gjennomsnittlig antall uker i året"),
    )
    bars = base.mark_bar().encode(
        color=alt.Color("kjønn:N", scale=GENDER_COLORS, legend=None),
        tooltip=[
            alt.Tooltip("kjønn:N", title="Kjønn"),
            alt.Tooltip("uker:Q", title="Uker i snitt", format=".1f"),
            alt.Tooltip("personer:Q", title="Personer", format=",d"),
        ],
    )
    labels = base.mark_text(align="left", dx=4).encode(text=alt.Text("uker:Q", format=".0f"))
    return alt.layer(bars, labels).properties(
        title=_title(text, "Uker = dager i permisjon × permisjonsprosent / 7, innenfor året."),
        width=WIDTH - 120,
        height=alt.Step(40),
    )


# ============================================================ 06 revisjon
_VALID_DATE: Final = {
    "employment": "effective_date",
    "sick": "date",
    "leave": "start_date",
    "hms": "date",
}
_KIND_LABELS: Final = {
    "employment": "Arbeidsforhold (ansettelse, endring, lønn, avgang)",
    "sick": "Sykedager",
    "leave": "Permisjoner",
    "hms": "HMS-avvik",
}


def recording_batches(facts: Facts) -> pl.DataFrame:
    """When the ledger learned its facts: one row per recorded time, with event counts."""
    parts = [
        df.select("recorded_at")
        for name, df in facts.frames().items()
        if df.height and name in (*_VALID_DATE, "retraction")
    ]
    if not parts:
        return pl.DataFrame(schema={"recorded_at": pl.Datetime("us", "UTC"), "events": pl.UInt32})
    return (
        pl.concat(parts).group_by("recorded_at").agg(pl.len().alias("events")).sort("recorded_at")
    )


def revision_events(
    then: Facts, now: Facts, start: date, end: date, reported_at: datetime | None = None
) -> pl.DataFrame:
    """Events with a valid date in [start, end] that differ between two versions of the facts.

    ``then`` and ``now`` are effective facts (``Projection.facts(known_at)``).
    ``change`` is ``registrert senere`` (known now, not then: recorded late) or
    ``trukket tilbake`` (known then, retracted since). Pass ``end`` no later
    than the report date to see what the report missed. One row per kind,
    change and valid month, with the count; no person-level data.
    """
    if reported_at is not None:  # only months that had ended when the report was made
        end = min(end, reported_at.date().replace(day=1) - timedelta(days=1))
    rows = []
    for name, col in _VALID_DATE.items():
        a, b = getattr(then, name), getattr(now, name)
        for change, frame in (
            ("registrert senere", b.join(a.select("event_id"), on="event_id", how="anti")),
            ("trukket tilbake", a.join(b.select("event_id"), on="event_id", how="anti")),
        ):
            f = frame.filter(pl.col(col).is_between(start, end))
            if f.height:
                rows.append(
                    f.group_by(pl.col(col).dt.truncate("1mo").alias("month"))
                    .agg(
                        pl.len().alias("events"),
                        pl.col("recorded_at").min().alias("first_recorded"),
                        pl.col("recorded_at").max().alias("last_recorded"),
                    )
                    .with_columns(
                        pl.lit(_KIND_LABELS[name]).alias("kind"),
                        pl.lit(change).alias("change"),
                    )
                )
    schema = pl.Schema(
        {
            "kind": pl.String(),
            "change": pl.String(),
            "month": pl.Date(),
            "events": pl.Int64(),
            "first_recorded": pl.Datetime("us", "UTC"),
            "last_recorded": pl.Datetime("us", "UTC"),
        }
    )
    if not rows:
        return pl.DataFrame(schema=schema)
    out: pl.DataFrame = pl.concat(rows).select([pl.col(k).cast(v) for k, v in schema.items()])
    return out.sort("kind", "change", "month")


def _ended_by(frame: pl.DataFrame, reported_at: datetime | None) -> pl.DataFrame:
    """Only the periods that had ended when the report was made."""
    if reported_at is None or frame.height == 0:
        return frame
    return frame.filter(pl.col("period_end") < reported_at.date())


def reported_at(batches: pl.DataFrame, given: str | datetime | None = None) -> datetime | None:
    """The moment "as reported": ``given`` (ISO timestamp with offset), else the first
    recording batch when the ledger was filled in more than one, else None."""
    if isinstance(given, datetime):
        return given
    if given:
        return datetime.fromisoformat(given)
    if batches.height > 1:
        ts = batches["recorded_at"][0]
        return ts if isinstance(ts, datetime) else None
    return None


def revision_table(
    then: pl.DataFrame,
    now: pl.DataFrame,
    columns: Sequence[str],
    reported_at: datetime | None = None,
) -> pl.DataFrame:
    """KPI values as reported (``then``) and as known now, side by side, with the change
    (rounded to 2 decimals for display).

    Both frames are KPI series of the same periods (no ``by``); one row per
    period and KPI, labelled in Norwegian; only periods that had ended at
    ``reported_at``.
    """
    then, now = _ended_by(then, reported_at), _ended_by(now, reported_at)
    cols = [c for c in columns if c in then.columns and c in now.columns]
    key = ["period_start", "period_end"]
    a = then.select(*key, *cols).unpivot(index=key, variable_name="kpi", value_name="rapportert")
    b = now.select(*key, *cols).unpivot(index=key, variable_name="kpi", value_name="nå")
    return (
        a.join(b, on=[*key, "kpi"], how="full", coalesce=True)
        .with_columns(
            pl.col("rapportert").cast(pl.Float64).round(2),
            pl.col("nå").cast(pl.Float64).round(2),
            (pl.col("nå").cast(pl.Float64) - pl.col("rapportert").cast(pl.Float64))
            .round(2)
            .alias("endring"),
            pl.col("kpi").replace(LABELS).alias("nøkkeltall"),
        )
        .sort("period_start", "kpi")
        .select(
            _period_label(_granularity(now)).alias("periode"),
            "nøkkeltall",
            "rapportert",
            "nå",
            "endring",
        )
    )


def _year_value(frame: pl.DataFrame, column: str, year: int) -> float | None:
    """A KPI for a whole year from a (monthly) series: rates from sums, counts summed."""
    rows = _year_rows(frame, year)
    if rows.height == 0:
        return None
    if column in ("sickness_rate_pct", "self_certified_rate_pct", "doctor_certified_rate_pct"):
        r = _rates([pl.lit(year).alias("y")], rows).row(0, named=True)
        key = {"sickness_rate_pct": "rate", "self_certified_rate_pct": "egen"}.get(column, "lege")
        v = r[key]
        return None if v is None else float(v)
    if rows.schema[column].is_integer() and column not in ("headcount", "apprentices"):
        return float(rows[column].sum())
    return None


def revision_comparison(
    then: pl.DataFrame,
    now: pl.DataFrame,
    column: str,
    reported_at: datetime | None,
) -> Chart:
    """One KPI per period as reported at ``reported_at`` vs as known now.

    Only periods that had ended at ``reported_at``. The title compares the
    last full year before the report (rates from summed work-days, counts
    summed) and names the period that changed most.
    """
    label = LABELS.get(column, column)
    then, now = _ended_by(then, reported_at), _ended_by(now, reported_at)
    if now.height == 0:
        return _empty(label)
    every = _granularity(now)
    when = fmt_date(reported_at) if reported_at is not None else ""
    as_reported = f"Som rapportert {when}" if when else "Som rapportert"
    as_now = "Slik vi kjenner det nå"
    a = then.select("period_start", pl.col(column).cast(pl.Float64).alias("v")).with_columns(
        pl.lit(as_reported).alias("versjon")
    )
    b = now.select("period_start", pl.col(column).cast(pl.Float64).alias("v")).with_columns(
        pl.lit(as_now).alias("versjon")
    )
    data = _with_period(pl.concat([a, b]).sort("period_start"), every)
    pct = column.endswith("_pct")

    def fmt(x: float | None) -> str:
        return fmt_pct(x) if pct else fmt_int(x)

    diff = (
        b.join(a, on="period_start", how="left", suffix="_then")
        .with_columns((pl.col("v") - pl.col("v_then").fill_null(0.0)).abs().alias("d"))
        .sort("d", descending=True, nulls_last=True)
    )
    top = diff.row(0, named=True)
    year = reported_at.year - 1 if reported_at is not None else _last_year(now)
    assert year is not None
    y_then, y_now = _year_value(then, column, year), _year_value(now, column, year)
    small = 0.05 if pct else 0.5
    if reported_at is None:
        # One recording moment only: nothing was learnt later, say so plainly.
        text = f"{label}: ledgeren har bare ett registreringstidspunkt – ingenting å sammenligne"
        sub = ["Sett REPORTED_AT til tidspunktet en rapport ble laget."]
    elif top["d"] is None or top["d"] < small:
        text = f"{label} er uendret siden rapporteringen {when}"
        sub = []
    else:
        p = _with_period(diff.head(1), every)["periode"][0]
        sub = [f"Størst endring: {p}, fra {fmt(top['v_then'])} til {fmt(top['v'])}."]
        if y_then is not None and y_now is not None and abs(y_now - y_then) >= small:
            text = f"{label} {year}: {fmt(y_then)} som rapportert {when}, {fmt(y_now)} nå"
        else:
            text = f"{label} {p}: {fmt(top['v_then'])} som rapportert {when}, {fmt(top['v'])} nå"
    sub.append(
        "known_at: bare det som var registrert i ledgeren da (sene meldinger og "
        "tilbaketrekninger kommer etterpå)."
    )
    return _chart(
        alt.Chart(data)
        .mark_line(point=True)
        .encode(
            x=_x_period(every),
            y=alt.Y("v:Q", title=label, scale=alt.Scale(zero=False)),
            color=alt.Color(
                "versjon:N",
                title=None,
                legend=alt.Legend(orient="bottom", labelLimit=400),
                scale=alt.Scale(domain=[as_reported, as_now], range=["#999999", MAIN_COLOR]),
            ),
            strokeDash=alt.StrokeDash(
                "versjon:N",
                legend=None,
                scale=alt.Scale(domain=[as_reported, as_now], range=[[5, 3], [1, 0]]),
            ),
            tooltip=[
                alt.Tooltip("periode:N", title="Periode"),
                alt.Tooltip("versjon:N", title=""),
                alt.Tooltip("v:Q", title=label, format=".2f" if pct else ",d"),
            ],
        )
        .properties(title=_title(text, *sub), width=WIDTH, height=HEIGHT)
    )


def revision_events_chart(events: pl.DataFrame) -> Chart:
    """What arrived (or was retracted) after the report, per valid month and kind."""
    if events.height == 0:
        return _empty("Ingen hendelser i perioden er registrert eller trukket tilbake etterpå")
    by_kind = events.group_by("kind").agg(pl.col("events").sum()).sort("events", descending=True)
    total = int(by_kind["events"].sum())
    top = by_kind.row(0, named=True)
    retracted = int(events.filter(pl.col("change") == "trukket tilbake")["events"].sum())
    text = (
        f"{fmt_int(total)} hendelser i perioden kom til eller ble trukket tilbake etter "
        f"rapporteringen – flest {top['kind'].split(' (')[0].lower()} ({fmt_int(top['events'])})"
    )
    data = events.with_columns(
        pl.format("{} – {}", pl.col("kind").str.split(" (").list.first(), pl.col("change")).alias(
            "hva"
        ),
        pl.col("month").alias("period_start"),
    )
    data = _with_period(data, "month").sort("month")
    return _chart(
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X(
                "yearmonth(month):T",
                title="Virkningsmåned (når det skjedde)",
                axis=alt.Axis(format="%b %Y", labelAngle=0),
            ),
            y=alt.Y("events:Q", title="Hendelser", stack="zero"),
            color=alt.Color("hva:N", title=None, legend=alt.Legend(orient="bottom", columns=2)),
            tooltip=[
                alt.Tooltip("periode:N", title="Måned"),
                alt.Tooltip("kind:N", title="Type"),
                alt.Tooltip("change:N", title="Endring"),
                alt.Tooltip("events:Q", title="Hendelser", format=",d"),
                alt.Tooltip("last_recorded:T", title="Sist registrert", format="%d.%m.%Y"),
            ],
        )
        .properties(
            title=_title(text, f"Derav {fmt_int(retracted)} trukket tilbake (retracted)."),
            width=WIDTH,
            height=HEIGHT,
        )
    )
