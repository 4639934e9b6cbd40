"""Notebook 04: HMS deviations and personal injuries (HMS-avvik og personskader)."""

from __future__ import annotations

import altair as alt
import polars as pl

from projections.charts.common import (
    HEIGHT,
    HMS_CATEGORIES,
    LABELS,
    MAIN_COLOR,
    MIN_CELL,
    MONTHS,
    TARGET_COLOR,
    WIDTH,
    Chart,
    _chart,
    _empty,
    _group_label,
    _last_year,
    _n_hidden,
    _suppressed_note,
    _title,
    _with_period,
    _x_period,
    _year_rows,
    fmt_int,
    fmt_num,
    fmt_pct,
    suppress_small_cells,
    yearly_long,
)

_KIND_COLOR = alt.Color(
    "kind:N",
    title=None,
    legend=alt.Legend(orient="bottom"),
    scale=alt.Scale(domain=["HMS-avvik i alt", "Personskader"], range=[MAIN_COLOR, TARGET_COLOR]),
)
"""All deviations in the main colour, personal injuries in the alarm colour."""


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
        color=_KIND_COLOR,
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
            color=_KIND_COLOR,
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
    data = yearly_long(kpi, HMS_CATEGORIES, "cat", "antall")
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
