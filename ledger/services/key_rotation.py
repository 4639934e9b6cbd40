"""Rotating the master key: every data key re-wrapped, no event touched.

Why this shape: the events are immutable and sealed with the data keys, so
a rotation can only change how the data keys are wrapped
(``ledger_person_keys``). It does that in one transaction with writers
locked out, then checks the result from the database, not from memory.

Why each row is tried with both keys: the run must be safe to repeat with
the same old and new keys. After an interruption (the transaction rolled
back, every row still under the old key), after a run that committed but
whose output was lost, or after a writer that still had the old key added a
person meanwhile, running it again re-wraps exactly the rows the old key
still opens and leaves those the new key opens. A row that opens with
neither stops the run before anything is written.

An erased person's row is a tombstone (``wrapped`` NULL): there is nothing
to re-wrap, and it stays a tombstone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ledger.security.keys import (
    KIND_SEPARATOR,
    LEDGER_KEY_ID,
    KeyProblem,
    KeyRow,
    person_of,
    unwrap_data_key,
    wrap_data_key,
)
from ledger.storage.store import EventStore


@dataclass(frozen=True)
class KeyCheck:
    """Which live data keys a master key opens."""

    live: int
    erased: int
    persons: int
    """Persons with a live key."""
    not_opening: tuple[str, ...]
    """Descriptions of the live keys this master key does not open."""
    person_keys: int = 0
    """Live keys of persons: their own and their pay and birth-date keys (the rest is
    the ledger key)."""

    @property
    def ok(self) -> bool:
        return not self.not_opening


@dataclass(frozen=True)
class Rotation:
    rewrapped: int
    """Rows moved from the old master key to the new one by this run."""
    already_new: int
    """Rows the new master key already opened (an earlier run, or a resumed one)."""
    check: KeyCheck
    """The state read back after the commit: every live key opens with the new key."""
    warning: str | None = None


def describe(row: KeyRow) -> str:
    if row.key_id == LEDGER_KEY_ID:
        return "the ledger key"
    who, _, kind = (row.employee_id or "").partition(KIND_SEPARATOR)
    return f"the {kind} key of employee {who}" if kind else f"the key of employee {who}"


def check_keys(
    store: EventStore,
    master: bytes,
    *,
    not_with: bytes | None = None,
    data_keys: dict[str, bytes] | None = None,
) -> KeyCheck:
    """Open every live data key with ``master``.

    After a rotation, ``not_with`` (the old key) must open none of them, and
    each must still hold the data key it held before (``data_keys``), or the
    fields sealed with it would be lost.
    """
    rows = store.key_rows()
    live = [r for r in rows if r.wrapped is not None]
    before = data_keys or {}
    bad = []
    for row in live:
        assert row.wrapped is not None
        dek = unwrap_data_key(master, row.key_id, row.wrapped)
        if dek is None:
            bad.append(describe(row))
        elif not_with is not None and unwrap_data_key(not_with, row.key_id, row.wrapped):
            bad.append(f"{describe(row)} (it still opens with the old key)")
        elif before.get(row.key_id, dek) != dek:
            bad.append(f"{describe(row)} (it no longer holds the same data key)")
    return KeyCheck(
        live=len(live),
        erased=sum(
            1
            for r in rows
            if r.wrapped is None and KIND_SEPARATOR not in (r.employee_id or KIND_SEPARATOR)
        ),
        persons=len({person_of(r.employee_id) for r in live if r.employee_id is not None}),
        person_keys=sum(1 for r in live if r.key_id != LEDGER_KEY_ID),
        not_opening=tuple(bad),
    )


def rotate_master_key(
    store: EventStore,
    old: bytes,
    new: bytes,
    *,
    chunk_size: int = 500,
    progress: Callable[[int], None] | None = None,
) -> Rotation:
    """Re-wrap every live data key from ``old`` to ``new``, then verify it from the store.

    ``progress`` is called before each chunk with the number of rows handled
    so far (inside the transaction: what it raises rolls everything back).
    """
    if old == new:
        raise KeyProblem(
            "the new master key is the one configured now: nothing to rotate. After a "
            "rotation, `hrledger keys check` confirms the ledger opens with it"
        )
    handled = 0
    already = 0
    data_keys: dict[str, bytes] = {}

    def rewrap(rows: Sequence[KeyRow]) -> list[tuple[str, bytes]]:
        nonlocal handled, already
        if progress is not None:
            progress(handled)
        updates = []
        for row in rows:
            assert row.wrapped is not None
            dek = unwrap_data_key(old, row.key_id, row.wrapped)
            if dek is not None:
                updates.append((row.key_id, wrap_data_key(new, row.key_id, dek)))
            else:
                dek = unwrap_data_key(new, row.key_id, row.wrapped)
                if dek is None:
                    raise KeyProblem(
                        f"{describe(row)} opens with neither the configured master key nor "
                        "the new one; nothing was changed. Is the configured key the one the "
                        "ledger was written with (docs/operations.md, rotating the master key)?"
                    )
                already += 1
            data_keys[row.key_id] = dek
        handled += len(rows)
        return updates

    changed = store.rewrap_keys(rewrap, chunk_size)
    check = check_keys(store, new, not_with=old, data_keys=data_keys)
    if not check.ok:
        raise KeyProblem(
            f"the rotation was stored, but {len(check.not_opening)} key(s) failed the check "
            f"with the new master key: {', '.join(check.not_opening[:5])}. A key the new one "
            "does not open was probably added by a writer still running with the old key: "
            "stop it and run the same command again; any other failure: restore "
            "ledger_person_keys from the backup taken before (docs/operations.md)"
        )
    warning = None
    if getattr(store, "key_left_in_log", False):
        warning = (
            "other programs kept the ledger's write-ahead log busy, so keys wrapped with the "
            "old master key may still be in it: when they are closed, run "
            "`sqlite3 LEDGER.sqlite 'PRAGMA wal_checkpoint(TRUNCATE)'` (docs/operations.md)"
        )
    return Rotation(rewrapped=changed, already_new=already, check=check, warning=warning)
