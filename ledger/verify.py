"""Checking the whole log against its hash chain (tamper evidence).

The chain is recomputed from the stored rows, never trusted: a row that
was edited, deleted, inserted or moved makes the recomputed link differ
from the stored one at that position, and verification names it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ledger.chain import GENESIS, digest, link
from ledger.store import EventStore

PAGE = 10_000


@dataclass(frozen=True)
class Verification:
    ok: bool
    events: int
    head: str
    """``POSITION:HEX`` of the last link, the digest an operator publishes."""
    first_bad_position: int | None = None
    problem: str | None = None
    expected_found_at: int | None = None


def verify(store: EventStore, expect: str | None = None) -> Verification:
    prev = GENESIS
    count = 0
    last_pos = 0
    after_e = after_c = 0
    want = expect.split(":")[-1].lower() if expect else None
    found_at: int | None = None
    events = store.read_full_rows(0, PAGE)
    chain = store.read_chain(0, PAGE)
    ei = ci = 0
    while True:
        if ei == len(events) and events:
            after_e = events[-1][0]
            events, ei = store.read_full_rows(after_e, PAGE), 0
        if ci == len(chain) and chain:
            after_c = chain[-1][0]
            chain, ci = store.read_chain(after_c, PAGE), 0
        if ei >= len(events) and ci >= len(chain):
            break
        if ei >= len(events):
            pos = chain[ci][0]
            return _bad(count, prev, last_pos, pos, "a chain link has no event (event deleted?)")
        if ci >= len(chain):
            pos = events[ei][0]
            return _bad(count, prev, last_pos, pos, "an event has no chain link (row inserted?)")
        pos, oid, version, topic, state = events[ei]
        cpos, stored_link = chain[ci]
        if pos != cpos:
            bad = min(pos, cpos)
            what = "event deleted" if cpos < pos else "row inserted"
            return _bad(count, prev, last_pos, bad, f"positions out of step ({what}?)")
        prev = link(prev, pos, oid, version, topic, bytes(state))
        if prev != bytes(stored_link):
            return _bad(count, prev, last_pos, pos, "event content does not match its chain link")
        if want and found_at is None and prev.hex() == want:
            found_at = pos
        count += 1
        last_pos = pos
        ei += 1
        ci += 1
    head = f"{last_pos}:{digest(prev)}"
    if want and found_at is None:
        return Verification(False, count, head, None, f"the expected digest {expect} is not in the chain")
    return Verification(True, count, head, None, None, found_at)


def _bad(count: int, prev: bytes, last: int, pos: int, why: str) -> Verification:
    return Verification(False, count, f"{last}:{digest(prev)}", pos, why)
