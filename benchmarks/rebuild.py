"""Benchmark the read side: full rebuild, catch-up, one-year KPI query.

    .venv/bin/python benchmarks/rebuild.py --db sqlite:///sandnes.sqlite
    .venv/bin/python benchmarks/rebuild.py --generate --from 2015 --to 2024   # synthetic Sandnes
    .venv/bin/python benchmarks/rebuild.py --fabricate 2300000                # no generator needed

``--generate`` writes ``ledger.synthetic.generate("sandnes", ...)`` to JSON
Lines and imports it through the ledger (slow: the write side validates
every line). ``--fabricate N`` writes N plausible stored rows (hires,
changes, sick days, leaves, HMS, retractions) straight into an SQLite
ledger's ``stored_events`` table, bypassing validation: the read side
decodes exactly the same bytes, so its timings are representative.

Prints: rebuild seconds, events/s, peak RSS, the ratio to the raw speed of
reading the same stored rows and decoding them into one polars frame (each
run ``RUNS`` times, alternating, medians compared: ``benchmarks.medians``), the
catch-up time after one new event, the time of a one-year monthly KPI
series by sector on an up-to-date projection, and (on a sealed ledger, not
``--fabricate``) erase-then-read (``benchmarks.erasure``). Goals: rebuild
< 30 s and ≤ 1.5 × raw, < 2 GB, catch-up < 100 ms, kpi < 1 s, erase-then-read
< 1 s. ``--json FILE`` also writes the figures for ``benchmarks.all``.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from benchmarks.erasure import erase_then_read, report_line
from benchmarks.medians import RUNS, median
from benchmarks.memory import TreePeak
from ledger.storage.wire import TIMESTAMP, stamp

INSERT_SQL = (
    "INSERT INTO stored_events (rowid, originator_id, originator_version, topic, state) "
    "VALUES (?,?,?,?,?)"
)
GOALS = {
    "rebuild_s": 30.0,
    "rebuild_vs_raw": 1.5,
    "peak_gb": 2.0,
    "catch_up_ms": 100.0,
    "kpi_1y_by_sector_warm_s": 1.0,
    "erase_update_s": 1.0,
    "erase_then_read_s": 1.0,
}


def use_bench_key(folder: Path) -> None:
    """Without a configured master key, seal with one kept beside the benchmark ledgers
    (they are kept between runs, so the key must be too)."""
    if os.environ.get("HRLEDGER_MASTER_KEY") or os.environ.get("HRLEDGER_MASTER_KEY_FILE"):
        return
    folder.mkdir(parents=True, exist_ok=True)
    key = folder / "master.key"
    if not key.exists():
        key.write_text(os.urandom(32).hex() + "\n")
        key.chmod(0o600)
    os.environ["HRLEDGER_MASTER_KEY_FILE"] = str(key)


# ------------------------------------------------------------- fabricate
SECTORS = {
    "Oppvekst": ["Skole", "Barnehage", "PPT"],
    "Helse og velferd": ["Sykehjem", "Hjemmetjeneste", "Legevakt", "NAV"],
    "Kultur og byutvikling": ["Bibliotek", "Kulturskole", "Teknisk"],
    "Organisasjon": ["Økonomi", "HR", "IT"],
}
POSITIONS = ["Lærer", "Assistent", "Sykepleier", "Helsefagarbeider", "Konsulent", "Leder"]


def fabricate(path: Path, n_target: int, y0: int, y1: int, seed: int = 1) -> int:
    """Write about ``n_target`` stored rows into a new SQLite ledger at ``path``."""
    from ledger.storage.store import open_store

    store = open_store(f"sqlite:///{path}")
    store.close()
    rng = random.Random(seed)
    start = date(y0, 1, 1)
    days = (date(y1, 12, 31) - start).days + 1
    # ~2.3 M rows over 10 years ≈ 6 300 persons; scale persons with the target
    persons = max(10, int(6800 * n_target / 2_300_000 * 10 / max(1, y1 - y0 + 1)))
    t0 = datetime(y1 + 1, 1, 2, 12, 0, tzinfo=UTC)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    pos = 0
    batch: list[tuple[int, str, int, str, bytes]] = []

    def put(ev: dict[str, Any], recorded: datetime) -> None:
        nonlocal pos
        pos += 1
        ev.setdefault("event_id", f"ev{pos}")
        ev.setdefault("recorded_by", None)
        ev.setdefault("note", None)
        ev[TIMESTAMP] = stamp(recorded)
        batch.append((pos, uuid.uuid4().hex, 1, "ledger.domain_events:X", json.dumps(ev).encode()))
        if len(batch) >= 50_000:
            conn.executemany(
                INSERT_SQL,
                batch,
            )
            batch.clear()

    sick_per_person = max(1, n_target // persons)
    for p in range(persons):
        emp = f"E{p:06d}"
        hire_day = start + timedelta(days=rng.randrange(0, days // 2) if p % 2 else 0)
        sector = rng.choice(list(SECTORS))
        n_emp = 2 if p % 12 == 0 else 1
        end_day = hire_day + timedelta(days=rng.randrange(400, days * 2))
        when = t0 + timedelta(seconds=p)
        for k in range(n_emp):
            put(
                {
                    "type": "hired",
                    "employee_id": emp,
                    "employment_id": f"{emp}-{k}",
                    "effective_date": hire_day.isoformat(),
                    "birth_date": date(
                        1955 + rng.randrange(45), 1 + rng.randrange(12), 1 + rng.randrange(28)
                    ).isoformat(),
                    "gender": "F" if rng.random() < 0.81 else "M",
                    "sector": sector,
                    "unit": f"{rng.choice(SECTORS[sector])} {rng.randrange(1, 12)}",
                    "position": rng.choice(POSITIONS),
                    "employment_type": rng.choice(["permanent"] * 8 + ["temporary", "apprentice"]),
                    "position_pct": rng.choice([100, 100, 80, 60, 50, 40]) / n_emp,
                    "annual_salary": 420000 + 10000 * rng.randrange(30),
                    "is_leader": rng.random() < 0.05,
                },
                when,
            )
            for year in range(hire_day.year + 1, y1 + 1):
                put(
                    {
                        "type": "salary_changed",
                        "employment_id": f"{emp}-{k}",
                        "employee_id": emp,
                        "effective_date": f"{year}-05-01",
                        "annual_salary": 450000 + 12000 * (year - y0),
                        "reason": "central_settlement",
                    },
                    datetime(year, 6, 20, tzinfo=UTC) if year <= y1 else when,
                )
            if rng.random() < 0.3:
                put(
                    {
                        "type": "position_changed",
                        "employment_id": f"{emp}-{k}",
                        "employee_id": emp,
                        "effective_date": (
                            hire_day + timedelta(days=rng.randrange(30, 900))
                        ).isoformat(),
                        "position_pct": rng.choice([100, 80, 60]),
                    },
                    when,
                )
            if end_day <= date(y1, 12, 31):
                put(
                    {
                        "type": "terminated",
                        "employment_id": f"{emp}-{k}",
                        "employee_id": emp,
                        "effective_date": end_day.isoformat(),
                        "reason": "resignation",
                    },
                    when,
                )
        last = min(end_day, date(y1, 12, 31))
        span = (last - hire_day).days
        # sick days in runs
        left = sick_per_person
        while left > 0 and span > 60:
            run = min(left, rng.choice([1, 2, 3, 5, 10, 20, 40]))
            d0 = hire_day + timedelta(days=rng.randrange(0, span - run))
            cert = "self" if run <= 3 else "doctor"
            grade = 100 if cert == "self" or rng.random() < 0.7 else 50
            for d in range(run):
                put(
                    {
                        "type": "sick_day",
                        "employee_id": emp,
                        "effective_date": (d0 + timedelta(days=d)).isoformat(),
                        "certificate": cert,
                        "grade_pct": grade,
                    },
                    datetime.combine(d0 + timedelta(days=run + 3), datetime.min.time(), UTC),
                )
            left -= run
        if rng.random() < 0.15 and span > 400:
            s = hire_day + timedelta(days=rng.randrange(0, span - 300))
            put(
                {
                    "type": "leave",
                    "employee_id": emp,
                    "start_date": s.isoformat(),
                    "end_date": (s + timedelta(days=rng.randrange(20, 280))).isoformat(),
                    "kind": "parental",
                    "paid": True,
                    "leave_pct": 100,
                },
                when,
            )
    for i in range(10 * (y1 - y0 + 1) * 50):
        put(
            {
                "type": "hms_deviation",
                "deviation_id": f"D{i}",
                "effective_date": (start + timedelta(days=rng.randrange(days))).isoformat(),
                "sector": "Oppvekst",
                "unit": "Skole 1",
                "category": rng.choice(
                    ["personal_injury", "near_miss", "violence_threat", "other"]
                ),
            },
            t0,
        )
    for i in range(0, pos, 997):
        put(
            {
                "type": "retracted",
                "target_event_id": f"ev{i + 1}",
                "reason": "bench",
                "target_type": "x",
            },
            t0 + timedelta(days=1),
        )
    conn.executemany(
        INSERT_SQL,
        batch,
    )
    conn.execute("COMMIT")
    conn.close()
    return pos


# ------------------------------------------------------------------ measure
def warm(url: str) -> None:
    """Read an SQLite ledger's files once, so that the rebuild and its raw floor both start
    from the OS cache. Why: a ledger kept from an earlier run may have been pushed out of
    the cache by the larger ones since, and its first read then measures the disk, not
    the code (a ten-year rebuild measured 53.8 s so, against 11.6 s from the cache)."""
    if not url.startswith("sqlite:///"):
        return
    path = url[len("sqlite:///") :]
    for name in (path, path + "-wal"):
        if os.path.exists(name):
            with open(name, "rb") as f:
                while f.read(8 << 20):
                    pass


def raw_read(url: str) -> tuple[float, int]:
    """Read every stored row and decode it into one polars frame (the floor)."""
    from ledger.storage.store import open_store
    from projections.facts.source import STATE_SCHEMA

    store = open_store(url, create=False)
    t = time.perf_counter()
    after, n, frames = 0, 0, []
    while True:
        rows = store.read_rows(after, 50_000)
        if not rows:
            break
        after = rows[-1][0]
        n += len(rows)
        frames.append(
            pl.read_ndjson(io.BytesIO(b"\n".join(r[1] for r in rows)), schema=STATE_SCHEMA)
        )
    pl.concat(frames)
    el = time.perf_counter() - t
    store.close()
    return el, n


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--db", help="an existing ledger URL")
    ap.add_argument("--generate", action="store_true", help="generate Sandnes and import it")
    ap.add_argument("--fabricate", type=int, metavar="N", help="write N raw rows (no validation)")
    ap.add_argument("--from", dest="y0", type=int, default=2015)
    ap.add_argument("--to", dest="y1", type=int, default=2024)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--scale", type=float, default=1.0, help="--generate: size × Sandnes")
    ap.add_argument("--workdir", help="where to put generated ledgers (default: a temp dir)")
    ap.add_argument("--json", help="also write the figures to this JSON file")
    args = ap.parse_args(argv)

    work = Path(args.workdir or tempfile.mkdtemp(prefix="hrledger-bench-"))
    use_bench_key(work)
    work.mkdir(parents=True, exist_ok=True)
    if args.db:
        url = args.db
    elif args.generate:
        size = "" if args.scale == 1 else f"-x{args.scale:g}"
        jsonl = work / f"sandnes-{args.y0}-{args.y1}-s{args.seed}{size}.jsonl"
        db = work / f"sandnes-{args.y0}-{args.y1}-s{args.seed}{size}.sqlite"
        url = f"sqlite:///{db}"
        if not db.exists():  # generating and importing 2.3 M events takes minutes: keep them
            t = time.perf_counter()
            # In a child process: the rebuild's peak memory below must be the rebuild's own,
            # not the generator's and the import's (`make bench` once measured 3.9 GB so).
            subprocess.run(
                [sys.executable, "-c", "import sys\n"
                 "from pathlib import Path\n"
                 "from ledger.services.interchange import import_file\n"
                 "from ledger.services.recording import Ledger\n"
                 "from ledger.synthetic import generate\n"
                 "url, jsonl, y0, y1, seed, scale = sys.argv[1:]\n"
                 "if not Path(jsonl).exists():\n"
                 "    generate('sandnes', int(y0), int(y1), seed=int(seed), scale=float(scale),\n"
                 "             out=Path(jsonl))\n"
                 "with Ledger(url) as led:  # the default (handbook) policy the generator obeys\n"
                 "    import_file(led, Path(jsonl))\n",
                 url, str(jsonl), str(args.y0), str(args.y1), str(args.seed), str(args.scale)],
                check=True,
            )  # fmt: skip
            print(f"generated and imported in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    else:
        n = args.fabricate or 2_300_000
        path = work / "fabricated.sqlite"
        if path.exists():
            path.unlink()
        t = time.perf_counter()
        n = fabricate(path, n, args.y0, args.y1, args.seed)
        print(f"fabricated {n:,} rows in {time.perf_counter() - t:.1f} s", file=sys.stderr)
        url = f"sqlite:///{path}"

    from ledger.storage.store import open_store
    from projections.api import Projection

    years = (date(args.y0, 1, 1), date(args.y1, 12, 31))
    projdir = work / "projection"
    warm(url)
    store = open_store(url, create=False)
    runs: list[tuple[float, float]] = []
    raws: list[float] = []
    for _ in range(RUNS):  # alternating, medians compared (``benchmarks.medians``)
        # with the child that reads part of it (``benchmarks.memory``)
        with TreePeak() as tree:
            t = time.perf_counter()
            p = Projection(store, url=url, directory=projdir, auto_catch_up=False)
            n = p.rebuild()
            t_read = time.perf_counter() - t
            k = p.kpi(*years, "month", by="sector")
            runs.append((time.perf_counter() - t, t_read))
        if len(runs) == 1:  # the rebuild's own peak: the floor's frame comes after it
            peak = tree.gb
        t_raw, n_raw = raw_read(url)
        raws.append(t_raw)
    print(f"rows: {n:,}; kpi rows {k.height} × {k.width} columns", file=sys.stderr)
    t_rebuild, t_read = sorted(runs)[RUNS // 2]
    t_raw = median(raws)

    # catch-up after one new event
    extra: dict[str, Any] = {
        "type": "hms_deviation",
        "deviation_id": f"BENCH-{uuid.uuid4().hex[:8]}",
        "effective_date": f"{args.y1}-06-01",
        "sector": "Oppvekst",
        "unit": "Skole 1",
        "category": "near_miss",
    }
    if args.fabricate is not None or not (args.db or args.generate):
        path = url[len("sqlite:///") :]
        conn = sqlite3.connect(path, isolation_level=None)
        extra["event_id"] = "bench-extra"
        extra[TIMESTAMP] = stamp(datetime.now(UTC))
        conn.execute(
            INSERT_SQL,
            (n + 1, uuid.uuid4().hex, 1, "ledger.domain_events:X", json.dumps(extra).encode()),
        )
        conn.close()
    else:
        from ledger.services.recording import Ledger

        with Ledger(url) as led:
            led.record([extra])
    t = time.perf_counter()
    got = p.catch_up()
    t_catch = time.perf_counter() - t
    assert got == 1, got

    y = args.y1
    t = time.perf_counter()
    p.kpi(date(y, 1, 1), date(y, 12, 31), "month", by="sector")
    t_kpi_cold = time.perf_counter() - t
    t = time.perf_counter()
    p.kpi(date(y, 1, 1), date(y, 12, 31), "month", by="sector")
    t_kpi = time.perf_counter() - t
    t = time.perf_counter()
    reopened = Projection(_open_store(url), url=url, directory=projdir, auto_catch_up=False)
    reopened.kpi(date(y, 1, 1), date(y, 12, 31), "month", by="sector")
    t_open = time.perf_counter() - t

    sealed = bool(args.db or args.generate)
    erasure = erase_then_read(p, url, y) if sealed else {}
    report = {
        "rows": n,
        "rebuild_s": round(t_rebuild, 2),
        "read_decode_store_s": round(t_read, 2),
        "kpi_10y_monthly_by_sector_s": round(t_rebuild - t_read, 2),
        "events_per_s": round(n / t_rebuild),
        "peak_gb": round(peak, 2),
        "raw_read_decode_s": round(t_raw, 2),
        "raw_events_per_s": round(n_raw / t_raw),
        "rebuild_vs_raw": round(t_rebuild / t_raw, 2),
        "catch_up_ms": round(1000 * t_catch, 1),
        "kpi_1y_by_sector_after_catch_up_s": round(t_kpi_cold, 3),
        "kpi_1y_by_sector_warm_s": round(t_kpi, 3),
        "open_saved_projection_and_kpi_s": round(t_open, 2),
        **erasure,
    }
    for key, value in report.items():
        print(report_line(key, value, GOALS))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1))
    return 0


def _open_store(url: str) -> Any:
    from ledger.storage.store import open_store

    return open_store(url, create=False)


if __name__ == "__main__":
    raise SystemExit(main())
