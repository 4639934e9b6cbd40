"""Opening sealed fields column-wise: erased keys, tampering, nonces that never repeat, and
the ciphers and pages a long read keeps."""

from __future__ import annotations

import os
from datetime import date
from typing import Any

import orjson
import pytest

from ledger.security import keys
from ledger.security.keys import _RANDOM, KeyProblem, Keyring, KeyRow
from ledger.security.sealing import PERSON, seal_event
from projections.facts.source import decode_rows, page_size_for
from tests.builders import hired, sick
from tests.key_table import KeyTable

STAMP = {"_type_": "datetime_iso", "_data_": "2025-01-02T08:00:00+00:00"}


def _ledger(lines: list[dict[str, Any]]) -> tuple[KeyTable, list[tuple[int, bytes]]]:
    """Stored rows as the write side seals them, and the key table it leaves."""
    table = KeyTable()
    ring = Keyring.load(table)
    rows = []
    for pos, line in enumerate(lines, start=1):
        ev = {"event_id": f"ev-{pos}", **line, "timestamp": STAMP}
        rows.append((pos, orjson.dumps(seal_event(ev, ring, ev["employee_id"]))))
    table.keep(ring)
    return table, rows


def test_a_page_opens_every_live_key_and_leaves_the_erased_persons_days_out() -> None:
    table, rows = _ledger(
        [
            hired("E1", "A1"),
            sick("2024-03-04", "E1", certificate="doctor", grade_pct=40),
            sick("2024-03-04", "E2"),
            sick("2024-03-05", "E3", certificate="doctor", grade_pct=60),
            sick("2024-03-06", "E2"),
        ]
    )
    e2 = next(k for k, r in table.rows.items() if r.employee_id == "E2")
    table.rows[e2] = KeyRow(e2, "E2", None, "2025-01-01", "2025-01-01")  # erased
    ring = Keyring.load(table)

    facts = decode_rows(rows, ring)

    assert facts.sick.select("employee_id", "date", "grade_pct").rows() == [
        ("E1", date(2024, 3, 4), 40.0),
        ("E3", date(2024, 3, 5), 60.0),
    ]
    assert facts.employment["birth_date"].to_list() == [date(1980, 5, 5)]
    assert facts.employment["annual_salary"].to_list() == [550_000.0]
    assert ring.unopened == {"E2"}


def test_erased_values_first_last_and_side_by_side_leave_each_live_value_in_its_row() -> None:
    """The live values open in one pass and the erased ones' places are filled in after:
    a place off by one would give a sick day another's grade."""
    people = ["E9", "E9", "E1", "E2", "E9", "E9", "E3", "E4", "E9"]  # E9 erased
    table, rows = _ledger(
        [
            sick(f"2024-03-{d:02d}", who, certificate="doctor", grade_pct=10 * d)
            for d, who in enumerate(people, start=1)
        ]
    )
    e9 = next(k for k, r in table.rows.items() if r.employee_id == "E9")
    table.rows[e9] = KeyRow(e9, "E9", None, "2025-01-01", "2025-01-01")
    ring = Keyring.load(table)

    facts = decode_rows(rows, ring)

    assert facts.sick.select("employee_id", "date", "grade_pct").rows() == [
        ("E1", date(2024, 3, 3), 30.0),
        ("E2", date(2024, 3, 4), 40.0),
        ("E3", date(2024, 3, 7), 70.0),
        ("E4", date(2024, 3, 8), 80.0),
    ]
    assert ring.unopened == {"E9"}


def test_a_sealed_value_moved_inside_a_page_names_its_event() -> None:
    table, rows = _ledger([sick(f"2024-03-{d:02d}", f"E{d}") for d in range(1, 9)])
    token_of_5 = orjson.loads(rows[4][1])[PERSON]
    sixth = orjson.loads(rows[5][1])
    rows[5] = (6, orjson.dumps({**sixth, PERSON: token_of_5}))  # bound to ev-5, not ev-6

    with pytest.raises(KeyProblem, match="event ev-6 failed its integrity check"):
        decode_rows(rows, Keyring.load(table))


@pytest.mark.parametrize("draw", ["nonce", "key bytes"])
def test_a_forked_child_never_takes_the_random_bytes_its_parent_drew(draw: str) -> None:
    def take() -> bytes:
        return _RANDOM.nonce() if draw == "nonce" else _RANDOM.take(12)

    parent_next = take()  # fills the pool: the child inherits the rest of it
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        os.write(write, b"".join(take() for _ in range(64)))
        os._exit(0)
    os.close(write)
    child = b""
    while chunk := os.read(read, 4096):
        child += chunk
    os.waitpid(pid, 0)
    parent = b"".join(take() for _ in range(64))

    child_nonces = {child[i : i + 12] for i in range(0, len(child), 12)}
    parent_nonces = {parent[i : i + 12] for i in range(0, len(parent), 12)} | {parent_next}
    assert len(child_nonces) == 64
    assert not child_nonces & parent_nonces


@pytest.mark.parametrize(
    ("rows", "page"),
    [
        (1_000, 50_000),  # a catch-up
        (779_267, 50_000),  # three Sandnes years
        (2_351_370, 50_000),  # ten Sandnes years
        (3_000_000, 60_000),
        (7_849_086, 75_000),  # three years at Oslo's size
        (150_000_000, 75_000),  # a national year
    ],
)
def test_reads_of_millions_of_rows_take_larger_pages(rows: int, page: int) -> None:
    assert page_size_for(rows) == page


def test_the_ring_keeps_at_most_its_cipher_count_and_takes_back_an_older_cipher() -> None:
    ring = Keyring({}, bytes(32), cipher_room=8)
    kids = [ring.key_for(f"E{i}") for i in range(20)]
    first = {kid: ring._cipher(kid) for kid in kids}  # 20 made: the oldest dropped
    assert len(ring._ciphers) + len(ring._older) <= 8

    recent = kids[-5]  # in the older generation now
    assert recent in ring._older and recent not in ring._ciphers
    assert ring._cipher(recent) is first[recent]  # taken back, not made again
    assert recent in ring._ciphers

    token = ring.seal(kids[0], {"v": 1}, "ev-1")  # long dropped: made again, still opens
    assert ring.open(token, "ev-1") == {"v": 1}
    assert len(ring._ciphers) + len(ring._older) <= 8


def test_a_long_read_keeps_a_cipher_per_key_up_to_the_most_it_may() -> None:
    ring = Keyring({}, bytes(32), cipher_room=8)
    kids = [ring.key_for(f"E{i}") for i in range(20)]
    ring.keep_ciphers(len(kids))
    first = {kid: ring._cipher(kid) for kid in kids}
    assert all(ring._cipher(kid) is first[kid] for kid in kids)  # none made twice
    ring.keep_ciphers(keys.MAX_CIPHERS + 1)  # more than fit: no more room than for 20
    assert ring.cipher_room == 40
