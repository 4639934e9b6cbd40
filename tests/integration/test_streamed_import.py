"""A file read in chunks is still one file: rules across chunks, all or nothing, every problem."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

import ledger.services.recording as recording
from ledger.domain.errors import ImportRefused
from ledger.services.interchange import import_file
from ledger.services.recording import Ledger
from ledger.services.verification import verify
from ledger.storage.memory import MemoryStore
from tests.builders import hired, sick


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def ledger(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Ledger]:
    monkeypatch.setattr(recording, "CHUNK", 3)  # a ten-line file is four chunks
    if request.param == "memory":
        led = Ledger(store=MemoryStore())
    else:
        led = Ledger(str(request.getfixturevalue(f"{request.param}_url")))
    with led:
        yield led


def _file(tmp_path: Path, lines: list[dict[str, Any]]) -> Path:
    path = tmp_path / "import.jsonl"
    path.write_bytes(b"".join(orjson.dumps(line) + b"\n" for line in lines))
    return path


def _ids(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"event_id": f"ev-{n}", **line} for n, line in enumerate(lines, start=1)]


def _retract(target: str) -> dict[str, Any]:
    return {"type": "retracted", "target_event_id": target, "reason": "registered twice"}


def test_rules_see_the_lines_of_earlier_chunks(ledger: Ledger, tmp_path: Path) -> None:
    lines = _ids(
        [
            hired("E1", "A1", "2024-01-01"),  # chunk 1
            hired("E2", "A2", "2024-01-01"),
            sick("2024-03-04", "E1", certificate="doctor", grade_pct=50),
            sick("2024-03-05", "E1", certificate="doctor", grade_pct=50),  # chunk 2
            sick("2024-03-04", "E2"),
            {
                "type": "terminated",
                "employment_id": "A2",
                "effective_date": "2024-06-30",
                "reason": "resignation",
            },
            _retract("ev-3"),  # chunk 3: a sick day written by chunk 1
            sick("2024-03-04", "E1", certificate="doctor", grade_pct=50),  # free again
            sick("2024-03-06", "E1", certificate="doctor", grade_pct=50),
            sick("2024-07-01", "E1", certificate="doctor", grade_pct=50),  # chunk 4
        ]
    )

    result = import_file(ledger, _file(tmp_path, lines))

    assert result.stored == 10 and result.positions == (1, 10)
    ring = recording.Keyring.load(ledger.store)
    e1 = ledger.person_state("E1", ring)
    assert sorted(e1.sick_days) == ["2024-03-04", "2024-03-05", "2024-03-06", "2024-07-01"]
    assert e1.sick_days["2024-03-04"][1] == "ev-8"  # the retracted ev-3 is gone
    assert ledger.person_state("E2", ring).employments["A2"].end == "2024-06-30"
    assert verify(ledger.store).ok


def test_a_problem_in_the_last_chunk_stores_nothing_and_every_problem_is_named(
    ledger: Ledger, tmp_path: Path
) -> None:
    lines = _ids(
        [
            hired("E1", "A1", "2024-01-01"),
            sick("2024-03-04", "E1"),
            sick("2024-03-05", "E1"),
            sick("2024-03-06", "E1"),
            sick("2024-03-07", "E1"),
            sick("2024-03-08", "E1"),
            sick("2024-03-09", "E9"),  # line 7: never hired
        ]
    )
    lines[4]["event_id"] = "ev-2"  # line 5 repeats line 2's id, two chunks later
    path = _file(tmp_path, [*lines, {"type": "sick_day"}])  # line 8: malformed

    with pytest.raises(ImportRefused) as refused:
        import_file(ledger, path)

    assert [p.line for p in refused.value.problems][:2] == [5, 7]
    assert "first on line 2" in str(refused.value.problems[0])
    assert 8 in [p.line for p in refused.value.problems]
    assert ledger.store.max_position() == 0  # chunks 1 and 2 were written, then rolled back
    assert import_file(ledger, _file(tmp_path, lines[:4])).stored == 4  # the good part is fine


def test_a_file_imported_twice_stores_nothing_the_second_time(
    ledger: Ledger, tmp_path: Path
) -> None:
    path = _file(tmp_path, _ids([hired("E1", "A1", "2024-01-01")] + [
        sick(f"2024-03-{d:02d}", "E1", certificate="doctor", grade_pct=20) for d in range(4, 11)
    ]))  # fmt: skip

    first = import_file(ledger, path)
    again = import_file(ledger, path)

    assert (first.stored, first.already_stored) == (8, 0)
    assert (again.stored, again.already_stored, again.positions) == (0, 8, None)
