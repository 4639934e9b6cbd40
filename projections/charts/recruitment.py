"""Notebook 03: apprentices, hires, turnover and age (lærlinger og rekruttering)."""

from __future__ import annotations

from typing import Any

import altair as alt
import polars as pl

from projections.charts.common import (
    AGE_BANDS,
    HEIGHT,
    LABELS,
    MAIN_COLOR,
    MIN_CELL,
    WIDTH,
    Chart,
    _at_end,
    _chart,
    _empty,
    _first,
    _granularity,
    _group_label,
    _last_year,
    _n_hidden,
    _period_label,
    _rule,
    _suppressed_note,
    _title,
    _with_period,
    _x_period,
    _year_rows,
    fmt_date,
    fmt_int,
    fmt_pct,
    suppress_small_cells,
)


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
