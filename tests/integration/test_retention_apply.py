"""`hrledger retention --on DATE --apply`: the policy's retention periods carried out.

Sigrid (E1) left on 2019-06-30 after four years; Per (E2) still works.
Utsira's policy: health data and free text 3 years after the last day
employed (due 2022-06-30), pay and birth date 5 years after the end of that
year (due 2024-12-31). Run in January 2023, retention shreds her sick days,
welfare reason and notes; run again in January 2025, her salaries and birth
date. After that no output holds any of them, and every past KPI is as it was.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import orjson
import polars as pl
import pytest

from cli.main import main
from ledger.domain.policy import load_policy
from ledger.services.follow import open_log
from ledger.services.history import person_history
from ledger.services.interchange import export_events
from ledger.services.recording import Ledger
from ledger.services.verification import verify
from projections.api import open_projection
from projections.facts.frozen import apply_retention
from projections.facts.store import SUFFIX, FactStore
from projections.reports.retention import retention_due
from tests.builders import hired, leave, retracted, sick, terminated
from tests.integration.test_erasure import _assert_same

RECORDED = datetime(2019, 7, 10, tzinfo=UTC)
HEALTH_DUE = datetime(2023, 1, 3, tzinfo=UTC)
PAY_DUE = datetime(2025, 1, 3, tzinfo=UTC)
KNOWN_THEN = datetime(2019, 7, 10, tzinfo=UTC)
BIRTH, PAY_1, PAY_2 = "1961-07-13", "612345", "630000"
NOTE, WHY = "eldste baker", "feil dato, ho var på kurs"


def _sigrid_and_per(url: str) -> None:
    with Ledger(url, clock=lambda: RECORDED) as ledger:
        ledger.record(
            [
                hired("E1", "A1", "2015-07-01", birth_date=BIRTH, unit="Bakeriet",
                      position="Baker", annual_salary=612_345, sector="Næring", note=NOTE),
                hired("E2", "A2", "2015-01-01", gender="M", birth_date="1990-02-02",
                      annual_salary=480_000),
                {"type": "salary_changed", "employment_id": "A1", "effective_date": "2017-05-01",
                 "annual_salary": 630_000, "reason": "local_negotiation"},
                sick("2017-03-02", "E1"), sick("2017-03-03", "E1", event_id="s2"),
                sick("2017-03-06", "E1", certificate="doctor", grade_pct=50),
                sick("2017-03-02", "E2"),
                leave("2018-06-01", "2018-06-30", "parental", "E1"),
                leave("2018-09-03", "2018-09-03", "welfare", "E1", welfare_reason="bereavement"),
                terminated("2019-06-30", "A1"),
            ]
        )  # fmt: skip
        ledger.record([retracted("s2", reason=WHY)])


@pytest.fixture
def sigrid(ledger_url: str) -> str:
    _sigrid_and_per(ledger_url)
    return ledger_url


def _apply(url: str, at: datetime) -> list[Any]:
    rules = load_policy("utsira").retention
    assert rules is not None
    with open_projection(url, persist=False) as p:
        facts = p.facts()
        due = retention_due(facts, p.employments(), rules, at.date())
        removed = facts.removed()
    with Ledger(url, clock=lambda: at) as ledger:
        return apply_retention(ledger, due, removed, recorded_by="arkivet")


def _kpis(url: str, folder: Path | None, known_at: datetime | None = None) -> dict[str, Any]:
    with open_projection(url, directory=folder, persist=folder is not None) as p:
        return {
            f"{every}/{by}": p.kpi(date(2015, 1, 1), date(2020, 12, 31), every, by,
                                   known_at=known_at)
            for every in ("month", "quarter", "year")
            for by in (None, "sector", "unit", "gender", "age_band")
        }  # fmt: skip


def _outputs(url: str, folder: Path) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    buf = io.BytesIO()
    with Ledger(url) as ledger:
        export_events(ledger.store, buf)
        out["history"] = orjson.dumps(
            [e.__dict__ for e in person_history(ledger.store, "E1")], default=str
        )
    out["export"] = buf.getvalue()
    with open_log(url) as log:
        out["follow"] = orjson.dumps(log.read(0).events)
    with open_projection(url, directory=folder) as p:
        out["roster"] = p.roster(date(2018, 1, 1)).write_csv().encode()
        out["employments"] = p.employments().write_csv().encode()
        out["sick_days"] = p.sick_days().write_csv().encode()
        out["leave"] = p.leave().write_csv().encode()
    files = FactStore(folder)
    out["folder"] = b"".join(
        files.read_segment(f.name).write_csv().encode()
        for f in sorted(folder.glob("*" + SUFFIX))
        if not f.name.startswith("frozen-")  # sums per group (docs/privacy.md)
    )
    return out


def test_health_first_then_pay_and_birth_date_and_the_kpis_never_move(
    sigrid: str, tmp_path: Path
) -> None:
    folder = tmp_path / "projection"
    before = _kpis(sigrid, folder)
    then = _kpis(sigrid, None, known_at=KNOWN_THEN)
    outputs = _outputs(sigrid, folder)
    for value in (BIRTH, PAY_1, PAY_2, "2017-03-06", "bereavement", WHY):
        assert value.encode() in outputs["export"], value

    first = _apply(sigrid, HEALTH_DUE)

    assert [(r.employee_id, r.kinds, r.keys) for r in first] == [("E1", ("health", "free_text"), 1)]
    outputs = _outputs(sigrid, folder)
    for name, data in outputs.items():
        for value in ("2017-03-06", "bereavement", WHY, NOTE):
            assert value.encode() not in data, (name, value)
    assert PAY_2.encode() in outputs["export"] and BIRTH.encode() in outputs["folder"]
    _assert_same(before, _kpis(sigrid, folder))
    _assert_same(then, _kpis(sigrid, None, known_at=KNOWN_THEN))

    second = _apply(sigrid, PAY_DUE)

    assert [(r.employee_id, r.kinds, r.keys, r.frozen_rows) for r in second] == [
        ("E1", ("pay", "birth_date"), 2, 0)  # her share was frozen the first time
    ]
    outputs = _outputs(sigrid, folder)
    for name, data in outputs.items():
        for value in (BIRTH, PAY_1, PAY_2, "2017-03-06", "bereavement", WHY, NOTE):
            assert value.encode() not in data, (name, value)
    assert b"1990-02-02" in outputs["export"] and b"480000" in outputs["folder"]
    assert b"Bakeriet" in outputs["roster"]  # not erased: her unit is no secret
    _assert_same(before, _kpis(sigrid, folder))
    _assert_same(before, _kpis(sigrid, None))
    _assert_same(then, _kpis(sigrid, None, known_at=KNOWN_THEN))
    # by hand, 2016: Sigrid's 612 345 against Per's 480 000; ages 55 and 26 on 31 Dec
    y2016 = (
        before["year/None"].filter(pl.col("period_start") == date(2016, 1, 1)).row(0, named=True)
    )
    assert y2016["women_pay_pct_of_men"] == pytest.approx(100 * 612_345 / 480_000)
    assert y2016["mean_age"] == pytest.approx(40.5)
    assert _apply(sigrid, PAY_DUE) == []  # nothing is left to do


def test_history_records_what_was_shredded_and_why(sigrid: str) -> None:
    _apply(sigrid, PAY_DUE)
    with Ledger(sigrid) as ledger:
        entries = person_history(ledger.store, "E1")
        assert verify(ledger.store).ok

    shredded = [e for e in entries if e.type == "shredded"]
    assert [e.details["field_kind"] for e in shredded] == [
        "health", "free_text", "pay", "birth_date"
    ]  # fmt: skip
    assert "bokføringsloven" in shredded[2].details["reason"]
    assert entries[0].details["annual_salary"] == entries[0].details["birth_date"] == "[erased]"


def test_the_command_applies_and_the_dry_run_then_lists_nothing(
    sigrid: str, capsys: pytest.CaptureFixture[str]
) -> None:
    on = ["--db", sigrid, "retention", "--on", "2025-01-03", "--format", "json"]
    assert main([*on, "--apply", "--recorded-by", "arkivet"]) == 0
    out, err = capsys.readouterr()
    assert [(r["employee_id"], r["kind"]) for r in json.loads(out)] == [
        ("E1", "health"), ("E1", "free_text"), ("E1", "pay"), ("E1", "birth_date")
    ]  # fmt: skip
    assert "applied: 4 kind(s) of field of 1 former employee(s)" in err
    assert "(3 key(s) destroyed)" in err

    assert main(on) == 0
    out, err = capsys.readouterr()
    assert json.loads(out) == [] and "dry run: 0 kind(s)" in err


def test_apply_refuses_a_day_in_the_future(sigrid: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--db", sigrid, "retention", "--on", "2999-01-01", "--apply"]) == 1
    assert "in the future" in capsys.readouterr().err
