"""`hrledger kpi --by unit --publish`: the table fit to publish, from a real ledger."""

from __future__ import annotations

import io

import polars as pl
import pytest

from cli.main import main
from ledger.services.recording import Ledger
from tests.builders import hired


def test_kpi_publish_hides_the_small_unit_and_its_partner(
    sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    staff = [("Skulen", 7), ("Barnehagen", 5), ("Rådhuset", 2)]
    with Ledger(sqlite_url) as ledger:
        ledger.record(
            [
                hired(f"{unit[0]}{i}", f"{unit[0]}{i}-1", "2024-01-01", unit=unit,
                      gender="M" if i == 0 else "F")
                for unit, n in staff
                for i in range(n)
            ]
        )  # fmt: skip
    args = ["--db", sqlite_url, "kpi", "--from", "2025-01-01", "--to", "2025-12-31",
            "--every", "year", "--format", "csv"]  # fmt: skip

    assert main([*args, "--by", "unit"]) == 0
    plain = pl.read_csv(io.StringIO(capsys.readouterr().out))
    assert plain["headcount"].to_list() == [5, 2, 7]  # Barnehagen, Rådhuset, Skulen
    assert main([*args, "--by", "unit", "--publish"]) == 0
    published = pl.read_csv(io.StringIO(capsys.readouterr().out))

    assert published["headcount"].to_list() == [None, None, 7]
    assert published["suppressed"].to_list() == [True, True, True]  # Skulen: 1 man
    school = published.row(2, named=True)
    assert school["suppressed_cells"].startswith("women;men")  # 7 − 6 women would be 1 man
    assert main([*args, "--publish"]) == 0  # the whole municipality: 14 persons, 3 men
    total = pl.read_csv(io.StringIO(capsys.readouterr().out)).row(0, named=True)
    assert total["headcount"] == 14 and total["men"] is None and total["women"] is None


def test_publish_and_summary_do_not_mix(
    sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with Ledger(sqlite_url) as ledger:
        ledger.record([hired()])
    with pytest.raises(SystemExit, match="drop --format summary"):
        main(["--db", sqlite_url, "kpi", "--from", "2025-01-01", "--to", "2025-12-31",
              "--every", "year", "--publish", "--format", "summary"])  # fmt: skip
