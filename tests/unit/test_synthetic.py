"""The synthetic municipality generator: deterministic, and every line passes the rules.

The rule checker below is deliberately self-contained (it does not use the
ledger's rule engine): it restates the interchange contract and the Utsira
handbook rules so that a generator bug and a rules-engine bug cannot hide
each other.
"""

from __future__ import annotations

import bisect
import itertools
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from ledger.domain.calendar import add_months, count_workdays
from ledger.synthetic import generate, generate_lines

BIG = date(9999, 12, 1)
"""An open end; far enough from `date.max` to add a bridged break to it."""
ENUMS = {
    "gender": {"F", "M"},
    "employment_type": {"permanent", "temporary", "apprentice"},
    "reason_salary": {
        "central_settlement", "local_negotiation", "special_negotiation", "recruit_retain",
        "function_supplement", "other",
    },
    "kind": {"parental", "welfare", "unpaid", "education", "public_office", "union", "care",
             "other"},
    "welfare_reason": {
        "family_illness", "bereavement", "kindergarten_start", "school_start", "own_wedding",
        "cultural_sports_event", "religious_holiday", "medical_appointment",
    },
    "certificate": {"self", "doctor"},
    "category": {"personal_injury", "violence_threat", "near_miss", "property_damage", "other"},
    "reason_terminated": {"resignation", "dismissal", "end_of_contract", "retirement", "other"},
}  # fmt: skip
REQUIRED = {
    "hired": ("employee_id", "employment_id", "effective_date", "birth_date", "gender", "sector",
              "unit", "position", "employment_type", "position_pct", "annual_salary"),
    "position_changed": ("employment_id", "effective_date", "position_pct"),
    "transferred": ("employment_id", "effective_date", "sector", "unit"),
    "salary_changed": ("employment_id", "effective_date", "annual_salary", "reason"),
    "leave": ("employee_id", "start_date", "end_date", "kind", "paid"),
    "sick_day": ("employee_id", "effective_date", "certificate"),
    "hms_deviation": ("deviation_id", "effective_date", "sector", "unit", "category"),
    "hms_deviation_closed": ("deviation_id", "effective_date"),
    "terminated": ("employment_id", "effective_date", "reason"),
}  # fmt: skip
WELFARE_CAPS = {"family_illness": 5, "bereavement": 5, "kindergarten_start": 3,
                "school_start": 1, "own_wedding": 1, "cultural_sports_event": 3}  # fmt: skip


def _d(value: Any) -> date:
    assert isinstance(value, str) and len(value) == 10, value
    return date.fromisoformat(value)


