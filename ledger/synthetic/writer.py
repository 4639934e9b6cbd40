"""Turns the sorted events into interchange lines with deterministic event ids.

Event ids are numbered in file order under a run tag (preset, seed, years,
scale), so importing the same file twice is a no-op, while files generated
with other parameters never collide with it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ledger.synthetic.model import iso
from ledger.synthetic.sink import Payload, day_of

RECORDED_BY = "synthetic"


def run_tag(preset: str, seed: int, year_from: int, year_to: int, scale: float) -> str:
    tag = f"{preset}-s{seed}-{year_from}-{year_to}"
    return tag if scale == 1 else f"{tag}-x{scale:g}"


def lines(events: list[tuple[int, Payload]], tag: str) -> Iterator[dict[str, Any]]:
    for n, (key, payload) in enumerate(events, start=1):
        event_id = f"{tag}-{n:09d}"
        if isinstance(payload, tuple):
            employee_id, certificate, grade = payload
            line: dict[str, Any] = {
                "type": "sick_day",
                "event_id": event_id,
                "employee_id": employee_id,
                "effective_date": iso(day_of(key)),
                "certificate": certificate,
            }
            if certificate != "self":
                line["grade_pct"] = grade
            line["recorded_by"] = RECORDED_BY
            yield line
        else:
            yield {
                "type": payload["type"],
                "event_id": event_id,
                **payload,
                "recorded_by": RECORDED_BY,
            }
