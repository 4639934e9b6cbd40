"""Open the ledger named by a URL: the one place that picks an adapter.

The names of the storage port are re-exported here, so ``ledger.storage.store``
stays the one import for code that opens and uses a ledger.
"""

from __future__ import annotations

from ledger.domain.errors import StorageError
from ledger.security.master_key import MasterKeySource
from ledger.storage.port import (
    DEFAULT_SQLITE_FILE,
    ENV_URL,
    TOMBSTONE_SQL,
    ConcurrentWrite,
    Erasure,
    EventStore,
    NewEvent,
    UnitOfWork,
    default_url,
)
from ledger.storage.sqlite import SQLiteStore
from ledger.storage.urls import is_postgres, postgres_schema, scheme, sqlite_path

__all__ = [
    "DEFAULT_SQLITE_FILE",
    "ENV_URL",
    "TOMBSTONE_SQL",
    "ConcurrentWrite",
    "Erasure",
    "EventStore",
    "NewEvent",
    "SQLiteStore",
    "UnitOfWork",
    "default_url",
    "open_store",
]


def open_store(
    url: str | None = None, *, create: bool = True, master_key: MasterKeySource | None = None
) -> EventStore:
    """Open (and on first use create) the ledger named by a URL.

    ``sqlite:///path/file.sqlite`` or ``postgresql://user@host:port/db?schema=name``.
    ``master_key``: where the key that opens personal fields comes from (default:
    the environment, read now).
    """
    url = url or default_url()
    kind = scheme(url)
    if kind == "sqlite":
        return SQLiteStore(url, sqlite_path(url), create=create, master_key=master_key)
    if is_postgres(url):
        from ledger.storage.postgres import PostgresStore

        return PostgresStore(url, postgres_schema(url), master_key=master_key)
    raise StorageError(
        f"unknown ledger URL {url!r}: use sqlite:///path/file.sqlite or "
        "postgresql://user@host:port/dbname"
    )
