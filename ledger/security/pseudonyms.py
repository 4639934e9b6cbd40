"""Stable pseudonymous ids: HMAC-SHA256 of an id under a key that lives only in
the environment (`HRLEDGER_PSEUDONYM_KEY`), never in the repository or the
ledger, so an id cannot be recomputed from a name list without the key and
rotating the key unlinks old extracts from new ones (docs/privacy.md)."""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping

from ledger.domain.errors import LedgerError

KEY_ENV = "HRLEDGER_PSEUDONYM_KEY"
MIN_KEY_LENGTH = 32


def pseudonym_key(environ: Mapping[str, str] | None = None) -> bytes:
    """The HMAC key from `HRLEDGER_PSEUDONYM_KEY`; refuses a missing or short key."""
    env = os.environ if environ is None else environ
    key = env.get(KEY_ENV, "")
    if len(key) < MIN_KEY_LENGTH:
        what = "is not set" if not key else f"is shorter than {MIN_KEY_LENGTH} characters"
        raise LedgerError(
            f"{KEY_ENV} {what}; set it to a random secret, e.g. "
            "`python -c 'import secrets; print(secrets.token_hex(32))'`, kept in the "
            "municipality's secret store and never in the repository (docs/privacy.md)"
        )
    return key.encode()


def pseudonym(employee_id: str, key: bytes) -> str:
    """A stable pseudonymous id: HMAC-SHA256(key, employee id), 32 hex characters."""
    digest = hmac.new(key, employee_id.encode(), hashlib.sha256).hexdigest()
    return f"p_{digest[:32]}"
