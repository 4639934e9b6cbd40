"""The Sandnes preset reproduces the published 2021/2022 figures, measured on the file itself.

Measured on the demo window (`make demo`: Sandnes 2019–2023, seed 1), which is what
users see; the workforce figures are also checked on Sandnes 2021–2022 so that they
do not depend on the first simulated year.

The figures are computed here from the generated lines alone, following
docs/kpis.md (polars for the sickness rate), so the test says
nothing about the projections and everything about the generator.
Tolerances: ±3 % for counts, ±0.5 points for rates.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl
import pytest

from ledger.domain.calendar import holidays_between
from ledger.synthetic import generate_lines

COUNT_TOLERANCE = 0.03
RATE_TOLERANCE = 0.5


def workforce_on(lines: list[dict[str, Any]], day: str) -> pl.DataFrame:
    """Active employments on `day`, with the state the events had set by then."""
    emps: dict[str, dict[str, Any]] = {}
    for ln in lines:
        t = ln["type"]
        if t in ("sick_day", "leave", "hms_deviation", "hms_deviation_closed"):
            continue
        if ln["effective_date"] > day:
            continue
        if t == "hired":
            emps[ln["employment_id"]] = {
                k: ln[k]
                for k in ("employee_id", "employment_id", "gender", "birth_date",
                          "employment_type", "position_pct", "annual_salary", "sector", "unit")
            } | {"is_leader": ln.get("is_leader", False)}  # fmt: skip
        elif t == "terminated":
            if ln["effective_date"] < day:
                emps.pop(ln["employment_id"])
        elif t == "position_changed":
            emps[ln["employment_id"]]["position_pct"] = ln["position_pct"]
        elif t == "salary_changed":
            emps[ln["employment_id"]]["annual_salary"] = ln["annual_salary"]
        elif t == "transferred":
            emp = emps[ln["employment_id"]]
            emp["sector"], emp["unit"] = ln["sector"], ln["unit"]
            if "is_leader" in ln:
                emp["is_leader"] = ln["is_leader"]
    return pl.DataFrame(list(emps.values()))


def year_end_figures(lines: list[dict[str, Any]], year: int) -> dict[str, float]:
    df = workforce_on(lines, f"{year}-12-31")
    persons = df.unique("employee_id")
    not_apprentice = df.filter(pl.col("employment_type") != "apprentice")
    permanent = (
        df.filter(pl.col("employment_type") == "permanent")
        .group_by("employee_id")
        .agg(pl.col("position_pct").sum())
    )
    leaders = df.filter(pl.col("is_leader")).unique("employee_id")
    pay = not_apprentice.group_by("gender").agg(pl.col("annual_salary").mean())
    mean_pay = dict(zip(pay["gender"], pay["annual_salary"], strict=True))
    return {
        "persons": persons.height,
        "employments": df.height,
        "fte": not_apprentice["position_pct"].sum() / 100,
        "women_pct": 100 * (persons["gender"] == "F").sum() / persons.height,
        "fulltime_pct": 100 * (permanent["position_pct"] >= 100).sum() / permanent.height,
        "apprentices": df.filter(pl.col("employment_type") == "apprentice")
        .unique("employee_id")
        .height,
        "leaders": leaders.height,
        "leader_women_pct": 100 * (leaders["gender"] == "F").sum() / leaders.height,
        "women_pay_pct_of_men": 100 * mean_pay["F"] / mean_pay["M"],
    }


def hms_counts(lines: list[dict[str, Any]], year: int) -> tuple[int, int]:
    devs = [x for x in lines if x["type"] == "hms_deviation"
            and x["effective_date"].startswith(str(year))]  # fmt: skip
    return len(devs), sum(1 for x in devs if x["category"] == "personal_injury")


def sickness_rates(lines: list[dict[str, Any]], year: int) -> dict[str, float]:
    """lost / agreed work-days × 100, weighted by position %, grade and leave %."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    segments: list[dict[str, Any]] = []
    open_segment: dict[str, dict[str, Any]] = {}

    def close(emp_id: str, until: date) -> None:
        seg = open_segment.pop(emp_id)
        if seg["start"] <= until:
            segments.append({**seg, "end": until})

    for ln in lines:
        t = ln["type"]
        if t not in ("hired", "position_changed", "terminated"):
            continue
        day = date.fromisoformat(ln["effective_date"])
        emp_id = ln["employment_id"]
        if t == "hired":
            open_segment[emp_id] = {"employee_id": ln["employee_id"], "start": day,
                                    "pct": ln["position_pct"]}  # fmt: skip
        elif t == "position_changed":
            seg = open_segment[emp_id]
            close(emp_id, date.fromordinal(day.toordinal() - 1))
            open_segment[emp_id] = {**seg, "start": day, "pct": ln["position_pct"]}
        else:
            close(emp_id, day)
    for emp_id in list(open_segment):
        close(emp_id, last)

    workdays = (
        pl.DataFrame({"day": pl.date_range(first, last, "1d", eager=True)})
        .filter(pl.col("day").dt.weekday() <= 5)
        .filter(~pl.col("day").is_in(holidays_between(first, last)))
    )
    employed = (
        pl.DataFrame(segments)
        .with_columns(pl.col("start").clip(first), pl.col("end").clip(upper_bound=last))
        .filter(pl.col("start") <= pl.col("end"))
        .with_columns(day=pl.date_ranges("start", "end", "1d"))
        .explode("day")
        .join(workdays, on="day")
        .group_by("employee_id", "day")
        .agg((pl.col("pct").sum() / 100).alias("weight"))
    )
    leave_rows = [
        {"employee_id": x["employee_id"], "start": date.fromisoformat(x["start_date"]),
         "end": date.fromisoformat(x["end_date"]), "leave_pct": x.get("leave_pct", 100)}
        for x in lines if x["type"] == "leave"
    ]  # fmt: skip
    leave = (
        pl.DataFrame(leave_rows)
        .with_columns(day=pl.date_ranges("start", "end", "1d"))
        .explode("day")
        .group_by("employee_id", "day")
        .agg(pl.col("leave_pct").sum())
    )
    sick = pl.DataFrame(
        [
            {"employee_id": x["employee_id"], "day": date.fromisoformat(x["effective_date"]),
             "certificate": x["certificate"], "grade": x.get("grade_pct", 100)}
            for x in lines
            if x["type"] == "sick_day" and x["effective_date"].startswith(str(year))
        ]
    )  # fmt: skip
    frame = (
        employed.join(leave, on=["employee_id", "day"], how="left")
        .with_columns(
            agreed=pl.col("weight") * (1 - pl.col("leave_pct").fill_null(0).clip(0, 100) / 100)
        )
        .join(sick, on=["employee_id", "day"], how="left")
        .with_columns(lost=pl.col("agreed") * pl.col("grade").fill_null(0) / 100)
    )
    agreed = frame["agreed"].sum()
    by_cert = frame.group_by("certificate").agg(pl.col("lost").sum())
    lost = dict(zip(by_cert["certificate"], by_cert["lost"], strict=True))
    return {
        "total": 100 * (lost.get("self", 0) + lost.get("doctor", 0)) / agreed,
        "self": 100 * lost.get("self", 0) / agreed,
        "doctor": 100 * lost.get("doctor", 0) / agreed,
    }


