"""Shared fixtures: a real SQLite file and a real PostgreSQL schema per test.

PostgreSQL comes from HRLEDGER_TEST_POSTGRES (default: the local server).
Without a server the PostgreSQL tests skip, except in CI (CI=true or
HRLEDGER_REQUIRE_POSTGRES=1), where they fail: CI must never skip them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
TEST_MASTER_KEY = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
"""A throwaway key for the tests' ledgers only; real keys never live in the repository."""

# Every ledger the tests write seals personal fields; subprocesses inherit the key.
os.environ.setdefault("HRLEDGER_MASTER_KEY", TEST_MASTER_KEY)
os.environ.pop("HRLEDGER_MASTER_KEY_FILE", None)


def postgres_required() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes") or bool(
        os.environ.get("HRLEDGER_REQUIRE_POSTGRES")
    )


def _pg_base() -> str:
    return os.environ.get("HRLEDGER_TEST_POSTGRES", DEFAULT_PG)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/ledger.sqlite"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    base = _pg_base()
    try:
        conn = psycopg.connect(base, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as e:
        if postgres_required():
            pytest.fail(f"PostgreSQL required in CI but unreachable at {base}: {e}")
        pytest.skip(f"no PostgreSQL at {base}")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    try:
        yield f"{base}?schema={schema}"
    finally:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
        conn.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def ledger_url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue(f"{request.param}_url"))
