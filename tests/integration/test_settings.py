"""Settings read once at the entry point reach every layer: with the environment emptied
after they were read, writing, the sealed projection cache and the CLI still use them."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli.main import main
from ledger.services.recording import Ledger
from ledger.services.settings import Settings
from projections.api import open_projection
from tests.builders import hired, sick


def test_the_settings_key_writes_and_reads_without_the_environment(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings.from_environment(url=sqlite_url)
    monkeypatch.delenv("HRLEDGER_MASTER_KEY")

    with Ledger(settings=settings) as ledger:
        assert ledger.record([hired(), sick("2021-03-01")]).stored == 2
    with open_projection(settings=settings, directory=tmp_path / "cache") as p:
        assert p.facts().sick.height == 1
    with open_projection(settings=settings, directory=tmp_path / "cache") as p:  # sealed files
        assert p.facts().sick["date"].to_list()[0].isoformat() == "2021-03-01"


def test_the_command_lines_db_flag_comes_before_hrledger_db(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = tmp_path / "lines.jsonl"
    lines.write_text('{"type":"sick_day","employee_id":"E1","effective_date":"2021-03-01",'
                     '"certificate":"self"}\n')  # fmt: skip
    with Ledger(sqlite_url) as ledger:
        ledger.record([hired()])
    other = tmp_path / "other.sqlite"
    monkeypatch.setenv("HRLEDGER_DB", f"sqlite:///{other}")

    code = main(["--db", sqlite_url, "import", str(lines)])

    assert code == 0 and not other.exists()
    with Ledger(sqlite_url) as ledger:
        assert ledger.store.max_position() == 2