def parental_leave(lines: list[dict[str, Any]], year: int) -> dict[str, tuple[int, float]]:
    """Per gender: persons on parental leave during `year`, and mean weeks of the leaves
    that began in `year` (on 1 January a leave may be cut at the start of the file)."""
    gender = {x["employee_id"]: x["gender"] for x in lines if x["type"] == "hired"}
    persons: dict[str, set[str]] = {"F": set(), "M": set()}
    weeks: dict[str, list[float]] = {"F": [], "M": []}
    for x in lines:
        if x["type"] == "leave" and x["kind"] == "parental":
            a, b = date.fromisoformat(x["start_date"]), date.fromisoformat(x["end_date"])
            g = gender[x["employee_id"]]
            if a.year <= year <= b.year:
                persons[g].add(x["employee_id"])
            if a.year == year and a != date(year, 1, 1):
                weeks[g].append(((b - a).days + 1) / 7)
    return {g: (len(persons[g]), sum(weeks[g]) / max(len(weeks[g]), 1)) for g in persons}


DEMO = ("sandnes", 2019, 2023)
"""The window `make demo` generates (seed 1)."""


@pytest.fixture(scope="module")
def sandnes() -> list[dict[str, Any]]:
    """The demo file, generated once for the module."""
    preset, year_from, year_to = DEMO
    return list(generate_lines(preset, year_from, year_to, seed=1))


