"""A small sealed ledger for the downstream tests.

E1 and E2 are hired in November 2021 and fall sick (sick days are sealed at
rest); a sick day of E1 is retracted; E1 leaves in March 2022 and can be
erased three years later. Sick days per month: 2022-01: 1, 2022-02: 1,
2022-03: 1.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ledger.services.recording import Ledger
from projections.facts.frozen import erase_person
from tests.builders import hired, leave, retracted, sick, terminated

FIRST = datetime(2022, 2, 10, 9, 0, tzinfo=UTC)
SECOND = datetime(2022, 4, 5, 9, 0, tzinfo=UTC)
ERASED_AT = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)


def record(url: str, at: datetime, lines: list[dict[str, Any]]) -> None:
    with Ledger(url, clock=lambda: at) as ledger:
        ledger.record(lines)


def two_employees(ledger_url: str) -> None:
    """Nine events in two recorded batches; positions 1–9."""
    record(ledger_url, FIRST, [
        hired("E1", "A1", "2021-11-01", note="overført frå Bokn", event_id="h1"),
        hired("E2", "A2", "2021-11-01", gender="M", birth_date="1990-02-02", event_id="h2"),
        sick("2022-01-10", "E1", event_id="s1"),
        sick("2022-01-11", "E1", event_id="s2"),
        sick("2022-02-07", "E2", certificate="doctor", grade_pct=50, event_id="s3"),
        leave("2022-02-08", "2022-02-08", "welfare", "E2", welfare_reason="family_illness",
              event_id="v1"),
    ])  # fmt: skip
    record(ledger_url, SECOND, [
        retracted("s2", reason="feilregistrert", event_id="r1"),
        sick("2022-03-14", "E1", certificate="doctor", event_id="s4"),
        terminated("2022-03-31", "A1", event_id="t1"),
    ])  # fmt: skip


def erase_e1(url: str) -> None:
    with Ledger(url, clock=lambda: ERASED_AT) as ledger:
        erase_person(ledger, "E1", "request 2025/7")
