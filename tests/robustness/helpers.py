"""Shared helpers: run the CLI (in-process or as a process), read what is stored."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson

from ledger.storage.store import open_store

HRLEDGER = str(Path(sys.executable).with_name("hrledger"))
VOLATILE = ("recorded_at", "ledger_position")
"""Export fields that differ between two runs of the same file."""


def stored_count(url: str) -> int:
    """How many events the ledger holds (positions may have gaps on PostgreSQL)."""
    store = open_store(url)
    try:
        n, after = 0, 0
        while rows := store.read_rows(after, 10_000):
            n += len(rows)
            after = rows[-1][0]
        return n
    finally:
        store.close()


def run_cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [HRLEDGER, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
        check=False,
    )


def exported(url: str) -> list[dict[str, Any]]:
    """The stored events in import format, without the fields that differ per run."""
    result = run_cli("--db", url, "export", "events")
    assert result.returncode == 0, result.stderr
    out = []
    for raw in result.stdout.splitlines():
        ev = orjson.loads(raw)
        for key in VOLATILE:
            ev.pop(key)
        out.append(ev)
    return out


def assert_clean_failure(rc: int, err: str) -> None:
    """Non-zero exit, something said on stderr, and no traceback."""
    assert rc != 0
    assert err.strip(), "failed silently"
    assert "Traceback" not in err, err