def _pct_ok(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and 0 < v <= 100


def check_rules(lines: list[dict[str, Any]]) -> list[str]:
    """Every rule a generated file must pass; returns the problems as 'LINE: message'."""
    problems: list[str] = []

    def bad(n: int, msg: str) -> None:
        problems.append(f"{n}: {msg}")

    event_ids: set[str] = set()
    emps: dict[str, dict[str, Any]] = {}
    persons: dict[str, dict[str, Any]] = {}
    deviations: dict[str, date] = {}
    closed: set[str] = set()
    sick: dict[str, list[tuple[date, str, int]]] = defaultdict(list)
    leaves: dict[str, list[tuple[int, dict[str, Any]]]] = defaultdict(list)
    hms_people: list[tuple[int, str, date]] = []
    previous_day = date.min

    for n, ln in enumerate(lines, start=1):
        t = ln.get("type")
        if t not in REQUIRED:
            bad(n, f"unknown type {t!r}")
            continue
        missing = [f for f in REQUIRED[t] if ln.get(f) is None]
        if missing:
            bad(n, f"{t} lacks {missing}")
            continue
        eid = ln.get("event_id")
        if not isinstance(eid, str) or eid in event_ids:
            bad(n, f"event_id {eid!r} missing or repeated")
        event_ids.add(eid)
        if ln.get("recorded_by") != "synthetic":
            bad(n, "recorded_by is not 'synthetic'")
        day = _d(ln.get("effective_date") or ln.get("start_date"))
        if day < previous_day and t != "hired":
            bad(n, "lines are not in date order")
        previous_day = max(previous_day, day) if t != "hired" else previous_day

        if t == "hired":
            birth = _d(ln["birth_date"])
            if (
                ln["gender"] not in ENUMS["gender"]
                or ln["employment_type"] not in ENUMS["employment_type"]
            ):
                bad(n, "bad gender or employment_type")
            if not _pct_ok(ln["position_pct"]):
                bad(n, f"position_pct {ln['position_pct']}")
            if not (isinstance(ln["annual_salary"], int | float) and ln["annual_salary"] > 0):
                bad(n, "annual_salary must be > 0")
            if not isinstance(ln.get("is_leader", False), bool):
                bad(n, "is_leader must be a bool")
            age = (day - birth).days / 365.25
            if not 17.9 <= age < 70:
                bad(n, f"hired at age {age:.1f}")
            if ln["employment_id"] in emps:
                bad(n, f"employment_id {ln['employment_id']} repeated")
            pid = ln["employee_id"]
            person = persons.setdefault(pid, {"birth": birth, "gender": ln["gender"], "emps": []})
            if (person["birth"], person["gender"]) != (birth, ln["gender"]):
                bad(n, f"{pid}: birth date or gender differs between hires")
            emps[ln["employment_id"]] = {"person": pid, "start": day, "end": None,
                                         "last_change": day}  # fmt: skip
            person["emps"].append(ln["employment_id"])
        elif t in ("position_changed", "transferred", "salary_changed", "terminated"):
            emp = emps.get(ln["employment_id"])
            if emp is None:
                bad(n, f"{t} for {ln['employment_id']} before (or without) its hire")
                continue
            if ln.get("employee_id", emp["person"]) != emp["person"]:
                bad(n, "employee_id does not match the employment")
            if day < emp["start"] or (emp["end"] is not None and day > emp["end"]):
                bad(n, f"{t} on {day} outside employment {ln['employment_id']}")
            if t == "position_changed" and not _pct_ok(ln["position_pct"]):
                bad(n, f"position_pct {ln['position_pct']}")
            if t == "salary_changed" and (
                ln["reason"] not in ENUMS["reason_salary"] or not ln["annual_salary"] > 0
            ):
                bad(n, "bad salary change")
            if t == "terminated":
                if emp["end"] is not None:
                    bad(n, f"{ln['employment_id']} terminated twice")
                if ln["reason"] not in ENUMS["reason_terminated"]:
                    bad(n, f"bad termination reason {ln['reason']}")
                if day < emp["last_change"]:
                    bad(n, "terminated before a change of the employment")
                emp["end"] = day
            else:
                emp["last_change"] = max(emp["last_change"], day)
        elif t == "sick_day":
            if ln["certificate"] not in ENUMS["certificate"]:
                bad(n, "bad certificate")
            grade = ln.get("grade_pct", 100)
            if not _pct_ok(grade) or (ln["certificate"] == "self" and grade != 100):
                bad(n, f"grade_pct {grade} with certificate {ln['certificate']}")
            if ln["employee_id"] not in persons:
                bad(n, "sick day of a person never hired (so far)")
            sick[ln["employee_id"]].append((day, ln["certificate"], grade))
        elif t == "leave":
            if ln["kind"] not in ENUMS["kind"] or not isinstance(ln["paid"], bool):
                bad(n, "bad leave kind or paid")
            if not _pct_ok(ln.get("leave_pct", 100)):
                bad(n, "bad leave_pct")
            if (ln["kind"] == "welfare") != ("welfare_reason" in ln):
                bad(n, "welfare_reason goes with kind welfare, and only with it")
            if "welfare_reason" in ln and ln["welfare_reason"] not in ENUMS["welfare_reason"]:
                bad(n, "bad welfare_reason")
            if _d(ln["end_date"]) < day:
                bad(n, "leave ends before it starts")
            if ln["employee_id"] not in persons:
                bad(n, "leave of a person never hired (so far)")
            leaves[ln["employee_id"]].append((n, ln))
        elif t == "hms_deviation":
            if ln["category"] not in ENUMS["category"]:
                bad(n, "bad category")
            if ln.get("severity", 1) not in (1, 2, 3):
                bad(n, "severity must be 1-3")
            if ln["deviation_id"] in deviations:
                bad(n, f"deviation {ln['deviation_id']} repeated")
            deviations[ln["deviation_id"]] = day
            if "employee_id" in ln:
                hms_people.append((n, ln["employee_id"], day))
        elif t == "hms_deviation_closed":
            did = ln["deviation_id"]
            if did not in deviations or did in closed or day < deviations[did]:
                bad(n, f"closing {did}: unknown, closed twice or before it happened")
            closed.add(did)

    def spans_of(pid: str, bridged_days: int = 0) -> list[tuple[date, date]]:
        raw = sorted((emps[e]["start"], emps[e]["end"] or BIG) for e in persons[pid]["emps"])
        out: list[tuple[date, date]] = []
        for a, b in raw:
            if out and a <= out[-1][1] + timedelta(days=1 + bridged_days):
                out[-1] = (out[-1][0], max(out[-1][1], b))
            else:
                out.append((a, b))
        return out

    def covered(spans: list[tuple[date, date]], a: date, b: date) -> bool:
        return any(s <= a and b <= e for s, e in spans)

    for n, pid, day in hms_people:
        if pid not in persons or not covered(spans_of(pid), day, day):
            bad(n, f"HMS deviation names {pid}, not employed on {day}")

    for pid, days in sick.items():
        if pid not in persons:
            continue
        spans = spans_of(pid)
        dates = [d for d, _, _ in days]
        if len(set(dates)) != len(dates):
            bad(0, f"{pid}: two sick days on one date")
        for d in dates:
            if not covered(spans, d, d):
                bad(0, f"{pid}: sick day {d} while not employed")
        service = spans_of(pid, bridged_days=14)  # § 8-24: re-employment within two weeks
        for d, c, _ in days:
            since = next((a for a, b in service if a <= d <= b), None)
            if c == "self" and since is not None and d < add_months(since, 2):
                bad(0, f"{pid}: self-certified {d} within two months of service since {since}")
        selfs = sorted(d.toordinal() for d, c, _ in days if c == "self")
        run = 1
        for a, b in itertools.pairwise(selfs):
            run = run + 1 if b == a + 1 else 1
            if run > 8:
                bad(0, f"{pid}: self-certified run over 8 days ending {date.fromordinal(b)}")
        for i, end in enumerate(selfs):
            count = i + 1 - bisect.bisect_left(selfs, end - 365)
            if count > 24:
                bad(0, f"{pid}: {count} self-certified days in 366 days up to "
                       f"{date.fromordinal(end)}")  # fmt: skip
                break
        full = [(_d(lv["start_date"]), _d(lv["end_date"]))
                for _, lv in leaves.get(pid, []) if lv.get("leave_pct", 100) == 100]  # fmt: skip
        for d in dates:
            if any(a <= d <= b for a, b in full):
                bad(0, f"{pid}: sick day {d} inside a full leave")

    for pid, items in leaves.items():
        if pid not in persons:
            continue
        spans = spans_of(pid)
        ranges = sorted((_d(lv["start_date"]), _d(lv["end_date"]), n) for n, lv in items)
        for (_a1, b1, n1), (a2, _b2, _n2) in itertools.pairwise(ranges):
            if a2 <= b1:
                bad(n1, f"{pid}: leaves overlap")
        paid_by_year: dict[int, float] = defaultdict(float)
        religious_by_year: dict[int, float] = defaultdict(float)
        unpaid_starts: list[date] = []
        for n, lv in items:
            a, b = _d(lv["start_date"]), _d(lv["end_date"])
            if not covered(spans, a, b):
                bad(n, f"{pid}: leave {a}..{b} outside employment")
            pct = lv.get("leave_pct", 100)
            if lv["kind"] == "welfare":
                reason = lv["welfare_reason"]
                days = count_workdays(a, b) * pct / 100
                if lv["paid"] and days > WELFARE_CAPS.get(reason, 99):
                    bad(n, f"paid {reason} {days} work-days over its cap")
                if reason == "religious_holiday" and lv["paid"]:
                    bad(n, "religious_holiday leave must be unpaid")
                for year in range(a.year, b.year + 1):
                    ya, yb = max(a, date(year, 1, 1)), min(b, date(year, 12, 31))
                    share = count_workdays(ya, yb) * pct / 100
                    if lv["paid"]:
                        paid_by_year[year] += share
                    if reason == "religious_holiday":
                        religious_by_year[year] += share
            if lv["kind"] == "unpaid":
                if b > add_months(a, 12) - timedelta(days=1):
                    bad(n, "unpaid leave over 12 months")
                if any(add_months(s, 60) > a for s in unpaid_starts):
                    bad(n, "unpaid leave twice within 5 years")
                unpaid_starts.append(a)
        for year, used in paid_by_year.items():
            if used > 12:
                bad(0, f"{pid}: {used} paid welfare work-days in {year}")
        for year, used in religious_by_year.items():
            if used > 2:
                bad(0, f"{pid}: {used} religious-holiday work-days in {year}")
    return problems


@pytest.fixture(scope="module")
def utsira_lines() -> list[dict[str, Any]]:
    return list(generate_lines("utsira", 2020, 2022, seed=7))


@pytest.fixture(scope="module")
def sandnes_2022_lines() -> list[dict[str, Any]]:
    return list(generate_lines("sandnes", 2022, 2022))


def test_same_seed_gives_byte_identical_files(tmp_path: Path) -> None:
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    n = generate("utsira", 2021, 2022, seed=3, out=a)
    assert generate("utsira", 2021, 2022, seed=3, out=b) == n
    assert a.read_bytes() == b.read_bytes()
    assert n == a.read_bytes().count(b"\n")


def test_scaled_sandnes_is_deterministic_too(tmp_path: Path) -> None:
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    generate("sandnes", 2022, 2022, seed=5, scale=0.05, out=a)
    generate("sandnes", 2022, 2022, seed=5, scale=0.05, out=b)
    assert a.read_bytes() == b.read_bytes()


def test_different_seed_gives_a_different_municipality(tmp_path: Path) -> None:
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    generate("utsira", 2021, 2022, seed=1, out=a)
    generate("utsira", 2021, 2022, seed=2, out=b)
    assert a.read_bytes() != b.read_bytes()


def test_file_holds_exactly_the_lines_generate_lines_yields(tmp_path: Path) -> None:
    out = tmp_path / "u.jsonl"
    generate("utsira", 2022, 2022, seed=4, out=out)
    expected = b"".join(orjson.dumps(x) + b"\n" for x in generate_lines("utsira", 2022, 2022,
                                                                        seed=4))  # fmt: skip
    assert out.read_bytes() == expected


def test_event_ids_name_the_run_so_reimport_is_idempotent(utsira_lines) -> None:
    ids = [x["event_id"] for x in utsira_lines]
    assert ids[0] == "utsira-s7-2020-2022-000000001"
    assert len(set(ids)) == len(ids)


def test_utsira_three_years_pass_every_rule(utsira_lines) -> None:
    assert check_rules(utsira_lines) == []


def test_sandnes_year_passes_every_rule(sandnes_2022_lines) -> None:
    assert check_rules(sandnes_2022_lines) == []


def test_utsira_has_41_people_in_five_departments_around_fifty(utsira_lines) -> None:
    end = "2022-12-31"
    active: dict[str, dict[str, Any]] = {}
    for ln in utsira_lines:
        if ln["type"] == "hired" and ln["effective_date"] <= end:
            active[ln["employment_id"]] = ln
        elif ln["type"] == "terminated":
            active.pop(ln["employment_id"], None)
    people = {ln["employee_id"]: ln for ln in active.values()}
    assert len(people) == 41
    assert {ln["unit"] for ln in active.values()} == {
        "Rådmann/økonomi", "Utsira skule/bibliotek", "Utsira barnehage",
        "Siratun sykestue/helse", "Driftsavdeling/renhold",
    }  # fmt: skip
    ages = [(date(2022, 12, 31) - _d(p["birth_date"])).days / 365.25 for p in people.values()]
    assert 46 <= sum(ages) / len(ages) <= 54
    apprentices = {ln["employee_id"] for ln in active.values()
                   if ln["employment_type"] == "apprentice"}  # fmt: skip
    assert len(apprentices) == 1


def test_every_kind_of_event_and_leave_occurs(sandnes_2022_lines) -> None:
    types = {x["type"] for x in sandnes_2022_lines}
    assert types == set(REQUIRED)
    kinds = {x["kind"] for x in sandnes_2022_lines if x["type"] == "leave"}
    assert kinds == ENUMS["kind"]
    reasons = {x["welfare_reason"] for x in sandnes_2022_lines if x.get("welfare_reason")}
    assert reasons == ENUMS["welfare_reason"]
    categories = {x["category"] for x in sandnes_2022_lines if x["type"] == "hms_deviation"}
    assert categories == ENUMS["category"]
    graded = [x for x in sandnes_2022_lines if x["type"] == "sick_day"
              and x["certificate"] == "doctor" and x["grade_pct"] < 100]  # fmt: skip
    assert graded


def test_checker_catches_broken_lines(utsira_lines) -> None:
    """The checker is only worth something if it refuses what the ledger would refuse."""
    lines = [dict(x) for x in utsira_lines]
    sick = next(i for i, x in enumerate(lines) if x["type"] == "sick_day")
    lines[sick] = {**lines[sick], "certificate": "self", "grade_pct": 50}
    hired = next(i for i, x in enumerate(lines) if x["type"] == "hired")
    lines.append({**lines[hired], "event_id": "extra-1"})
    problems = check_rules(lines)
    assert any("grade_pct 50" in p for p in problems)
    assert any("repeated" in p for p in problems)


def test_checker_catches_too_many_self_certified_days() -> None:
    hire = {"type": "hired", "event_id": "h", "recorded_by": "synthetic", "employee_id": "E1",
            "employment_id": "E1-1", "effective_date": "2020-01-01", "birth_date": "1980-01-01",
            "gender": "F", "sector": "S", "unit": "U", "position": "P",
            "employment_type": "permanent", "position_pct": 100,
            "annual_salary": 500000}  # fmt: skip
    days = [date(2022, 1, 1) + timedelta(days=k) for k in range(9)]
    lines = [hire] + [
        {"type": "sick_day", "event_id": f"s{k}", "recorded_by": "synthetic",
         "employee_id": "E1", "effective_date": d.isoformat(), "certificate": "self"}
        for k, d in enumerate(days)
    ]  # fmt: skip
    assert any("run over 8" in p for p in check_rules(lines))


def test_checker_catches_self_certification_in_the_first_two_months() -> None:
    hire = {"type": "hired", "event_id": "h", "recorded_by": "synthetic", "employee_id": "E1",
            "employment_id": "E1-1", "effective_date": "2022-01-10", "birth_date": "1980-01-01",
            "gender": "F", "sector": "S", "unit": "U", "position": "P",
            "employment_type": "permanent", "position_pct": 100,
            "annual_salary": 500000}  # fmt: skip
    day = {"type": "sick_day", "event_id": "s", "recorded_by": "synthetic", "employee_id": "E1",
           "effective_date": "2022-03-09", "certificate": "self"}  # fmt: skip

    assert any("within two months" in p for p in check_rules([hire, day]))
    assert check_rules([hire, {**day, "effective_date": "2022-03-10"}]) == []
