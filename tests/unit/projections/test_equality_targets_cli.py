"""§ 26 equality report, small-cell suppression, targets as data, CLI formats."""

from __future__ import annotations

import argparse
import io
import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from cli import read as cli
from projections.facts.source import effective
from projections.periods import EXPORT_SCHEMA_VERSION, SCHEMA_VERSION_KEY
from projections.reports.equality import equality_report, suppress_small
from projections.targets import load_targets

from .factory import Ledger, hire


def staff(ledger: Ledger) -> None:
    # 6 women: 4 full-time permanent, 2 part-time temporary; 1 woman leader
    for i in range(6):
        ledger.record(
            hire(
                f"W{i}",
                f"W{i}",
                "2024-01-01",
                position_pct=100 if i < 4 else 60,
                employment_type="permanent" if i < 4 else "temporary",
                annual_salary=500000 + 10000 * i,
                is_leader=i == 0,
            )
        )
    # 5 men, all full-time permanent at 600 000
    for i in range(5):
        ledger.record(hire(f"M{i}", f"M{i}", "2024-01-01", gender="M", annual_salary=600000))


def table(df: pl.DataFrame, name: str) -> dict[str, dict[str, object]]:
    return {r["group"]: r for r in df.filter(pl.col("table") == name).to_dicts()}


def test_equality_report(ledger: Ledger) -> None:
    staff(ledger)
    rep = equality_report(effective(ledger.facts()), 2025, suppress=False)
    g = table(rep, "gender_balance")["all"]
    assert (g["women"], g["men"], g["total"]) == (6.0, 5.0, 11.0)
    assert g["women_pct"] == pytest.approx(600 / 11)
    pt = table(rep, "part_time")
    assert (pt["full_time"]["n_women"], pt["part_time"]["n_women"]) == (4, 2)
    pay = table(rep, "pay")["total"]
    assert pay["women"] == pytest.approx(525000.0)
    assert pay["women_pct"] == pytest.approx(87.5)
    lvl = table(rep, "level")
    assert lvl["leader"]["n_women"] == 1
    # published: cells of 1–4 persons are suppressed
    pub = equality_report(effective(ledger.facts()), 2025)
    assert table(pub, "level")["leader"]["women"] is None
    assert table(pub, "level")["leader"]["suppressed"] is True
    # the count itself is hidden too, and so is its complement: 6 women − 5 others = 1 leader
    assert table(pub, "level")["leader"]["n_women"] is None
    assert table(pub, "level")["other"]["n_women"] is None
    assert table(pub, "gender_balance")["all"]["women"] == 6.0


def test_suppress_small_helper() -> None:
    df = pl.DataFrame({"n": [0, 3, 5], "v": [1.0, 2.0, 3.0]})
    out = suppress_small(df, ["n"], ["v"])
    assert out["v"].to_list() == [1.0, None, 3.0]
    assert out["suppressed"].to_list() == [False, True, False]


def test_targets_are_data(tmp_path: Path) -> None:
    assert load_targets("sandnes").sickness_rate_pct == 6.5
    assert load_targets("sandnes").apprentices == 160
    assert load_targets("utsira").apprentices == 1
    assert load_targets(None).municipality == "Sandnes"
    own = tmp_path / "x.json"
    own.write_text('{"municipality": "X", "sickness_rate_pct": 5.0, "apprentices": null}')
    assert load_targets(str(own)).apprentices is None
    with pytest.raises(ValueError, match="no targets"):
        load_targets("atlantis")


def test_register_adds_the_commands() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db")
    sub = parser.add_subparsers(dest="command")
    cli.register(sub)
    a = parser.parse_args(
        [
            "kpi",
            "--from",
            "2025-01-01",
            "--to",
            "2025-12-31",
            "--every",
            "month",
            "--by",
            "sector",
            "--known-at",
            "2026-11-23T11:30:00+00:00",
            "--format",
            "json",
        ]
    )
    assert a.handler is cli.cmd_kpi and a.by == "sector" and a.known_at.tzinfo is not None
    a = parser.parse_args(["roster", "--on", "2025-12-31"])
    assert a.handler is cli.cmd_roster and a.format == "table"
    a = parser.parse_args(["report", "equality", "--year", "2025"])
    assert a.handler is cli.cmd_equality
    with pytest.raises(SystemExit):
        parser.parse_args(["roster", "--on", "2025-12-31", "--known-at", "2026-01-01T00:00"])


def test_formats_round_only_in_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    df = pl.DataFrame({"period_start": [date(2025, 1, 1)], "sickness_rate_pct": [13.457557]})
    cli.write_frame(df, "json", None)
    rows = json.loads(capsys.readouterr().out)
    assert rows == [{"period_start": "2025-01-01", "sickness_rate_pct": 13.457557}]
    cli.write_frame(df, "table", None)
    out = capsys.readouterr().out
    assert "13.46" in out and "13.4575" not in out
    cli.write_frame(df, "csv", None)
    assert "13.457557" in capsys.readouterr().out
    path = tmp_path / "k.parquet"
    cli.write_frame(df, "parquet", str(path))
    meta = pl.read_parquet_metadata(path)
    assert meta[SCHEMA_VERSION_KEY] == EXPORT_SCHEMA_VERSION
    assert pl.read_parquet(io.BytesIO(path.read_bytes()))["sickness_rate_pct"][0] == 13.457557
