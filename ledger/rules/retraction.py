"""Retractions: the only way to undo a fact, so they must aim true."""

from __future__ import annotations

from typing import Any

from ledger.person import DeviationState, PersonState

Refusal = tuple[str | None, str]


def check_retraction(ev: dict[str, Any], state: PersonState | DeviationState) -> list[Refusal]:
    target = ev["target_event_id"]
    if target in state.retracted:
        return [("target_event_id", f"event {target} is already retracted")]
    if target not in state.facts:
        return [("target_event_id", f"event {target} does not exist in the ledger")]
    return []
