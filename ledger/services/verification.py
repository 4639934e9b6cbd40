"""Checking the whole log against its hash chain (tamper evidence).

The chain is recomputed from the stored rows, never trusted: a row that
was edited, deleted, inserted or moved makes the recomputed link differ
from the stored one at that position, and verification names it.

What the chain alone cannot see, and how it is covered:

- someone who rewrites an event *and* recomputes every link after it, or
  who cuts events off the end together with their links, leaves a chain
  that is consistent in itself. A head digest published earlier
  (``hrledger verify`` prints it; ``--expect`` checks it) no longer
  matches: publish the head after each import or period close.
- the index of client event ids (``ledger_event_ids``) is not part of a
  link; every event's id is looked up there and must point to the event's
  own stream, so a deleted or redirected index row is named as well.
"""

from __future__ import annotations

import contextlib
import string
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from ledger.domain.errors import LedgerError
from ledger.domain.streams import stream_uuid
from ledger.security.chain import GENESIS, digest, link
from ledger.storage.store import EventStore

PAGE = 10_000


@dataclass(frozen=True)
class Verification:
    ok: bool
    events: int
    """Events checked and found intact (before the first bad position, if any)."""
    head: str
    """``POSITION:HEX`` of the last intact link, the digest an operator publishes."""
    first_bad_position: int | None = None
    problem: str | None = None
    expected_found_at: int | None = None
    """Where the ``expect``-ed digest sits in the chain, when it was given and found."""


def parse_head(text: str) -> tuple[int | None, str]:
    """``POSITION:HEX`` or ``HEX`` → (position or None, lower-case hex)."""
    pos_text, _, hex_text = text.strip().rpartition(":")
    hex_text = hex_text.lower()
    bad = LedgerError(
        f"{text!r} is not a head digest: expected POSITION:HEX (64 hex digits), "
        "as printed by `hrledger verify`"
    )
    if len(hex_text) != 64 or not set(hex_text) <= set(string.hexdigits.lower()):
        raise bad
    if not pos_text:
        return None, hex_text
    try:
        position = int(pos_text)
    except ValueError:
        raise bad from None
    if position < 0:
        raise bad
    return position, hex_text


def _raw(value: Any) -> bytes:
    """Stored content as bytes, whatever type a tampered row now has (text, NULL)."""
    if value is None:
        return b""
    if isinstance(value, str):
        return value.encode()
    return bytes(value)


def _pages(read: Callable[[int, int], Sequence[Any]], after: int = 0) -> Iterator[Sequence[Any]]:
    while True:
        rows = read(after, PAGE)
        if not rows:
            return
        yield rows
        after = rows[-1][0]


def _chain_rows(store: EventStore) -> Iterator[tuple[int, bytes]]:
    for page in _pages(store.read_chain):
        for pos, h in page:
            yield int(pos), bytes(h)


def _index_problems(store: EventStore, page: Sequence[Any]) -> dict[int, str]:
    """Positions of this page whose event id is missing from, or wrong in, the id index."""
    ids: dict[int, tuple[str, str]] = {}
    for pos, oid, _v, _t, state in page:
        with contextlib.suppress(orjson.JSONDecodeError, KeyError, TypeError):
            # unreadable content is named by the chain link instead
            ids[int(pos)] = (str(orjson.loads(_raw(state))["event_id"]), str(oid))
    located = store.locate_events([eid for eid, _ in ids.values()])
    out: dict[int, str] = {}
    for pos, (eid, oid) in ids.items():
        stream = located.get(eid)
        if stream is None:
            out[pos] = f"event id {eid} is missing from the event id index (index row deleted?)"
        elif stream_uuid(stream).hex != oid.replace("-", ""):
            out[pos] = f"the event id index sends {eid} to another stream ({stream})"
    return out


def verify(store: EventStore, expect: str | None = None) -> Verification:
    """Recompute the chain from position 1; stop at the first position that is not intact.

    ``expect``: a head published earlier (``POSITION:HEX`` or ``HEX``); the
    recomputed chain must pass through it, so a log cut short or re-chained
    after it was published fails even if it is consistent in itself.
    """
    want_pos, want_hex = parse_head(expect) if expect else (None, None)
    prev = GENESIS
    count = 0
    last_pos = 0
    found_at: int | None = None
    if want_hex is not None and want_pos in (0, None) and want_hex == GENESIS.hex():
        found_at = 0

    def bad(pos: int, why: str) -> Verification:
        return Verification(False, count, f"{last_pos}:{digest(prev)}", pos, why)

    chain = _chain_rows(store)
    c = next(chain, None)
    for page in _pages(store.read_full_rows):
        index_bad = _index_problems(store, page)
        for row in page:
            pos, oid, version, topic, state = int(row[0]), row[1], row[2], row[3], row[4]
            if c is not None and c[0] < pos:
                return bad(c[0], "a chain link has no event (event deleted or moved?)")
            if c is None or c[0] > pos:
                return bad(pos, "an event has no chain link (row inserted?)")
            computed = link(prev, pos, str(oid).replace("-", ""), int(version), str(topic),
                            _raw(state))  # fmt: skip
            if computed != c[1]:
                why = "event content does not match its chain link (event changed or moved?)"
                if pos != last_pos + 1:
                    why += (
                        f"; positions jump from {last_pos} to {pos}, so events before it "
                        "may have been deleted with their links"
                    )
                return bad(pos, why)
            if pos in index_bad:
                return bad(pos, index_bad[pos])
            prev, last_pos = computed, pos
            count += 1
            if want_hex is not None and found_at is None:
                if want_pos == pos and computed.hex() != want_hex:
                    return Verification(
                        False, count, f"{last_pos}:{digest(prev)}", None,
                        f"the link at position {pos} does not match the published head "
                        f"{expect}: the log was rewritten at or before position {pos}",
                    )  # fmt: skip
                if computed.hex() == want_hex and want_pos in (None, pos):
                    found_at = pos
            c = next(chain, None)
    if c is not None:
        return bad(c[0], "a chain link has no event (event deleted?)")
    head = f"{last_pos}:{digest(prev)}"
    if want_hex is not None and found_at is None:
        if want_pos is not None and want_pos > last_pos:
            why = (
                f"the log ends at position {last_pos}, before the published head {expect}: "
                "events were removed from the end, or this is another ledger"
            )
        else:
            why = (
                f"the published head {expect} is not in the chain: "
                "the log was rewritten, or this is another ledger"
            )
        return Verification(False, count, head, None, why)
    return Verification(True, count, head, None, None, found_at)
