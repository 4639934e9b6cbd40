"""Configuration, read once at the entry point and passed down.

The command line builds one ``Settings`` from its flags and the environment
(``HRLEDGER_DB``, ``HRLEDGER_MASTER_KEY`` / ``_FILE``,
``HRLEDGER_PROJECTION_DIR``, ``HRLEDGER_TARGETS``) before any command runs;
the services and the read side take what they need from it instead of
reading the environment themselves. The Python API keeps its defaults:
``Ledger(url)``, ``open_store(url)`` and ``open_projection(url)`` build the
same settings from the environment when given none. Standard library only,
so building it costs the command line nothing.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ledger.security.master_key import MasterKeySource
from ledger.storage.urls import default_url

if TYPE_CHECKING:
    from ledger.storage.port import EventStore

ENV_PROJECTION_DIR = "HRLEDGER_PROJECTION_DIR"
ENV_TARGETS = "HRLEDGER_TARGETS"


def default_projection_dir(environ: Mapping[str, str]) -> Path:
    return Path(environ.get(ENV_PROJECTION_DIR) or Path.home() / ".cache" / "hrledger")


@dataclass(frozen=True)
class Settings:
    url: str
    """The ledger: ``sqlite:///file.sqlite`` or ``postgresql://…?schema=name``."""
    master_key: MasterKeySource
    """Where the key that opens personal fields comes from (read only when needed)."""
    projection_dir: Path | None = None
    """Where the projection caches of PostgreSQL ledgers live (None: the default,
    ``~/.cache/hrledger``); an SQLite ledger's cache sits beside its file."""
    policy: str | None = None
    """A built-in policy name or a policy file (None: the default, ``utsira``)."""
    targets: str | None = None
    """A municipality's KPI targets, by name or file (None: the default)."""

    @classmethod
    def from_environment(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        url: str | None = None,
        policy: str | None = None,
        targets: str | None = None,
        projection_dir: str | Path | None = None,
    ) -> Settings:
        """Explicit values (the command line's flags) first, the environment second."""
        env = os.environ if environ is None else environ
        return cls(
            url=url or default_url(env),
            master_key=MasterKeySource.from_environment(env),
            projection_dir=Path(projection_dir) if projection_dir else default_projection_dir(env),
            policy=policy,
            targets=targets or env.get(ENV_TARGETS) or None,
        )

    def open_store(self, *, create: bool = True) -> EventStore:
        """The ledger these settings name, opened with their master key."""
        from ledger.storage.store import open_store

        return open_store(self.url, create=create, master_key=self.master_key)
