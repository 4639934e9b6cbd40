"""The notebooks' tables read like the charts: Norwegian numbers, dates and headers, all rows."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime

import polars as pl

from projections import tables
from tests.unit.test_charts import equality_report, kpi_frame, years

NBSP = "\u00a0"


def cells(gt: object) -> list[list[str]]:
    """The table's rows as text, header and notes included, spaces normalised."""
    raw = gt.as_raw_html()  # type: ignore[attr-defined]
    rows = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", raw, re.S):
        texts = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)
        rows.append([html.unescape(re.sub(r"<[^>]+>", "", t)).strip() for t in texts])
    return rows


def body(gt: object) -> list[list[str]]:
    """Data rows only: those with more than one cell, after the header row."""
    return [r for r in cells(gt)[1:] if len(r) > 1]


def test_numbers_dates_and_headers_are_norwegian() -> None:
    frame = pl.DataFrame(
        {
            "headcount": [5041, 12],
            "fte": [5041.44, -0.001],
            "sickness_rate_pct": [9.12, None],
            "month": [date(2022, 11, 1), date(2023, 2, 1)],
            "recorded_at": [
                datetime(2023, 2, 15, 9, 0, tzinfo=UTC),
                datetime(2023, 1, 20, 9, 0, tzinfo=UTC),
            ],
            "suppressed": [True, False],
            "apprentice_target": [160.0, None],
        }
    )
    gt = tables.show(frame)
    head = cells(gt)[0]
    assert head[:4] == ["Ansatte", "Årsverk", "Sykefravær", "Virkningsmåned"]
    assert body(gt) == [
        [f"5{NBSP}041", f"5{NBSP}041,4", f"9,1{NBSP}%", "november 2022",
         "15. februar 2023 kl. 09:00", "ja", "160"],
        ["12", "0,0", "–", "februar 2023", "20. januar 2023 kl. 09:00", "nei", "–"],
    ]  # fmt: skip
    raw = gt.as_raw_html()
    assert "-0,0" not in raw and "\u22120,0" not in raw
    for dtype in ("i64", "f64", "str", "date", "datetime"):  # no dtype row
        assert f">{dtype}" not in raw


def test_top_15_shows_15_rows_highest_first() -> None:
    units = [f"Virksomhet {i:02d}" for i in range(20)]
    frame = pl.concat(
        kpi_frame(years(2023, 2023), by="unit", groups=[u], rate=float(i))
        for i, u in enumerate(units)
    )
    gt = tables.kpi(frame, ["headcount", "sickness_rate_pct"], by="unit",
                    sort="sickness_rate_pct", top=15)  # fmt: skip
    rows = body(gt)
    assert len(rows) == 15
    assert rows[0] == ["2023", "Virksomhet 19", "100", f"19,0{NBSP}%"]
    assert rows[-1][1] == "Virksomhet 05"


def test_revision_rows_in_their_own_units_and_no_minus_zero() -> None:
    t1 = datetime(2023, 1, 20, 9, tzinfo=UTC)
    now = kpi_frame(years(2022, 2022), fte=258.5, rate=9.26, hms_deviations=250)
    then = now.with_columns(
        pl.lit(8.97).alias("sickness_rate_pct"),
        pl.lit(247).alias("hms_deviations"),
        pl.lit(258.504).alias("fte"),  # rounds to a change of -0.0
    )
    gt = tables.revision(then, now, ["headcount", "fte", "sickness_rate_pct", "hms_deviations"], t1)
    rows = {r[1]: r for r in body(gt)}
    assert rows["Sykefravær"] == ["2022", "Sykefravær", f"8,97{NBSP}%", f"9,26{NBSP}%",
                                  f"+0,29{NBSP}poeng"]  # fmt: skip
    assert rows["HMS-avvik"][2:] == ["247", "250", "+3"]
    assert rows["Ansatte"][2:] == ["100", "100", "0"]
    assert rows["Årsverk"][2:] == ["258,50", "258,50", "0,00"]


def test_equality_report_in_sections_with_hidden_cells_counted() -> None:
    gt = tables.equality(equality_report(), 2022)
    text = [" | ".join(r) for r in cells(gt)]
    assert text[0] == "Likestillingsrapport 2022"
    assert "Gjennomsnittlig årslønn i 100 % stilling (kr)" in text
    assert f"Alle stillinger | 558{NBSP}000 | 600{NBSP}000 | 566{NBSP}000 | 93,0{NBSP}% | " \
           f"5{NBSP}000 | 1{NBSP}100" in text  # fmt: skip
    assert "Alle | 30,0 | 9,0 | – | – | 184 | 9" in text  # parental leave: weeks
    assert not any(r.startswith("Rådmann") for r in text)
    assert text[-1] == (
        "Ikke vist (færre enn 5 kvinner eller menn, personvern): 1 stillingsgruppe i lønnstabellen."
    )


def test_batches_say_which_moment_is_as_reported() -> None:
    frame = pl.DataFrame(
        {"recorded_at": [datetime(2023, 1, 20, 9, tzinfo=UTC)], "events": [25026]},
        schema={"recorded_at": pl.Datetime("us", "UTC"), "events": pl.UInt32},
    )
    gt = tables.batches(frame, datetime(2023, 1, 20, 9, tzinfo=UTC))
    text = [" | ".join(r) for r in cells(gt)]
    assert "Som rapportert: 20. januar 2023 kl. 09:00 (UTC)" in text
    assert f"20. januar 2023 kl. 09:00 | 25{NBSP}026" in text
