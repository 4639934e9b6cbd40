"""Bad input that outside fuzzing of `hrledger import` found to end in a traceback.

Each class is tested through the command line (`cli.main.main`, in-process),
for every field kind rather than only the reported case:

- values nested about 1,000 levels deep (JSON parsers allow 1,024) and
  multi-megabyte values: refused by field, and the message never echoes
  more than a short, cut value;
- dates at the ends of the calendar (9999-12-31 and 0001-01-02) in the
  rules that count days and months: checked like any other date;
- PostgreSQL schema names that cannot hold a ledger: refused before anything
  is created, so nothing is left behind.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson
import psycopg
import pytest

from cli.main import main
from tests.builders import hired, leave, sick
from tests.robustness.helpers import assert_clean_failure, stored_count

HIRE = hired("E1", "A1", "2020-01-01", event_id="h1")
LINES: dict[str, dict[str, Any]] = {
    "sick_day": sick("2021-03-01", "E1", certificate="doctor", grade_pct=50),
    "hired": hired("E2", "A2", "2021-01-01"),
    "hms_deviation": {
        "type": "hms_deviation", "deviation_id": "D1", "effective_date": "2021-10-10",
        "sector": "Helse", "unit": "Sjukeheimen", "category": "near_miss", "severity": 2,
    },
}  # fmt: skip
ONE_FIELD_OF_EACH_KIND = [
    ("sick_day", "employee_id"),  # str
    ("sick_day", "certificate"),  # enum
    ("sick_day", "effective_date"),  # date
    ("sick_day", "grade_pct"),  # pct
    ("sick_day", "note"),  # text
    ("hired", "annual_salary"),  # money
    ("hired", "is_leader"),  # bool
    ("hms_deviation", "severity"),  # int
    ("sick_day", "type"),
]
MB = 3_000_000


def deep_list(levels: int) -> bytes:
    return b"[" * levels + b"]" * levels


def deep_object(levels: int) -> bytes:
    return b'{"a":' * levels + b"1" + b"}" * levels


def with_raw_value(line: dict[str, Any], field: str, raw: bytes) -> bytes:
    """``line`` as JSON with ``field`` set to the raw JSON text ``raw``."""
    marker = "__raw_value__"
    text = orjson.dumps({**line, field: marker})
    return text.replace(orjson.dumps(marker), raw)


def import_lines(url: str, lines: list[bytes], tmp_path: Path, capsys: Any) -> tuple[int, str]:
    path = tmp_path / "input.jsonl"
    path.write_bytes(b"".join(raw + b"\n" for raw in lines))
    capsys.readouterr()
    rc = main(["--db", url, "import", str(path)])
    return rc, capsys.readouterr().err


# ------------------------------------------------------------- deep and huge values
@pytest.mark.parametrize("shape", ["list", "object"])
@pytest.mark.parametrize(("type_name", "field"), ONE_FIELD_OF_EACH_KIND)
def test_a_value_nested_a_thousand_deep_is_refused_by_field(
    sqlite_url: str, tmp_path: Path, capsys: Any, type_name: str, field: str, shape: str
) -> None:
    value = deep_list(1_000) if shape == "list" else deep_object(1_000)
    bad = with_raw_value(LINES[type_name], field, value)

    rc, err = import_lines(sqlite_url, [orjson.dumps(HIRE), bad], tmp_path, capsys)

    assert_clean_failure(rc, err)
    assert f"\n2: {field}: " in err, err
    assert "nested too deep to show" in err
    assert stored_count(sqlite_url) == 0


@pytest.mark.parametrize(("type_name", "field"), ONE_FIELD_OF_EACH_KIND)
def test_a_multi_megabyte_value_is_refused_and_shown_cut(
    sqlite_url: str, tmp_path: Path, capsys: Any, type_name: str, field: str
) -> None:
    line = {**LINES[type_name], field: "7" * MB}

    rc, err = import_lines(sqlite_url, [orjson.dumps(HIRE), orjson.dumps(line)], tmp_path, capsys)

    assert_clean_failure(rc, err)
    assert f"\n2: {field}: " in err, err
    assert len(err) < 2_000, f"the message echoes {len(err):,} characters"
    assert stored_count(sqlite_url) == 0


def test_a_multi_megabyte_list_in_a_number_field_is_shown_cut(
    sqlite_url: str, tmp_path: Path, capsys: Any
) -> None:
    line = {**LINES["sick_day"], "grade_pct": list(range(500_000))}

    rc, err = import_lines(sqlite_url, [orjson.dumps(HIRE), orjson.dumps(line)], tmp_path, capsys)

    assert_clean_failure(rc, err)
    assert "\n2: grade_pct: must be a number, got [0,1,2,3" in err
    assert "characters)" in err and len(err) < 1_000


def test_a_multi_megabyte_unknown_field_name_is_shown_cut(
    sqlite_url: str, tmp_path: Path, capsys: Any
) -> None:
    line = {**LINES["sick_day"], "k" * MB: 1}

    rc, err = import_lines(sqlite_url, [orjson.dumps(HIRE), orjson.dumps(line)], tmp_path, capsys)

    assert_clean_failure(rc, err)
    assert f"\n2: {'k' * 80}… (3,000,000 characters): is not a field of sick_day" in err
    assert len(err) < 1_000


# ------------------------------------------------------------ the ends of the calendar
LAST_DAYS = [hired("E1", "A1", "9999-01-04", event_id="h1")]


@pytest.mark.parametrize(
    "line",
    [
        sick("9999-12-31", "E1", certificate="self"),
        sick("9999-12-31", "E1", certificate="doctor", grade_pct=50),
        leave("9999-12-31", "9999-12-31", "welfare", "E1", welfare_reason="family_illness"),
        leave("9999-12-20", "9999-12-31", "welfare", "E1", welfare_reason="family_illness",
              paid=False),
        leave("9999-06-01", "9999-12-31", "unpaid", "E1", paid=False),
        leave("9999-03-01", "9999-12-31", "parental", "E1"),
    ],
    ids=["self-certified", "doctor", "welfare", "unpaid welfare", "unpaid", "parental"],
)  # fmt: skip
def test_an_event_on_the_calendars_last_day_is_checked_and_stored(
    ledger_url: str, tmp_path: Path, capsys: Any, line: dict[str, Any]
) -> None:
    rc, err = import_lines(
        ledger_url, [orjson.dumps(x) for x in (*LAST_DAYS, line)], tmp_path, capsys
    )

    assert rc == 0, err
    assert stored_count(ledger_url) == 2


def test_self_certification_running_into_the_last_day_is_refused_by_its_rule(
    sqlite_url: str, tmp_path: Path, capsys: Any
) -> None:
    days = [sick(f"9999-12-{d}", "E1", certificate="self") for d in range(23, 32)]  # 9 days

    rc, err = import_lines(
        sqlite_url, [orjson.dumps(x) for x in (*LAST_DAYS, *days)], tmp_path, capsys
    )

    assert_clean_failure(rc, err)
    assert "\n10: certificate: self-certification for 9 consecutive calendar days " in err
    assert "(9999-12-23 to 9999-12-31) exceeds 8 days per occurrence" in err


def test_a_second_unpaid_leave_near_the_calendars_end_is_refused_by_its_rule(
    sqlite_url: str, tmp_path: Path, capsys: Any
) -> None:
    first = leave("9999-01-04", "9999-02-28", "unpaid", "E1", paid=False)
    second = leave("9999-11-01", "9999-12-31", "unpaid", "E1", paid=False)

    rc, err = import_lines(
        sqlite_url, [orjson.dumps(x) for x in (*LAST_DAYS, first, second)], tmp_path, capsys
    )

    assert_clean_failure(rc, err)
    assert "\n3: start_date: unpaid leave is granted once per" in err


def test_a_self_certified_day_on_the_first_day_anyone_can_be_employed_is_stored(
    sqlite_url: str, tmp_path: Path, capsys: Any
) -> None:
    lines = [
        hired("E1", "A1", "0001-01-02", birth_date="0001-01-01"),
        sick("0001-01-02", "E1", certificate="self"),
        sick("0001-01-03", "E1", certificate="self"),
    ]
    # No months of service required (fl. § 8-24 would otherwise refuse these days),
    # so that the run of self-certified days meets the calendar's first day.
    policy = json.loads(resources.files("ledger.domain.policies").joinpath("utsira.json")
                        .read_text("utf-8"))  # fmt: skip
    policy["self_certification"]["min_service_months"] = 0
    (tmp_path / "policy.json").write_text(json.dumps(policy), "utf-8")
    path = tmp_path / "input.jsonl"
    path.write_bytes(b"".join(orjson.dumps(x) + b"\n" for x in lines))

    rc = main(["--db", sqlite_url, "import", str(path), "--policy", str(tmp_path / "policy.json")])

    assert rc == 0, capsys.readouterr().err
    assert stored_count(sqlite_url) == 3


def test_kpis_of_the_calendars_last_year_are_computed(
    sqlite_url: str, tmp_path: Path, capsys: Any
) -> None:
    lines = [*LAST_DAYS, sick("9999-12-31", "E1", certificate="doctor")]
    import_lines(sqlite_url, [orjson.dumps(x) for x in lines], tmp_path, capsys)
    out = tmp_path / "kpi.json"

    rc = main(["--db", sqlite_url, "kpi", "--from", "9999-01-01", "--to", "9999-12-31",
               "--every", "year", "--format", "json", "--out", str(out)])  # fmt: skip

    assert rc == 0
    row = orjson.loads(out.read_bytes())[0]
    assert row["headcount"] == 1 and row["lost_workdays"] == 1.0


# ---------------------------------------------------------------- PostgreSQL schema names
@pytest.mark.postgres
@pytest.mark.parametrize(
    ("schema", "why"),
    [
        (" hr ", "it has spaces around it"),
        ("hr ", "it has spaces around it"),
        (" ", "it has spaces around it"),
        ("a.b", "use ASCII letters, digits and _"),
        ('a"b', "use ASCII letters, digits and _"),
        ("kommune-1", "use ASCII letters, digits and _"),
        ("1hr", "use ASCII letters, digits and _"),
        ("x" * 64, "it is 64 characters long; PostgreSQL keeps only 63"),
        ("pg_hr", "names starting with pg_ are reserved"),
    ],
)
def test_a_schema_name_that_cannot_hold_a_ledger_is_refused_and_nothing_is_created(
    postgres_url: str, tmp_path: Path, capsys: Any, schema: str, why: str
) -> None:
    base = postgres_url.split("?")[0]
    url = f"{base}?schema={quote(schema)}"

    rc, err = import_lines(url, [orjson.dumps(HIRE)], tmp_path, capsys)

    assert_clean_failure(rc, err)
    assert "cannot hold a ledger" in err and why in err, err
    assert "nothing was created or written" in err
    with psycopg.connect(base, autocommit=True) as conn:
        left = conn.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname IN (%s, %s, %s)",
            (schema, schema.strip(), schema[:63]),
        ).fetchall()
    assert left == [], f"schema {left} was left behind"
