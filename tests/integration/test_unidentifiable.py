"""After an erasure, nothing readable still points at the person (issue 14).

Sigrid (E1) was the only baker of Utsira's bakery (a unit of one), born
1961-07-13 and paid 612 345 a year; Per (E2) works in the school. After
`hrledger erase E1`, her birth date, salary, unit, job title and notes must
be found in no output: export, history, the roster of a day she worked, the
follow API, and the projection folder (every segment opened and grepped; in
the frozen share of the KPIs, a salary *sum* of a group of one is her salary:
docs/privacy.md says so, and published tables suppress such cells).
Per's are all still there. The KPIs of every grouping stay as they were.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import orjson
import polars as pl
import pytest

from cli.main import main
from ledger.services.follow import open_log
from ledger.services.history import person_history
from ledger.services.recording import Ledger
from projections.api import open_projection
from projections.facts.frozen import erase_person
from projections.facts.store import SUFFIX, FactStore
from tests.builders import hired, leave, sick, terminated
from tests.integration.test_erasure import _assert_same, _stored_bytes

RECORDED = datetime(2022, 1, 10, tzinfo=UTC)
ERASED_AT = datetime(2025, 3, 3, tzinfo=UTC)
HERS = ("1961-07-13", "612345", "Bakeriet", "Baker", "eldste baker")
HIS = ("1990-02-02", "480000", "Utsira skule", "Lærer")


def _sigrid_and_per(url: str) -> None:
    with Ledger(url, clock=lambda: RECORDED) as ledger:
        ledger.record(
            [
                hired("E1", "A1", "2019-01-01", birth_date="1961-07-13", unit="Bakeriet",
                      position="Baker", annual_salary=612_345, sector="Næring",
                      note="eldste baker"),
                hired("E2", "A2", "2019-01-01", gender="M", birth_date="1990-02-02",
                      annual_salary=480_000),
                {"type": "salary_changed", "employment_id": "A1", "effective_date": "2020-05-01",
                 "annual_salary": 630_000, "reason": "local_negotiation"},
                sick("2020-03-02", "E1"), sick("2020-03-03", "E1"),
                sick("2020-03-02", "E2"),
                leave("2020-06-01", "2020-06-30", "parental", "E1"),
                {"type": "hms_deviation", "deviation_id": "D1", "effective_date": "2020-08-03",
                 "sector": "Næring", "unit": "Bakeriet", "category": "personal_injury",
                 "employee_id": "E1", "severity": 2},
                {"type": "hms_deviation_closed", "deviation_id": "D1",
                 "effective_date": "2020-09-01"},
                terminated("2021-06-30", "A1"),
            ]
        )  # fmt: skip


@pytest.fixture
def sigrid(ledger_url: str) -> str:
    _sigrid_and_per(ledger_url)
    return ledger_url


def _erase(url: str) -> None:
    with Ledger(url, clock=lambda: ERASED_AT) as ledger:
        erase_person(ledger, "E1", "request 2025/9")


def _outputs(url: str, folder: Path) -> dict[str, bytes]:
    """Every output a user can read, as bytes."""
    out: dict[str, bytes] = {}
    buf = io.BytesIO()
    with Ledger(url) as ledger:
        from ledger.services.interchange import export_events

        export_events(ledger.store, buf)
        out["export"] = buf.getvalue()
        out["history"] = orjson.dumps(
            [e.__dict__ for e in person_history(ledger.store, "E1")], default=str
        )
    with open_log(url) as log:
        out["follow"] = orjson.dumps(log.read(0).events)
    with open_projection(url, directory=folder) as p:
        out["roster"] = p.roster(date(2020, 6, 1)).write_csv().encode()
        out["employments"] = p.employments().write_csv().encode()
    files = FactStore(folder)
    segments = sorted(folder.glob("*" + SUFFIX))
    out["folder"] = b"".join(
        files.read_segment(f.name).write_csv().encode()
        for f in segments
        if not f.name.startswith(("frozen-", "hms-"))
    )
    out["hms"] = b"".join(  # the register of injuries stays; after the erasure, without her
        files.read_segment(f.name)["employee_id"].drop_nulls().str.join(",").item().encode()
        for f in segments
        if f.name.startswith("hms-")
    )
    frozen = [files.read_segment(f.name) for f in segments if f.name.startswith("frozen-")]
    if frozen:
        # the frozen share: sums per group, no employee id, no date of hers (documented:
        # in a group of one, a sum is that person's value; published tables suppress it)
        assert "employee_id" not in frozen[0].columns
        out["frozen"] = b"".join(
            f.drop(c for c in f.columns if c.startswith("salary_sum")).write_csv().encode()
            for f in frozen
        )
    return out


def test_before_the_erasure_her_fields_are_there(sigrid: str, tmp_path: Path) -> None:
    outputs = _outputs(sigrid, tmp_path / "projection")

    for name in ("export", "follow", "folder", "employments"):
        for value in HERS[:4]:
            assert value.encode() in outputs[name], (name, value)


def test_after_the_erasure_no_output_holds_her_birth_date_pay_unit_or_job(
    sigrid: str, tmp_path: Path
) -> None:
    folder = tmp_path / "projection"
    _outputs(sigrid, folder)  # a stored projection that held her fields
    _erase(sigrid)

    outputs = _outputs(sigrid, folder)
    for name, data in outputs.items():
        # the frozen share is per group (a unit is a KPI group); it holds no date of hers
        values = (HERS[0], HERS[4]) if name == "frozen" else (*HERS, "630000")
        for value in values:
            assert value.encode() not in data, (name, value)
    assert "frozen" in outputs
    assert b"E1" not in outputs["hms"]
    for name in ("export", "follow", "folder", "employments", "roster"):
        for value in HIS[1:]:
            assert value.encode() in outputs[name], (name, value)
    assert b"1990-02-02" in outputs["export"] and b"1990-02-02" in outputs["folder"]


def test_export_and_history_say_erased_where_her_fields_were(sigrid: str) -> None:
    _erase(sigrid)
    with Ledger(sigrid) as ledger:
        history = person_history(ledger.store, "E1")
    hire = history[0].details
    assert hire["birth_date"] == hire["annual_salary"] == hire["unit"] == "[erased]"
    assert hire["position"] == "[erased]" and hire["sector"] == "Næring"

    with open_log(sigrid) as log:
        events = log.read(0).events
    hires = {e["employee_id"]: e for e in events if e["type"] == "hired"}
    assert hires["E1"]["annual_salary"] == "[erased]" and hires["E1"]["gender"] == "F"
    assert hires["E2"]["annual_salary"] == 480_000 and hires["E2"]["unit"] == "Utsira skule"


def test_the_roster_still_lists_her_employment_without_identifying_fields(
    sigrid: str,
) -> None:
    _erase(sigrid)
    with open_projection(sigrid, persist=False) as p:
        roster = p.roster(date(2020, 6, 1)).sort("employee_id")

    her = roster.row(0, named=True)
    assert her["employee_id"] == "E1" and her["sector"] == "Næring"
    assert her["unit"] == her["position"] == "[erased]"
    assert her["birth_date"] is None and her["annual_salary"] is None


def test_every_kpi_of_every_grouping_is_unchanged(sigrid: str, tmp_path: Path) -> None:
    folder = tmp_path / "projection"
    before = _kpis(sigrid, folder)
    then = _kpis(sigrid, folder, known_at=datetime(2022, 1, 10, tzinfo=UTC))

    _erase(sigrid)

    _assert_same(before, _kpis(sigrid, folder))
    _assert_same(before, _kpis(sigrid, None))
    _assert_same(then, _kpis(sigrid, None, known_at=datetime(2022, 1, 10, tzinfo=UTC)))
    year = before["year/None"].filter(pl.col("period_start") == date(2020, 1, 1)).row(0, named=True)
    # by hand: at the end of 2020 Sigrid earns 630 000, Per 480 000: 131.25 %
    assert year["women_pay_pct_of_men"] == pytest.approx(131.25, rel=1e-12)
    assert year["avg_salary_women"] == pytest.approx(630_000)
    assert year["mean_age"] == pytest.approx((59 + 30) / 2)  # 59 and 30 on 31 Dec 2020
    assert year["parental_leave_women"] == 1
    women = before["year/gender"].filter(
        (pl.col("period_start") == date(2020, 1, 1)) & (pl.col("gender") == "F")
    )
    assert women["personal_injuries"].to_list() == [1]  # D1 names Sigrid: still hers


def _kpis(url: str, folder: Path | None, known_at: datetime | None = None) -> dict[str, Any]:
    out = {}
    with open_projection(url, directory=folder, persist=folder is not None) as p:
        for every in ("month", "quarter", "year"):
            for by in (None, "sector", "unit", "gender", "age_band"):
                out[f"{every}/{by}"] = p.kpi(
                    date(2019, 1, 1), date(2021, 12, 31), every, by, known_at=known_at
                )
    return out


def test_the_command_line_outputs_hold_none_of_her_fields(
    sigrid: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _erase(sigrid)
    capsys.readouterr()
    assert main(["--db", sigrid, "export", "events"]) == 0
    assert main(["--db", sigrid, "history", "E1"]) == 0
    assert main(["--db", sigrid, "roster", "--on", "2020-06-01"]) == 0
    out = capsys.readouterr().out
    for value in HERS:
        assert value not in out, value
    assert "480000" in out or "480 000" in out


# ------------------------------------------------- a ledger from before the kind keys
def _legacy_seal(ev: dict[str, Any], ring: Any, owner: str | None) -> dict[str, Any]:
    """How events were sealed before pay and birth date had keys of their own."""
    from ledger.security.sealing import retained_fields, shreddable_fields

    out, aad = dict(ev), ev["event_id"]
    if owner is not None:
        kid = ring.key_for(owner)
        own = {f: out.pop(f) for f in shreddable_fields(ev["type"]) if out.get(f) is not None}
        if own:
            out["sealed"] = ring.seal(kid, own, aad)
    kept = {f: out.pop(f) for f in retained_fields(ev["type"]) if out.get(f) is not None}
    if kept:
        out["sealed_l"] = ring.seal(ring.key_for(None), kept, aad)
    return out


def test_a_ledger_from_before_the_kind_keys_is_read_and_masked_after_an_erasure(
    ledger_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as m:
        m.setattr("ledger.services.checking.seal_event", _legacy_seal)
        _sigrid_and_per(ledger_url)
    assert b'"sealed_l"' in _stored_bytes(ledger_url) and b'"sealed_p"' not in _stored_bytes(
        ledger_url
    )
    folder = tmp_path / "projection"
    outputs = _outputs(ledger_url, folder)
    assert b'"sealed_l"' not in outputs["export"] and b"612345" in outputs["export"]
    before = _kpis(ledger_url, folder)

    _erase(ledger_url)

    outputs = _outputs(ledger_url, folder)
    for name, data in outputs.items():
        values = (HERS[0], HERS[4]) if name == "frozen" else (*HERS, "630000")
        for value in values:
            assert value.encode() not in data, (name, value)
    assert b"480000" in outputs["export"] and b"1990-02-02" in outputs["folder"]
    _assert_same(before, _kpis(ledger_url, folder))
    _assert_same(before, _kpis(ledger_url, None))
