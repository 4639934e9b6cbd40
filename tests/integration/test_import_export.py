"""Importing files and exporting events, as payroll systems and auditors use them.

Every test runs against a real SQLite file and a real PostgreSQL schema.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import psycopg
import pytest
from psycopg import sql

from cli.main import main
from ledger.domain.errors import ImportRefused
from ledger.services.interchange import export_events, import_file, iter_events
from ledger.services.recording import Ledger
from tests.builders import hired, leave, retracted, sick, terminated

VOLATILE = ("recorded_at", "ledger_position")


@pytest.fixture
def ledger(ledger_url: str) -> Iterator[Ledger]:
    with Ledger(ledger_url) as ledger:
        yield ledger


@pytest.fixture
def empty_url(ledger_url: str, tmp_path: Path) -> Iterator[str]:
    """A second, empty ledger on the same backend."""
    if ledger_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path}/empty.sqlite"
        return
    base, _, _ = ledger_url.partition("?")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    try:
        yield f"{base}?schema={schema}"
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def write_jsonl(path: Path, lines: list[Any]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(x) + b"\n" for x in lines))
    return path


def stored(ledger: Ledger) -> list[dict[str, Any]]:
    return list(iter_events(ledger.store))


def without_volatile(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in ev.items() if k not in VOLATILE} for ev in events]


def a_year_at_the_nursing_home() -> list[dict[str, Any]]:
    """One person's year: every kind of person and employment event, and a correction."""
    return [
        hired(event_id="h1", effective_date="2023-12-01", recorded_by="kari"),
        {"type": "position_changed", "event_id": "p1", "employment_id": "A1",
         "effective_date": "2024-03-01", "position_pct": 80},
        {"type": "transferred", "event_id": "t1", "employment_id": "A1",
         "effective_date": "2024-04-01", "sector": "Helse og omsorg", "unit": "Heimetenesta"},
        {"type": "salary_changed", "event_id": "l1", "employment_id": "A1",
         "effective_date": "2024-05-01", "annual_salary": 575_000,
         "reason": "central_settlement", "note": "HTA 2024"},
        sick("2024-02-05", event_id="s1"),
        sick("2024-02-06", event_id="s2", certificate="doctor", grade_pct=50),
        leave("2024-08-19", "2024-08-21", event_id="v1", welfare_reason="kindergarten_start"),
        {"type": "hms_deviation", "event_id": "d1", "deviation_id": "D1",
         "effective_date": "2024-06-11", "sector": "Helse og omsorg", "unit": "Heimetenesta",
         "category": "personal_injury", "employee_id": "E1", "severity": 2},
        {"type": "hms_deviation_closed", "event_id": "d2", "deviation_id": "D1",
         "effective_date": "2024-06-30", "measures": "New lifting aid"},
        retracted("s2", event_id="r1", reason="the sick note was for 7 February"),
        sick("2024-02-07", event_id="s3", certificate="doctor", grade_pct=50),
        terminated("2024-12-31", event_id="x1"),
    ]  # fmt: skip


# -- all or nothing ---------------------------------------------------------


def a_file_with_broken_json_and_a_rule_break(tmp_path: Path) -> Path:
    path = tmp_path / "in.jsonl"
    path.write_bytes(
        orjson.dumps(hired()) + b"\n"
        + b'{"type": "sick_day", "employee_id": "E1"\n'
        + orjson.dumps(sick("2019-12-31")) + b"\n"  # before the hire on 2020-01-01
    )  # fmt: skip
    return path


def test_a_file_with_broken_json_and_a_rule_break_is_refused_and_stores_nothing(
    ledger: Ledger, tmp_path: Path
) -> None:
    path = a_file_with_broken_json_and_a_rule_break(tmp_path)

    with pytest.raises(ImportRefused) as refused:
        import_file(ledger, path)

    assert str(refused.value).startswith(
        "import refused, nothing stored: 2 problem(s)\n2: not valid JSON ("
    )
    assert ledger.store.max_position() == 0


