"""The export tables that KPIs need besides employments and sick days (schema 1.1):
leave, HMS deviations and the agreed work-day calendar, through `hrledger export`."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from cli.main import main
from ledger.services.recording import Ledger
from projections.periods import EXPORT_SCHEMA_VERSION, SCHEMA_VERSION_KEY
from tests.builders import hired, leave, retracted


def export(url: str, table: str, tmp_path: Path, *options: str) -> list[dict[str, Any]]:
    out = tmp_path / f"{table}.json"
    assert main(["--db", url, "export", table, *options, "--out", str(out)]) == 0
    return list(json.loads(out.read_text(encoding="utf-8")))


@pytest.fixture
def ledger_with_leave_and_hms(sqlite_url: str) -> str:
    with Ledger(sqlite_url) as ledger:
        ledger.record([
            hired("E1", "A1", "2022-01-03"),
            hired("E2", "A2", "2022-01-03", gender="M"),
            leave("2022-01-10", "2022-01-11", "welfare", "E1", welfare_reason="family_illness",
                  event_id="v1"),
            leave("2022-03-01", "2022-08-31", "parental", "E2", leave_pct=50, event_id="p1"),
            leave("2022-12-20", "2023-01-05", "unpaid", "E1", paid=False, event_id="u1"),
            leave("2022-02-01", "2022-02-01", "welfare", "E1", welfare_reason="school_start",
                  event_id="v2"),
            retracted("v2"),
            {"type": "hms_deviation", "event_id": "d1", "deviation_id": "D1",
             "effective_date": "2022-06-11", "sector": "Oppvekst", "unit": "Utsira skule",
             "category": "violence_threat", "employee_id": "E1", "severity": 3},
            {"type": "hms_deviation_closed", "event_id": "d2", "deviation_id": "D1",
             "effective_date": "2022-07-01", "measures": "ny rutine"},
        ])  # fmt: skip
    return sqlite_url


def test_leave_export_lists_the_leaves_overlapping_the_period_without_their_reasons(
    ledger_with_leave_and_hms: str, tmp_path: Path
) -> None:
    rows = export(ledger_with_leave_and_hms, "leave", tmp_path, "--from", "2022-02-01",
                  "--to", "2022-12-31")  # fmt: skip

    assert [
        (r["event_id"], r["start_date"], r["end_date"], r["kind"], r["paid"], r["leave_pct"])
        for r in rows
    ] == [
        ("u1", "2022-12-20", "2023-01-05", "unpaid", False, 100.0),  # reaches into the period
        ("p1", "2022-03-01", "2022-08-31", "parental", True, 50.0),
    ]  # v1 ends before the period, v2 is retracted
    assert "welfare_reason" not in rows[0]


def test_a_closing_row_of_the_hms_export_carries_its_deviations_unit_and_category(
    ledger_with_leave_and_hms: str, tmp_path: Path
) -> None:
    rows = export(ledger_with_leave_and_hms, "hms-deviations", tmp_path)

    assert [(r["type"], r["date"], r["unit"], r["category"], r["severity"], r["employee_id"])
            for r in rows] == [
        ("hms_deviation", "2022-06-11", "Utsira skule", "violence_threat", 3, "E1"),
        ("hms_deviation_closed", "2022-07-01", "Utsira skule", "violence_threat", 3, "E1"),
    ]  # fmt: skip


def test_the_calendar_export_knows_easter_and_needs_no_ledger(tmp_path: Path) -> None:
    out = tmp_path / "calendar.parquet"

    code = main(["--db", f"sqlite:///{tmp_path}/none.sqlite", "export", "calendar",
                 "--from", "2022-04-11", "--to", "2022-04-19", "--out", str(out)])  # fmt: skip

    assert code == 0 and not (tmp_path / "none.sqlite").exists()
    cal = pl.read_parquet(out)
    # Maundy Thursday, Good Friday, the weekend and Easter Monday are off
    assert cal.filter("workday")["date"].to_list() == [
        date(2022, 4, 11), date(2022, 4, 12), date(2022, 4, 13), date(2022, 4, 19)
    ]  # fmt: skip
    assert cal.filter("public_holiday")["date"].to_list() == [
        date(2022, 4, 14), date(2022, 4, 15), date(2022, 4, 18)
    ]  # fmt: skip
    assert pl.read_parquet_metadata(out)[SCHEMA_VERSION_KEY] == EXPORT_SCHEMA_VERSION == "1.1"


def test_the_calendar_export_needs_both_ends() -> None:
    with pytest.raises(SystemExit, match="export calendar needs --from DATE and --to DATE"):
        main(["export", "calendar", "--from", "2022-01-01"])
