"""The incremental projection: checkpoint and facts saved together, rebuild == catch-up."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
from polars.testing import assert_frame_equal

from projections.api import Projection
from projections.facts.source import Facts, read_facts
from projections.facts.store import FACTS_SCHEMA, MANIFEST, SUFFIX, FactStore

from .factory import Ledger, hire, sick

YEAR = (date(2025, 1, 1), date(2025, 12, 31))


def fill(ledger: Ledger, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        ledger.record(hire(f"E{i}", f"A{i}", "2024-01-01", position_pct=50 + i % 50))
        ledger.record(sick(f"E{i}", f"2025-0{1 + i % 9}-1{i % 10}", certificate="doctor"))


def test_incremental_equals_rebuild(ledger: Ledger, tmp_path: Path) -> None:
    inc = Projection(ledger, directory=tmp_path / "inc", auto_catch_up=False)
    for chunk in range(4):
        fill(ledger, 7, start=chunk * 7)
        assert inc.catch_up(batch_rows=5) == 14
    full = Projection(ledger, directory=tmp_path / "full", auto_catch_up=False)
    full.rebuild()
    assert inc.position == full.position == ledger.max_position()
    a = inc.kpi(*YEAR, "month", by="sector")
    b = full.kpi(*YEAR, "month", by="sector")
    assert_frame_equal(a, b)
    # and a fresh process reading the saved files sees the same
    again = Projection(ledger, directory=tmp_path / "inc", auto_catch_up=False)
    assert again.position == ledger.max_position()
    assert_frame_equal(again.kpi(*YEAR, "month", by="sector"), b)


def test_catch_up_reads_only_after_the_checkpoint(ledger: Ledger, tmp_path: Path) -> None:
    seen: list[int] = []
    read = ledger.read_rows

    def spy(after: int, limit: int) -> list[tuple[int, bytes]]:
        seen.append(after)
        return read(after, limit)

    fill(ledger, 3)
    p = Projection(ledger, directory=tmp_path, auto_catch_up=False)
    p.catch_up()
    ledger.read_rows = spy  # type: ignore[method-assign]
    fill(ledger, 1, start=3)
    assert p.catch_up() == 2
    assert min(seen) >= 5  # fingerprint check reads row 6, data read starts after 6
    assert p.catch_up() == 0


def test_crash_between_segments_and_manifest_loses_nothing(ledger: Ledger, tmp_path: Path) -> None:
    fill(ledger, 5)
    p = Projection(ledger, directory=tmp_path, auto_catch_up=False)
    p.catch_up()
    before = (tmp_path / MANIFEST).read_bytes()
    fill(ledger, 5, start=5)
    # simulate a crash: new segments written, manifest never replaced
    files = FactStore(tmp_path)
    delta, _ = read_facts(ledger, p.position)
    for name, df in delta.frames().items():
        if df.height:
            files._write_segment(name, df, 999)
    assert (tmp_path / MANIFEST).read_bytes() == before
    restarted = Projection(ledger, directory=tmp_path, auto_catch_up=False)
    assert restarted.position == 10
    restarted.catch_up()
    clean = Projection(ledger, directory=None, auto_catch_up=False)
    clean.catch_up()
    assert_frame_equal(restarted.kpi(*YEAR, "quarter"), clean.kpi(*YEAR, "quarter"))
    # orphans were removed by the commit
    m = files.manifest()
    named = {f for fs in m.segments.values() for f in fs} | {m.intervals, m.runs} - {None}
    assert {p.name for p in tmp_path.glob("*" + SUFFIX)} == named


def test_a_different_ledger_behind_the_url_triggers_a_rebuild(tmp_path: Path) -> None:
    one = Ledger()
    fill(one, 4)
    p = Projection(one, directory=tmp_path, auto_catch_up=False)
    p.catch_up()
    other = Ledger()
    fill(other, 6, start=100)
    q = Projection(other, directory=tmp_path, auto_catch_up=False)
    q.catch_up()
    ids = q.roster(date(2025, 1, 1))["employee_id"].to_list()
    assert ids == sorted(f"E{i}" for i in range(100, 106))


def test_compaction_keeps_facts(ledger: Ledger, tmp_path: Path) -> None:
    p = Projection(ledger, directory=tmp_path, auto_catch_up=False)
    for i in range(40):
        fill(ledger, 1, start=i)
        p.catch_up()
    m = FactStore(tmp_path).manifest()
    assert all(len(v) <= 32 for v in m.segments.values())
    facts = FactStore(tmp_path).load(m)
    assert facts.employment.height == 40 and facts.sick.height == 40
    assert isinstance(facts, Facts)
    assert facts.sick["position"].is_sorted()


def test_in_memory_projection_and_empty_ledger(ledger: Ledger) -> None:
    p = Projection(ledger, directory=None)
    assert p.position == 0
    k = p.kpi(*YEAR, "year")
    assert k.height == 1 and k["headcount"][0] == 0
    assert p.roster(date(2025, 1, 1)).height == 0
    s = p.sick_days()
    assert s.height == 0 and s.schema["date"] == pl.Date


def test_cached_state_advances_with_catch_up(ledger: Ledger, tmp_path: Path) -> None:
    fill(ledger, 5)
    p = Projection(ledger, directory=tmp_path)
    p.kpi(*YEAR, "month")  # fills the cache
    fill(ledger, 3, start=5)  # employment + sick facts, no retraction
    ledger.record(sick("E0", "2025-12-01"))  # sick facts only: intervals kept
    cached = p.kpi(*YEAR, "month", by="unit")
    fresh = Projection(ledger, directory=None)
    assert_frame_equal(cached, fresh.kpi(*YEAR, "month", by="unit"))
    ledger.record(
        {"type": "retracted", "target_event_id": "ev1", "target_type": "hired", "reason": "x"}
    )
    assert_frame_equal(p.roster(date(2025, 6, 1)), fresh.roster(date(2025, 6, 1)))


def test_a_projection_saved_with_other_fact_columns_is_rebuilt(
    ledger: Ledger, tmp_path: Path
) -> None:
    # e.g. a new leave kind in the catalogue: saved segments carry the old enum
    fill(ledger, 3)
    Projection(ledger, directory=tmp_path, auto_catch_up=False).catch_up()
    manifest = tmp_path / MANIFEST
    manifest.write_text(manifest.read_text().replace(FACTS_SCHEMA, "an-older-shape"))

    again = Projection(ledger, directory=tmp_path, auto_catch_up=False)
    assert again.position == 0
    assert again.catch_up() == 6
    fresh = Projection(ledger, directory=None)
    assert_frame_equal(again.kpi(*YEAR, "month"), fresh.kpi(*YEAR, "month"))
