"""One person's recorded sick days, packed: the rule state that grows with every file.

Why packed: sick days are nine events in ten, and a streamed import keeps
the rule state of every person in its file until it commits. As a dict of
date → (certificate, event id), each day cost about 300 bytes of Python
objects (3.9 GB for three years at Oslo's size). Here a day is an ordinal
in a sorted ``array``, a certificate code and the offset of its event id in
one byte string (without the prefix its source gives every id): about 20
bytes, whatever the file.

It reads like the mapping it replaces (ISO date → (certificate, event id)),
so the rules and the snapshots did not change shape.
"""

from __future__ import annotations

import bisect
from array import array
from collections.abc import Iterator, Mapping
from datetime import date
from typing import Any

from ledger.domain.catalogue import CERTIFICATES

_CODE = {c: i for i, c in enumerate(CERTIFICATES)}
_SELF = _CODE["self"]
_SEP = 0
"""Ends each event id in ``_ids`` (ids are printable, so never hold it)."""
_SHORT = b"\x01"
"""Starts an id stored without the person's id prefix (``_prefix``)."""
_PREFIXES: dict[bytes, bytes] = {}
"""One bytes object per prefix, shared by every person whose ids start with it."""


def _prefix_of(event_id: bytes) -> bytes:
    """What a source's ids share: all but the trailing digits ("payroll-2024-000123")."""
    prefix = event_id.rstrip(b"0123456789")
    return _PREFIXES.setdefault(prefix, prefix)


class SickDays(Mapping[str, tuple[str, str]]):
    """ISO date → (certificate, event id) of every live sick day, sorted by date."""

    __slots__ = ("_certs", "_days", "_ids", "_prefix", "_refs", "self_days")

    def __init__(self) -> None:
        self._days = array("i")
        """Ordinals, ascending."""
        self._certs = bytearray()
        """Certificate code of each day (index in ``CERTIFICATES``)."""
        self._refs = array("i")
        """Offset of each day's event id in ``_ids``."""
        self._ids = bytearray(b"\0")
        """Event ids, each followed by a NUL (so a search for ``NUL id NUL`` is exact); one
        that starts with ``_prefix`` is stored as ``_SHORT`` and the rest (30 bytes → 10)."""
        self._prefix = b""
        """The first id's prefix (``_prefix_of``)."""
        self.self_days = array("i")
        """Ordinals of the self-certified days, ascending (the 12-month window rules)."""

    # -- the mapping -----------------------------------------------------
    def __len__(self) -> int:
        return len(self._days)

    def __iter__(self) -> Iterator[str]:
        return (date.fromordinal(n).isoformat() for n in self._days)

    def __getitem__(self, day: str) -> tuple[str, str]:
        found = self.get(day)
        if found is None:
            raise KeyError(day)
        return found  # type: ignore[no-any-return]

    def __contains__(self, day: object) -> bool:
        return isinstance(day, str) and self._index(date.fromisoformat(day).toordinal()) is not None

    def get(self, day: str, default: Any = None) -> Any:  # no KeyError: a miss is the rule
        i = self._index(date.fromisoformat(day).toordinal())
        return default if i is None else self._entry(i)

    def items(self) -> Iterator[tuple[str, tuple[str, str]]]:  # type: ignore[override]
        """(ISO date, (certificate, event id)), by date."""
        for i, n in enumerate(self._days):
            yield date.fromordinal(n).isoformat(), self._entry(i)

    def values(self) -> Iterator[tuple[str, str]]:  # type: ignore[override]
        for _, value in self.items():
            yield value

    # -- queries the rules ask many times ---------------------------------
    def is_self(self, ordinal: int) -> bool:
        i = self._index(ordinal)
        return i is not None and self._certs[i] == _SELF

    def holds_event(self, event_id: str) -> bool:
        return self._find(event_id) is not None

    # -- changes ---------------------------------------------------------
    def add(self, day: str, certificate: str, event_id: str) -> None:
        """Record a sick day (the rules refused a second one on the same date)."""
        n = date.fromisoformat(day).toordinal()
        days = self._days
        code = _CODE[certificate]
        if not days or n > days[-1]:  # the usual case: a file runs forward in time
            days.append(n)
            self._certs.append(code)
            self._refs.append(len(self._ids))
        else:
            i = bisect.bisect_left(days, n)
            if i < len(days) and days[i] == n:
                self._remove_at(i)  # replayed history never holds two; stay a mapping if it did
            days.insert(i, n)
            self._certs.insert(i, code)
            self._refs.insert(i, len(self._ids))
        raw = event_id.encode()
        if not self._prefix:
            self._prefix = _prefix_of(raw)
        self._ids += self._packed(raw)
        self._ids.append(_SEP)
        if code == _SELF:
            bisect.insort(self.self_days, n)

    def remove_event(self, event_id: str) -> bool:
        """Forget the sick day recorded by ``event_id``; False if it holds no such day."""
        i = self._find(event_id)
        if i is None:
            return False
        self._remove_at(i)
        return True

    # -- internals -------------------------------------------------------
    def _index(self, ordinal: int) -> int | None:
        i = bisect.bisect_left(self._days, ordinal)
        return i if i < len(self._days) and self._days[i] == ordinal else None

    def _packed(self, raw: bytes) -> bytes:
        prefix = self._prefix
        if prefix and raw.startswith(prefix):
            return _SHORT + raw[len(prefix) :]
        return raw

    def _entry(self, i: int) -> tuple[str, str]:
        return CERTIFICATES[self._certs[i]], self._event_id(i)

    def _event_id(self, i: int) -> str:
        start = self._refs[i]
        packed = self._ids[start : self._ids.index(_SEP, start)]
        if packed[:1] == _SHORT:
            return (self._prefix + packed[1:]).decode()
        return packed.decode()

    def _find(self, event_id: str) -> int | None:
        """Index of the live day ``event_id`` recorded (a removed day's id bytes stay)."""
        at = self._ids.find(b"\0" + self._packed(event_id.encode()) + b"\0")
        if at < 0:
            return None
        try:
            return self._refs.index(at + 1)
        except ValueError:
            return None

    def _remove_at(self, i: int) -> None:
        n = self._days[i]
        if self._certs[i] == _SELF:
            self.self_days.pop(bisect.bisect_left(self.self_days, n))
        del self._days[i]
        del self._certs[i]
        del self._refs[i]  # the id's bytes stay: retractions are rare
