"""Valid interchange files for fault tests: every line has an `event_id`.

A file of a few thousand lines that every rule accepts, built from the test
builders so it reads like HR facts: hires in several units, salary and
position changes, doctor-certified sick days, welfare leave, HMS deviations
and some terminations.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from tests.builders import hired, leave, sick, terminated


def valid_lines(persons: int = 400, *, prefix: str = "x") -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []

    def add(line: dict[str, Any]) -> None:
        line["event_id"] = f"{prefix}-{len(out) + 1}"
        out.append(line)

    for p in range(persons):
        emp, job = f"{prefix}E{p}", f"{prefix}A{p}"
        add(
            hired(
                emp,
                job,
                "2020-01-06",
                gender="MF"[p % 2],
                unit=f"unit {p % 7}",
                position_pct=[100, 80, 50][p % 3],
            )
        )
        add(
            {
                "type": "salary_changed",
                "employment_id": job,
                "effective_date": "2021-05-01",
                "annual_salary": 560_000 + p,
                "reason": "central_settlement",
            }
        )
        add(
            {
                "type": "position_changed",
                "employment_id": job,
                "effective_date": "2021-08-01",
                "position_pct": 60,
            }
        )
        add(sick("2021-03-02", emp, certificate="doctor", grade_pct=50))
        add(sick("2021-03-03", emp))
        add(leave("2021-09-01", "2021-09-01", employee_id=emp, welfare_reason="school_start"))
        add(
            {
                "type": "hms_deviation",
                "deviation_id": f"{prefix}D{p}",
                "effective_date": "2021-10-10",
                "sector": "Helse",
                "unit": f"unit {p % 7}",
                "category": "near_miss",
                "employee_id": emp,
            }
        )
        if p % 5 == 0:
            add(terminated("2022-06-30", job))
    return out


def write_jsonl(path: Path, lines: list[Any]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(line) + b"\n" for line in lines))
    return path
