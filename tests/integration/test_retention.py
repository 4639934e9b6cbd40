"""`hrledger retention --on DATE`: what the policy's retention periods say is due.

Utsira's policy: health fields and notes 3 years after the last day employed; pay and
birth date 5 years after the end of that year (bokføringsloven § 13). Worked by hand:

| person | last day employed | health (3 y) | pay, birth date (5 y from 31 Dec) |
|---|---|---|---|
| E1 | 2021-06-30 | 2024-06-30: 3 sick days + 1 welfare reason | 2026-12-31 |
| E2 | still employed (A2b open) | – | – |
| E3 | 2022-02-28, never sick | nothing to shred; notes 2025-02-28 | 2027-12-31 |
| E4 | 2021-03-31, erased 2025 | gone with the key | gone with her keys |
| E5 | termination retracted | – | – |
"""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from cli.main import main
from ledger.domain.errors import LedgerError
from ledger.domain.policy import RetentionRule, load_policy, policy_from_dict
from ledger.services.recording import Ledger
from projections.api import open_projection
from projections.facts.frozen import erase_person
from projections.reports.retention import add_years, due_on, retention_due
from tests.builders import hired, leave, retracted, sick, terminated


@pytest.fixture
def former(sqlite_url: str) -> str:
    with Ledger(sqlite_url, clock=lambda: datetime(2022, 3, 1, tzinfo=UTC)) as ledger:
        ledger.record(
            [
                hired("E1", "A1", "2015-01-01"),
                {"type": "salary_changed", "employment_id": "A1", "effective_date": "2019-05-01",
                 "annual_salary": 580_000, "reason": "local_negotiation"},
                sick("2020-03-02", "E1"), sick("2020-03-03", "E1"), sick("2020-03-04", "E1"),
                leave("2020-09-01", "2020-09-01", "welfare", "E1", welfare_reason="bereavement"),
                terminated("2021-06-30", "A1"),
                hired("E2", "A2a", "2015-01-01"), hired("E2", "A2b", "2018-01-01"),
                sick("2019-01-07", "E2"), terminated("2020-12-31", "A2a"),
                hired("E3", "A3", "2020-01-01"), terminated("2022-02-28", "A3"),
                hired("E4", "A4", "2016-01-01"), sick("2020-02-03", "E4"),
                terminated("2021-03-31", "A4"),
                hired("E5", "A5", "2016-01-01"), sick("2019-02-04", "E5"),
                terminated("2021-01-31", "A5", event_id="x5"),
            ]
        )  # fmt: skip
        ledger.record([retracted("x5", reason="she stayed")])
    with Ledger(sqlite_url, clock=lambda: datetime(2025, 3, 3, tzinfo=UTC)) as ledger:
        erase_person(ledger, "E4", "sak 2025/7")
    return sqlite_url


def _due(url: str, on: date) -> list[tuple[Any, ...]]:
    rules = load_policy("utsira").retention
    assert rules is not None
    with open_projection(url, persist=False) as p:
        due = retention_due(p.facts(), p.employments(), rules, on)
    return [tuple(r) for r in due.select("employee_id", "kind", "due_on", "items").iter_rows()]


def test_what_is_due_at_the_end_of_2026(former: str) -> None:
    assert _due(former, date(2026, 12, 31)) == [
        ("E1", "health", date(2024, 6, 30), 4),
        ("E1", "free_text", date(2024, 6, 30), None),
        ("E1", "pay", date(2026, 12, 31), 2),
        ("E1", "birth_date", date(2026, 12, 31), 1),
        ("E3", "free_text", date(2025, 2, 28), None),
    ]  # E4's pay and birth date went with her erasure


def test_a_day_earlier_pay_is_not_due_yet(former: str) -> None:
    assert _due(former, date(2026, 12, 30)) == [
        ("E1", "health", date(2024, 6, 30), 4),
        ("E1", "free_text", date(2024, 6, 30), None),
        ("E3", "free_text", date(2025, 2, 28), None),
    ]


def test_nothing_is_due_while_the_periods_run(former: str) -> None:
    assert _due(former, date(2024, 6, 29)) == []


def test_the_dates_count_from_the_last_day_or_the_end_of_its_year() -> None:
    health = RetentionRule(3, "employment_end", "")
    pay = RetentionRule(5, "end_of_year", "")
    assert due_on(date(2021, 6, 30), health) == date(2024, 6, 30)
    assert due_on(date(2021, 6, 30), pay) == date(2026, 12, 31)
    assert add_years(date(2024, 2, 29), 3) == date(2027, 2, 28)


def test_the_command_lists_and_changes_nothing(
    former: str, capsys: pytest.CaptureFixture[str]
) -> None:
    before = Path(former.removeprefix("sqlite:///")).read_bytes()
    assert main(["--db", former, "retention", "--on", "2026-12-31", "--format", "json"]) == 0
    out, err = capsys.readouterr()
    rows = json.load(io.StringIO(out))
    assert [(r["employee_id"], r["kind"]) for r in rows][:2] == [
        ("E1", "health"),
        ("E1", "free_text"),
    ]
    assert "bokføringsloven § 13" in rows[2]["source"]
    assert err == (
        "dry run: 5 kind(s) of field of 2 former employee(s) are due by 2026-12-31 under policy "
        "utsira; nothing was changed\n"
    )
    assert Path(former.removeprefix("sqlite:///")).read_bytes() == before


def test_a_policy_without_retention_periods_is_named(
    former: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from importlib import resources

    data = json.loads(
        resources.files("ledger.domain.policies").joinpath("utsira.json").read_text("utf-8")
    )
    del data["retention"]
    path = tmp_path / "old.json"
    path.write_text(json.dumps(data))
    assert main(["--db", former, "retention", "--on", "2026-12-31", "--policy", str(path)]) == 1
    assert "sets no retention periods" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"health": {"years": 3, "counted_from": "hire", "source": ""}}, "counted_from"),
        ({"shoe_size": {"years": 3, "counted_from": "end_of_year", "source": ""}}, "not a kind"),
        ({"pay": {"years": -5, "counted_from": "end_of_year", "source": ""}}, "non-negative"),
    ],
)
def test_a_malformed_retention_section_is_refused(change: dict[str, Any], message: str) -> None:
    from importlib import resources

    data = json.loads(
        resources.files("ledger.domain.policies").joinpath("utsira.json").read_text("utf-8")
    )
    data["retention"] = change
    with pytest.raises(LedgerError, match=message):
        policy_from_dict(data)
