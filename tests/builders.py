"""Tiny builders for interchange lines, so tests read like HR facts."""

from __future__ import annotations

from typing import Any


def hired(
    employee_id: str = "E1",
    employment_id: str = "A1",
    effective_date: str = "2020-01-01",
    **kw: Any,
) -> dict[str, Any]:
    line = {
        "type": "hired",
        "employee_id": employee_id,
        "employment_id": employment_id,
        "effective_date": effective_date,
        "birth_date": "1980-05-05",
        "gender": "F",
        "sector": "Oppvekst",
        "unit": "Utsira skule",
        "position": "Lærer",
        "employment_type": "permanent",
        "position_pct": 100,
        "annual_salary": 550_000,
    }
    line.update(kw)
    return line


def sick(day: str, employee_id: str = "E1", certificate: str = "self", **kw: Any) -> dict[str, Any]:
    return {
        "type": "sick_day",
        "employee_id": employee_id,
        "effective_date": day,
        "certificate": certificate,
        **kw,
    }


def leave(
    start: str, end: str, kind: str = "welfare", employee_id: str = "E1", **kw: Any
) -> dict[str, Any]:
    line: dict[str, Any] = {
        "type": "leave",
        "employee_id": employee_id,
        "start_date": start,
        "end_date": end,
        "kind": kind,
        "paid": True,
    }
    line.update(kw)
    return line


def terminated(day: str, employment_id: str = "A1", **kw: Any) -> dict[str, Any]:
    return {
        "type": "terminated",
        "employment_id": employment_id,
        "effective_date": day,
        "reason": "resignation",
        **kw,
    }


def retracted(target: str, reason: str = "recorded by mistake", **kw: Any) -> dict[str, Any]:
    return {"type": "retracted", "target_event_id": target, "reason": reason, **kw}


def changed(
    day: str, employment_id: str = "A1", position_pct: float = 80, **kw: Any
) -> dict[str, Any]:
    return {
        "type": "position_changed",
        "employment_id": employment_id,
        "effective_date": day,
        "position_pct": position_pct,
        **kw,
    }


def salary(
    day: str, employment_id: str = "A1", annual_salary: float = 600_000, **kw: Any
) -> dict[str, Any]:
    return {
        "type": "salary_changed",
        "employment_id": employment_id,
        "effective_date": day,
        "annual_salary": annual_salary,
        "reason": "central_settlement",
        **kw,
    }


def deviation(day: str, deviation_id: str = "2024-17", **kw: Any) -> dict[str, Any]:
    return {
        "type": "hms_deviation",
        "deviation_id": deviation_id,
        "effective_date": day,
        "sector": "Oppvekst",
        "unit": "Utsira skule",
        "category": "near_miss",
        **kw,
    }


def deviation_closed(day: str, deviation_id: str = "2024-17", **kw: Any) -> dict[str, Any]:
    return {
        "type": "hms_deviation_closed",
        "deviation_id": deviation_id,
        "effective_date": day,
        **kw,
    }