def test_a_file_with_broken_json_and_a_rule_break_reports_both(
    ledger: Ledger, tmp_path: Path
) -> None:
    path = a_file_with_broken_json_and_a_rule_break(tmp_path)

    with pytest.raises(ImportRefused) as refused:
        import_file(ledger, path)

    assert {p.line for p in refused.value.problems} == {2, 3}


def test_a_file_with_one_broken_json_line_stores_nothing_at_all(
    ledger: Ledger, tmp_path: Path
) -> None:
    path = tmp_path / "in.jsonl"
    path.write_bytes(orjson.dumps(hired()) + b"\n" + b'{"type": "sick_day", "employee_id": \n')

    with pytest.raises(ImportRefused, match="nothing stored"):
        import_file(ledger, path)

    assert ledger.store.max_position() == 0


def test_rule_breaks_on_several_lines_are_all_reported(ledger: Ledger, tmp_path: Path) -> None:
    lines = [
        hired(),
        sick("2019-12-31"),  # before the hire
        leave("2021-02-01", "2021-02-08", welfare_reason="family_illness"),  # 6 work-days > 5
        {"type": "terminated", "employment_id": "NOPE", "effective_date": "2021-01-01",
         "reason": "other"},
    ]  # fmt: skip
    path = write_jsonl(tmp_path / "in.jsonl", lines)

    with pytest.raises(ImportRefused) as refused:
        import_file(ledger, path)

    assert [(p.line, p.field) for p in refused.value.problems] == [
        (2, "effective_date"),
        (3, "end_date"),
        (4, "employment_id"),
    ]
    assert ledger.store.max_position() == 0


def test_a_refused_file_stores_nothing_even_from_its_good_lines(
    ledger: Ledger, tmp_path: Path
) -> None:
    lines = a_year_at_the_nursing_home()
    lines[7] = {**lines[7], "severity": 5}  # line 8
    path = write_jsonl(tmp_path / "in.jsonl", lines)

    with pytest.raises(ImportRefused, match="\n8: severity: must be at most 3, got 5"):
        import_file(ledger, path)

    assert ledger.store.max_position() == 0


def test_an_event_id_twice_in_one_file_is_refused(ledger: Ledger, tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "in.jsonl", [hired(event_id="x"), sick("2021-01-04", event_id="x")]
    )

    with pytest.raises(ImportRefused, match="2: event_id: 'x' appears twice in the input"):
        import_file(ledger, path)


def test_blank_lines_are_skipped_and_line_numbers_stay_those_of_the_file(
    ledger: Ledger, tmp_path: Path
) -> None:
    path = tmp_path / "in.jsonl"
    path.write_bytes(b"\n" + orjson.dumps(hired()) + b"\n\n" + orjson.dumps(sick("2019-01-01")))

    with pytest.raises(ImportRefused) as refused:
        import_file(ledger, path)

    assert [p.line for p in refused.value.problems] == [4]


# -- idempotent re-import ---------------------------------------------------


def test_importing_the_same_file_twice_stores_nothing_new(ledger: Ledger, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "in.jsonl", a_year_at_the_nursing_home())
    first = import_file(ledger, path)
    before = stored(ledger)

    again = import_file(ledger, path)

    assert (first.stored, first.already_stored) == (12, 0)
    assert (again.stored, again.already_stored) == (0, 12)
    assert again.positions is None
    assert stored(ledger) == before


def test_a_file_that_grew_stores_only_its_new_lines(ledger: Ledger, tmp_path: Path) -> None:
    lines = a_year_at_the_nursing_home()
    import_file(ledger, write_jsonl(tmp_path / "jan.jsonl", lines[:6]))

    result = import_file(ledger, write_jsonl(tmp_path / "all.jsonl", lines))

    assert (result.stored, result.already_stored) == (6, 6)
    assert [ev["event_id"] for ev in stored(ledger)] == [ln["event_id"] for ln in lines]


def test_a_known_event_id_is_a_no_op_even_if_the_line_changed(ledger: Ledger) -> None:
    ledger.record([hired(event_id="h1")])

    result = ledger.record([hired(event_id="h1", position_pct=50)])

    assert result.stored == 0 and result.already_stored == 1
    assert stored(ledger)[0]["position_pct"] == 100


# -- export -----------------------------------------------------------------


