"""Notebook 02: full-time share and position sizes (heltid og stillingsstørrelse)."""

from __future__ import annotations

from typing import Any

import altair as alt
import polars as pl

from projections.charts.common import (
    GENDER_COLORS,
    GENDER_LABELS,
    HEIGHT,
    LABELS,
    MAIN_COLOR,
    MIN_CELL,
    POSITION_BANDS,
    WIDTH,
    Chart,
    _at_end,
    _chart,
    _empty,
    _granularity,
    _group_label,
    _n_hidden,
    _over_under,
    _rule,
    _suppressed_note,
    _title,
    _with_period,
    _x_period,
    fmt_int,
    fmt_pct,
)


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
