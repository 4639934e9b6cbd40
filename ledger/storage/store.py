"""Open the ledger named by a URL: the one place that picks an adapter.

The names of the storage port are re-exported here, so ``ledger.storage.store``
stays the one import for code that opens and uses a ledger.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlparse

from ledger.domain.errors import StorageError
from ledger.storage.port import (
    DEFAULT_SQLITE_FILE,
    ENV_URL,
    TOMBSTONE_SQL,
    ConcurrentWrite,
    Erasure,
    EventStore,
    NewEvent,
    default_url,
)
from ledger.storage.sqlite import SQLiteStore

__all__ = [
    "DEFAULT_SQLITE_FILE",
    "ENV_URL",
    "TOMBSTONE_SQL",
    "ConcurrentWrite",
    "Erasure",
    "EventStore",
    "NewEvent",
    "SQLiteStore",
    "default_url",
    "open_store",
]


def open_store(url: str | None = None, *, create: bool = True) -> EventStore:
    """Open (and on first use create) the ledger named by a URL.

    ``sqlite:///path/file.sqlite`` or ``postgresql://user@host:port/db?schema=name``.
    """
    url = url or default_url()
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        # SQLAlchemy's convention: sqlite:///relative.sqlite, sqlite:////absolute.sqlite
        rest = url.split(":///", 1)[1] if ":///" in url else ""
        if not rest:
            raise StorageError(f"no file in {url!r}; use sqlite:///path/to/ledger.sqlite")
        path = rest if rest.startswith("/") else str(Path.cwd() / rest)
        return SQLiteStore(url, path, create=create)
    if parsed.scheme in ("postgresql", "postgres"):
        from ledger.storage.postgres import PostgresStore

        schema = parse_qs(parsed.query).get("schema", ["public"])[0]
        return PostgresStore(url, schema)
    raise StorageError(
        f"unknown ledger URL {url!r}: use sqlite:///path/file.sqlite or "
        "postgresql://user@host:port/dbname"
    )