def test_export_adds_recorded_time_and_ledger_position(ledger: Ledger) -> None:
    result = ledger.record(a_year_at_the_nursing_home())

    events = stored(ledger)

    assert result.recorded_at is not None and result.positions is not None
    assert [ev["ledger_position"] for ev in events] == list(
        range(result.positions[0], result.positions[1] + 1)
    )
    assert {ev["recorded_at"] for ev in events} == {result.recorded_at.isoformat()}
    assert events[1]["employee_id"] == "E1"  # the owner is filled in for employment events
    retraction = next(ev for ev in events if ev["type"] == "retracted")
    assert retraction["target_type"] == "sick_day"


def test_an_export_imported_into_an_empty_ledger_gives_the_same_events(
    ledger: Ledger, empty_url: str, tmp_path: Path
) -> None:
    ledger.record(a_year_at_the_nursing_home())
    ledger.record([hired(employee_id="E2", employment_id="B1"), sick("2021-02-01", "E2")])
    out = io.BytesIO()
    n = export_events(ledger.store, out)
    path = tmp_path / "export.jsonl"
    path.write_bytes(out.getvalue())

    with Ledger(empty_url) as copy:
        result = import_file(copy, path)
        copied = stored(copy)

    assert n == result.stored == 14
    assert without_volatile(copied) == without_volatile(stored(ledger))


def test_an_export_imported_again_into_its_own_ledger_is_a_no_op(
    ledger: Ledger, tmp_path: Path
) -> None:
    ledger.record(a_year_at_the_nursing_home())
    path = tmp_path / "export.jsonl"
    with path.open("wb") as out:
        export_events(ledger.store, out)

    result = import_file(ledger, path)

    assert (result.stored, result.already_stored) == (0, 12)


# -- the command line -------------------------------------------------------


