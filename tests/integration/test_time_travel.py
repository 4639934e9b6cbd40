"""Both time axes: what was true on a date, as it was known at a moment.

One small story, recorded with the ledger clock set by hand:

| recorded at (UTC)  | by    | what                                                  |
|--------------------|-------|-------------------------------------------------------|
| 2021-01-04 08:00   | kari  | E1 (F) and E2 (M) hired 2020-01-01, 100 %, NOK 550,000 |
| 2021-03-02 15:00   | kari  | E1 sick 2021-03-02, self-certified (event s2)         |
| 2021-03-20 09:00   | ola   | E1 sick 2021-03-01, doctor — the note came late       |
| 2021-04-10 09:00   | ola   | s2 retracted: "was at a course"                       |
| 2021-06-20 09:00   | lønn  | E1 to NOK 605,000 from 2021-05-01 (central settlement) |

March 2021 has 23 working days (no holidays), so two persons in 100 %
positions have 46 agreed work-days; one lost day is 100/46 %.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import polars as pl
import pytest

from cli.main import main
from ledger.services.recording import Ledger
from projections.api import Projection, open_projection
from tests.builders import hired, retracted, sick


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2021, 1, 4, 8, tzinfo=UTC)

    def set(self, text: str) -> None:
        self.now = datetime.fromisoformat(text)

    def __call__(self) -> datetime:
        return self.now


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


SETTLEMENT = {
    "type": "salary_changed",
    "employment_id": "A1",
    "effective_date": "2021-05-01",
    "annual_salary": 605_000,
    "reason": "central_settlement",
    "recorded_by": "lønn",
}


STORY = [
    ("2021-01-04T08:00:00+00:00",
     [hired(recorded_by="kari"), hired("E2", "A2", gender="M", recorded_by="kari")]),
    ("2021-03-02T15:00:00+00:00", [sick("2021-03-02", event_id="s2", recorded_by="kari")]),
    ("2021-03-20T09:00:00+00:00",
     [sick("2021-03-01", certificate="doctor", event_id="late", recorded_by="ola")]),
    ("2021-04-10T09:00:00+00:00", [retracted("s2", reason="was at a course", recorded_by="ola")]),
    ("2021-06-20T09:00:00+00:00", [SETTLEMENT]),
]  # fmt: skip


def record(url: str, steps: list[tuple[str, list[dict[str, Any]]]]) -> None:
    clock = Clock()
    with Ledger(url, clock=clock) as ledger:
        for when, lines in steps:
            clock.set(when)
            ledger.record(lines)


@pytest.fixture
def story(ledger_url: str) -> str:
    record(ledger_url, STORY)
    return ledger_url


@pytest.fixture
def projection(story: str) -> Iterator[Projection]:
    with open_projection(story, persist=False) as p:
        yield p


def march(p: Projection, known_at: str) -> dict[str, float]:
    row = p.kpi(date(2021, 3, 1), date(2021, 3, 31), "month", known_at=at(known_at)).row(
        0, named=True
    )
    return {k: row[k] for k in ("sickness_rate_pct", "self_certified_rate_pct",
                                "doctor_certified_rate_pct")}  # fmt: skip


def history(url: str, capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    assert main(["--db", url, "history", "E1", *extra]) == 0
    return capsys.readouterr().out


# ---------------------------------------------------------------- history
def test_history_before_the_retraction_does_not_show_the_day_as_retracted(
    story: str, capsys: pytest.CaptureFixture[str]
) -> None:
    before = history(story, capsys, "--known-at", "2021-04-01T00:00:00+00:00")
    now = history(story, capsys)

    assert "[s2]" in before and "RETRACTED" not in before
    assert "↳ RETRACTED at 2021-04-10T09:00:00+00:00 by ola: was at a course" in now


def test_history_before_a_late_sick_note_was_recorded_does_not_show_it(
    story: str, capsys: pytest.CaptureFixture[str]
) -> None:
    before = history(story, capsys, "--known-at", "2021-03-10T00:00:00+00:00")
    after = history(story, capsys, "--known-at", "2021-03-20T09:00:00+00:00")

    assert "[late]" not in before
    late = next(line for line in after.splitlines() if "[late]" in line)
    assert "2021-03-01" in late and "2021-03-20T09:00:00+00:00" in late and "ola" in late


# ---------------------------------------------------------------- KPIs and roster
def test_a_late_recorded_sick_day_is_absent_from_what_was_known_before_it_was_recorded(
    projection: Projection,
) -> None:
    before = march(projection, "2021-03-10T00:00:00+00:00")
    after = march(projection, "2021-04-01T00:00:00+00:00")

    assert before == pytest.approx(
        {"sickness_rate_pct": 100 / 46, "self_certified_rate_pct": 100 / 46,
         "doctor_certified_rate_pct": 0.0}
    )  # fmt: skip
    assert after == pytest.approx(
        {"sickness_rate_pct": 200 / 46, "self_certified_rate_pct": 100 / 46,
         "doctor_certified_rate_pct": 100 / 46}
    )  # fmt: skip


def test_a_retracted_sick_day_counts_until_the_retraction_is_recorded(
    projection: Projection,
) -> None:
    before = march(projection, "2021-04-10T08:59:59+00:00")
    after = march(projection, "2021-04-10T09:00:00+00:00")

    assert before["sickness_rate_pct"] == pytest.approx(200 / 46)
    assert after["sickness_rate_pct"] == pytest.approx(100 / 46)
    assert after["self_certified_rate_pct"] == 0.0


def test_a_backdated_settlement_changes_may_only_once_it_is_recorded(
    projection: Projection,
) -> None:
    def pay(known_at: str) -> list[float]:
        df = projection.kpi(date(2021, 4, 1), date(2021, 5, 31), "month", known_at=at(known_at))
        return df["women_pay_pct_of_men"].to_list()

    def salary(known_at: str) -> float:
        r = projection.roster(date(2021, 5, 15), known_at=at(known_at))
        return float(r.filter(pl.col("employment_id") == "A1")["annual_salary"].item())

    assert pay("2021-06-01T00:00:00+00:00") == [100.0, 100.0]  # April, May
    assert pay("2021-07-01T00:00:00+00:00") == [100.0, 110.0]
    assert salary("2021-06-01T00:00:00+00:00") == 550_000.0
    assert salary("2021-07-01T00:00:00+00:00") == 605_000.0


def test_a_published_report_is_reproduced_to_the_decimal_whatever_is_recorded_later(
    ledger_url: str,
) -> None:
    record(ledger_url, STORY[:2])
    published_at = at("2021-03-10T12:00:00+00:00")
    with open_projection(ledger_url, persist=False) as p:
        published = p.kpi(date(2021, 1, 1), date(2021, 6, 30), "month", by="gender")
    more_sick_days = [sick("2021-02-03", employee_id="E2"), sick("2021-02-04", employee_id="E2")]
    record(ledger_url, [*STORY[2:], ("2021-08-01T10:00:00+00:00", more_sick_days)])

    with open_projection(ledger_url, persist=False) as p:
        reproduced = p.kpi(
            date(2021, 1, 1), date(2021, 6, 30), "month", by="gender", known_at=published_at
        )
        today = p.kpi(date(2021, 1, 1), date(2021, 6, 30), "month", by="gender")

    assert reproduced.equals(published)
    assert reproduced.write_json() == published.write_json()
    assert not today.equals(published)
