"""A municipality's mapping: what its a-melding codes mean in the ledger.

The a-melding names a sub-unit by organisation number and a job by its
STYRK-08 occupation code (`yrke`); the ledger wants a unit, a sector, a job
title, whether it is a leader's or an apprentice's position, and a
full-time-equivalent annual salary. A mapping file per municipality says
how (format and example: docs/import-amelding.md). Every key is optional;
without a file, units and titles are named by their codes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ledger.amelding.codes import EMPLOYMENT_FORMS, LEAVE_KINDS, TERMINATION_REASONS
from ledger.domain.catalogue import (
    EMPLOYMENT_TYPES,
    GENDERS,
    SALARY_REASONS,
)
from ledger.domain.catalogue import (
    LEAVE_KINDS as LEDGER_LEAVE_KINDS,
)
from ledger.domain.catalogue import (
    TERMINATION_REASONS as LEDGER_TERMINATION_REASONS,
)
from ledger.domain.errors import LedgerError


@dataclass(frozen=True)
class Place:
    unit: str
    sector: str


@dataclass(frozen=True)
class PayRule:
    """How the annual salary is read from the month's pay lines.

    The line of a `income` description whose earning period ends last in the
    month is the pay at the month's end: annual salary = amount × 12 × (days
    in the month / days in the earning period) / (position % / 100),
    rounded to `round_to` kroner.
    """

    income: tuple[str, ...] = ("fastloenn",)
    round_to: float = 1.0
    settlement_dates: tuple[str, ...] = ("05-01",)
    """MM-DD: a pay change on such a day is a central settlement, any other `other_reason`."""
    other_reason: str = "other"


@dataclass(frozen=True)
class Mapping:
    name: str = ""
    units: dict[str, Place] = field(default_factory=dict)
    default_sector: str = "Ukjent sektor"
    positions: dict[str, str] = field(default_factory=dict)
    apprentice_occupations: frozenset[str] = frozenset()
    leader_occupations: frozenset[str] = frozenset()
    leader_occupation_prefixes: tuple[str, ...] = ("1",)
    """STYRK-08 major group 1 is managers."""
    employment_forms: dict[str, str] = field(default_factory=lambda: dict(EMPLOYMENT_FORMS))
    default_employment_type: str = "permanent"
    leave_kinds: dict[str, tuple[str, bool]] = field(default_factory=lambda: dict(LEAVE_KINDS))
    termination_reasons: dict[str, str] = field(default_factory=lambda: dict(TERMINATION_REASONS))
    pay: PayRule = PayRule()
    employee_id: str = "ansattnummer"
    """`ansattnummer` (a keyed pseudonym where it is missing) or `pseudonym` (always)."""
    genders: dict[str, str] = field(default_factory=dict)
    """Employee id → F/M, where the municipality records it otherwise than the number's rule."""

    def place(self, orgnr: str) -> Place | None:
        """Where a sub-unit belongs; None when a mapping lists units and this one is missing."""
        found = self.units.get(orgnr)
        if found is not None:
            return found
        return None if self.units else Place(f"virksomhet {orgnr}", self.default_sector)

    def title(self, occupation: str) -> str:
        return self.positions.get(occupation, f"yrke {occupation}")

    def is_leader(self, occupation: str) -> bool:
        return occupation in self.leader_occupations or occupation.startswith(
            self.leader_occupation_prefixes
        )


_KEYS = {
    "name",
    "description",
    "units",
    "default_sector",
    "positions",
    "apprentice_occupations",
    "leader_occupations",
    "leader_occupation_prefixes",
    "employment_forms",
    "default_employment_type",
    "leave_kinds",
    "termination_reasons",
    "pay",
    "employee_id",
    "genders",
}
_PAY_KEYS = {"income", "round_to", "settlement_dates", "other_reason"}


def load_mapping(path: Path | None) -> Mapping:
    """The mapping in `path` (None: the defaults); a malformed file fails before any import."""
    if path is None:
        return Mapping()
    try:
        data = json.loads(path.read_text("utf-8"))
    except OSError as e:
        raise LedgerError(f"cannot read the mapping {path}: {e.strerror}") from None
    except json.JSONDecodeError as e:
        raise LedgerError(f"mapping {path} is not valid JSON: {e}") from None
    try:
        return mapping_from_dict(data)
    except _Bad as e:
        raise LedgerError(f"mapping {path}: {e}") from None


class _Bad(Exception):
    pass


