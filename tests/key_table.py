"""A key table in memory: the key rows a store would hold, for tests of sealing alone.

The stores' own key tables are tested on real databases (tests/integration).
"""

from __future__ import annotations

from typing import Any

from ledger.security.keys import Keyring, KeyRow


class KeyTable:
    def __init__(self) -> None:
        self.rows: dict[str, KeyRow] = {}

    def key_rows(self, employee_ids: Any = None) -> list[KeyRow]:
        return list(self.rows.values())

    def key_rows_by_id(self, key_ids: Any) -> list[KeyRow]:
        return [self.rows[k] for k in key_ids if k in self.rows]

    def keep(self, ring: Keyring) -> None:
        """Store the keys ``ring`` made, as the write side's transaction would."""
        self.rows.update({r.key_id: r for r in ring.new_rows})
