"""Notebook 06: the auditor's time travel — a KPI as reported vs as known now."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Final

import altair as alt
import polars as pl

from projections.charts.common import (
    HEIGHT,
    LABELS,
    MAIN_COLOR,
    WIDTH,
    Chart,
    _chart,
    _empty,
    _granularity,
    _last_year,
    _period_label,
    _rates,
    _title,
    _with_period,
    _x_period,
    _year_rows,
    fmt_date,
    fmt_int,
    fmt_pct,
)
from projections.facts.source import Facts

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
    ``first_recorded``/``last_recorded`` say when the change was recorded:
    the late event's own recording, or for a retraction when the retraction
    was recorded (not when the retracted event was).
    """
    if reported_at is not None:  # only months that had ended when the report was made
        end = min(end, reported_at.date().replace(day=1) - timedelta(days=1))
    retracted_at = now.retraction.group_by(pl.col("target_event_id").alias("event_id")).agg(
        pl.col("recorded_at").min().alias("changed_at")
    )
    rows = []
    for name, col in _VALID_DATE.items():
        a, b = getattr(then, name), getattr(now, name)
        late = b.join(a.select("event_id"), on="event_id", how="anti")
        gone = a.join(b.select("event_id"), on="event_id", how="anti")
        for change, frame in (
            ("registrert senere", late.with_columns(pl.col("recorded_at").alias("changed_at"))),
            ("trukket tilbake", gone.join(retracted_at, on="event_id", how="left")),
        ):
            f = frame.filter(pl.col(col).is_between(start, end))
            if f.height:
                rows.append(
                    f.group_by(pl.col(col).dt.truncate("1mo").alias("month"))
                    .agg(
                        pl.len().alias("events"),
                        pl.col("changed_at").min().alias("first_recorded"),
                        pl.col("changed_at").max().alias("last_recorded"),
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


def _zero_unsigned(x: pl.Expr) -> pl.Expr:
    """No change is 0.0, never -0.0 (a tiny decrease rounds to -0.0)."""
    return pl.when(x == 0).then(pl.lit(0.0)).otherwise(x)


def revision_table(
    then: pl.DataFrame,
    now: pl.DataFrame,
    columns: Sequence[str],
    reported_at: datetime | None = None,
) -> pl.DataFrame:
    """KPI values as reported (``then``) and as known now, side by side, with the change
    (rounded to 2 decimals for display; no change is ``0.0``, not ``-0.0``).

    Both frames are KPI series of the same periods (no ``by``); one row per
    period and KPI (in the order of ``columns``), labelled in Norwegian; only
    periods that had ended at ``reported_at``.
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
            _zero_unsigned(
                (pl.col("nå").cast(pl.Float64) - pl.col("rapportert").cast(pl.Float64)).round(2)
            ).alias("endring"),
            pl.col("kpi").replace(LABELS).alias("nøkkeltall"),
        )
        .sort("period_start", pl.col("kpi").replace_strict(cols, list(range(len(cols)))))
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
