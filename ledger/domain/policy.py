"""Per-municipality policy: the numbers the rules read.

Municipalities differ (Utsira's IA rule allows 8 self-certified days per
occurrence, the law 3), so no limit lives in code. A policy is a JSON file;
two are built in: ``utsira`` (the default, from the personnel handbook) and
``statutory``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from ledger.domain.catalogue import SHREDDABLE_KINDS
from ledger.domain.errors import LedgerError


@dataclass(frozen=True)
class SelfCertification:
    max_days_per_occurrence: int
    max_days_per_12_months: int | None
    max_occurrences_per_12_months: int | None
    source: str
    min_service_months: int = 2
    """Months of service with the employer before self-certification (fl. § 8-24 first
    paragraph); a default, because the law sets it for every municipality."""
    service_break_days: int = 14
    """A break between employments of at most this many days keeps the service unbroken
    (fl. § 8-24: re-employment within two weeks counts the earlier employment)."""


@dataclass(frozen=True)
class WelfareLeave:
    max_paid_workdays_per_year: float
    paid_caps_per_case: dict[str, float]
    max_travel_days: int
    unpaid_only: tuple[str, ...]
    max_religious_holiday_workdays_per_year: float
    source: str


@dataclass(frozen=True)
class UnpaidLeave:
    max_months: int
    once_per_years: int
    source: str


RETENTION_KINDS = SHREDDABLE_KINDS
"""Kinds of personal field with a retention period (docs/privacy.md, retention)."""
RETENTION_ANCHORS = ("employment_end", "end_of_year")


@dataclass(frozen=True)
class RetentionRule:
    """How long one kind of field is kept after the person's last employment ended."""

    years: int
    counted_from: str
    """``employment_end`` (the last day employed) or ``end_of_year`` (31 December of
    that year: the accounting rules count from the end of the financial year)."""
    source: str


@dataclass(frozen=True)
class Policy:
    name: str
    description: str
    self_certification: SelfCertification
    welfare_leave: WelfareLeave
    unpaid_leave: UnpaidLeave
    retention: dict[str, RetentionRule] | None = None
    """Per kind of field (``RETENTION_KINDS``); None: the policy sets no retention."""


BUILT_IN = ("utsira", "statutory")
DEFAULT_POLICY = "utsira"


def _check_types(obj: object, where: str) -> None:
    """Every number field must be a number (or null where allowed), so a typo
    in a policy file fails when it loads, not in the middle of an import."""
    import dataclasses

    for f in dataclasses.fields(obj):  # type: ignore[arg-type]
        value = getattr(obj, f.name)
        allowed = str(f.type)
        if ("int" in allowed or "float" in allowed) and "dict" not in allowed:
            if value is None and "None" in allowed:
                continue
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise LedgerError(
                    f"policy value {where}.{f.name} must be a non-negative number, got {value!r}"
                )
        if "dict" in allowed:
            for k, v in value.items():
                if isinstance(v, bool) or not isinstance(v, int | float) or v < 0:
                    raise LedgerError(
                        f"policy value {where}.{f.name}.{k} must be a non-negative number, "
                        f"got {v!r}"
                    )


def policy_from_dict(data: dict[str, Any]) -> Policy:
    policy = _policy_from_dict(data)
    _check_types(policy.self_certification, "self_certification")
    _check_types(policy.welfare_leave, "welfare_leave")
    _check_types(policy.unpaid_leave, "unpaid_leave")
    for kind, rule in (policy.retention or {}).items():
        _check_types(rule, f"retention.{kind}")
        if kind not in RETENTION_KINDS:
            raise LedgerError(
                f"policy value retention.{kind}: not a kind of field; use "
                f"{', '.join(RETENTION_KINDS)}"
            )
        if rule.counted_from not in RETENTION_ANCHORS:
            raise LedgerError(
                f"policy value retention.{kind}.counted_from must be one of "
                f"{', '.join(RETENTION_ANCHORS)}, got {rule.counted_from!r}"
            )
    return policy


def _policy_from_dict(data: dict[str, Any]) -> Policy:
    # Other top-level keys are ignored, so older files load: they carried the KPI targets
    # (sickness_target_pct, apprentice_target), which the targets file holds now.
    try:
        welfare = dict(data["welfare_leave"])
        welfare["unpaid_only"] = tuple(welfare["unpaid_only"])
        return Policy(
            name=data["name"],
            description=data.get("description", ""),
            self_certification=SelfCertification(**data["self_certification"]),
            welfare_leave=WelfareLeave(**welfare),
            unpaid_leave=UnpaidLeave(**data["unpaid_leave"]),
            retention=(
                {k: RetentionRule(**v) for k, v in data["retention"].items()}
                if data.get("retention") is not None
                else None
            ),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise LedgerError(f"policy is incomplete or malformed: {e}") from None


def load_policy(name_or_path: str | None = None) -> Policy:
    """A built-in policy by name, or a policy JSON file by path."""
    name = name_or_path or DEFAULT_POLICY
    if name in BUILT_IN:
        text = resources.files("ledger.domain.policies").joinpath(f"{name}.json").read_text("utf-8")
    else:
        path = Path(name)
        if not path.is_file():
            raise LedgerError(
                f"policy {name!r} is neither a built-in ({', '.join(BUILT_IN)}) nor a file"
            )
        text = path.read_text("utf-8")
    try:
        return policy_from_dict(json.loads(text))
    except json.JSONDecodeError as e:
        raise LedgerError(f"policy file {name} is not valid JSON: {e}") from None