def _strings(value: Any, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _Bad(f"{key} must be a list of strings")
    return tuple(value)


def _choice(value: Any, key: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise _Bad(f"{key}: {value!r} is not one of {', '.join(choices)}")
    return str(value)


def mapping_from_dict(data: Any) -> Mapping:
    if not isinstance(data, dict):
        raise _Bad("must be one JSON object")
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise _Bad(f"unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(_KEYS))}")
    units: dict[str, Place] = {}
    for orgnr, place in (data.get("units") or {}).items():
        if not isinstance(place, dict) or not {"unit", "sector"} <= set(place):
            raise _Bad(f"units.{orgnr} must be an object with unit and sector")
        units[str(orgnr)] = Place(str(place["unit"]), str(place["sector"]))
    positions = data.get("positions") or {}
    if not isinstance(positions, dict) or not all(isinstance(v, str) for v in positions.values()):
        raise _Bad("positions must map yrke codes to job titles")
    forms = dict(EMPLOYMENT_FORMS)
    for code, kind in (data.get("employment_forms") or {}).items():
        forms[code] = _choice(kind, f"employment_forms.{code}", EMPLOYMENT_TYPES)
    leaves = dict(LEAVE_KINDS)
    for code, spec in (data.get("leave_kinds") or {}).items():
        if not isinstance(spec, dict) or "kind" not in spec:
            raise _Bad(f"leave_kinds.{code} must be an object with kind (and paid)")
        kind = _choice(spec["kind"], f"leave_kinds.{code}.kind", LEDGER_LEAVE_KINDS)
        if kind == "welfare":
            raise _Bad(
                f"leave_kinds.{code}: welfare leave needs a reason the a-melding "
                "does not carry; choose care, other or unpaid"
            )
        leaves[code] = (kind, bool(spec.get("paid", False)))
    reasons = dict(TERMINATION_REASONS)
    for code, reason in (data.get("termination_reasons") or {}).items():
        reasons[code] = _choice(reason, f"termination_reasons.{code}", LEDGER_TERMINATION_REASONS)
    pay_data = data.get("pay") or {}
    if not isinstance(pay_data, dict) or set(pay_data) - _PAY_KEYS:
        raise _Bad(f"pay must be an object with {', '.join(sorted(_PAY_KEYS))}")
    round_to = pay_data.get("round_to", 1)
    if isinstance(round_to, bool) or not isinstance(round_to, int | float) or round_to <= 0:
        raise _Bad("pay.round_to must be a positive number of kroner")
    pay = PayRule(
        income=_strings(pay_data.get("income", ["fastloenn"]), "pay.income"),
        round_to=float(round_to),
        settlement_dates=_strings(
            pay_data.get("settlement_dates", ["05-01"]), "pay.settlement_dates"
        ),
        other_reason=_choice(
            pay_data.get("other_reason", "other"), "pay.other_reason", SALARY_REASONS
        ),
    )
    genders = data.get("genders") or {}
    for employee, g in genders.items():
        _choice(g, f"genders.{employee}", GENDERS)
    return Mapping(
        name=str(data.get("name", "")),
        units=units,
        default_sector=str(data.get("default_sector", "Ukjent sektor")),
        positions={str(k): v for k, v in positions.items()},
        apprentice_occupations=frozenset(
            _strings(data.get("apprentice_occupations", []), "apprentice_occupations")
        ),
        leader_occupations=frozenset(
            _strings(data.get("leader_occupations", []), "leader_occupations")
        ),
        leader_occupation_prefixes=_strings(
            data.get("leader_occupation_prefixes", ["1"]), "leader_occupation_prefixes"
        ),
        employment_forms=forms,
        default_employment_type=_choice(
            data.get("default_employment_type", "permanent"),
            "default_employment_type",
            EMPLOYMENT_TYPES,
        ),
        leave_kinds=leaves,
        termination_reasons=reasons,
        pay=pay,
        employee_id=_choice(
            data.get("employee_id", "ansattnummer"), "employee_id", ("ansattnummer", "pseudonym")
        ),
        genders={str(k): str(v) for k, v in genders.items()},
    )


def mapping_to_dict(mapping: Mapping) -> dict[str, Any]:
    """The JSON form of a mapping (the generator writes its municipality's this way)."""
    return {
        "name": mapping.name,
        "units": {k: {"unit": v.unit, "sector": v.sector} for k, v in mapping.units.items()},
        "positions": mapping.positions,
        "apprentice_occupations": sorted(mapping.apprentice_occupations),
        "leader_occupations": sorted(mapping.leader_occupations),
        "leader_occupation_prefixes": list(mapping.leader_occupation_prefixes),
        "pay": {
            "income": list(mapping.pay.income),
            "round_to": mapping.pay.round_to,
            "settlement_dates": list(mapping.pay.settlement_dates),
            "other_reason": mapping.pay.other_reason,
        },
        "employee_id": mapping.employee_id,
    }
