"""Tables in the notebooks, read like the charts: Norwegian numbers, dates and headers.

A polars frame displays with its dtype row, English column names, ``5041.4``
and ``2022-11-01``, and only the first and last rows of a longer table. The
functions here return a ``great_tables.GT`` instead: every row, headers from
the glossary (``charts.LABELS``), numbers as in the charts (``5 041,4``,
``9,1 %``, a no-break space between thousands), months as ``november 2022``,
times as ``15. februar 2023 kl. 09:00``, an empty cell as ``–``, and never
``-0,0``. The module is called ``tables`` so that a notebook's
``from projections import tables`` does not hide IPython's ``display``.

``show`` formats any frame; ``kpi``, ``revision``, ``equality``,
``batches`` and ``revision_events`` are the notebooks' tables.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime
from typing import Any, Final

import polars as pl
from great_tables import GT

from projections.charts.common import LABELS, MONTHS, fmt_date, kpi_table
from projections.charts.revision import revision_table

THOUSANDS: Final = "\u00a0"
DECIMAL: Final = ","
MISSING: Final = "–"

HEADERS: Final[dict[str, str]] = {
    **LABELS,
    "recorded_at": "Registrert",
    "events": "Hendelser",
    "kind": "Type",
    "change": "Endring",
    "month": "Virkningsmåned",
    "first_recorded": "Først registrert",
    "last_recorded": "Sist registrert",
    "periode": "Periode",
    "nøkkeltall": "Nøkkeltall",
    "rapportert": "Som rapportert",
    "nå": "Nå",
    "endring": "Endring",
}
PERCENT_HEADERS: Final = frozenset(
    label for key, label in LABELS.items() if key.endswith("_pct") or "_pct_" in key
)


# ------------------------------------------------------------------ general
def _month_or_day(d: date) -> str:
    """A first of the month is that month (``november 2022``), any other day the date."""
    if d.day == 1:
        return f"{MONTHS[d.month - 1]} {d.year}"
    return fmt_date(d)


def _dates_as_text(frame: pl.DataFrame) -> pl.DataFrame:
    """Date, time and yes/no columns as Norwegian text (great_tables has no Norwegian)."""
    exprs = []
    for name, dtype in frame.schema.items():
        col = pl.col(name)
        if dtype == pl.Date:
            exprs.append(col.map_elements(_month_or_day, return_dtype=pl.String))
        elif isinstance(dtype, pl.Datetime):
            exprs.append(col.map_elements(fmt_date, return_dtype=pl.String))
        elif dtype == pl.Boolean:
            exprs.append(pl.when(col).then(pl.lit("ja")).when(~col).then(pl.lit("nei")).alias(name))
    return frame.with_columns(exprs) if exprs else frame


def _no_negative_zero(frame: pl.DataFrame, decimals: int) -> pl.DataFrame:
    """Round floats to what is shown, then turn ``-0.0`` into ``0.0``."""
    floats = [n for n, t in frame.schema.items() if t.is_float()]
    return frame.with_columns(
        pl.when(pl.col(n).round(decimals) == 0)
        .then(pl.lit(0.0))
        .otherwise(pl.col(n).round(decimals))
        .alias(n)
        for n in floats
    )


def _all_whole(values: pl.Series) -> bool:
    """A float column of whole numbers only (a target of 160.0) shows as integers."""
    v = values.drop_nulls()
    return v.len() > 0 and bool((v % 1 == 0).all())


def _number_kwargs(decimals: int) -> dict[str, Any]:
    return {"decimals": decimals, "sep_mark": THOUSANDS, "dec_mark": DECIMAL}


def show(
    frame: pl.DataFrame,
    *,
    title: str | None = None,
    subtitle: str | None = None,
    decimals: int = 1,
    percent: Collection[str] = (),
    note: str | None = None,
) -> GT:
    """``frame`` as a Norwegian table: headers from the glossary, every row shown.

    Integer columns (and float columns of whole numbers only) get thousands
    separators, other float columns ``decimals`` decimals; columns in
    ``percent`` (after renaming) or whose glossary label is a percentage get
    `` %``.
    """
    renamed = frame.rename({c: HEADERS[c] for c in frame.columns if c in HEADERS})
    data = _dates_as_text(_no_negative_zero(renamed, decimals))
    pct = [c for c in data.columns if c in PERCENT_HEADERS or c in percent]
    numeric = [n for n, t in data.schema.items() if t.is_numeric()]
    pct = [c for c in numeric if c in pct]
    # whole numbers as given, not after rounding (an FTE of 150.04 keeps its decimal)
    whole = [n for n in numeric if renamed.schema[n].is_float() and _all_whole(renamed[n])]
    ints = [n for n in numeric if (data.schema[n].is_integer() or n in whole) and n not in pct]
    floats = [n for n in numeric if n not in pct and n not in ints]
    gt = GT(data)
    if ints:
        gt = gt.fmt_integer(ints, sep_mark=THOUSANDS)
    if floats:
        gt = gt.fmt_number(floats, **_number_kwargs(decimals))
    if pct:
        gt = gt.fmt_number(pct, pattern="{x}\u00a0%", **_number_kwargs(decimals))
    if numeric:
        gt = gt.cols_align("right", numeric)
    gt = gt.sub_missing(missing_text=MISSING)
    if title:
        gt = gt.tab_header(title=title, subtitle=subtitle)
    if note:
        gt = gt.tab_source_note(note)
    return gt


# ------------------------------------------------------------- the notebooks
def kpi(
    frame: pl.DataFrame,
    columns: Sequence[str],
    by: str | None = None,
    *,
    sort: str | None = None,
    top: int | None = None,
    title: str | None = None,
) -> GT:
    """A KPI frame as a table (``charts.kpi_table``): the highest ``top`` by ``sort`` first."""
    table = kpi_table(frame, columns, by=by)
    if sort is not None:
        table = table.sort(HEADERS.get(sort, sort), descending=True, nulls_last=True)
    if top is not None:
        table = table.head(top)
    return show(table, title=title)


def revision(
    then: pl.DataFrame,
    now: pl.DataFrame,
    columns: Sequence[str],
    reported_at: datetime | None = None,
) -> GT:
    """KPIs as reported and as known now (``charts.revision_table``), each row in its unit.

    Rates show two decimals and the change in points (``+0,29 poeng``),
    counts as whole numbers, FTE with two decimals; no change shows as ``0``.
    """
    table = _no_negative_zero(revision_table(then, now, columns, reported_at), 2)
    values = ["rapportert", "nå", "endring"]
    is_pct = table["nøkkeltall"].is_in(list(PERCENT_HEADERS))
    whole = pl.all_horizontal([(pl.col(c).fill_null(0.0) % 1 == 0) for c in values])
    kinds = table.select(
        pl.when(is_pct).then(pl.lit("pct")).when(whole).then(pl.lit("int")).otherwise(pl.lit("dec"))
    ).to_series()
    rows = {k: [i for i, v in enumerate(kinds) if v == k] for k in ("pct", "int", "dec")}
    data = table.rename({c: HEADERS[c] for c in table.columns})
    level, change = [HEADERS["rapportert"], HEADERS["nå"]], HEADERS["endring"]
    gt = GT(data)
    if rows["pct"]:
        gt = gt.fmt_number(level, rows=rows["pct"], pattern="{x}\u00a0%", **_number_kwargs(2))
        gt = gt.fmt_number(
            change, rows=rows["pct"], pattern="{x}\u00a0poeng", force_sign=True, **_number_kwargs(2)
        )
    if rows["int"]:
        gt = gt.fmt_integer(level, rows=rows["int"], sep_mark=THOUSANDS)
        gt = gt.fmt_integer(change, rows=rows["int"], sep_mark=THOUSANDS, force_sign=True)
    if rows["dec"]:
        gt = gt.fmt_number([*level, change], rows=rows["dec"], **_number_kwargs(2))
    return (
        gt.cols_align("right", [*level, change])
        .sub_missing(missing_text=MISSING)
        .tab_source_note(
            "Endring i prosentpoeng for andeler; 0 betyr at tallet er det samme som rapportert."
        )
    )


def batches(frame: pl.DataFrame, reported_at: datetime | None = None) -> GT:
    """When the ledger learned its facts (``charts.recording_batches``), and which
    moment counts as "as reported" (``charts.reported_at``)."""
    when = (
        f"Som rapportert: {fmt_date(reported_at)} (UTC)"
        if reported_at is not None
        else "Som rapportert: ett registreringstidspunkt – ingenting å sammenligne"
    )
    return show(frame, title="Innlesinger", subtitle=when)


def revision_events(frame: pl.DataFrame) -> GT:
    """What changed after the report (``charts.revision_events``), per kind and valid month."""
    return show(
        frame,
        note=(
            "Registrert: når ledgeren fikk vite om endringen – for en tilbaketrekning "
            "når tilbaketrekningen ble registrert (UTC)."
        ),
    )


_EQUALITY_TABLES: Final = {
    "gender_balance": ("Kjønnsbalanse (personer)", "count"),
    "level": ("Ledere og andre (personer)", "count"),
    "part_time": ("Heltid og deltid (arbeidsforhold)", "count"),
    "temporary": ("Midlertidig ansatte (personer)", "count"),
    "pay": ("Gjennomsnittlig årslønn i 100 % stilling (kr)", "count"),
    "parental_leave": ("Foreldrepermisjon: uker i snitt per person", "weeks"),
}
_EQUALITY_GROUPS: Final = {
    "all": "Alle",
    "total": "Alle stillinger",
    "leader": "Ledere",
    "other": "Andre",
    "full_time": "Heltid",
    "part_time": "Deltid",
    "temporary": "Midlertidige",
}


def equality(report: pl.DataFrame, year: int) -> GT:
    """The § 26 tables (``Projection.equality_report``), one section per table.

    Cells suppressed for privacy (fewer than 5 women or men) are left out and
    counted in a note, as the charts do.
    """
    known = report.filter(pl.col("table").is_in(list(_EQUALITY_TABLES)))
    hidden = known.filter(pl.col("suppressed"))
    shown = known.filter(~pl.col("suppressed")).with_columns(
        pl.col("table").replace_strict({k: v[0] for k, v in _EQUALITY_TABLES.items()}),
        pl.col("group").replace(_EQUALITY_GROUPS),
    )
    data = _no_negative_zero(
        shown.select(
            pl.col("table"),
            pl.col("group").alias("Gruppe"),
            pl.col("women").alias("Kvinner"),
            pl.col("men").alias("Menn"),
            pl.col("total").alias("I alt"),
            pl.col("women_pct").alias("Kvinner, %"),
            pl.col("n_women").alias("Antall kvinner"),
            pl.col("n_men").alias("Antall menn"),
        ),
        1,
    )
    weeks_title = _EQUALITY_TABLES["parental_leave"][0]
    weeks = [i for i, t in enumerate(data["table"]) if t == weeks_title]
    counts = [i for i in range(data.height) if i not in weeks]
    values = ["Kvinner", "Menn", "I alt"]
    gt = GT(data, groupname_col="table", rowname_col="Gruppe")
    if counts:
        gt = gt.fmt_integer(values, rows=counts, sep_mark=THOUSANDS)
    if weeks:
        gt = gt.fmt_number(values, rows=weeks, **_number_kwargs(1))
    gt = (
        gt.fmt_number(["Kvinner, %"], pattern="{x}\u00a0%", **_number_kwargs(1))
        .fmt_integer(["Antall kvinner", "Antall menn"], sep_mark=THOUSANDS)
        .sub_missing(missing_text=MISSING)
        .tab_header(
            title=f"Likestillingsrapport {year}",
            subtitle="Likestillings- og diskrimineringsloven § 26, per 31. desember",
        )
        .tab_source_note(
            "Kvinner, %: kvinners andel – i lønnstabellen kvinners lønn i prosent av menns."
        )
    )
    for note in _hidden_notes(hidden):
        gt = gt.tab_source_note(note)
    return gt


def _hidden_notes(hidden: pl.DataFrame) -> list[str]:
    """Say what privacy left out: whole tables by name, pay rows by count."""
    if hidden.height == 0:
        return []
    parts = []
    for table, (title, _) in _EQUALITY_TABLES.items():
        rows = hidden.filter(pl.col("table") == table)
        if rows.height == 0:
            continue
        if table == "pay":
            n = rows.height
            parts.append(f"{n} stillingsgruppe{'' if n == 1 else 'r'} i lønnstabellen")
        else:
            parts.append(title.split(" (")[0].lower())
    return ["Ikke vist (færre enn 5 kvinner eller menn, personvern): " + "; ".join(parts) + "."]
