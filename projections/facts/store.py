"""Materialised fact tables + checkpoint, saved atomically together, sealed at rest.

Layout of a projection directory (mode 0700, every file 0600)::

    manifest.json                             the one source of truth (no personal data)
    employment-00000001-ab12cd34.parquet.sealed
    sick-00000001-ab12cd34.parquet.sealed     segments named by the manifest
    ...
    intervals-00000001-ab12cd34.parquet.sealed  employment intervals at that position
    runs-00000001-ab12cd34.parquet.sealed     runs of sick days at that position
                                              (both derived; dropped by the next commit)
    .lock                                     flock: one writer at a time

Each segment is a Parquet file sealed whole (``ledger.security.sealed_files``)
with a key derived from the master key: the facts are the *opened* personal
fields (sick days, birth dates, pay), so reading them needs the same key as
reading the ledger. The manifest holds positions, a fingerprint, segment
names and a public check of the key the segments were sealed with, so a
projection sealed under another master key (after a rotation) is rebuilt
instead of failing on every file.

A catch-up writes the new rows' facts as *new* segment files (fsynced), then
writes ``manifest.json.tmp`` naming the old segments + the new ones + the new
position, fsyncs it and ``os.replace``-s it over ``manifest.json`` (atomic on
POSIX), then fsyncs the directory. A crash before the rename leaves the old
manifest (old position, old segments: nothing lost, nothing counted twice);
the orphan segment files are deleted on the next catch-up. A crash after the
rename leaves the new state complete.

The manifest also holds a fingerprint (SHA-256 of the stored state at the
checkpoint position); if the ledger behind the URL no longer has that row
(a restored backup, a different file), the projection is rebuilt from 0. It
is rebuilt too when the fact tables' columns or choices changed since it was
saved (``FACTS_SCHEMA``: a new value in the event catalogue, a new column).

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
import io
import json
import os
import stat
import uuid
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import polars as pl

from ledger.security.master_key import HOW_TO_MAKE, KeyProblem, MasterKeySource
from ledger.security.sealed_files import FileSealer, SealedFileError
from ledger.services.settings import default_projection_dir
from ledger.storage.urls import scheme, sqlite_path
from projections.facts import sick_runs, timeline
from projections.facts.sick_runs import RUN_SCHEMA
from projections.facts.source import SCHEMAS, Facts, RowSource, concat
from projections.facts.timeline import INTERVAL_SCHEMA
from projections.periods import EXPORT_SCHEMA_VERSION

MANIFEST = "manifest.json"
FORMAT = 2
"""2: sealed segments. A manifest of another format is ignored (the projection is rebuilt
and the files it named are deleted as orphans)."""
FACTS_SCHEMA = hashlib.sha256(repr(sorted(SCHEMAS.items(), key=str)).encode()).hexdigest()[:16]
"""Fingerprint of the fact tables' schemas, enum categories included: saved segments of
another shape cannot be read into today's schemas, so they are rebuilt."""
PURPOSE = "hrledger projection cache v1"
SUFFIX = ".parquet.sealed"
LEGACY_SUFFIX = ".parquet"
"""Clear segments written by format 1: deleted on the first commit."""
PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
COMPACT_AFTER = 32
"""Merge a table's segments into one when it has more than this many."""


def _code(schema: pl.Schema, *modules: Any) -> str:
    """Fingerprint of the code (modules' source) that derives a table of ``schema``."""
    source = b"".join(Path(m.__file__).read_bytes() for m in modules)
    return hashlib.sha256(source + repr(schema).encode()).hexdigest()[:16]


INTERVALS_CODE = _code(INTERVAL_SCHEMA, timeline)
"""Fingerprint of the code that derives employment intervals from the facts: saved
intervals derived by other code (an upgrade) are not used, but derived again."""
RUNS_CODE = _code(RUN_SCHEMA, sick_runs, timeline)
"""The same for the runs of sick days (``projections.facts.sick_runs``)."""
DERIVED = {"intervals": (INTERVAL_SCHEMA, INTERVALS_CODE), "runs": (RUN_SCHEMA, RUNS_CODE)}
"""Tables derived from everything known that a projection keeps beside its facts."""


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
    key_check: str | None = None
    """``FileSealer.key_check()`` of the key the segments were sealed with."""
    intervals: str | None = None
    """The sealed employment intervals of everything known at ``position`` (retractions
    applied), saved by the first query after a change: at Oslo's size deriving them
    is a third of a `kpi` call. Any commit drops them (they no longer match)."""
    runs: str | None = None
    """The sealed runs of sick days of everything known at ``position``, likewise: with
    them a `kpi` call reads no sick day at all."""

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "facts_schema": FACTS_SCHEMA,
            "schema_version": EXPORT_SCHEMA_VERSION,
            "ledger_url": without_password(self.ledger_url),
            "position": self.position,
            "fingerprint": self.fingerprint,
            "key_check": self.key_check,
            "segments": self.segments,
            "intervals": self.intervals,
            "intervals_code": INTERVALS_CODE,
            "runs": self.runs,
            "runs_code": RUNS_CODE,
        }

    @staticmethod
    def from_json(data: dict[str, Any]) -> Manifest:
        if data.get("format") != FORMAT or data.get("facts_schema") != FACTS_SCHEMA:
            return Manifest()  # rebuilt from 0
        segs = {n: list(data.get("segments", {}).get(n, [])) for n in SCHEMAS}
        return Manifest(
            int(data["position"]),
            data.get("fingerprint"),
            segs,
            data.get("ledger_url"),
            data.get("key_check"),
            data.get("intervals") if data.get("intervals_code") == INTERVALS_CODE else None,
            data.get("runs") if data.get("runs_code") == RUNS_CODE else None,
        )

    def has_segments(self) -> bool:
        return any(self.segments.values())


