"""Sick leave as periods: one `sick_day` per calendar day, rules on the whole period,
refusals naming the period, and the CSV export of an HR system."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from cli.main import main
from ledger.domain.errors import ImportRefused
from ledger.services.absence_csv import column_mapping, read_absence_csv
from ledger.services.interchange import import_file
from ledger.services.recording import Ledger
from projections.api import open_projection
from tests.builders import hired


def period(start: str, end: str, certificate: str = "doctor", **kw: Any) -> dict[str, Any]:
    return {
        "type": "sick_leave",
        "event_id": "SL-1",
        "employee_id": "E1",
        "start_date": start,
        "end_date": end,
        "certificate": certificate,
        **kw,
    }


def jsonl(path: Path, lines: list[dict[str, Any]]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(x) + b"\n" for x in lines))
    return path


def refusal(url: str, path: Path, **kw: Any) -> list[str]:
    with Ledger(url) as ledger:
        before = ledger.store.max_position()
        with pytest.raises(ImportRefused) as exc:
            import_file(ledger, path, **kw)
        assert ledger.store.max_position() == before, "a refused import stored something"
    return str(exc.value).splitlines()[1:]


def sick_days(url: str) -> list[tuple[str, str, str, float]]:
    with open_projection(url, persist=False) as p:
        sick = p.facts().sick.sort("date")
    return [
        (e, d.isoformat(), c, g)
        for e, d, c, g in sick.select("event_id", "date", "certificate", "grade_pct").rows()
    ]


def test_a_period_is_one_sick_day_per_calendar_day(ledger_url: str, tmp_path: Path) -> None:
    path = jsonl(tmp_path / "in.jsonl", [hired(), period("2024-03-29", "2024-04-01", grade_pct=50)])

    with Ledger(ledger_url) as ledger:
        result = import_file(ledger, path)

    assert result.stored == 5  # the hire and four calendar days, the weekend included
    assert sick_days(ledger_url) == [
        ("SL-1.1", "2024-03-29", "doctor", 50.0),
        ("SL-1.2", "2024-03-30", "doctor", 50.0),
        ("SL-1.3", "2024-03-31", "doctor", 50.0),
        ("SL-1.4", "2024-04-01", "doctor", 50.0),
    ]


def test_sending_a_period_again_or_longer_stores_only_the_new_days(
    ledger_url: str, tmp_path: Path
) -> None:
    with Ledger(ledger_url) as ledger:
        first = [hired(event_id="h1"), period("2024-03-04", "2024-03-06")]
        import_file(ledger, jsonl(tmp_path / "a.jsonl", first))

        again = import_file(ledger, tmp_path / "a.jsonl")
        longer = import_file(
            ledger, jsonl(tmp_path / "b.jsonl", [period("2024-03-04", "2024-03-08")])
        )

    assert (again.stored, again.already_stored) == (0, 4)
    assert (longer.stored, longer.already_stored) == (2, 3)


def test_a_self_certified_period_over_the_limit_is_refused_as_one_line(
    ledger_url: str, tmp_path: Path
) -> None:
    path = jsonl(tmp_path / "in.jsonl", [hired(), period("2024-03-04", "2024-03-13", "self")])

    problems = refusal(ledger_url, path)

    assert problems == [  # the first day over the limit; split the period to fix it
        "2: certificate: sick leave 2024-03-04 to 2024-03-13: self-certification for 9 consecutive "
        "calendar days (2024-03-04 to 2024-03-12) exceeds 8 days per occurrence (Personalhåndbok "
        "§5.7 (IA-avtalen)); use a doctor's certificate"
    ]


def test_a_period_outside_the_employment_names_the_period_and_its_days(
    ledger_url: str, tmp_path: Path
) -> None:
    path = jsonl(
        tmp_path / "in.jsonl",
        [hired(effective_date="2024-03-06"), period("2024-03-04", "2024-03-07")],
    )

    problems = refusal(ledger_url, path)

    assert problems == [
        "2: effective_date: sick leave 2024-03-04 to 2024-03-07: sick day 2024-03-04: employee E1 "
        "has no active employment that day (first hired 2024-03-06); sick days only while "
        "employed (and 1 more day(s) of the period)"
    ]


def test_a_malformed_period_is_refused_and_other_lines_keep_their_numbers(
    ledger_url: str, tmp_path: Path
) -> None:
    bad_day = {
        "type": "sick_day",
        "employee_id": "E1",
        "effective_date": "2024-13-01",
        "certificate": "self",
    }
    path = jsonl(
        tmp_path / "in.jsonl",
        [
            hired(),
            period("2024-03-10", "2024-03-04", colour="red"),
            period("2024-03-01", "2024-03-03", event_id="SL-2"),
            bad_day,
        ],
    )

    problems = refusal(ledger_url, path)

    assert problems == [
        "2: colour: is not a field of sick_leave",
        "2: end_date: end_date 2024-03-04 is before start_date 2024-03-10",
        "4: effective_date: '2024-13-01' is not a real date (YYYY-MM-DD)",
    ]


def test_a_wrong_certificate_is_one_line_for_the_period(ledger_url: str, tmp_path: Path) -> None:
    path = jsonl(tmp_path / "in.jsonl", [hired(), period("2024-03-04", "2024-03-06", "nurse")])

    problems = refusal(ledger_url, path)

    assert problems == [
        "2: certificate: sick leave 2024-03-04 to 2024-03-06: 'nurse' is not one of self, doctor "
        "(and 2 more day(s) of the period)"
    ]


# -- CSV --------------------------------------------------------------------------------

NORWEGIAN_EXPORT = """\ufeffAnsattnr;Fra;Til;Type;Grad;Id
E1;04.03.2024;06.03.2024;egenmelding;;F-1
E1;11.03.2024;12.03.2024;sykmelding;50 %;F-2
"""
COLUMNS = [
    "employee_id=Ansattnr",
    "start_date=Fra",
    "end_date=Til",
    "certificate=Type",
    "grade_pct=Grad",
    "event_id=Id",
]


def test_an_hr_systems_csv_export_is_read_with_a_column_mapping(tmp_path: Path) -> None:
    path = tmp_path / "fravaer.csv"
    path.write_text(NORWEGIAN_EXPORT, "utf-8")

    rows = list(read_absence_csv(path, column_mapping(COLUMNS)))

    assert rows == [
        (
            2,
            {
                "type": "sick_leave",
                "employee_id": "E1",
                "start_date": "2024-03-04",
                "end_date": "2024-03-06",
                "certificate": "self",
                "event_id": "F-1",
            },
        ),
        (
            3,
            {
                "type": "sick_leave",
                "employee_id": "E1",
                "start_date": "2024-03-11",
                "end_date": "2024-03-12",
                "certificate": "doctor",
                "grade_pct": 50,
                "event_id": "F-2",
            },
        ),
    ]


def test_a_csv_row_breaking_a_rule_is_named_by_its_line(ledger_url: str, tmp_path: Path) -> None:
    with Ledger(ledger_url) as ledger:
        ledger.record([hired(effective_date="2024-03-05")])
    path = tmp_path / "fravaer.csv"
    path.write_text(NORWEGIAN_EXPORT, "utf-8")

    problems = refusal(
        ledger_url, path, lines_of=lambda p: read_absence_csv(p, column_mapping(COLUMNS))
    )

    assert problems == [
        "2: effective_date: sick leave 2024-03-04 to 2024-03-06: sick day 2024-03-04: employee E1 "
        "has no active employment that day (first hired 2024-03-05); sick days only while employed",
        "2: certificate: sick leave 2024-03-04 to 2024-03-06: self-certification on 2024-03-05 is "
        "before employee E1 has 2 months of service (employed since 2024-03-05; "
        "self-certification from 2024-05-05) (folketrygdloven § 8-24); use a doctor's "
        "certificate (and 1 more day(s) of the period)",
    ]


def test_a_csv_without_a_needed_column_says_which(tmp_path: Path) -> None:
    path = tmp_path / "fravaer.csv"
    path.write_text("Ansattnr;Fra;Til\nE1;04.03.2024;06.03.2024\n", "utf-8")

    with pytest.raises(ImportRefused) as exc:
        list(
            read_absence_csv(
                path, column_mapping(["employee_id=Ansattnr", "start_date=Fra", "end_date=Til"])
            )
        )

    assert str(exc.value).splitlines()[1] == (
        "1: column 'certificate' (for certificate) is missing; the header has Ansattnr, Fra, Til "
        "(map columns with --column)"
    )


def test_the_import_absence_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path}/ledger.sqlite"
    with Ledger(url) as ledger:
        ledger.record([hired()])
    path = tmp_path / "fravaer.csv"
    path.write_text(NORWEGIAN_EXPORT, "utf-8")
    args = ["--db", url, "import-absence", str(path), *(f"--column={c}" for c in COLUMNS)]

    assert main(args) == 0
    assert capsys.readouterr().out == "stored 5 sick days\n"
    assert main(args) == 0
    assert capsys.readouterr().out == "stored 0 sick days (5 already stored)\n"
