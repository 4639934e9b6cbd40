"""Erase-then-read: how long after `hrledger erase` the KPIs are there again.

    .venv/bin/python -m benchmarks.erasure --db sqlite:///bench-data/sandnes-2015-2024-s1.sqlite \
        --projection bench-data/projection

Erases one former employee of the ledger (the one with the most sick days:
the worst case for the projection's sick-day table), then measures, on a
projection that was up to date before the erasure:

- ``erase_s``: the `hrledger erase` work itself (freezing the person's KPI share,
  destroying the key; the write side);
- ``erase_update_s``: the projection's catch-up that folds the erasure in — the
  person's rows leave the facts and the sealed segment files that held them
  are replaced; no rebuild from zero;
- ``erase_then_read_s``: that catch-up plus one year of monthly KPIs by sector
  (what a notebook that has the projection open waits for);
- ``erase_then_kpi_new_process_s``: opening the saved projection afresh and the
  same KPIs (what the next `hrledger kpi` waits for, minus starting Python).

Each run erases another person: the benchmark ledger is a throwaway.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import polars as pl

GOALS = {"erase_update_s": 1.0, "erase_then_read_s": 1.0}


def erasable(p: Any, today: date) -> str:
    """A former employee with sick days, not erased yet (the one with the most sick days)."""
    emp = p.employments()
    gone = emp.group_by("employee_id").agg(
        (pl.col("end_date").is_not_null() & (pl.col("end_date") < today)).all().alias("gone")
    )
    facts = p.facts()
    sick = facts.sick.group_by("employee_id").len()
    found = (
        gone.filter("gone")
        .join(sick, on="employee_id")
        .filter(~pl.col("employee_id").is_in(facts.erasure["employee_id"].implode()))
        .sort("len", "employee_id", descending=[True, False])
    )
    if found.height == 0:
        raise SystemExit("no former employee with sick days to erase in this ledger")
    return str(found["employee_id"][0])


def erase_then_read(p: Any, url: str, year: int) -> dict[str, Any]:
    """Erase one person behind the up-to-date projection ``p`` and time the way back."""
    from ledger.services.recording import Ledger
    from ledger.storage.store import open_store
    from projections.api import Projection
    from projections.facts.frozen import erase_person

    p.catch_up()
    p.kpi(date(year, 1, 1), date(year, 12, 31), "month", by="sector")  # warm, as in a notebook
    employee = erasable(p, datetime.now(UTC).date())
    sick_days = p.facts().sick.filter(pl.col("employee_id") == employee).height
    t = time.perf_counter()
    with Ledger(url) as ledger:
        erase_person(ledger, employee, "benchmark: erase-then-read")
    t_erase = time.perf_counter() - t

    t = time.perf_counter()
    read = p.catch_up()
    t_update = time.perf_counter() - t
    p.kpi(date(year, 1, 1), date(year, 12, 31), "month", by="sector")
    t_read = time.perf_counter() - t
    assert read == 2, read  # the erased event and the frozen statistics: no rebuild
    assert p.facts().sick.filter(pl.col("employee_id") == employee).height == 0

    t = time.perf_counter()
    fresh = Projection(open_store(url, create=False), url=url, directory=p.files.dir)
    fresh.kpi(date(year, 1, 1), date(year, 12, 31), "month", by="sector")
    t_fresh = time.perf_counter() - t
    fresh.close()
    return {
        "erased_sick_days": sick_days,
        "erase_s": round(t_erase, 2),
        "erase_update_s": round(t_update, 3),
        "erase_then_read_s": round(t_read, 3),
        "erase_then_kpi_new_process_s": round(t_fresh, 2),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--db", required=True, help="ledger URL (its master key configured)")
    ap.add_argument("--projection", help="projection folder (default: next to the ledger)")
    ap.add_argument("--year", type=int, default=2024, help="the year of the KPI read")
    args = ap.parse_args(argv)
    from projections.api import open_projection

    with open_projection(args.db, directory=args.projection and Path(args.projection)) as p:
        for key, value in erase_then_read(p, args.db, args.year).items():
            print(report_line(key, value, GOALS))
    return 0


def report_line(key: str, value: Any, goals: dict[str, float]) -> str:
    goal = goals.get(key)
    mark = "" if goal is None else (" ok" if value <= goal else f" OVER GOAL {goal}")
    return f"{key:38} {value}{mark}"


if __name__ == "__main__":
    raise SystemExit(main())
