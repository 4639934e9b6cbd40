"""Follow the ledger from a checkpoint, personal fields opened: the API for consumers.

Why it exists: the stored rows hold a sick day's date, certificate and grade,
birth dates, pay, notes and reasons *sealed* (``ledger.security.sealing``), so
a consumer that decoded the stored JSON itself would find ``sealed`` where it
expects ``effective_date``. This reader hands out every event in the form of
``hrledger export events`` (the import format plus ``recorded_at`` and
``ledger_position``) with those fields opened by the master key; the fields
of an erased person read ``[erased]``. See docs/downstream.md.

    from ledger.services.follow import open_log

    with open_log("sqlite:///hrledger.sqlite") as log:     # master key from the environment
        page = log.read(after=checkpoint)                    # Page(events, position)
        for event in log.follow(after=checkpoint):          # live, never ends
            ...

The reader keeps no position of its own: the consumer saves ``position``
together with its results (exactly once).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from ledger.security.keys import (
    KEY_KINDS,
    Keyring,
    MasterKeySource,
    kind_owner,
    parse_master_key,
    person_of,
)
from ledger.security.sealing import open_event
from ledger.storage.store import EventStore, open_store
from ledger.storage.wire import pop_recorded_at

PAGE = 10_000
"""Rows per read: large enough that a catch-up is fast, small enough to hold in memory."""

INTERNAL_TYPES = ("statistics_frozen",)
"""Stored, but not interchange lines: sealed statistics kept by an erasure."""

_LIBRARY_FIELDS = ("originator_id", "originator_version")


@dataclass(frozen=True)
class Page:
    """Events read in one step, and the checkpoint to save together with their results.

    ``position`` is the last ledger position read (it may be past the last
    event when the page ended with an internal row), or the ``after`` asked
    for when nothing new was stored.
    """

    events: list[dict[str, Any]]
    position: int


class LogReader:
    """The ledger's events after a position, in export form, sealed fields opened."""

    def __init__(
        self, store: EventStore, *, master: bytes | None = None, page_size: int = PAGE
    ) -> None:
        self.store = store
        self.page_size = page_size
        configured = getattr(store, "master_key", None) or MasterKeySource.from_environment()
        if master is None:
            master = configured.load()
        self._ring = Keyring({}, master, store, configured=configured)
        self._checked: set[str] = set()

    def max_position(self) -> int:
        """How far the ledger is (the position of its last stored event; 0 when empty)."""
        return self.store.max_position()

    def read(self, after: int = 0, limit: int | None = None) -> Page:
        """The events stored after ``after``, at most ``limit`` rows (default: the page size)."""
        rows = self.store.read_rows(after, limit or self.page_size)
        if not rows:
            return Page([], after)
        self._ring.fetch_for(self.store, b"".join(state for _, state in rows))
        # an erased person's birth date, pay, unit and job title read [erased] in every
        # event, also in those stored before the erasure and sealed with no key of theirs
        gone = self.store.erased_employees()
        self._ring.erased_ids |= gone
        # are an erased person's pay and birth date sealed with keys of their own (then
        # destroyed with them), or with the ledger key (older events: shown as erased)?
        new = {person_of(o) for o in gone} - self._checked
        if new:
            self._ring.include(
                self.store.key_rows([kind_owner(e, k) for e in sorted(new) for k in KEY_KINDS])
            )
            self._checked |= new
        events = []
        for position, state in rows:
            event = self.export_form(orjson.loads(state), position)
            if event["type"] == "erased":
                self._ring.forget(event["employee_id"])
            if event["type"] not in INTERNAL_TYPES:
                events.append(event)
        return Page(events, rows[-1][0])

    def events(self, after: int = 0) -> Iterator[dict[str, Any]]:
        """Every event stored after ``after`` until the end of the ledger as it is now."""
        while True:
            page = self.read(after)
            if page.position == after:
                return
            yield from page.events
            after = page.position

    def follow(
        self, after: int = 0, *, poll: float = 2.0, stop: threading.Event | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every event after ``after``, then each new one as it is stored (polling).

        Never ends by itself; set ``stop`` (or break out of the loop) to end it.
        Polling works on SQLite and PostgreSQL alike and never stalls silently.
        """
        stop = stop or threading.Event()
        while not stop.is_set():
            page = self.read(after)
            yield from page.events
            if page.position == after:
                stop.wait(poll)
            after = page.position

    def export_form(self, stored: Mapping[str, Any] | Any, position: int) -> dict[str, Any]:
        """One stored event in export form, its sealed fields opened.

        ``stored`` is the decoded stored JSON or a domain event decoded by the
        ``eventsourcing`` library's mapper (``ledger.domain.event_classes``),
        e.g. in a ``ProjectionRunner``; ``position`` is its ledger position
        (the library's notification id).
        """
        event = dict(stored) if isinstance(stored, Mapping) else dict(vars(stored))
        for name in _LIBRARY_FIELDS:
            event.pop(name, None)
        open_event(event, self._ring, mark_erased=True)
        event["recorded_at"] = pop_recorded_at(event)
        event["ledger_position"] = position
        return event

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> LogReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_log(
    url: str | None = None,
    *,
    master_key: bytes | str | None = None,
    page_size: int = PAGE,
) -> LogReader:
    """Open the ledger at ``url`` (None: ``HRLEDGER_DB``) for reading its events.

    ``master_key``: 32 bytes or 64 hexadecimal characters; None takes the
    configured one (``HRLEDGER_MASTER_KEY_FILE`` or ``HRLEDGER_MASTER_KEY``).
    Without any, reading a sealed field stops with a message saying how to
    configure it. The ledger must exist: this never creates one.
    """
    master = parse_master_key(master_key) if isinstance(master_key, str) else master_key
    return LogReader(open_store(url, create=False), master=master, page_size=page_size)
