"""Notebook 01: sickness absence against the target (sykefravær)."""

from __future__ import annotations

from typing import Any

import altair as alt
import polars as pl

from projections.charts.common import (
    CERT_COLORS,
    DURATION_BANDS,
    HEIGHT,
    LABELS,
    MAIN_COLOR,
    MIN_CELL,
    MONTHS,
    SHORT_MONTHS,
    WIDTH,
    Chart,
    _chart,
    _coarsen,
    _empty,
    _first,
    _group_label,
    _last_year,
    _n_hidden,
    _over_under,
    _rates,
    _rule,
    _suppressed_note,
    _title,
    _with_period,
    _x_period,
    _year_rows,
    fmt_int,
    fmt_pct,
    suppress_small_cells,
    yearly_long,
)


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
    data = yearly_long(kpi, DURATION_BANDS, "band", "tilfeller")
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