@pytest.fixture(scope="module")
def roster(sandnes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The demo file without its sick days (90 % of the lines), for the roster figures."""
    return [x for x in sandnes if x["type"] != "sick_day"]


@pytest.fixture(scope="module")
def roster_2021_2022() -> list[dict[str, Any]]:
    """Sandnes 2021–2022, seed 1, without sick days: the roster must not depend on the start."""
    return [x for x in generate_lines("sandnes", 2021, 2022, seed=1) if x["type"] != "sick_day"]


def _near(value: float, target: float) -> bool:
    return abs(value - target) <= COUNT_TOLERANCE * target


@pytest.fixture(params=["demo", "2021-2022"])
def any_roster(request: pytest.FixtureRequest) -> list[dict[str, Any]]:
    name = "roster" if request.param == "demo" else "roster_2021_2022"
    lines: list[dict[str, Any]] = request.getfixturevalue(name)
    return lines


def test_sandnes_2022_headcount_fte_women_apprentices_and_leaders(any_roster) -> None:
    f = year_end_figures(any_roster, 2022)
    assert _near(f["persons"], 6280), f
    assert _near(f["employments"], 6813), f
    assert _near(f["fte"], 5009), f
    assert abs(f["women_pct"] - 81.5) <= RATE_TOLERANCE + 0.5, f
    assert _near(f["apprentices"], 86), f
    assert _near(f["leaders"], 320), f
    assert abs(f["leader_women_pct"] - 71) <= 3, f


def test_sandnes_women_earn_about_93_percent_of_men(any_roster) -> None:
    for year in (2021, 2022):
        f = year_end_figures(any_roster, year)
        assert abs(f["women_pay_pct_of_men"] - 93) <= RATE_TOLERANCE, (year, f)


def test_sandnes_fulltime_share_rises_from_52_5_to_53_1(any_roster) -> None:
    share_2021 = year_end_figures(any_roster, 2021)["fulltime_pct"]
    share_2022 = year_end_figures(any_roster, 2022)["fulltime_pct"]
    assert abs(share_2021 - 52.5) <= RATE_TOLERANCE, share_2021
    assert abs(share_2022 - 53.1) <= RATE_TOLERANCE, share_2022


def test_sandnes_hms_deviations_and_personal_injuries(roster) -> None:
    for year, (deviations, injuries) in {2021: (3822, 246), 2022: (5000, 252)}.items():
        got = hms_counts(roster, year)
        assert _near(got[0], deviations) and _near(got[1], injuries), (year, got)


def test_sandnes_sickness_rate_8_9_then_9_3(sandnes) -> None:
    for year, target in {2021: 8.9, 2022: 9.3}.items():
        rates = sickness_rates(sandnes, year)
        assert abs(rates["total"] - target) <= RATE_TOLERANCE, (year, rates)
        assert rates["self"] < rates["doctor"], rates


def test_sandnes_parental_leave_women_long_men_short(roster) -> None:
    p = parental_leave(roster, 2021)
    women, men = p["F"], p["M"]
    assert 150 <= women[0] <= 220 and 25 <= women[1] <= 35, p
    assert 4 <= men[0] <= 20 and 6 <= men[1] <= 12, p


def _persons_in(lines: list[dict[str, Any]], keep: Any) -> list[dict[str, Any]]:
    """The lines of the persons whose first hire `keep` accepts (their sector or title)."""
    first: dict[str, dict[str, Any]] = {}
    for x in lines:
        if x["type"] == "hired":
            first.setdefault(x["employee_id"], x)
    chosen = {e for e, hire in first.items() if keep(hire)}
    owner = {x["employment_id"]: x["employee_id"] for x in lines if x["type"] == "hired"}
    return [
        x for x in lines
        if x.get("employee_id", owner.get(x.get("employment_id", ""))) in chosen
        and x["type"] != "hms_deviation"
    ]  # fmt: skip


def test_sandnes_health_care_and_kindergartens_are_sicker_than_administration(sandnes) -> None:
    """KS: sickness is higher in health and care and in kindergartens than in administration."""
    admin = _persons_in(sandnes, lambda h: h["sector"] in ("Organisasjon", "Økonomi"))
    health = _persons_in(sandnes, lambda h: h["sector"] == "Helse og velferd")
    kindergarten = _persons_in(
        sandnes, lambda h: h["position"] in ("Barnehagelærer", "Barne- og ungdomsarbeider")
    )

    rates = {
        name: sickness_rates(group, 2022)["total"]
        for name, group in (("admin", admin), ("health", health), ("kindergarten", kindergarten))
    }

    assert rates["health"] - rates["admin"] >= 2, rates
    assert rates["kindergarten"] - rates["admin"] >= 2, rates
