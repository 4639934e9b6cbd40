"""HMS deviations (§1.11, §4.5, §7.8): reported once, closed once, in order."""

from __future__ import annotations

from typing import Any

from ledger.domain.errors import Refusal
from ledger.domain.person import DeviationState


def check_deviation(ev: dict[str, Any], state: DeviationState) -> list[Refusal]:
    did = state.deviation_id
    if ev["type"] == "hms_deviation":
        if state.reported is not None:
            return [
                (
                    "deviation_id",
                    f"deviation {did} is already reported (event {state.reported[0]}); "
                    "retract it to correct it",
                )
            ]
        return []
    if state.reported is None:
        return [("deviation_id", f"deviation {did} is not reported; record hms_deviation first")]
    if state.closed is not None:
        return [("deviation_id", f"deviation {did} is already closed on {state.closed[1]}")]
    if ev["effective_date"] < state.reported[1]:
        return [
            (
                "effective_date",
                f"deviation {did} cannot be closed on {ev['effective_date']}, before it "
                f"happened ({state.reported[1]})",
            )
        ]
    return []
