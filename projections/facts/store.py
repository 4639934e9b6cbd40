"""Materialised fact tables + checkpoint, saved atomically together.

Layout of a projection directory::

    manifest.json                     the one source of truth
    employment-00000001-ab12cd34.parquet
    sick-00000001-ab12cd34.parquet    segments named by the manifest
    ...
    .lock                             flock: one writer at a time

A catch-up writes the new rows' facts as *new* segment files (fsynced), then
writes ``manifest.json.tmp`` naming the old segments + the new ones + the new
position, fsyncs it and ``os.replace``-s it over ``manifest.json`` (atomic on
POSIX), then fsyncs the directory. A crash before the rename leaves the old
manifest (old position, old segments: nothing lost, nothing counted twice);
the orphan segment files are deleted on the next catch-up. A crash after the
rename leaves the new state complete.

The manifest also holds a fingerprint (SHA-256 of the stored state at the
checkpoint position); if the ledger behind the URL no longer has that row
(a restored backup, a different file), the projection is rebuilt from 0.

Why not the eventsourcing library's tracking recorders: they keep the
tracking row in the *same database transaction* as the view rows, which is
what exactly-once needs — but our views are Parquet column files, not rows
in the ledger database, and SQLite's recorder cannot be followed live anyway.
The manifest rename gives the same guarantee (view and position change
together or not at all) for files. See docs/kpis.md "Incremental projection".
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from ledger.services.settings import default_projection_dir
from ledger.storage.urls import scheme, sqlite_path
from projections.facts.source import SCHEMAS, Facts, RowSource, concat
from projections.periods import EXPORT_SCHEMA_VERSION

MANIFEST = "manifest.json"
FORMAT = 1
COMPACT_AFTER = 32
"""Merge a table's segments into one when it has more than this many."""


def fingerprint(store: RowSource, position: int) -> str | None:
    """SHA-256 of the stored state at ``position`` (None at position 0 or when missing)."""
    if position <= 0:
        return None
    rows = store.read_rows(position - 1, 1)
    if not rows or int(rows[0][0]) != position:
        return None
    return hashlib.sha256(bytes(rows[0][1])).hexdigest()


@dataclass
class Manifest:
    position: int = 0
    fingerprint: str | None = None
    segments: dict[str, list[str]] = field(default_factory=lambda: {n: [] for n in SCHEMAS})
    ledger_url: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "schema_version": EXPORT_SCHEMA_VERSION,
            "ledger_url": self.ledger_url,
            "position": self.position,
            "fingerprint": self.fingerprint,
            "segments": self.segments,
        }

    @staticmethod
    def from_json(data: dict[str, Any]) -> Manifest:
        if data.get("format") != FORMAT:
            return Manifest()
        segs = {n: list(data.get("segments", {}).get(n, [])) for n in SCHEMAS}
        return Manifest(
            int(data["position"]), data.get("fingerprint"), segs, data.get("ledger_url")
        )


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class FactStore:
    """Parquet segments + manifest in one directory."""

    def __init__(self, directory: Path):
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)

    @contextlib.contextmanager
    def locked(self, exclusive: bool = True) -> Iterator[None]:
        with open(self.dir / ".lock", "a+b") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def manifest(self) -> Manifest:
        path = self.dir / MANIFEST
        if not path.exists():
            return Manifest()
        try:
            return Manifest.from_json(json.loads(path.read_text(encoding="utf-8")))
        except (ValueError, KeyError):
            return Manifest()

    def load(self, manifest: Manifest) -> Facts:
        parts: dict[str, pl.DataFrame] = {}
        for name, schema in SCHEMAS.items():
            files = manifest.segments.get(name, [])
            if files:
                parts[name] = pl.concat(
                    [pl.read_parquet(self.dir / f) for f in files], how="vertical"
                ).match_to_schema(schema)
            else:
                parts[name] = pl.DataFrame(schema=schema)
        return Facts(**parts)

    def _write_segment(self, name: str, df: pl.DataFrame, seq: int) -> str:
        fname = f"{name}-{seq:08d}-{uuid.uuid4().hex[:8]}.parquet"
        path = self.dir / fname
        df.write_parquet(path, compression="zstd", statistics=False)
        with open(path, "rb") as fh:
            os.fsync(fh.fileno())
        return fname

    def commit(
        self,
        old: Manifest,
        delta: Facts,
        position: int,
        fp: str | None,
        ledger_url: str | None,
        *,
        replace: bool = False,
    ) -> Manifest:
        """Write ``delta`` as new segments and move the checkpoint to ``position``, atomically.

        With ``replace`` the new segments replace all old ones (rebuild, compaction).
        """
        seq = position
        segs = {n: ([] if replace else list(old.segments.get(n, []))) for n in SCHEMAS}
        for name, df in delta.frames().items():
            if df.height:
                segs[name].append(self._write_segment(name, df, seq))
        new = Manifest(position, fp, segs, ledger_url)
        tmp = self.dir / (MANIFEST + ".tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(new.to_json(), fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.dir / MANIFEST)
        _fsync_dir(self.dir)
        self.remove_orphans(new)
        return new

    def compact(self, manifest: Manifest, facts: Facts) -> Manifest:
        if all(len(v) <= COMPACT_AFTER for v in manifest.segments.values()):
            return manifest
        return self.commit(
            manifest,
            facts,
            manifest.position,
            manifest.fingerprint,
            manifest.ledger_url,
            replace=True,
        )

    def remove_orphans(self, manifest: Manifest) -> None:
        keep = {f for files in manifest.segments.values() for f in files}
        for p in self.dir.glob("*.parquet"):
            if p.name not in keep:
                p.unlink(missing_ok=True)


def default_directory(url: str, base: Path | None = None) -> Path:
    """Next to an SQLite ledger (``<file>.projection/``); for PostgreSQL under ``base``
    (``Settings.projection_dir``; default ``HRLEDGER_PROJECTION_DIR``, else
    ``~/.cache/hrledger``), one folder per URL."""
    if scheme(url) == "sqlite":
        return Path(sqlite_path(url) + ".projection")
    if base is None:
        base = default_projection_dir(os.environ)
    return base / hashlib.sha256(url.encode()).hexdigest()[:16]


def merge(facts: Facts, delta: Facts) -> Facts:
    if delta.height() == 0:
        return facts
    return concat([facts, delta])
