"""Policies: the per-municipality numbers the rules read."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ledger.domain.errors import LedgerError
from ledger.domain.policy import BUILT_IN, load_policy


def utsira_as_dict() -> dict[str, Any]:
    from importlib import resources

    text = resources.files("ledger.domain.policies").joinpath("utsira.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def test_the_default_policy_is_utsiras_handbook() -> None:
    policy = load_policy()

    assert policy.name == "utsira"
    assert policy.self_certification.max_days_per_occurrence == 8
    assert policy.self_certification.max_days_per_12_months == 24
    assert policy.self_certification.max_occurrences_per_12_months is None
    assert policy.welfare_leave.max_paid_workdays_per_year == 12
    assert policy.welfare_leave.unpaid_only == ("religious_holiday",)
    assert policy.unpaid_leave.max_months == 12 and policy.unpaid_leave.once_per_years == 5


def test_the_statutory_policy_follows_folketrygdloven() -> None:
    policy = load_policy("statutory")

    assert policy.self_certification.max_days_per_occurrence == 3
    assert policy.self_certification.max_days_per_12_months is None
    assert policy.self_certification.max_occurrences_per_12_months == 4
    assert "§ 8-24" in policy.self_certification.source


@pytest.mark.parametrize("name", BUILT_IN)
def test_self_certification_waits_two_months_of_service_in_every_built_in(name: str) -> None:
    rule = load_policy(name).self_certification

    assert (rule.min_service_months, rule.service_break_days) == (2, 14)


def test_a_policy_file_without_the_service_keys_gets_the_statutory_two_months(
    tmp_path: Path,
) -> None:
    data = utsira_as_dict()
    del data["self_certification"]["min_service_months"]
    del data["self_certification"]["service_break_days"]
    path = tmp_path / "old.json"
    path.write_text(json.dumps(data), "utf-8")

    rule = load_policy(str(path)).self_certification

    assert (rule.min_service_months, rule.service_break_days) == (2, 14)


@pytest.mark.parametrize("name", BUILT_IN)
def test_every_built_in_policy_loads(name: str) -> None:
    assert load_policy(name).name == name


def test_a_policy_file_of_another_municipality_loads(tmp_path: Path) -> None:
    data = utsira_as_dict()
    data["name"] = "sandnes"
    data["self_certification"]["max_days_per_occurrence"] = 3
    path = tmp_path / "sandnes.json"
    path.write_text(json.dumps(data), "utf-8")

    policy = load_policy(str(path))

    assert policy.name == "sandnes"
    assert policy.self_certification.max_days_per_occurrence == 3


def test_an_older_policy_file_with_kpi_targets_still_loads(tmp_path: Path) -> None:
    # the KPI targets moved to the targets file; files written before keep working
    data = utsira_as_dict()
    data["sickness_target_pct"] = 6.5
    data["apprentice_target"] = 160
    path = tmp_path / "old.json"
    path.write_text(json.dumps(data), "utf-8")

    policy = load_policy(str(path))

    assert policy == load_policy("utsira")


def test_optional_policy_keys_have_defaults(tmp_path: Path) -> None:
    data = utsira_as_dict()
    del data["description"]
    path = tmp_path / "minimal.json"
    path.write_text(json.dumps(data), "utf-8")

    policy = load_policy(str(path))

    assert policy.description == ""


def test_a_policy_that_is_not_json_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"name": "x",', "utf-8")

    with pytest.raises(LedgerError, match=r"policy file .*broken\.json is not valid JSON"):
        load_policy(str(path))


def test_a_policy_missing_a_section_names_it(tmp_path: Path) -> None:
    data = utsira_as_dict()
    del data["welfare_leave"]
    path = tmp_path / "incomplete.json"
    path.write_text(json.dumps(data), "utf-8")

    with pytest.raises(LedgerError, match="policy is incomplete or malformed: 'welfare_leave'"):
        load_policy(str(path))


def test_a_policy_with_an_unknown_key_is_refused(tmp_path: Path) -> None:
    data = utsira_as_dict()
    data["self_certification"]["max_days_per_week"] = 2
    path = tmp_path / "typo.json"
    path.write_text(json.dumps(data), "utf-8")

    with pytest.raises(LedgerError, match="max_days_per_week"):
        load_policy(str(path))


def test_an_unknown_policy_name_lists_the_built_ins() -> None:
    with pytest.raises(LedgerError, match=r"'oslo' is neither a built-in \(utsira, statutory\)"):
        load_policy("oslo")


def test_a_policy_with_a_value_of_the_wrong_type_is_refused_when_loaded(tmp_path: Path) -> None:
    data = utsira_as_dict()
    data["self_certification"]["max_days_per_occurrence"] = "eight"
    path = tmp_path / "wrong_type.json"
    path.write_text(json.dumps(data), "utf-8")

    with pytest.raises(LedgerError, match="max_days_per_occurrence"):
        load_policy(str(path))
