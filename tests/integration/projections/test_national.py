"""National statistics from two municipalities' exported KPI tables, aggregated with DuckDB.

Two generated ledgers (Utsira, and Sandnes at 2 % of its size) export their
2022 KPI tables as Parquet into one folder partitioned by municipality, as
356 municipalities would; DuckDB reads them all and computes the national
table (``projections.reports.national``). It must equal the sum-first
definition: sums of numerators and denominators, then the ratio.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import polars as pl
import pytest

from cli.main import main
from ledger.services.interchange import import_file
from ledger.services.recording import Ledger
from ledger.synthetic import generate
from projections.facts.schema import kpi_schema
from projections.reports.national import ADDITIVE, NOT_NATIONAL, RATIOS, WEIGHTED, national_kpi_sql

MUNICIPALITIES = {"utsira": ("utsira", 1.0), "sandnes": ("sandnes", 0.02)}
KEYS = ["period_start", "period_end"]
PERSONS_OF_MEAN = {  # who each mean is taken over (projections/kpi/workforce.py, parental.py)
    "avg_position_pct": "permanent_persons",
    "mean_age": "headcount",
    "parental_leave_avg_weeks_women": "parental_leave_women",
    "parental_leave_avg_weeks_men": "parental_leave_men",
}


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """``kpi/by=<by>/municipality=<name>/kpi.parquet`` for both ledgers, by none and sector."""
    work = tmp_path_factory.mktemp("national")
    for name, (preset, scale) in MUNICIPALITIES.items():
        lines = work / f"{name}.jsonl"
        generate(preset, 2022, 2022, seed=1, scale=scale, out=lines)
        url = f"sqlite:///{work}/{name}.sqlite"
        with Ledger(url) as ledger:
            assert import_file(ledger, lines).stored > 1000
        for by in ("none", "sector"):
            out = work / "kpi" / f"by={by}" / f"municipality={name}" / "kpi.parquet"
            out.parent.mkdir(parents=True)
            grouping = [] if by == "none" else ["--by", by]
            period = ["--from", "2022-01-01", "--to", "2022-12-31", "--every", "quarter"]
            code = main(["--db", url, "export", "kpi", *period, *grouping, "--out", str(out)])
            assert code == 0
    yield work / "kpi"


def _national(root: Path, by: str | None, only: str = "*") -> pl.DataFrame:
    source = f"{root}/by={by or 'none'}/municipality={only}/kpi.parquet"
    return duckdb.sql(national_kpi_sql(source, by)).pl()


def _municipal(root: Path, by: str | None) -> pl.DataFrame:
    return pl.concat(
        [
            pl.read_parquet(p).with_columns(pl.lit(p.parent.name.split("=")[1]).alias("muni"))
            for p in sorted((root / f"by={by or 'none'}").glob("*/kpi.parquet"))
        ]
    )


def test_the_national_sickness_rate_is_summed_first_not_averaged(exports: Path) -> None:
    both = _municipal(exports, None)
    national = _national(exports, None)

    assert national.height == 4 and national["municipalities"].to_list() == [2, 2, 2, 2]
    q1 = both.filter(pl.col("period_start") == pl.col("period_start").min())
    utsira, sandnes = (q1.filter(pl.col("muni") == m).row(0, named=True) for m in MUNICIPALITIES)
    lost = utsira["lost_workdays"] + sandnes["lost_workdays"]
    agreed = utsira["agreed_workdays"] + sandnes["agreed_workdays"]
    rate = national["sickness_rate_pct"][0]
    assert rate == pytest.approx(100.0 * lost / agreed, rel=1e-12)
    average_of_rates = (utsira["sickness_rate_pct"] + sandnes["sickness_rate_pct"]) / 2
    assert abs(rate - average_of_rates) > 0.1  # the wrong definition gives another number
    assert national["headcount"][0] == utsira["headcount"] + sandnes["headcount"]


@pytest.mark.parametrize("by", [None, "sector"])
def test_the_national_table_equals_the_sum_first_definition(exports: Path, by: str | None):
    keys = [*KEYS, *([by] if by else [])]
    both = _municipal(exports, by)
    s = pl.col
    expected = (
        both.group_by(keys)
        .agg(
            pl.col("muni").n_unique().alias("municipalities"),
            *(pl.col(n).sum() for n in ADDITIVE),
            *(
                (s(mean).fill_null(0) * s(persons)).sum().alias(f"_{mean}")
                for mean, persons in PERSONS_OF_MEAN.items()
            ),
        )
        .with_columns(
            (100 * s("lost_workdays") / s("agreed_workdays")).alias("sickness_rate_pct"),
            (100 * s("lost_workdays_self") / s("agreed_workdays")).alias("self_certified_rate_pct"),
            (100 * s("lost_workdays_doctor") / s("agreed_workdays")).alias(
                "doctor_certified_rate_pct"
            ),
            (100 * s("fulltime_persons") / s("permanent_persons")).alias("fulltime_share_pct"),
            (200 * s("terminations") / (s("headcount_start") + s("headcount"))).alias(
                "turnover_pct"
            ),
            *(
                (s(f"_{mean}") / s(persons)).alias(mean)
                for mean, persons in PERSONS_OF_MEAN.items()
            ),
        )
        .sort(keys)
    )

    national = _national(exports, by)

    assert national.height == expected.height
    if by:  # the two municipalities' sectors differ: some rows have one reporter
        assert set(national["municipalities"].to_list()) <= {1, 2}
    for name in ["municipalities", *ADDITIVE]:
        got, want = national[name].cast(pl.Float64), expected[name].cast(pl.Float64)
        assert (got - want).abs().max() == pytest.approx(0.0, abs=1e-9), name
    assert set(WEIGHTED) == set(PERSONS_OF_MEAN)
    for name in [*RATIOS, *WEIGHTED]:
        got, want = national[name], expected[name]
        assert got.is_null().equals(want.is_null() | want.is_nan()), name
        diff = (got - want).abs().max()
        assert diff is None or diff < 1e-9, (name, diff)  # type: ignore[operator]


def test_one_municipality_alone_gets_back_its_own_ratios(exports: Path) -> None:
    """The SQL's ratios are the product's own definitions, not look-alikes."""
    own = pl.read_parquet(exports / "by=sector" / "municipality=sandnes" / "kpi.parquet")
    alone = _national(exports, "sector", only="sandnes")

    assert alone.height == own.height
    for name in [*RATIOS, *WEIGHTED]:
        got, want = alone[name], own[name]
        assert got.is_null().equals(want.is_null()), name
        diff = (got - want).abs().max()
        assert diff is None or diff < 1e-9, (name, diff)  # type: ignore[operator]


def test_the_same_query_runs_on_a_table_as_spark_would_read_it(exports: Path) -> None:
    con = duckdb.connect()
    con.execute(
        f"CREATE VIEW kpi AS SELECT * FROM read_parquet('{exports}/by=sector/*/kpi.parquet', "
        "hive_partitioning = true)"
    )
    from_view = con.sql(national_kpi_sql("kpi", "sector", table=True)).pl()

    assert from_view.equals(_national(exports, "sector"))
    with pytest.raises(ValueError, match="plain"):
        national_kpi_sql("kpi; DROP TABLE x", table=True)


def test_every_kpi_column_has_a_national_rule() -> None:
    ruled = {*ADDITIVE, *RATIOS, *WEIGHTED, *NOT_NATIONAL}
    columns = set(kpi_schema(None).names()) - set(KEYS)
    assert columns == ruled
    assert len(ruled) == len(ADDITIVE) + len(RATIOS) + len(WEIGHTED) + len(NOT_NATIONAL)
