"""A ledger in memory for the rule tests, and one way to say "this file is refused"."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from ledger.domain.errors import ImportRefused, Problem
from ledger.security.master_key import MasterKeySource
from ledger.services.recording import Ledger
from ledger.storage.memory import MemoryStore

MASTER_KEY = "ab" * 32
"""A throwaway key for ledgers that live only as long as one test."""
RECORDED_AT = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
UTSIRA_SICK = "Personalhåndbok §5.7 (IA-avtalen)"
STATUTORY_SICK = (
    "folketrygdloven § 8-24 (3 days), § 8-27 (right withdrawn after 4 occurrences in 12 months)"
)
WELFARE = "Personalhåndbok §8.5"
UNPAID = "Personalhåndbok §8.7"


def memory_ledger(policy: str | None = None) -> Ledger:
    store = MemoryStore(master_key=MasterKeySource(value=MASTER_KEY))
    return Ledger(store=store, policy=policy, clock=lambda: RECORDED_AT)


def refusals(ledger: Ledger, lines: list[dict[str, Any]]) -> list[Problem]:
    """The problems of a refused file; refused means nothing at all was stored."""
    before = ledger.store.max_position()
    keys_before = ledger.store.key_rows()

    with pytest.raises(ImportRefused) as refused:
        ledger.record(lines)

    assert ledger.store.max_position() == before, "a refused file stored events"
    assert ledger.store.key_rows() == keys_before, "a refused file stored keys"
    return refused.value.problems


def stored(ledger: Ledger, lines: list[dict[str, Any]]) -> int:
    """Record an accepted file; the number of events it stored."""
    return ledger.record(lines).stored
