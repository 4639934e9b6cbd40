"""The pure parts of the a-melding import: identity numbers, pay, mapping."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from ledger.amelding import identity
from ledger.amelding.derive import annual_salary, event_id
from ledger.amelding.mapping import Mapping, PayRule, load_mapping
from ledger.amelding.message import PayLine, Source
from ledger.domain.errors import LedgerError

HERE = Source("m.xml", "melding/Leveranse/oppgave/virksomhet[1]/inntektsmottaker[1]/inntekt[1]")


def pay(amount: float, start: str | None = None, end: str | None = None) -> PayLine:
    return PayLine("1", "fastloenn", amount, start, end, HERE)


@pytest.mark.parametrize(
    ("born", "gender"),
    [(date(1962, 3, 14), "F"), (date(1999, 12, 31), "M"), (date(2004, 2, 29), "F")],
)
def test_a_synthetic_identity_number_is_valid_and_tells_birth_and_gender(
    born: date, gender: str
) -> None:
    number = identity.synthetic_number(born, gender, serial=17)

    assert identity.is_valid(number)
    assert int(number[2:4]) > 80  # Skatteetaten's synthetic numbers: month + 80
    assert (identity.birth_date(number), identity.gender(number)) == (born, gender)


def test_a_wrong_check_digit_makes_a_number_invalid() -> None:
    number = identity.synthetic_number(date(1980, 5, 17), "F", serial=3)
    broken = number[:-1] + str((int(number[-1]) + 1) % 10)

    assert identity.is_valid(number) and not identity.is_valid(broken)


def test_the_annual_salary_is_the_monthly_pay_times_twelve_over_the_position_size() -> None:
    assert annual_salary((pay(25_000),), "2024-03", 50, Mapping()) == 600_000


def test_the_salary_at_the_months_end_comes_from_the_last_earning_period() -> None:
    # 1–14 March at the old salary, 15–31 March at 744,000 a year (17 of 31 days)
    lines = (pay(20_000, "2024-03-01", "2024-03-14"), pay(34_000, "2024-03-15", "2024-03-31"))

    assert annual_salary(lines, "2024-03", 100, Mapping()) == 744_000


def test_back_pay_for_an_earlier_month_is_not_this_months_rate() -> None:
    lines = (pay(50_000), pay(9_000, "2024-01-01", "2024-01-31"))

    assert annual_salary(lines, "2024-03", 100, Mapping()) == 600_000


def test_the_mapping_rounds_the_salary_to_whole_hundreds() -> None:
    rule = Mapping(pay=PayRule(round_to=100))

    assert annual_salary((pay(33_333),), "2024-03", 80, rule) == 500_000
    assert annual_salary((pay(33_333),), "2024-03", 80, Mapping()) == 499_995


def test_an_event_id_after_a_retraction_gets_the_next_generation() -> None:
    first = event_id("910000011", "hired", "E1-1", "2024-01-01")

    again = event_id("910000011", "hired", "E1-1", "2024-01-01", retracted={first}.__contains__)

    assert first.startswith("am-") and again == f"{first}~2"


def test_a_mapping_file_with_an_unknown_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "mapping.json"
    path.write_text(json.dumps({"unitz": {}}), "utf-8")

    with pytest.raises(LedgerError, match="unknown key\\(s\\) unitz"):
        load_mapping(path)


def test_a_mapping_cannot_turn_leave_into_welfare_leave_without_a_reason(tmp_path: Path) -> None:
    path = tmp_path / "mapping.json"
    path.write_text(json.dumps({"leave_kinds": {"velferdspermisjon": {"kind": "welfare"}}}))

    with pytest.raises(LedgerError, match="welfare leave needs a reason"):
        load_mapping(path)
