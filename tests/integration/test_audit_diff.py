"""`hrledger diff`: why did a period's numbers change between two moments?

Uses the story of test_time_travel (late sick note, retraction, backdated
settlement); March 2021 has 46 agreed work-days for the two employees.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from cli.main import main
from tests.integration.test_time_travel import STORY, record

MARCH = ["--from", "2021-03-01", "--to", "2021-03-31", "--every", "month"]


@pytest.fixture
def story(ledger_url: str) -> str:
    record(ledger_url, STORY)
    return ledger_url


def diff(url: str, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["--db", url, "diff", *args])
    out = capsys.readouterr()
    return code, out.out + out.err


def diff_json(url: str, capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    code, text = diff(url, capsys, *args, "--format", "json")
    assert code == 0, text
    return dict(json.loads(text))


def deltas(report: dict[str, Any]) -> dict[str, tuple[float, float, float]]:
    return {d["kpi"]: (d["at_t1"], d["at_t2"], d["change"]) for d in report["kpi_deltas"]}


def test_a_late_sick_note_is_listed_with_who_recorded_it_and_the_rate_it_raised(
    story: str, capsys: pytest.CaptureFixture[str]
) -> None:
    t1, t2 = "2021-03-10T00:00:00+00:00", "2021-04-01T00:00:00+00:00"

    report = diff_json(story, capsys, *MARCH, "--known-at", t1, "--known-at", t2)

    [change] = report["changes"]
    assert (change["change"], change["type"], change["event_id"]) == ("added", "sick_day", "late")
    assert (change["valid"], change["recorded_by"]) == ("2021-03-01", "ola")
    assert change["recorded_at"] == "2021-03-20T09:00:00+00:00"
    d = deltas(report)
    assert d["sickness_rate_pct"] == pytest.approx((100 / 46, 200 / 46, 100 / 46))
    assert d["doctor_certified_rate_pct"] == pytest.approx((0.0, 100 / 46, 100 / 46))
    assert "self_certified_rate_pct" not in d and "headcount" not in d


def test_a_retraction_is_listed_with_its_reason_and_lowers_the_rate(
    story: str, capsys: pytest.CaptureFixture[str]
) -> None:
    t1, t2 = "2021-04-01T00:00:00+00:00", "2021-05-01T00:00:00+00:00"

    code, text = diff(story, capsys, *MARCH, "--known-at", t1, "--known-at", t2)
    report = diff_json(story, capsys, *MARCH, "--known-at", t1, "--known-at", t2)

    assert code == 0
    assert "retracted  sick_day" in text and "↳ reason: was at a course" in text
    [change] = report["changes"]
    assert (change["change"], change["event_id"], change["recorded_by"]) == (
        "retracted", "s2", "ola")  # fmt: skip
    d = deltas(report)
    assert d["sickness_rate_pct"] == pytest.approx((200 / 46, 100 / 46, -100 / 46))
    assert d["self_certified_rate_pct"] == pytest.approx((100 / 46, 0.0, -100 / 46))


def test_a_backdated_settlement_shows_on_the_day_with_its_roster_change(
    story: str, capsys: pytest.CaptureFixture[str]
) -> None:
    t1, t2 = "2021-06-01T00:00:00+00:00", "2021-07-01T00:00:00+00:00"

    report = diff_json(story, capsys, "--on", "2021-05-15", "--known-at", t1, "--known-at", t2)

    [change] = report["changes"]
    assert (change["type"], change["valid"], change["recorded_by"]) == (
        "salary_changed", "2021-05-01→", "lønn")  # fmt: skip
    assert deltas(report)["women_pay_pct_of_men"] == pytest.approx((100.0, 110.0, 10.0))
    assert report["roster_changes"] == [
        {"employment_id": "A1", "employee_id": "E1", "change": "changed",
         "detail": "annual_salary: 550000.0 → 605000.0"}
    ]  # fmt: skip


def test_a_settlement_effective_after_the_period_is_not_listed(
    story: str, capsys: pytest.CaptureFixture[str]
) -> None:
    t1, t2 = "2021-06-01T00:00:00+00:00", "2021-07-01T00:00:00+00:00"

    code, text = diff(story, capsys, *MARCH, "--known-at", t1, "--known-at", t2)

    assert code == 0
    assert "touching 2021-03-01..2021-03-31: 0 event(s)" in text
    assert "none: every KPI of the period is the same at T1 and T2" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--known-at", "2021-04-01T00:00:00+00:00", *MARCH], "diff needs two moments"),
        (["--known-at", "2021-05-01T00:00:00+00:00", "--known-at", "2021-04-01T00:00:00+00:00",
          *MARCH], "is before 2021-05-01T00:00:00+00:00: give T1 first"),
        (["--known-at", "2021-04-01T00:00:00+00:00", "--known-at", "2021-05-01T00:00:00+00:00"],
         "diff needs a period"),
    ],
)  # fmt: skip
def test_a_diff_without_two_moments_or_a_period_is_refused(
    story: str, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, text = diff(story, capsys, *args)

    assert code == 1 and message in text
