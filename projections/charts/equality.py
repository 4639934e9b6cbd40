"""Notebook 05: the equality report, likestillings- og diskrimineringsloven § 26."""

from __future__ import annotations

import altair as alt
import polars as pl

from projections.charts.common import (
    GENDER_COLORS,
    HEIGHT,
    MAIN_COLOR,
    MIN_CELL,
    WIDTH,
    Chart,
    _chart,
    _empty,
    _granularity,
    _rule,
    _title,
    _with_period,
    _x_period,
    fmt_int,
    fmt_num,
    fmt_pct,
)


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


def _count(frame: pl.DataFrame, col: str) -> int | None:
    """The count of a one-row table; 0 when the table is empty, None when suppressed."""
    if frame.height == 0:
        return 0
    v = frame[col][0]
    return None if v is None else int(v)


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
        # A suppressed cell has no count (None): show it as hidden, never as a number.
        n_part = _count(part, ncol)
        n_tmp = _count(tmp, ncol)
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
                "andel": None
                if n_tmp is None or 0 < n_tmp < MIN_CELL
                else share(tmp, "temporary", ncol, persons),
                "antall": None if n_tmp is None or 0 < n_tmp < MIN_CELL else n_tmp,
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
        if n is None:
            return f"{many} skjult (færre enn {MIN_CELL})"
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
