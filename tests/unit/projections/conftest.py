from __future__ import annotations

import pytest

from .factory import Ledger


@pytest.fixture
def ledger() -> Ledger:
    return Ledger()
