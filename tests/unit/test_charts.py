"""Chart builders: literal polars frames in, altair specs checked (marks, encodings, titles)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import altair as alt
import polars as pl
import pytest

from projections import charts
from projections.facts.schema import KPI_CONTRACT
from projections.facts.source import Facts

# --------------------------------------------------------------- frames


def months(year_from: int, year_to: int) -> list[tuple[date, date]]:
    out = []
    for y in range(year_from, year_to + 1):
        for m in range(1, 13):
            end = date(y + (m == 12), m % 12 + 1, 1).toordinal() - 1
            out.append((date(y, m, 1), date.fromordinal(end)))
    return out


def kpi_frame(
    periods: list[tuple[date, date]],
    *,
    by: str | None = None,
    groups: list[str] | None = None,
    rate: float = 9.3,
    **overrides: Any,
) -> pl.DataFrame:
    """A KPI frame with the interchange columns only (no extras), constant values."""
    rows = []
    for g in groups or [None]:
        for start, end in periods:
            row: dict[str, Any] = {"period_start": start, "period_end": end}
            if by is not None:
                row[by] = g
            row.update(
                headcount=100,
                fte=85.0,
                sickness_rate_pct=rate,
                self_certified_rate_pct=rate * 0.2,
                doctor_certified_rate_pct=rate * 0.8,
                sickness_target_pct=6.5,
                fulltime_share_pct=53.1,
                avg_position_pct=84.0,
                apprentices=86,
                apprentice_target=160.0,
                women=81,
                men=19,
                women_pay_pct_of_men=93.0,
                hms_deviations=40,
                personal_injuries=2,
                parental_leave_women=3,
                parental_leave_men=1,
                hires=5,
                terminations=4,
            )
            row.update(overrides)
            rows.append(row)
    schema: dict[str, Any] = {"period_start": pl.Date, "period_end": pl.Date}
    if by is not None:
        schema[by] = pl.String
    schema.update(dict(KPI_CONTRACT.items()))
    return pl.DataFrame(rows, schema=schema)


def years(year_from: int, year_to: int) -> list[tuple[date, date]]:
    return [(date(y, 1, 1), date(y, 12, 31)) for y in range(year_from, year_to + 1)]


def with_extras(frame: pl.DataFrame) -> pl.DataFrame:
    """The extra columns the projections add (duration bands, leaders, ages, HMS categories)."""
    return frame.with_columns(
        pl.lit(1000.0).alias("agreed_workdays"),
        (10 * pl.col("self_certified_rate_pct")).alias("lost_workdays_self"),
        (10 * pl.col("doctor_certified_rate_pct")).alias("lost_workdays_doctor"),
        pl.lit(60).alias("sick_occurrences_1_3"),
        pl.lit(30).alias("sick_occurrences_4_16"),
        pl.lit(7).alias("sick_occurrences_17_56"),
        pl.lit(3).alias("sick_occurrences_over_56"),
        pl.lit(60).alias("fulltime_persons"),
        pl.lit(90).alias("permanent_persons"),
        pl.lit(71).alias("leaders_women"),
        pl.lit(29).alias("leaders_men"),
        pl.lit(30).alias("age_under_35"),
        pl.lit(35).alias("age_35_49"),
        pl.lit(25).alias("age_50_60"),
        pl.lit(10).alias("age_over_60"),
        pl.lit(98).alias("headcount_start"),
        pl.lit(20).alias("hms_violence_threat"),
        pl.lit(10).alias("hms_near_miss"),
        pl.lit(5).alias("hms_property_damage"),
        pl.lit(3).alias("hms_other"),
    )


EMPTY = kpi_frame([])


def equality_report() -> pl.DataFrame:
    rows = [
        ("gender_balance", "all", 5116, 1164, 5116.0, 1164.0, 6280.0, 81.5, False),
        ("temporary", "temporary", 300, 60, 300.0, 60.0, 360.0, 83.3, False),
        ("part_time", "full_time", 2415, 737, 2415.0, 737.0, 3152.0, 76.6, False),
        ("part_time", "part_time", 3150, 511, 3150.0, 511.0, 3661.0, 86.0, False),
        ("parental_leave", "all", 184, 9, 30.0, 9.0, None, None, False),
        ("pay", "total", 5000, 1100, 558000.0, 600000.0, 566000.0, 93.0, False),
        ("pay", "Sykepleier", 900, 80, 600000.0, 620000.0, 601000.0, 96.8, False),
        ("pay", "Lærer", 700, 200, 620000.0, 640000.0, 624000.0, 96.9, False),
        ("pay", "Rådmann", 0, 1, None, None, None, None, True),
        ("level", "leader", 226, 94, 226.0, 94.0, 320.0, 70.6, False),
    ]
    cols = [
        "table",
        "group",
        "n_women",
        "n_men",
        "women",
        "men",
        "total",
        "women_pct",
        "suppressed",
    ]
    return pl.DataFrame(rows, schema=cols, orient="row")


def roster(n: int) -> pl.DataFrame:
    pct = [100.0, 80.0, 50.0, 30.0, 10.0]
    return pl.DataFrame(
        {
            "employee_id": [f"E{i}" for i in range(n)],
            "employment_id": [f"E{i}-1" for i in range(n)],
            "gender": ["F" if i % 5 else "M" for i in range(n)],
            "employment_type": ["apprentice" if i % 50 == 0 else "permanent" for i in range(n)],
            "position_pct": [pct[i % 5] for i in range(n)],
        }
    )


# --------------------------------------------------------------- spec helpers


def spec(chart: Any) -> dict[str, Any]:
    d: dict[str, Any] = chart.to_dict()  # fails on > 5000 rows: the builders must aggregate
    return d


def walk(node: Any, data: Any = None) -> list[dict[str, Any]]:
    """Every (sub)spec dict that has a mark, with the data it inherits from its layer."""
    found = []
    if isinstance(node, dict):
        data = node.get("data", data)
        if "mark" in node:
            found.append({**node, "data": data or {}})
        for k, v in node.items():
            if k != "data":
                found += walk(v, data)
    elif isinstance(node, list):
        for v in node:
            found += walk(v, data)
    return found


def marks(d: dict[str, Any]) -> set[str]:
    return {m["mark"] if isinstance(m["mark"], str) else m["mark"]["type"] for m in walk(d)}


def channels(d: dict[str, Any]) -> set[str]:
    out: set[str] = set()
    for m in walk(d):
        out |= set(m.get("encoding", {}))
    out |= set(d.get("encoding", {}))
    return out


def title(d: dict[str, Any]) -> str:
    t = d["title"]
    return str(t["text"] if isinstance(t, dict) else t)


def subtitle(d: dict[str, Any]) -> str:
    t = d["title"]
    s = t.get("subtitle", []) if isinstance(t, dict) else []
    return " ".join([s] if isinstance(s, str) else s)


def data_rows(d: dict[str, Any]) -> int:
    """The largest inline dataset of the spec."""
    return max((len(v) for v in d.get("datasets", {}).values()), default=0)


def rules(d: dict[str, Any]) -> list[float]:
    """Values of the dashed target rules."""
    out = []
    datasets = d.get("datasets", {})
    for m in walk(d):
        mark = m["mark"]
        if (mark if isinstance(mark, str) else mark["type"]) == "rule":
            name = m.get("data", {}).get("name")
            out += [row["v"] for row in datasets.get(name, [])]
    return out


def tooltips(d: dict[str, Any]) -> bool:
    return any("tooltip" in m.get("encoding", {}) for m in walk(d))


# --------------------------------------------------------------- formatting


def test_norwegian_number_formats() -> None:
    assert charts.fmt_pct(9.3) == "9,3 %"
    assert charts.fmt_int(6280) == "6 280"
    assert charts.fmt_num(5009.46, 1) == "5 009,5"
    assert charts.fmt_pct(None) == "–"
    assert charts.fmt_date(date(2023, 1, 20)) == "20. januar 2023"


def test_suppress_small_cells_drops_cells_under_five() -> None:
    f = pl.DataFrame({"unit": ["a", "b", "c", "d"], "n": [4, 5, None, 12]})
    out = charts.suppress_small_cells(f, "n")
    assert out["unit"].to_list() == ["b", "d"]
    assert charts.suppress_small_cells(f, "n", min_count=10)["unit"].to_list() == ["d"]


# --------------------------------------------------------------- 01 sykefravær


def test_sickness_trend_states_finding_and_draws_target() -> None:
    k = pl.concat([kpi_frame(months(2021, 2021), rate=8.9), kpi_frame(months(2022, 2022))])
    d = spec(charts.sickness_trend(k))
    assert title(d) == "Sykefraværet 2022 var 9,3 % – 2,8 poeng over målet på 6,5 %"
    assert "Opp fra 8,9 % i 2021" in subtitle(d)
    assert {"line", "rule", "text"} <= marks(d)
    assert rules(d) == [6.5]
    assert {"x", "y", "tooltip"} <= channels(d)


def test_sickness_trend_under_target_and_from_work_day_sums() -> None:
    k = with_extras(kpi_frame(months(2023, 2023), rate=5.0))
    d = spec(charts.sickness_trend(k))
    assert title(d) == "Sykefraværet 2023 var 5,0 % – 1,5 poeng under målet på 6,5 %"


def test_sickness_trend_long_series_is_coarsened() -> None:
    k = kpi_frame(months(1980, 2023))  # 528 months
    d = spec(charts.sickness_trend(k))
    assert data_rows(d) <= charts.MAX_POINTS
    assert title(d).startswith("Sykefraværet 2023 var 9,3 %")


def test_self_vs_doctor_share() -> None:
    d = spec(charts.sickness_self_vs_doctor(kpi_frame(months(2022, 2022), rate=10.0)))
    assert title(d) == "Legemeldt fravær sto for 80 % av sykefraværet i 2022 (8,0 % av 10,0 %)"
    assert "area" in marks(d)
    assert {"x", "y", "color", "tooltip"} <= channels(d)


def test_duration_bands() -> None:
    d = spec(charts.sickness_duration_bands(with_extras(kpi_frame(years(2021, 2022)))))
    assert title(d) == "10 % av fraværstilfellene i 2022 varte mer enn 16 dager (10 av 100)"
    assert "bar" in marks(d)
    assert {"xOffset", "color"} <= channels(d)


def test_sickness_by_unit_top_and_suppression() -> None:
    k = kpi_frame(years(2022, 2022), by="unit", groups=["A", "B", "C"])
    k = k.with_columns(
        pl.when(pl.col("unit") == "A").then(12.0).otherwise(5.0).alias("sickness_rate_pct"),
        pl.when(pl.col("unit") == "C").then(3).otherwise(50).alias("headcount"),
    ).with_columns(
        (pl.col("sickness_rate_pct") * 0.2).alias("self_certified_rate_pct"),
        (pl.col("sickness_rate_pct") * 0.8).alias("doctor_certified_rate_pct"),
    )
    d = spec(charts.sickness_by_group(k, "unit", top=15))
    assert title(d) == ("1 av 2 virksomheter lå over målet på 6,5 % i 2022; høyest: A med 12,0 %")
    assert "1 virksomhet med færre enn 5 ansatte er ikke vist" in subtitle(d)
    assert rules(d) == [6.5]
    names = {r["gruppe"] for rows in d["datasets"].values() for r in rows if "gruppe" in r}
    assert names == {"A", "B"}  # C (3 persons) suppressed


def test_sickness_by_unit_aggregates_large_frames() -> None:
    units = [f"Enhet {i}" for i in range(120)]
    k = kpi_frame(months(2019, 2023), by="unit", groups=units)  # 7,200 rows
    assert k.height > 5000
    d = spec(charts.sickness_by_group(k, "unit", top=15))
    assert data_rows(d) == 15
    assert "De 15 virksomheter lengst over målet av 120" in subtitle(d)


def test_seasonality_names_peak_and_low_month() -> None:
    k = (
        kpi_frame(months(2021, 2022))
        .with_columns(
            pl.when(pl.col("period_start").dt.month() == 1)
            .then(12.0)
            .when(pl.col("period_start").dt.month() == 7)
            .then(4.0)
            .otherwise(8.0)
            .alias("sickness_rate_pct")
        )
        .with_columns(
            (pl.col("sickness_rate_pct") * 0.5).alias("self_certified_rate_pct"),
            (pl.col("sickness_rate_pct") * 0.5).alias("doctor_certified_rate_pct"),
        )
    )
    d = spec(charts.sickness_seasonality(k))
    assert title(d) == "Sykefraværet er høyest i januar (12,0 %) og lavest i juli (4,0 %)"
    assert data_rows(d) == 24


# --------------------------------------------------------------- 02 heltid


def test_fulltime_trend_baseline_or_goal() -> None:
    k = kpi_frame(years(2021, 2022)).with_columns(pl.Series("fulltime_share_pct", [52.5, 53.1]))
    d = spec(charts.fulltime_trend(k))
    assert title(d) == "Heltidsandelen økte fra 52,5 % i 2021 til 53,1 % i 2022"
    assert rules(d) == [52.5]
    g = spec(charts.fulltime_trend(k, goal_pct=60.0))
    assert title(g).endswith("6,9 poeng under målet på 60,0 %")
    assert rules(g) == [60.0]


def test_fulltime_by_gender() -> None:
    k = kpi_frame(years(2022, 2022), by="gender", groups=["F", "M"]).with_columns(
        pl.when(pl.col("gender") == "F").then(43.4).otherwise(59.1).alias("fulltime_share_pct")
    )
    d = spec(charts.fulltime_by_group(k, "gender"))
    assert title(d) == "Menn har oftere heltid: 59,1 % mot 43,4 % for kvinner i 2022"
    assert {"color", "tooltip"} <= channels(d)


def test_position_size_distribution_aggregates_roster() -> None:
    d = spec(charts.position_size_distribution(roster(20_000)))
    assert data_rows(d) <= 10
    assert title(d) == "8 000 arbeidsforhold (41 %) er små stillinger under 50 %"


def test_parttime_trend() -> None:
    k = with_extras(kpi_frame(years(2021, 2022))).with_columns(
        pl.Series("permanent_persons", [90, 100])
    )
    d = spec(charts.parttime_trend(k))
    assert title(d).startswith("Antall fast ansatte på deltid økte med 10 fra 2021 til 2022")


# --------------------------------------------------------------- 03 lærlinger


def test_apprentices_vs_target() -> None:
    d = spec(charts.apprentices_trend(kpi_frame(years(2021, 2022))))
    assert title(d) == "86 lærlinger ved utgangen av 2022 – 74 under måltallet på 160"
    assert rules(d) == [160.0]
    assert "bar" in marks(d)


def test_hires_and_turnover_by_sector() -> None:
    k = with_extras(kpi_frame(years(2022, 2022), by="sector", groups=["Oppvekst", "Helse"]))
    k = k.with_columns(
        pl.when(pl.col("sector") == "Helse").then(20).otherwise(4).alias("terminations")
    )
    d = spec(charts.hires_and_turnover(k, "sector"))
    assert title(d) == "Høyest turnover i 2022: Helse med 20,2 % (20 avganger, 5 nyansatte)"
    assert {"yOffset", "color"} <= channels(d)


def test_age_distribution() -> None:
    d = spec(charts.age_distribution(with_extras(kpi_frame(years(2022, 2023)))))
    assert title(d) == "10 % av de ansatte var over 60 år og 30 % under 35 år (2023)"
    s = spec(
        charts.age_distribution(
            with_extras(kpi_frame(years(2023, 2023), by="sector", groups=["A", "B"])), by="sector"
        )
    )
    assert data_rows(s) == 8


# --------------------------------------------------------------- 04 HMS


def test_hms_by_year() -> None:
    k = kpi_frame(years(2021, 2022)).with_columns(
        pl.Series("hms_deviations", [3822, 5000]), pl.Series("personal_injuries", [246, 252])
    )
    d = spec(charts.hms_by_year(k))
    assert title(d) == (
        "5 000 HMS-avvik i 2022 (mot 3 822 i 2021), hvorav 252 personskader (246 året før)"
    )
    assert {"bar", "text"} <= marks(d)


def test_hms_monthly_and_categories() -> None:
    m = spec(charts.hms_monthly(kpi_frame(months(2022, 2022))))
    assert title(m).startswith("I snitt 40 avvik per måned i 2022")
    c = spec(charts.hms_by_category(with_extras(kpi_frame(years(2022, 2022)))))
    assert title(c) == "Vold og trusler er den største kategorien i 2022: 20 av 40 avvik (50 %)"


def test_hms_per_100_by_unit() -> None:
    units = [f"Enhet {i}" for i in range(300)]
    k = kpi_frame(months(2022, 2023), by="unit", groups=units)  # 7,200 rows
    d = spec(charts.hms_per_100(k, "unit", top=10))
    assert data_rows(d) == 20  # 10 units × (avvik, personskader)
    assert "per 100 ansatte: 480,0 i 2022–2023" in title(d)


# --------------------------------------------------------------- 05 likestilling


def test_gender_balance() -> None:
    k = with_extras(kpi_frame(years(2022, 2022), women=5116, men=1164)).with_columns(
        pl.lit(226).alias("leaders_women"), pl.lit(94).alias("leaders_men")
    )
    d = spec(charts.gender_balance(k))
    assert title(d) == "81 % kvinner blant de ansatte og 71 % blant lederne (2022)"
    assert "column" in channels(d)


def test_pay_ratio_hides_suppressed_groups_and_draws_equal_pay() -> None:
    d = spec(charts.pay_ratio(equality_report(), 2022))
    assert title(d) == (
        "Kvinner tjener i gjennomsnitt 93 % av menns lønn i 2022; "
        "lavest i gruppen Sykepleier (97 %)"
    )
    assert rules(d) == [100.0]
    assert "1 stillingsgrupper er skjult" in subtitle(d)
    names = {r["gruppe"] for rows in d["datasets"].values() for r in rows if "gruppe" in r}
    assert "Rådmann" not in names


def test_pay_ratio_trend() -> None:
    k = kpi_frame(years(2021, 2022)).with_columns(pl.Series("women_pay_pct_of_men", [92.8, 93.0]))
    d = spec(charts.pay_ratio_trend(k))
    assert title(d) == "Kvinners lønn i % av menns: 93,0 % i 2022 (mot 92,8 % i 2021)"
    assert rules(d) == [100.0]


def test_parttime_temporary_and_parental_leave() -> None:
    r = equality_report()
    d = spec(charts.parttime_and_temporary_by_gender(r, 2022))
    assert title(d) == "57 % av kvinnenes arbeidsforhold er deltid, mot 41 % av mennenes i 2022"
    assert "row" in channels(d)
    p = spec(charts.parental_leave_weeks(r, 2022))
    assert title(p) == (
        "Foreldrepermisjon i 2022: 184 kvinner i snitt 30 uker, 9 menn i snitt 9 uker"
    )
    hidden = r.with_columns(
        pl.when(pl.col("table") == "parental_leave")
        .then(None)
        .otherwise(pl.col("women"))
        .alias("women"),
        pl.when(pl.col("table") == "parental_leave")
        .then(None)
        .otherwise(pl.col("men"))
        .alias("men"),
    )
    assert "Foreldrepermisjon i 2022" in title(spec(charts.parental_leave_weeks(hidden, 2022)))


def test_suppressed_counts_are_shown_as_hidden_not_as_numbers() -> None:
    """A published report hides the counts of small cells (None), not just the values."""
    tiny = pl.col("table").is_in(["temporary", "parental_leave"])
    r = equality_report().with_columns(
        pl.when(tiny).then(None).otherwise(pl.col("n_men")).alias("n_men"),
        pl.when(tiny).then(None).otherwise(pl.col("men")).alias("men"),
    )

    d = spec(charts.parttime_and_temporary_by_gender(r, 2022))
    p = spec(charts.parental_leave_weeks(r, 2022))

    assert title(d).startswith("57 % av kvinnenes arbeidsforhold er deltid")
    assert "menn skjult (færre enn 5)" in title(p)


# --------------------------------------------------------------- 06 revisjon


def facts_with_sick(
    rows: list[tuple[str, date, datetime]],
    retractions: list[tuple[str, datetime]] = (),  # type: ignore[assignment]
) -> Facts:
    f = Facts.empty()
    retraction = pl.DataFrame(
        [
            {
                "position": 100 + i,
                "recorded_at": rec,
                "event_id": f"r{i}",
                "target_event_id": target,
                "target_type": "SickDayRecorded",
                "reason": "wrong person",
            }
            for i, (target, rec) in enumerate(retractions, start=1)
        ],
        schema=f.retraction.schema,
    )
    sick = pl.DataFrame(
        [
            {
                "position": i,
                "recorded_at": rec,
                "event_id": eid,
                "employee_id": "E1",
                "date": d,
                "certificate": "doctor",
                "grade_pct": 100.0,
            }
            for i, (eid, d, rec) in enumerate(rows, start=1)
        ],
        schema=f.sick.schema,
    )
    return Facts(**{**f.frames(), "sick": sick, "retraction": retraction})


def test_revision_events_and_batches() -> None:
    t1 = datetime(2023, 1, 20, 9, tzinfo=UTC)
    t_retract = datetime(2023, 2, 15, 9, tzinfo=UTC)
    t2 = datetime(2024, 1, 20, 9, tzinfo=UTC)
    then = facts_with_sick([("a", date(2022, 11, 2), t1), ("b", date(2022, 12, 1), t1)])
    now = facts_with_sick(
        [
            ("a", date(2022, 11, 2), t1),
            ("c", date(2022, 12, 5), t2),  # late sick note
            ("d", date(2023, 1, 3), t2),  # after the report: not part of the difference
        ],
        retractions=[("b", t_retract)],  # b, recorded at t1, retracted on 15 February
    )
    ev = charts.revision_events(then, now, date(2022, 1, 1), date(2023, 12, 31), t1)
    assert sorted(zip(ev["change"], ev["events"], ev["last_recorded"], strict=True)) == [
        ("registrert senere", 1, t2),
        ("trukket tilbake", 1, t_retract),  # when the retraction was recorded, not b's t1
    ]
    d = spec(charts.revision_events_chart(ev))
    assert title(d).startswith("2 hendelser i perioden kom til eller ble trukket tilbake")
    batches = charts.recording_batches(now)
    assert batches["events"].to_list() == [1, 1, 2]  # t1, the retraction, t2
    assert charts.reported_at(batches) == t1
    assert charts.reported_at(batches, "2023-06-01T00:00:00+00:00") == datetime(
        2023, 6, 1, tzinfo=UTC
    )
    assert charts.reported_at(batches.head(1)) is None


def test_revision_comparison_and_table() -> None:
    t1 = datetime(2023, 1, 20, 9, tzinfo=UTC)
    now = kpi_frame(months(2022, 2023))
    then = now.with_columns(
        pl.when(pl.col("period_start").dt.year() == 2023)
        .then(0.0)
        .when(pl.col("period_start").dt.month() == 12)
        .then(5.0)
        .otherwise(pl.col("sickness_rate_pct"))
        .alias("sickness_rate_pct")
    )
    d = spec(charts.revision_comparison(then, now, "sickness_rate_pct", t1))
    assert title(d).startswith("Sykefravær des 2022: 5,0 % som rapportert 20. januar 2023")
    assert data_rows(d) == 24  # 12 months × 2 versions: 2023 had not ended at t1
    assert {"color", "strokeDash"} <= channels(d)
    table = charts.revision_table(then, now, ["sickness_rate_pct"], t1)
    assert table.height == 12
    assert table.filter(pl.col("endring") != 0)["periode"].to_list() == ["des 2022"]


def test_revision_table_shows_no_change_as_zero_not_minus_zero() -> None:
    t1 = datetime(2023, 1, 20, 9, tzinfo=UTC)
    now = kpi_frame(years(2021, 2022)).with_columns(pl.lit(9.0).alias("sickness_rate_pct"))
    then = now.with_columns(pl.lit(9.004).alias("sickness_rate_pct"))  # 9.0 - 9.004 → -0.0
    table = charts.revision_table(then, now, ["sickness_rate_pct"], t1)
    assert table["endring"].to_list() == [0.0, 0.0]
    assert all(str(v) == "0.0" for v in table["endring"])


# --------------------------------------------------------------- robustness & output

BUILDERS = [
    lambda f: charts.sickness_trend(f),
    lambda f: charts.sickness_self_vs_doctor(f),
    lambda f: charts.sickness_duration_bands(f),
    lambda f: charts.sickness_by_group(f, "unit", top=5),
    lambda f: charts.sickness_seasonality(f),
    lambda f: charts.fulltime_trend(f),
    lambda f: charts.fulltime_by_group(f, "gender"),
    lambda f: charts.parttime_trend(f),
    lambda f: charts.apprentices_trend(f),
    lambda f: charts.hires_and_turnover(f, "sector"),
    lambda f: charts.age_distribution(f),
    lambda f: charts.hms_by_year(f),
    lambda f: charts.hms_monthly(f),
    lambda f: charts.hms_by_category(f),
    lambda f: charts.hms_per_100(f, "unit"),
    lambda f: charts.gender_balance(f),
    lambda f: charts.pay_ratio_trend(f),
    lambda f: charts.revision_comparison(f, f, "sickness_rate_pct", None),
]


@pytest.mark.parametrize("build", BUILDERS)
def test_empty_frames_do_not_crash(build: Any) -> None:
    d = spec(build(EMPTY))
    assert "Ingen data" in title(d) + subtitle(d)


def test_empty_roster_report_and_events() -> None:
    for chart in (
        charts.position_size_distribution(roster(0)),
        charts.pay_ratio(equality_report().head(0)),
        charts.parttime_and_temporary_by_gender(equality_report().head(0)),
        charts.parental_leave_weeks(equality_report().head(0)),
        charts.revision_events_chart(
            charts.revision_events(
                Facts.empty(), Facts.empty(), date(2022, 1, 1), date(2022, 12, 31)
            )
        ),
    ):
        assert title(spec(chart))


def test_save_png_writes_into_chart_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    chart = charts.apprentices_trend(kpi_frame(years(2022, 2022)))
    monkeypatch.delenv(charts.CHART_DIR_ENV, raising=False)
    assert charts.save_png(chart, "x") is chart  # nowhere to write: the chart itself
    monkeypatch.setenv(charts.CHART_DIR_ENV, str(tmp_path / "out"))
    saved = charts.save_png(chart, "lærlinger mot mål")
    assert isinstance(saved, charts.SavedChart)
    png = tmp_path / "out" / "l_rlinger_mot_m_l.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    bundle, meta = saved._repr_mimebundle_()
    assert "image/png" in bundle and meta["image/png"]["width"] > 100


def test_setup_sets_norwegian_locale_and_offline_rendering(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(charts.CHART_DIR_ENV, raising=False)
    with alt.renderers.enable("default"):
        charts.setup()
        opts = alt.renderers.options
        assert alt.renderers.active == "jupyter" and opts["offline"] is True
        assert opts["embed_options"]["formatLocale"]["decimal"] == ","
        assert opts["embed_options"]["actions"]["editor"] is False  # data never sent off site
        bundle = alt.JupyterChart._esm
        # Vega, Vega-Lite and vega-embed bundled: no module is fetched from a CDN.
        assert len(bundle) > 500_000
        assert "esm.sh" not in bundle and "cdn.jsdelivr" not in bundle
    alt.JupyterChart.enable_offline(False)
    monkeypatch.setenv(charts.CHART_DIR_ENV, "/tmp/charts")
    with alt.renderers.enable("default"):
        charts.setup()  # headless: PNGs are shown, the renderer stays
        assert alt.renderers.active == "default"
        assert alt.renderers.options["embed_options"]["formatLocale"]["decimal"] == ","
