"""An id given twice in one file is named with the first line that gave it, however far back."""

from __future__ import annotations

from ledger.services.file_ids import FileEventIds


def test_repeats_name_the_first_line_within_a_batch_and_across_batches() -> None:
    ids = FileEventIds()
    try:
        assert ids.add([("a", 1), ("b", 2)]) == []
        assert ids.add([("c", 3), ("a", 4), ("c", 5), ("a", 6)]) == [
            (4, "a", 1),
            (5, "c", 3),
            (6, "a", 1),
        ]
        assert "b" in ids and "z" not in ids
        assert ids.add([]) == []
    finally:
        ids.close()


def test_many_ids_stay_off_the_heap() -> None:
    import tracemalloc

    ids = FileEventIds()
    tracemalloc.start()
    try:
        for start in range(0, 300_000, 20_000):
            ids.add([(f"payroll-2024-{n:09d}", n) for n in range(start, start + 20_000)])
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
        ids.close()
    assert held < 1_000_000  # bytes of Python objects; as a dict they were about 40 MB


def test_a_submitted_chunk_is_seen_before_its_repeats_are_asked_for() -> None:
    """The import checks a chunk while its ids are remembered in a thread: a retraction in
    that chunk must already find an id the chunk gives."""
    ids = FileEventIds()
    try:
        ids.submit([("a", 1), ("b", 2), ("b", 3)])
        assert "b" in ids
        ids.submit([("c", 4), ("a", 5)])  # after the first: one at a time, in file order
        assert "c" in ids
        assert ids.repeats() == [(3, "b", 2), (5, "a", 1)]  # both chunks' repeats, in order
        assert ids.repeats() == []
    finally:
        ids.close()
