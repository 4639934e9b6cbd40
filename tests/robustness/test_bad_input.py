"""Fuzzed bad input: refused line by line, field by field, nothing stored, no traceback.

Hypothesis takes a valid line of every event type and breaks one to three of
its fields (wrong type, missing, huge or negative numbers, impossible dates,
unknown enum values, control characters, very long strings, unknown fields),
or replaces the line with something that is not an event at all (broken
JSON, a non-object, NaN/Infinity, binary garbage). The broken line sits
among valid lines of a file imported through the real command line
(`cli.main.main`, in-process for speed). Every case must exit non-zero,
name `LINE: field:` on stderr, print no traceback, and store nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cli.main import main
from ledger.domain.catalogue import (
    COMMON_FIELDS,
    EVENT_TYPES,
    MAX_ID_LENGTH,
    MAX_TEXT_LENGTH,
    Field,
)
from tests.builders import hired, leave, retracted, sick, terminated
from tests.robustness.helpers import assert_clean_failure, run_cli, stored_count
from tests.robustness.lines import write_jsonl

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

CONTEXT = [
    hired("E1", "A1", "2020-01-01", event_id="ctx-1"),
    sick("2021-03-01", "E1", event_id="ctx-2"),
]
"""Valid lines before the broken one, so it is not line 1 and has a person to refer to."""

VALID: dict[str, dict[str, Any]] = {
    "hired": hired("E2", "A2", "2021-01-01"),
    "position_changed": {
        "type": "position_changed",
        "employment_id": "A1",
        "employee_id": "E1",
        "effective_date": "2021-06-01",
        "position_pct": 80,
    },
    "transferred": {
        "type": "transferred",
        "employment_id": "A1",
        "employee_id": "E1",
        "effective_date": "2021-06-01",
        "sector": "Helse",
        "unit": "Sjukeheimen",
        "position": "Sykepleier",
        "is_leader": True,
    },
    "salary_changed": {
        "type": "salary_changed",
        "employment_id": "A1",
        "employee_id": "E1",
        "effective_date": "2021-05-01",
        "annual_salary": 600_000,
        "reason": "central_settlement",
    },
    "leave": leave(
        "2021-09-01",
        "2021-09-02",
        employee_id="E1",
        welfare_reason="kindergarten_start",
        leave_pct=100,
        travel_days=0,
    ),
    "sick_day": sick("2021-04-01", "E1", certificate="doctor", grade_pct=50),
    "hms_deviation": {
        "type": "hms_deviation",
        "deviation_id": "D1",
        "effective_date": "2021-10-10",
        "sector": "Helse",
        "unit": "Sjukeheimen",
        "category": "personal_injury",
        "employee_id": "E1",
        "severity": 2,
    },
    "hms_deviation_closed": {
        "type": "hms_deviation_closed",
        "deviation_id": "D1",
        "effective_date": "2021-10-12",
        "measures": "new routine",
    },
    "terminated": terminated("2022-06-30", "A1"),
    "retracted": retracted("ctx-2"),
}
for _line in VALID.values():
    _line.update(event_id="fuzz-1", recorded_by="clerk", note="fuzzed")

ALL_FIELDS: dict[str, dict[str, Field]] = {
    t: {f.name: f for f in (*COMMON_FIELDS, *spec.fields)} for t, spec in EVENT_TYPES.items()
}

not_a_string = st.one_of(
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
not_a_number = st.one_of(
    st.text(max_size=10),
    st.booleans(),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
control = st.sampled_from(["\x00", "\x01", "\x1b", "\x7f"])
impossible_dates = st.sampled_from(
    ["2025-02-30", "2023-02-29", "2025-13-01", "2025-00-10", "2025-04-31", "0000-01-01",
     "2025-1-1", "25-01-01", "2025/01/01", "01.02.2025", "2025-W01-1", "20250101", "",
     "2025-01-01T00:00", "yesterday", "２０２５-01-01"]
)  # fmt: skip


def bad_value(f: Field) -> st.SearchStrategy[Any]:
    """Values that must be refused for this field."""
    kind = f.kind
    if kind in ("str", "text", "enum"):
        limit = MAX_ID_LENGTH if kind != "text" else MAX_TEXT_LENGTH
        options = [
            not_a_string,
            st.integers(limit + 1, limit + 5000).map(lambda n: "x" * n),
            st.tuples(st.text(max_size=5), control, st.text(max_size=5)).map("".join),
        ]
        if kind == "str" or f.required:
            options.append(st.sampled_from(["", "   ", "\t"]))
        if kind == "enum":
            options.append(st.text(max_size=20).filter(lambda s: s not in f.choices))
            shouted = [c.upper() for c in f.choices if c.upper() not in f.choices]
            if shouted:  # "F".upper() is still a valid gender: only real mistakes count
                options.append(st.sampled_from(shouted))
        return st.one_of(*options)
    if kind == "date":
        return st.one_of(impossible_dates, not_a_string)
    if kind == "bool":
        return st.one_of(st.sampled_from(["true", "false", 0, 1, "yes"]), st.integers(), st.text())
    if kind == "pct":
        return st.one_of(
            not_a_number,
            st.floats(max_value=0, allow_nan=False, allow_infinity=False),
            st.floats(min_value=100.0001, allow_nan=False, allow_infinity=False),
            st.integers(max_value=0),
            st.integers(min_value=101),
        )
    if kind == "money":
        return st.one_of(
            not_a_number,
            st.floats(max_value=0, allow_nan=False, allow_infinity=False),
            st.floats(min_value=1e8, allow_nan=False, allow_infinity=False),
            st.integers(max_value=0),
            st.integers(min_value=100_000_000, max_value=2**63 - 1),
        )
    assert kind == "int"
    return st.one_of(
        not_a_number,
        st.integers(max_value=(f.low or 0) - 1),
        st.integers(min_value=(f.high or 0) + 1, max_value=2**63 - 1),
        st.floats(allow_nan=False, allow_infinity=False).filter(lambda x: not x.is_integer()),
    )


@st.composite
def broken_lines(draw: st.DrawFn) -> tuple[dict[str, Any], set[str]]:
    """A line of some type with 1-3 fields broken; returns it and the fields to be named."""
    type_name = draw(st.sampled_from(sorted(VALID)))
    line = dict(VALID[type_name])
    fields = ALL_FIELDS[type_name]
    names = draw(st.lists(st.sampled_from(sorted(fields)), min_size=1, max_size=3, unique=True))
    named: set[str] = set()
    for name in names:
        f = fields[name]
        how = draw(st.sampled_from(["value", "missing"] if f.required else ["value"]))
        if how == "missing":
            line.pop(name, None)
        else:
            line[name] = draw(bad_value(f))
        named.add(name)
    if draw(st.booleans()) and len(named) < 3:
        extra = draw(st.text(min_size=1, max_size=12).filter(lambda k: k not in fields))
        if extra not in ("type", "recorded_at", "ledger_position", "target_type"):
            line[extra] = draw(st.one_of(st.none(), st.integers(), st.text(max_size=5)))
            named.add(extra)
    return line, named


def import_in_process(
    url: str, lines: list[bytes], path: Path, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str]:
    """Import through the CLI; asserts that the ledger holds no more events than before."""
    path.write_bytes(b"".join(raw + b"\n" for raw in lines))
    before = stored_count(url)
    capsys.readouterr()
    rc = main(["--db", url, "import", str(path)])
    captured = capsys.readouterr()
    if rc != 0:
        assert stored_count(url) == before, "a refused import stored something"
    return rc, captured.err


@pytest.fixture
def fresh_file(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "bad.jsonl"


def dumps(line: Any) -> bytes:
    """JSON as any client might write it, integers beyond 64 bits included."""
    return json.dumps(line, ensure_ascii=False).encode()


def check_broken_line(
    url: str,
    path: Path,
    capsys: pytest.CaptureFixture[str],
    case: tuple[dict[str, Any], set[str]],
    position: int,
) -> None:
    line, named = case
    lines = [dumps(x) for x in CONTEXT]
    lines.insert(position, dumps(line))
    line_no = position + 1

    rc, err = import_in_process(url, lines, path, capsys)

    assert_clean_failure(rc, err)
    assert err.startswith("import refused, nothing stored")
    for name in named:
        assert f"\n{line_no}: {name}: " in err, (name, err)
    assert stored_count(url) == 0


@FUZZ
@given(case=broken_lines(), position=st.integers(0, 2))
def test_every_broken_field_is_named_with_its_line_and_nothing_is_stored(
    sqlite_url: str,
    fresh_file: Path,
    capsys: pytest.CaptureFixture[str],
    case: tuple[dict[str, Any], set[str]],
    position: int,
) -> None:
    check_broken_line(sqlite_url, fresh_file, capsys, case, position)


@pytest.mark.postgres
@settings(FUZZ, max_examples=20)
@given(case=broken_lines(), position=st.integers(0, 2))
def test_broken_fields_are_refused_the_same_way_on_postgresql(
    postgres_url: str,
    fresh_file: Path,
    capsys: pytest.CaptureFixture[str],
    case: tuple[dict[str, Any], set[str]],
    position: int,
) -> None:
    check_broken_line(postgres_url, fresh_file, capsys, case, position)


@pytest.mark.slow
@settings(FUZZ, max_examples=1000)
@given(case=broken_lines(), position=st.integers(0, 2))
def test_a_thousand_broken_lines_are_each_refused_by_field(
    ledger_url: str,
    fresh_file: Path,
    capsys: pytest.CaptureFixture[str],
    case: tuple[dict[str, Any], set[str]],
    position: int,
) -> None:
    check_broken_line(ledger_url, fresh_file, capsys, case, position)


not_json = st.one_of(
    st.sampled_from(
        [
            b'{"type": "hired",',
            b"{'type': 'hired'}",
            b'{"type": "sick_day", }',
            b"{",
            b'{"position_pct": NaN}',
            b'{"position_pct": Infinity}',
            b'{"x": -Infinity}',
            b'{"annual_salary": 1e400}',
            b'{"a": "\\ud800"}',
            b"\xff\xfe{}",
            b"[" * 100_000,
            b'{"type": "hired"} trailing',
            b"\x00\x01\x02",
        ]
    ),
    st.binary(min_size=1, max_size=200).filter(
        lambda b: (
            b"\n" not in b and b.removeprefix(b"\xef\xbb\xbf").strip() != b"" and not _parses(b)
        )
    ),
)
not_an_object = st.one_of(
    st.sampled_from([b"[]", b"[1, 2]", b"42", b'"hired"', b"null", b"true", b"-0.5"]),
    st.lists(st.integers(), max_size=3).map(dumps),
)


def _parses(raw: bytes) -> bool:
    try:
        orjson.loads(raw)
    except orjson.JSONDecodeError:
        return False
    return True


@FUZZ
@given(raw=not_json, position=st.integers(0, 2))
def test_a_line_that_is_not_json_is_named_and_nothing_is_stored(
    sqlite_url: str,
    fresh_file: Path,
    capsys: pytest.CaptureFixture[str],
    raw: bytes,
    position: int,
) -> None:
    lines = [dumps(x) for x in CONTEXT]
    lines.insert(position, raw)

    rc, err = import_in_process(sqlite_url, lines, fresh_file, capsys)

    assert_clean_failure(rc, err)
    assert f"\n{position + 1}: not valid JSON" in err, err
    assert stored_count(sqlite_url) == 0


@FUZZ
@given(raw=not_an_object)
def test_a_line_that_is_not_an_object_is_named(
    sqlite_url: str, fresh_file: Path, capsys: pytest.CaptureFixture[str], raw: bytes
) -> None:
    rc, err = import_in_process(sqlite_url, [dumps(CONTEXT[0]), raw], fresh_file, capsys)

    assert_clean_failure(rc, err)
    assert "\n2: a line must be one JSON object" in err, err
    assert stored_count(sqlite_url) == 0


@FUZZ
@given(
    type_value=st.one_of(
        st.text(max_size=20).filter(lambda t: t not in EVENT_TYPES),
        not_a_string,
        st.sampled_from(["HIRED", "Hired", " hired"]),
    )
)
def test_an_unknown_or_malformed_type_is_named(
    sqlite_url: str, fresh_file: Path, capsys: pytest.CaptureFixture[str], type_value: Any
) -> None:
    line = {**VALID["sick_day"], "type": type_value}
    rc, err = import_in_process(sqlite_url, [dumps(CONTEXT[0]), dumps(line)], fresh_file, capsys)

    assert_clean_failure(rc, err)
    assert "\n2: type: " in err, err
    assert stored_count(sqlite_url) == 0


def test_a_line_without_a_type_is_named(
    sqlite_url: str, fresh_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    line = {k: v for k, v in VALID["hired"].items() if k != "type"}
    rc, err = import_in_process(sqlite_url, [dumps(line)], fresh_file, capsys)

    assert_clean_failure(rc, err)
    assert "\n1: type: is required" in err
    assert stored_count(sqlite_url) == 0


def test_a_duplicate_event_id_in_one_file_names_the_second_line(
    ledger_url: str, fresh_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = [dumps(CONTEXT[0]), dumps(sick("2021-05-05", event_id="ctx-1"))]
    rc, err = import_in_process(ledger_url, lines, fresh_file, capsys)

    assert_clean_failure(rc, err)
    assert "\n2: event_id: 'ctx-1' appears twice in the input (first on line 1)" in err
    assert stored_count(ledger_url) == 0


@pytest.mark.parametrize("content", [b"", b"\n", b"\n   \n\t\n"], ids=["empty", "newline", "blank"])
def test_an_empty_file_is_refused(
    sqlite_url: str, fresh_file: Path, capsys: pytest.CaptureFixture[str], content: bytes
) -> None:
    fresh_file.write_bytes(content)
    rc = main(["--db", sqlite_url, "import", str(fresh_file)])
    err = capsys.readouterr().err

    assert_clean_failure(rc, err)
    assert "1: " in err and "empty" in err
    assert stored_count(sqlite_url) == 0


def test_a_byte_order_mark_at_the_start_is_accepted(
    sqlite_url: str, fresh_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fresh_file.write_bytes(b"\xef\xbb\xbf" + dumps(CONTEXT[0]) + b"\r\n")
    assert main(["--db", sqlite_url, "import", str(fresh_file)]) == 0
    assert stored_count(sqlite_url) == 1


def test_a_very_long_line_is_refused_by_field(
    ledger_url: str, fresh_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    line = {**VALID["hired"], "note": "å" * 5_000_000}
    rc, err = import_in_process(ledger_url, [dumps(line)], fresh_file, capsys)

    assert_clean_failure(rc, err)
    assert "\n1: note: is too long (5000000 characters)" in err
    assert len(err) < 2000, "the whole value was echoed back"


def test_a_nul_character_in_an_id_is_refused_not_a_database_crash(
    ledger_url: str, fresh_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = [dumps(hired("E\x00", "A\x001", event_id="id\x00"))]
    rc, err = import_in_process(ledger_url, lines, fresh_file, capsys)

    assert_clean_failure(rc, err)
    for field in ("employee_id", "employment_id", "event_id"):
        assert f"1: {field}: contains the control character" in err
    assert stored_count(ledger_url) == 0


def test_many_problems_are_all_listed_in_line_order(
    sqlite_url: str, fresh_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = [
        dumps(CONTEXT[0]),
        b"{broken",
        dumps({**VALID["sick_day"], "effective_date": "2025-02-30"}),
        dumps({**VALID["salary_changed"], "annual_salary": -1}),
    ]
    rc, err = import_in_process(sqlite_url, lines, fresh_file, capsys)

    assert_clean_failure(rc, err)
    body = err.splitlines()[1:]
    assert [row.split(":")[0] for row in body] == ["2", "3", "4"]
    assert body[1].startswith("3: effective_date: '2025-02-30' is not a real date")
    assert body[2].startswith("4: annual_salary: must be an amount in NOK above 0")


@pytest.mark.parametrize(
    "content",
    [b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", bytes(range(256)) * 4, b'{"type": "hired"'],
    ids=["png", "all-bytes", "truncated"],
)
def test_garbage_through_the_real_console_script_is_refused_without_traceback(
    sqlite_url: str, tmp_path: Path, content: bytes
) -> None:
    ledger_url = sqlite_url
    path = tmp_path / "garbage.jsonl"
    path.write_bytes(content)
    result = run_cli("--db", ledger_url, "import", str(path))

    assert_clean_failure(result.returncode, result.stderr)
    assert "1: not valid JSON" in result.stderr
    assert stored_count(ledger_url) == 0


def test_a_broken_field_through_the_real_console_script_is_named(
    ledger_url: str, tmp_path: Path
) -> None:
    path = write_jsonl(
        tmp_path / "bad.jsonl", [CONTEXT[0], {**VALID["leave"], "end_date": "2021-02-30"}]
    )
    result = run_cli("--db", ledger_url, "import", str(path))

    assert_clean_failure(result.returncode, result.stderr)
    assert "2: end_date: '2021-02-30' is not a real date" in result.stderr
    assert stored_count(ledger_url) == 0
