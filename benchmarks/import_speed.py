"""Import benchmark: a generated Sandnes year into SQLite (and PostgreSQL).

Prints events/s beside the raw speed of the storage underneath — the same
rows inserted with plain ``executemany`` (SQLite) or ``COPY`` (PostgreSQL)
into a table of the same shape, one transaction — their ratio, and the
importing process's peak memory. Import and floor each run ``RUNS`` times,
alternating; the medians are compared (``benchmarks.medians``). Run: ``make bench`` or
``python -m benchmarks.import_speed [--year 2022] [--scale 1.0]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from benchmarks.medians import RUNS, median, median_run

DATA = Path(os.environ.get("HRLEDGER_BENCH_DATA", "bench-data"))
# Personal fields are sealed, as in production, so the figures include the encryption.
# Without a configured master key the ledgers use a throwaway one (they are rebuilt per run).
if not (os.environ.get("HRLEDGER_MASTER_KEY") or os.environ.get("HRLEDGER_MASTER_KEY_FILE")):
    os.environ["HRLEDGER_MASTER_KEY"] = os.urandom(32).hex()
PG = os.environ.get("HRLEDGER_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


def generated_year(year: int, scale: float) -> Path:
    from ledger.synthetic import generate

    DATA.mkdir(exist_ok=True)
    path = DATA / f"sandnes-{year}-x{scale:g}.jsonl"
    if not path.exists():
        generate("sandnes", year, year, seed=1, scale=scale, out=path, progress=True)
    return path


def timed_import(url: str, path: Path) -> dict[str, float]:
    """Import in a child process, so its peak memory is its own."""
    code = (
        "import json,resource,time,sys\n"
        "from pathlib import Path\n"
        "from ledger.services.recording import Ledger\n"
        "from ledger.services.interchange import import_file\n"
        "t=time.perf_counter()\n"
        f"l=Ledger({url!r})\n"
        f"r=import_file(l, Path({str(path)!r}))\n"
        "l.close()\n"
        "s=time.perf_counter()-t\n"
        "print(json.dumps({'events':r.stored,'seconds':s,"
        "'peak_mb':resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return result


def sqlite_rows(path: str) -> list[tuple[str, int, str, bytes]]:
    with sqlite3.connect(path) as c:
        return c.execute(
            "SELECT originator_id, originator_version, topic, state FROM stored_events "
            "ORDER BY rowid"
        ).fetchall()


def raw_sqlite(rows: list[tuple[str, int, str, bytes]]) -> float:
    """Plain executemany of the same rows into the library's table shape."""
    with tempfile.TemporaryDirectory() as d:
        c = sqlite3.connect(f"{d}/raw.sqlite", isolation_level=None)
        c.execute("PRAGMA journal_mode=WAL")
        c.execute("PRAGMA cache_size = -65536")  # the same page cache the ledger uses
        c.execute(
            "CREATE TABLE stored_events (originator_id TEXT, originator_version INTEGER, "
            "topic TEXT, state BLOB, PRIMARY KEY (originator_id, originator_version))"
        )
        t = time.perf_counter()
        c.execute("BEGIN")
        c.executemany("INSERT INTO stored_events VALUES (?,?,?,?)", rows)
        c.execute("COMMIT")
        seconds = time.perf_counter() - t
        c.close()
    return len(rows) / seconds


def raw_postgres(rows: list[tuple[str, int, str, bytes]]) -> float:
    import psycopg

    schema = f"bench_raw_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
        try:
            conn.execute(
                f"CREATE TABLE {schema}.stored_events (originator_id uuid NOT NULL, "
                "originator_version bigint NOT NULL, topic text, state bytea, "
                "notification_id bigserial, PRIMARY KEY (originator_id, originator_version))"
            )
            pg_rows = [(uuid.UUID(o), v, t, s) for o, v, t, s in rows]
            t0 = time.perf_counter()
            with (
                conn.transaction(),
                conn.cursor() as cur,
                cur.copy(
                    f"COPY {schema}.stored_events "
                    "(originator_id, originator_version, topic, state) FROM STDIN"
                ) as copy,
            ):
                for r in pg_rows:
                    copy.write_row(r)
            seconds = time.perf_counter() - t0
        finally:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")
    return len(rows) / seconds


def measure_sqlite(path: Path) -> tuple[dict[str, float], float, list[tuple[str, int, str, bytes]]]:
    """``RUNS`` imports into fresh SQLite ledgers, each followed by the raw floor of the
    rows the first one stored: the median import, the median raw rows/s, and the rows."""
    runs: list[dict[str, float]] = []
    raws: list[float] = []
    rows: list[tuple[str, int, str, bytes]] = []
    for _ in range(RUNS):
        with tempfile.TemporaryDirectory() as d:
            runs.append(timed_import(f"sqlite:///{d}/bench.sqlite", path))
            rows = rows or sqlite_rows(f"{d}/bench.sqlite")
        raws.append(raw_sqlite(rows))
    return median_run(runs, "peak_mb"), median(raws), rows


def measure_postgres(
    path: Path, rows: list[tuple[str, int, str, bytes]]
) -> tuple[dict[str, float], float]:
    """As ``measure_sqlite``, each import into a schema of its own, dropped after."""
    import psycopg

    runs: list[dict[str, float]] = []
    raws: list[float] = []
    for _ in range(RUNS):
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        try:
            runs.append(timed_import(f"{PG}?schema={schema}", path))
        finally:
            with psycopg.connect(PG, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        raws.append(raw_postgres(rows))
    return median_run(runs, "peak_mb"), median(raws)


def postgres_reachable() -> bool:
    try:
        import psycopg

        psycopg.connect(PG, connect_timeout=3).close()
        return True
    except Exception:
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--year", type=int, default=2022)
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    path = generated_year(args.year, args.scale)
    lines = sum(1 for _ in path.open("rb"))
    print(f"input: {path} ({lines:,} lines)")
    r, raw, rows = measure_sqlite(path)
    speed = r["events"] / r["seconds"]
    print(
        f"SQLite     import {r['events']:,.0f} events in {r['seconds']:.1f} s = {speed:,.0f} "
        f"events/s | raw executemany {raw:,.0f} rows/s | ratio {speed / raw:.0%} | "
        f"peak {r['peak_mb']:,.0f} MB  (medians of {RUNS})"
    )
    if postgres_reachable():
        r, raw = measure_postgres(path, rows)
        speed = r["events"] / r["seconds"]
        print(
            f"PostgreSQL import {r['events']:,.0f} events in {r['seconds']:.1f} s = "
            f"{speed:,.0f} events/s | raw COPY {raw:,.0f} rows/s | ratio {speed / raw:.0%}"
            f" | peak {r['peak_mb']:,.0f} MB  (medians of {RUNS})"
        )
    else:
        print(f"PostgreSQL not reachable at {PG}: skipped")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"(this process peak {peak:,.0f} MB)")


if __name__ == "__main__":
    main()