def without_password(url: str | None) -> str | None:
    """The URL as the manifest may show it: a PostgreSQL password never lands in a file."""
    if not url:
        return url
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}@{host}"))


def _private_file(path: Path) -> int:
    """Open ``path`` for writing, new, readable by its owner only (whatever the umask)."""
    path.unlink(missing_ok=True)
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class FactStore:
    """Sealed Parquet segments + manifest in one private directory."""

    def __init__(
        self,
        directory: Path,
        master: bytes | None = None,
        *,
        key_source: MasterKeySource | None = None,
    ):
        """``master``: the master key; by default the one ``key_source`` names (the
        ledger's, from the entry point's settings), else the environment's, looked up
        when needed."""
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
        if stat.S_IMODE(self.dir.stat().st_mode) != PRIVATE_DIR:
            self.dir.chmod(PRIVATE_DIR)  # a folder made before sealing (0755)
        self._master = master
        self._key_source = key_source

    def sealer(self) -> FileSealer:
        """The sealer of this folder's files; without a master key, a one-line refusal."""
        source = self._key_source or MasterKeySource.from_environment()
        master = self._master or source.load()
        if master is None:
            raise KeyProblem(
                f"the projection folder {self.dir} is sealed (it holds opened sick days, birth "
                f"dates and pay) and no master key is configured; {HOW_TO_MAKE}"
            )
        return FileSealer(master, PURPOSE)

    def opens(self, manifest: Manifest) -> bool:
        """Whether this process's master key sealed the manifest's segments.

        False after a rotation of the master key (or with a wrong one): the
        caller rebuilds, once the key has proved it opens the ledger.
        """
        if not manifest.has_segments():
            return True
        return manifest.key_check == self.sealer().key_check()

    @contextlib.contextmanager
    def locked(self, exclusive: bool = True) -> Iterator[None]:
        fd = os.open(self.dir / ".lock", os.O_RDWR | os.O_CREAT, PRIVATE_FILE)
        with contextlib.suppress(OSError):
            os.fchmod(fd, PRIVATE_FILE)  # a lock file made before sealing (0644)
        with os.fdopen(fd, "r+b") as fh:
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

    def load(self, manifest: Manifest, skip: Collection[str] = ()) -> Facts:
        """Every table of ``manifest``; those in ``skip`` are left empty (read later)."""
        return Facts(
            **{
                name: pl.DataFrame(schema=schema)
                if name in skip
                else parse(name, self.opened(manifest, name))
                for name, schema in SCHEMAS.items()
            }
        )

    def opened(self, manifest: Manifest, name: str) -> list[bytes]:
        """The Parquet bytes of one table's segments, opened (which also checks them)."""
        files = manifest.segments.get(name, [])
        sealer = self.sealer() if files else None
        return [self._open_segment(f, sealer) for f in files]

    def read_segment(self, fname: str, sealer: FileSealer | None = None) -> pl.DataFrame:
        """One segment file, opened (needs the master key)."""
        return pl.read_parquet(io.BytesIO(self._open_segment(fname, sealer)))

    def _open_segment(self, fname: str, sealer: FileSealer | None) -> bytes:
        try:
            return (sealer or self.sealer()).open((self.dir / fname).read_bytes(), fname)
        except SealedFileError as e:
            raise SealedFileError(
                f"projection folder {self.dir}: {e}. It is a cache: delete the folder and it is "
                "rebuilt from the ledger"
            ) from None

    def _write_segment(self, name: str, df: pl.DataFrame, seq: int) -> str:
        fname = f"{name}-{seq:08d}-{uuid.uuid4().hex[:8]}{SUFFIX}"
        buf = io.BytesIO()
        df.write_parquet(buf, compression="zstd", statistics=False)
        with os.fdopen(_private_file(self.dir / fname), "wb") as fh:
            for piece in self.sealer().seal(buf.getbuffer(), fname):
                fh.write(piece)
            fh.flush()
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
        rewrite: Mapping[str, pl.DataFrame] | None = None,
        keep_runs: bool = False,
    ) -> Manifest:
        """Write ``delta`` as new segments and move the checkpoint to ``position``, atomically.

        With ``replace`` the new segments replace all old ones (rebuild, compaction).
        ``rewrite`` names tables whose whole content (delta included) replaces their
        old segments — an erasure: the old files, which hold the erased person's
        opened fields, are deleted once the new manifest is in place.
        """
        seq = position
        rewrite = rewrite or {}
        segs = {
            n: ([] if replace or n in rewrite else list(old.segments.get(n, []))) for n in SCHEMAS
        }
        tables = [(n, df) for n, df in {**delta.frames(), **rewrite}.items() if df.height]
        # polars and the AES release the GIL: an erasure's rewritten tables are written at once
        with ThreadPoolExecutor(max_workers=min(4, len(tables) or 1)) as pool:
            written = pool.map(lambda t: self._write_segment(t[0], t[1], seq), tables)
            for (name, _), fname in zip(tables, written, strict=True):
                segs[name].append(fname)
        check = old.key_check
        if any(segs.values()):
            check = self.sealer().key_check()
        # the saved runs stay named when ``delta`` changes no sick day (the caller knows)
        runs = old.runs if keep_runs and not replace and not rewrite else None
        new = Manifest(position, fp, segs, ledger_url, check, runs=runs)
        self._install(new)
        return new

    def save_derived(self, manifest: Manifest, name: str, table: pl.DataFrame) -> Manifest:
        """Name the sealed derived ``table`` (``DERIVED``) in the manifest (the caller holds
        the lock and has checked that ``manifest`` is the one on disk)."""
        fname = self._write_segment(name, table, manifest.position)
        new = replace(manifest, key_check=self.sealer().key_check())
        setattr(new, name, fname)
        self._install(new)
        return new

    def load_derived(self, manifest: Manifest, name: str) -> pl.DataFrame | None:
        """A saved derived table, or None (none saved, or a file that does not open:
        derived again, as a cache is)."""
        fname: str | None = getattr(manifest, name)
        if fname is None:
            return None
        try:
            return self.read_segment(fname).match_to_schema(DERIVED[name][0])
        except (OSError, KeyProblem, pl.exceptions.PolarsError):
            return None

    def _install(self, new: Manifest) -> None:
        """Replace the manifest atomically, then delete the files it no longer names."""
        tmp = self.dir / (MANIFEST + ".tmp")
        with os.fdopen(_private_file(tmp), "w", encoding="utf-8") as fh:
            json.dump(new.to_json(), fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.dir / MANIFEST)
        _fsync_dir(self.dir)
        self.remove_orphans(new)

    def compact(self, manifest: Manifest, facts: Callable[[], Facts]) -> Manifest:
        """One segment per table once a table has more than ``COMPACT_AFTER``; ``facts``
        is called only then (it may have to read the tables first)."""
        if all(len(v) <= COMPACT_AFTER for v in manifest.segments.values()):
            return manifest
        return self.commit(
            manifest,
            facts(),
            manifest.position,
            manifest.fingerprint,
            manifest.ledger_url,
            replace=True,
        )

    def remove_orphans(self, manifest: Manifest) -> None:
        keep = {f for files in manifest.segments.values() for f in files}
        keep |= {getattr(manifest, name) for name in DERIVED}
        for pattern in ("*" + SUFFIX, "*" + LEGACY_SUFFIX):
            for p in self.dir.glob(pattern):
                if p.name not in keep:
                    p.unlink(missing_ok=True)


def parse(
    name: str,
    opened: list[bytes],
    rows: pl.Expr | None = None,
    columns: Sequence[str] | None = None,
) -> pl.DataFrame:
    """Table ``name`` from its opened segments; only ``rows`` and ``columns`` when given.

    Why a filter here: a one-year KPI query on three years of Oslo needs a
    third of the 7 million sick days; the others are not even decoded (the
    Parquet reader filters while it decodes), which saves time and memory.
    """
    schema = SCHEMAS[name]
    if columns is not None:
        schema = pl.Schema({c: schema[c] for c in columns})
    if not opened:
        return pl.DataFrame(schema=schema)
    if rows is None and columns is None:
        parts = [pl.read_parquet(io.BytesIO(b)) for b in opened]
    else:
        scans = [pl.scan_parquet(io.BytesIO(b)).select(schema.names()) for b in opened]
        parts = [s.filter(rows).collect() if rows is not None else s.collect() for s in scans]
    return pl.concat(parts, how="vertical").match_to_schema(schema)


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
