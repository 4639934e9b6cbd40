"""Entitlements on a date, worked out by hand from the handbook (§5.17, §5.8, §8.5, §10.2–10.3,
vedlegg 2) and AML §15-3, against a real SQLite file and a real PostgreSQL schema."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from cli.main import main
from ledger.domain.policy import load_policy
from ledger.services.entitlements import Entitlements, entitlements
from ledger.services.recording import Ledger
from tests.builders import hired, leave, retracted, sick, terminated


@pytest.fixture
def ledger(ledger_url: str) -> Iterator[Ledger]:
    with Ledger(ledger_url) as ledger:
        yield ledger


def entitled(ledger: Ledger, lines: list[dict[str, Any]], on: str) -> Entitlements:
    ledger.record(lines)
    return entitlements(ledger.store, "E1", date.fromisoformat(on), ledger.policy)


@pytest.mark.parametrize(
    ("hire_date", "months"),
    [
        ("2021-01-01", 1),  # 2021-01-01 .. 2025-03-10: 4.2 years
        ("2019-01-01", 2),  # 6.2 years: at least 5 years' continuous service
        ("2014-01-01", 3),  # 11.2 years: at least 10 years' continuous service
    ],
)
def test_notice_grows_with_continuous_service(ledger: Ledger, hire_date: str, months: int) -> None:
    lines = [hired(effective_date=hire_date, birth_date="1990-04-04")]  # aged 34: no age rule

    ent = entitled(ledger, lines, "2025-03-10")

    assert ent.employee_notice_months == months
    assert ent.employer_notice_months == months


def test_notice_runs_to_the_end_of_a_calendar_month(ledger: Ledger) -> None:
    # Notice given 10 March with 1 month runs from 1 April to 30 April (AML §15-3).
    ent = entitled(ledger, [hired(effective_date="2021-01-01")], "2025-03-10")

    assert ent.notice_given_today_ends == date(2025, 4, 30)


def test_a_sixty_year_old_with_ten_years_gets_six_months_notice_from_the_employer(
    ledger: Ledger,
) -> None:
    # Born 1965-01-15: 60 on 2025-03-10. Hired 2014-06-01: 10.8 years' continuous service.
    # Employer: 4 months over 50, +1 per further 5 years of age → 4 + (60 − 50) // 5 = 6.
    # The employee's own notice stays at 3 months ("may leave after 3").
    # Given 10 March: 6 months from 1 April → 30 September.
    lines = [hired(effective_date="2014-06-01", birth_date="1965-01-15")]

    ent = entitled(ledger, lines, "2025-03-10")

    assert ent.age == 60
    assert ent.employer_notice_months == 6
    assert ent.employee_notice_months == 3
    assert ent.notice_given_today_ends == date(2025, 9, 30)


def test_an_older_employee_with_under_ten_years_gets_no_age_supplement(ledger: Ledger) -> None:
    # 60 years old, hired 2018-01-01: 7.2 years → 2 months both ways.
    lines = [hired(effective_date="2018-01-01", birth_date="1965-01-15")]

    ent = entitled(ledger, lines, "2025-03-10")

    assert ent.employer_notice_months == 2


@pytest.mark.parametrize(("birth_date", "pct"), [("1965-03-10", 14.3), ("1965-03-11", 12.0)])
def test_holiday_pay_is_fourteen_point_three_percent_from_sixty(
    ledger: Ledger, birth_date: str, pct: float
) -> None:
    # On 2025-03-10 the first is 60 (birthday that day), the second 59 (turns 60 the next day).
    ent = entitled(ledger, [hired(birth_date=birth_date)], "2025-03-10")

    assert ent.holiday_pay_pct == pct


def test_a_permanent_employee_of_63_in_an_80_percent_position_gets_a_pro_rata_senior_bonus(
    ledger: Ledger,
) -> None:
    # NOK 30,000 × 80 / 100 = NOK 24,000 (vedlegg 2; docs/glossary.md, seniorvederlag).
    lines = [hired(birth_date="1961-06-01", position_pct=80)]

    ent = entitled(ledger, lines, "2025-03-10")

    assert ent.age == 63
    assert "senior bonus NOK 24,000 per year (age 62–64, permanent; vedlegg 2)" in (
        ent.senior_measures
    )


def test_a_temporary_employee_of_63_gets_no_senior_bonus(ledger: Ledger) -> None:
    lines = [hired(birth_date="1961-06-01", employment_type="temporary")]

    ent = entitled(ledger, lines, "2025-03-10")

    assert not any("senior bonus" in s for s in ent.senior_measures)


def test_a_sixty_six_year_old_in_a_60_percent_position_gets_six_days_off(ledger: Ledger) -> None:
    # 10 days × 60 / 100 = 6 paid days off per year (age 65–67, vedlegg 2).
    lines = [hired(birth_date="1959-01-01", position_pct=60)]

    ent = entitled(ledger, lines, "2025-03-10")

    assert ent.age == 66
    assert "6 paid days off per year (age 65–67; vedlegg 2)" in ent.senior_measures


def test_the_twentieth_service_anniversary_within_twelve_months_is_listed(ledger: Ledger) -> None:
    # Hired 2005-09-01: 20 years' service on 2025-09-01, within 12 months of 2025-03-10.
    lines = [hired(effective_date="2005-09-01", birth_date="1970-01-01")]

    ent = entitled(ledger, lines, "2025-03-10")

    assert ent.anniversaries == [
        "20 years' service on 2025-09-01: flowers and a gift worth NOK 8,000 (§10.2–10.3)"
    ]


def test_an_anniversary_more_than_twelve_months_away_is_not_listed(ledger: Ledger) -> None:
    lines = [hired(effective_date="2005-09-01", birth_date="1970-01-01")]

    ent = entitled(ledger, lines, "2024-08-31")  # 2025-09-01 is 12 months and a day away

    assert ent.anniversaries == []


def test_service_anniversaries_count_combined_service_across_a_gap(ledger: Ledger) -> None:
    # 2000-01-01 .. 2004-12-31: 5 years. Rehired 2010-01-01: 15 more years → 20 years'
    # combined service on 2025-01-01, within 12 months of 2024-06-01.
    lines = [
        hired(effective_date="2000-01-01", birth_date="1970-01-01"),
        terminated("2004-12-31"),
        hired(employment_id="A2", effective_date="2010-01-01", birth_date="1970-01-01"),
    ]

    ent = entitled(ledger, lines, "2024-06-01")

    assert any(a.startswith("20 years' service on 2025-01-01") for a in ent.anniversaries)


def test_self_certified_days_used_and_left_count_the_last_twelve_months(ledger: Ledger) -> None:
    # In the 365 days up to 2025-03-10: 2024-06-03, 2024-06-04, 2025-01-06 (self) = 3;
    # 2024-03-01 is more than 12 months back, the doctor day and the retracted day do not count.
    # Utsira allows 24 → 21 left.
    lines = [
        hired(),
        sick("2024-03-01"),
        sick("2024-06-03"),
        sick("2024-06-04"),
        sick("2024-09-02", certificate="doctor"),
        sick("2024-10-01", event_id="mistake"),
        sick("2025-01-06"),
        retracted("mistake"),
    ]

    ent = entitled(ledger, lines, "2025-03-10")

    assert ent.self_cert_used_12m == 3
    assert ent.self_cert_left_12m == 21


def test_the_statutory_policy_has_no_yearly_self_certification_limit(ledger_url: str) -> None:
    with Ledger(ledger_url, policy="statutory") as ledger:
        ledger.record([hired(), sick("2025-01-06")])

        ent = entitlements(ledger.store, "E1", date(2025, 3, 10), load_policy("statutory"))

    assert ent.self_cert_used_12m == 1 and ent.self_cert_left_12m is None


def test_paid_welfare_leave_used_and_left_in_the_calendar_year(ledger: Ledger) -> None:
    # 2025: kindergarten start Mon–Wed 3–5 Feb = 3 work-days; a half-day medical appointment
    # = 0.5; an unpaid religious holiday does not count; 2024's leave is last year's.
    # Used 3.5 of 12 → 8.5 left.
    lines = [
        hired(),
        leave("2024-11-04", "2024-11-08", welfare_reason="family_illness"),
        leave("2025-02-03", "2025-02-05", welfare_reason="kindergarten_start"),
        leave("2025-02-10", "2025-02-10", welfare_reason="medical_appointment", leave_pct=50),
        leave("2025-02-11", "2025-02-11", welfare_reason="religious_holiday", paid=False),
    ]

    ent = entitled(ledger, lines, "2025-03-10")

    assert ent.paid_welfare_used == 3.5
    assert ent.paid_welfare_left == 8.5


def test_both_concurrent_employments_are_listed(ledger: Ledger) -> None:
    lines = [
        hired(position_pct=60),
        hired(employment_id="A2", unit="Heimetenesta", position_pct=20,
              employment_type="temporary"),
    ]  # fmt: skip

    ent = entitled(ledger, lines, "2025-03-10")

    assert sorted((a["employment_id"], a["position_pct"]) for a in ent.active_employments) == [
        ("A1", 60),
        ("A2", 20),
    ]


def test_the_entitlements_command_prints_the_answers(
    sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with Ledger(sqlite_url) as ledger:
        ledger.record([hired(effective_date="2014-06-01", birth_date="1965-01-15")])

    code = main(["--db", sqlite_url, "entitlements", "E1", "--on", "2025-03-10"])

    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith("Entitlements of employee E1 on 2025-03-10 (age 60)\n")
    assert "employee 3 month(s), employer 6 month(s)" in out
    assert "employer's notice given today ends 2025-09-30" in out
    assert "holiday pay: 14.3 % of last year's gross pay (§5.8)" in out


def test_entitlements_of_an_unknown_employee_is_a_clear_error(
    sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with Ledger(sqlite_url) as ledger:
        ledger.record([hired()])

    code = main(["--db", sqlite_url, "entitlements", "NOBODY", "--on", "2025-03-10"])

    assert code == 1
    assert capsys.readouterr().err == "error: no events recorded for employee NOBODY\n"
