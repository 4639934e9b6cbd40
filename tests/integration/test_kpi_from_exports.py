"""Every KPI column recomputed from the exported tables by another engine (DuckDB).

A generated Sandnes 2022 is imported and exported as a user would
(`hrledger export …`); the SQL of docs/downstream.md, read from the page
itself, must give what `hrledger export kpi --every year` gives, to 1e-9.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest

from cli.main import main

ROOT = Path(__file__).resolve().parents[2]
YEAR = ["--from", "2022-01-01", "--to", "2022-12-31"]
KPIS = (
    "headcount", "employments", "fte", "sickness_rate_pct", "self_certified_rate_pct",
    "doctor_certified_rate_pct", "fulltime_share_pct", "avg_position_pct", "apprentices",
)  # fmt: skip
SUMS = ("agreed_workdays", "lost_workdays")
"""About two million terms each: summed in another order, they agree to 1e-12 relative."""


def documented_sql() -> str:
    page = (ROOT / "docs" / "downstream.md").read_text(encoding="utf-8")
    found = re.search(r"<!-- kpi-from-exports[^>]*-->\s*```sql\n(.*?)```", page, re.S)
    assert found, "docs/downstream.md lost its worked example"
    return found.group(1)


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("sandnes-2022")
    db = ["--db", f"sqlite:///{folder / 'sandnes.sqlite'}"]
    source = str(folder / "sandnes-2022.jsonl")
    assert main(["generate", "--preset", "sandnes", "--from", "2022", "--to", "2022",
                 "--seed", "7", "--out", source]) == 0  # fmt: skip
    assert main([*db, "import", source]) == 0
    for table, options in (
        ("employments", []),
        ("sick-days", YEAR),
        ("leave", YEAR),
        ("calendar", YEAR),
        ("kpi", [*YEAR, "--every", "year"]),
    ):
        assert (
            main([*db, "export", table, *options, "--out", str(folder / f"{table}.parquet")]) == 0
        )
    yield folder


def run_sql(folder: Path, script: str) -> dict[str, Any]:
    cwd = Path.cwd()
    os.chdir(folder)  # the documented script names the files relative to its folder
    try:
        con = duckdb.connect()
        *setup, query = [s for s in script.split(";") if s.strip()]
        for statement in setup:
            con.execute(statement)
        cur = con.execute(query)
        names = [d[0] for d in cur.description]
        row = cur.fetchone()
        con.close()
    finally:
        os.chdir(cwd)
    assert row is not None
    return dict(zip(names, row, strict=True))


@pytest.mark.slow
def test_duckdb_recomputes_every_workforce_and_sickness_kpi_from_the_exports(
    exported: Path,
) -> None:
    kpi = pl.read_parquet(exported / "kpi.parquet").row(0, named=True)

    outside = run_sql(exported, documented_sql())

    assert set(KPIS) | set(SUMS) <= set(outside)
    for column in KPIS:
        assert outside[column] == pytest.approx(kpi[column], rel=0, abs=1e-9), column
    for column in SUMS:
        assert outside[column] == pytest.approx(kpi[column], rel=1e-12), column
    assert 5 < kpi["sickness_rate_pct"] < 15 and kpi["headcount"] > 5000  # a real Sandnes year


@pytest.mark.slow
def test_without_the_leave_table_the_sickness_rate_comes_out_wrong(exported: Path) -> None:
    """Leave is what 1.0 lacked: leaving it out visibly changes the rate."""
    kpi = pl.read_parquet(exported / "kpi.parquet").row(0, named=True)
    no_leave = documented_sql().replace(
        "SELECT * FROM 'leave.parquet'", "SELECT * FROM 'leave.parquet' WHERE false"
    )

    outside = run_sql(exported, no_leave)

    assert outside["sickness_rate_pct"] < kpi["sickness_rate_pct"] - 0.05
