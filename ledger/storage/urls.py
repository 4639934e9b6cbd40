"""Ledger URLs: which database, which file, which PostgreSQL schema.

One parser, because the store, the role set-up and the read side's cache
folder must agree on what a URL names. Standard library only: building the
command line's settings must not load a database driver.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from ledger.domain.errors import StorageError

ENV_URL = "HRLEDGER_DB"
DEFAULT_SQLITE_FILE = "hrledger.sqlite"
DEFAULT_SCHEMA = "public"
POSTGRES_SCHEMES = ("postgresql", "postgres")


def default_url(environ: Mapping[str, str] | None = None) -> str:
    """`HRLEDGER_DB`, else an SQLite file in the working directory."""
    env = os.environ if environ is None else environ
    return env.get(ENV_URL) or f"sqlite:///{Path.cwd() / DEFAULT_SQLITE_FILE}"


def scheme(url: str) -> str:
    return urlparse(url).scheme


def is_postgres(url: str) -> bool:
    return scheme(url) in POSTGRES_SCHEMES


def sqlite_path(url: str) -> str:
    """The file of ``sqlite:///relative.sqlite`` or ``sqlite:////absolute.sqlite``
    (SQLAlchemy's convention), made absolute against the working directory."""
    rest = url.split(":///", 1)[1] if ":///" in url else ""
    if not rest:
        raise StorageError(f"no file in {url!r}; use sqlite:///path/to/ledger.sqlite")
    return rest if rest.startswith("/") else str(Path.cwd() / rest)


def postgres_schema(url: str) -> str:
    """The schema named by ``?schema=`` (one per municipality), ``public`` without one."""
    return parse_qs(urlparse(url).query).get("schema", [DEFAULT_SCHEMA])[0]