def test_the_import_command_prints_what_it_stored(
    ledger_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_jsonl(tmp_path / "in.jsonl", a_year_at_the_nursing_home())

    first = main(["--db", ledger_url, "import", str(path)])
    first_out = capsys.readouterr().out
    again = main(["--db", ledger_url, "import", str(path)])
    again_out = capsys.readouterr().out

    assert first == 0 and first_out.startswith("stored 12 events, positions ")
    assert again == 0 and again_out == "stored 0 events (12 already stored)\n"


def test_a_refused_import_exits_non_zero_with_line_numbered_problems(
    ledger_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_jsonl(tmp_path / "in.jsonl", [hired(), sick("2021-03-01", grade_pct=50)])

    code = main(["--db", ledger_url, "import", str(path)])

    captured = capsys.readouterr()
    assert code == 1
    assert captured.out == ""
    assert captured.err == (
        "import refused, nothing stored: 1 problem(s)\n"
        "2: grade_pct: a self-certified sick day is always graded 100 %, got 50\n"
    )


def test_a_missing_file_is_a_clear_error(
    sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--db", sqlite_url, "import", str(tmp_path / "nope.jsonl")])

    assert code == 1
    assert capsys.readouterr().err.startswith("error: cannot read ")


def test_the_export_command_writes_one_json_line_per_event(
    ledger_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Ledger(ledger_url) as ledger:
        ledger.record(a_year_at_the_nursing_home())
    out = tmp_path / "export.jsonl"

    to_stdout = main(["--db", ledger_url, "export", "events"])
    printed = capsys.readouterr().out
    to_file = main(["--db", ledger_url, "export", "events", "--out", str(out)])

    assert to_stdout == 0 and to_file == 0
    assert capsys.readouterr().err == f"exported 12 events to {out}\n"
    lines = [orjson.loads(x) for x in printed.splitlines()]
    assert [x["event_id"] for x in lines] == [x["event_id"] for x in a_year_at_the_nursing_home()]
    assert out.read_text("utf-8") == printed


def test_the_history_command_shows_both_time_axes_and_retractions(
    ledger_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with Ledger(ledger_url) as ledger:
        ledger.record(a_year_at_the_nursing_home())

    code = main(["--db", ledger_url, "history", "E1"])

    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert out[0].split() == ["#", "valid", "recorded", "at", "(UTC)", "by", "type", "details"]
    assert len([x for x in out[1:] if not x.lstrip().startswith("↳")]) == 10  # E1's events
    sick_note = next(x for x in out if x.endswith("[s2]"))
    assert "2024-02-06" in sick_note and "certificate=doctor grade_pct=50" in sick_note
    after = out[out.index(sick_note) + 1]
    assert "↳ RETRACTED at" in after and after.endswith(": the sick note was for 7 February")
    assert "kari" in next(x for x in out if x.endswith("[h1]"))


def test_history_of_an_unknown_person_exits_non_zero(
    ledger_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with Ledger(ledger_url) as ledger:
        ledger.record([hired()])

    code = main(["--db", ledger_url, "history", "NOBODY"])

    assert code == 1
    assert capsys.readouterr().err == "no events recorded for employee NOBODY\n"


def test_reading_a_ledger_that_does_not_exist_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--db", f"sqlite:///{tmp_path}/none.sqlite", "export", "events"])

    assert code == 1
    assert "no ledger at" in capsys.readouterr().err


# -- a person with two employments -------------------------------------------


def test_a_person_may_hold_two_employments_at_once(ledger: Ledger) -> None:
    ledger.record(
        [
            hired(employment_id="A1", position_pct=60, unit="Utsira skule"),
            hired(employment_id="A2", position_pct=20, unit="Utsira sjukeheim",
                  position="Assistent", employment_type="temporary"),
            {"type": "position_changed", "employment_id": "A2", "effective_date": "2021-01-01",
             "position_pct": 40},
            terminated("2022-06-30", employment_id="A1"),
        ]
    )  # fmt: skip

    # A1 has ended, A2 still runs: the person is employed, so a sick day is accepted …
    result = ledger.record([sick("2022-08-01", certificate="doctor")])
    # … but A1 cannot change after its end.
    with pytest.raises(ImportRefused, match="after employment A1 ended"):
        ledger.record(
            [{"type": "salary_changed", "employment_id": "A1", "effective_date": "2022-08-01",
              "annual_salary": 600_000, "reason": "other"}]
        )  # fmt: skip

    assert result.stored == 1
    events = stored(ledger)
    assert {ev["employee_id"] for ev in events} == {"E1"}
    assert [ev["employment_id"] for ev in events if ev["type"] == "hired"] == ["A1", "A2"]


def test_an_employment_change_naming_the_wrong_person_is_refused(ledger: Ledger) -> None:
    ledger.record([hired(), hired(employee_id="E2", employment_id="B1")])

    with pytest.raises(ImportRefused, match="1: employee_id: employment A1 belongs to employee E1"):
        ledger.record(
            [{"type": "position_changed", "employment_id": "A1", "employee_id": "E2",
              "effective_date": "2021-01-01", "position_pct": 50}]
        )  # fmt: skip


# -- corrections ---------------------------------------------------------------


def test_a_wrong_hire_date_is_corrected_by_retraction_and_a_new_hire(ledger: Ledger) -> None:
    ledger.record([hired(event_id="h1", effective_date="2024-08-01")])

    result = ledger.record(
        [
            retracted("h1", reason="wrong hire date: the contract says 2024-08-15"),
            hired(event_id="h2", effective_date="2024-08-15"),
        ]
    )

    assert result.stored == 2
    events = stored(ledger)
    assert [ev["effective_date"] for ev in events if ev["type"] == "hired"] == [
        "2024-08-01",  # kept for the audit trail, but no longer live
        "2024-08-15",
    ]
    with pytest.raises(ImportRefused, match="no active employment"):
        ledger.record([sick("2024-08-05", certificate="doctor")])


def test_retracting_a_hire_that_later_events_depend_on_is_refused(ledger: Ledger) -> None:
    ledger.record(
        [
            hired(event_id="h1", effective_date="2021-01-01"),
            {"type": "position_changed", "employment_id": "A1", "effective_date": "2021-02-01",
             "position_pct": 50},
            sick("2021-03-01", certificate="doctor"),
        ]
    )  # fmt: skip

    with pytest.raises(ImportRefused):
        ledger.record([retracted("h1"), hired(event_id="h2", effective_date="2022-01-01")])
