"""The Oslo-scale run: does the cost per event stay flat from Sandnes to ten times Sandnes?

    .venv/bin/python -m benchmarks.scale             # 10 × Sandnes, 2022–2024 (≈ 8 M events)
    .venv/bin/python -m benchmarks.scale --scale 0.1 --base 0.01 --from 2024 --to 2024  # quick

For the base size (1 × Sandnes, ≈ 6,000 employees) and the large one
(``--scale``, 10 × ≈ 60,000 employees, Oslo's size), over the same years:

- import the generated file into an empty SQLite ledger (a child process:
  seconds, peak memory) beside the **raw floor**: the same stored rows
  inserted with plain ``executemany`` into a table of the same shape, in
  one transaction, streamed in batches (so the floor's own memory stays
  flat);
- a full rebuild of the projection (a child process: seconds, peak memory)
  beside the **raw floor** of reading the same rows and decoding their JSON
  into one polars frame (``benchmarks.rebuild.raw_read``, another child),
  three of each, alternating, the medians compared;
- `hrledger kpi` for the last year, monthly, by sector, as a user runs it
  (a new process on the up-to-date projection: Python start, opening the
  sealed projection, the query), three times: the median, fastest, slowest;

then the cost per event (µs) at both sizes and its ratio large ÷ base,
printed beside the same ratio of the raw floors (how much of any growth the
storage itself shows). Goals: import peak < 1 GB at both sizes (flat),
rebuild peak < 4 GB, kpi < 2 s, cost per event within 20 % (ratio ≤ 1.2).

Generated files and ledgers are kept under ``--workdir`` (default
``bench-data``): generating 8 M events takes a while and much memory, so
it runs in its own process. ``--json FILE`` writes the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.erasure import report_line
from benchmarks.medians import RUNS, median_run
from benchmarks.rebuild import use_bench_key, warm

GOALS = {
    "import_peak_mb": 1000.0,
    "rebuild_peak_gb": 4.0,
    "kpi_cli_s": 2.0,
    "import_cost_ratio": 1.2,
    "rebuild_cost_ratio": 1.2,
}
BATCH = 100_000
KPI_RUNS = 3


def _child(code: str) -> dict[str, Any]:
    """Run ``code`` in a fresh Python (its peak memory is its own); it prints one JSON line."""
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


PEAK = "resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024"
"""Peak resident memory of the child, MB (Linux reports kB)."""


def generated(work: Path, scale: float, y0: int, y1: int) -> Path:
    path = work / f"sandnes-{y0}-{y1}-s1-x{scale:g}.jsonl"
    if not path.exists():
        code = (
            "from pathlib import Path\nfrom ledger.synthetic import generate\n"
            f"n = generate('sandnes', {y0}, {y1}, seed=1, scale={scale!r}, "
            f"out=Path({str(path) + '.tmp'!r}), progress=True)\nprint(n)\n"
        )
        subprocess.run([sys.executable, "-c", code], check=True)
        Path(str(path) + ".tmp").rename(path)
    return path


def import_child(url: str, path: Path) -> dict[str, Any]:
    return _child(
        "import json, resource, time\nfrom pathlib import Path\n"
        "from ledger.services.recording import Ledger\n"
        "from ledger.services.interchange import import_file\n"
        "t = time.perf_counter()\n"
        f"with Ledger({url!r}) as led:\n"
        f"    n = import_file(led, Path({str(path)!r})).stored\n"
        f"print(json.dumps({{'events': n, 'seconds': time.perf_counter() - t, 'peak_mb': {PEAK}}}))"
    )


def rebuild_child(url: str, projection: Path) -> dict[str, Any]:
    return _child(
        "import json, resource, time\nfrom pathlib import Path\n"
        "from ledger.storage.store import open_store\nfrom projections.api import Projection\n"
        f"store = open_store({url!r}, create=False)\n"
        "from benchmarks.memory import TreePeak\n"
        "with TreePeak() as tree:  # with the child that reads part of it\n"
        "    t = time.perf_counter()\n"
        f"    p = Projection(store, url={url!r}, directory=Path({str(projection)!r}), "
        "auto_catch_up=False)\n"
        "    n = p.rebuild()\n"
        "    s = time.perf_counter() - t\n"
        "print(json.dumps({'rows': n, 'seconds': s, 'peak_gb': tree.gb}))"
    )


def raw_read_child(url: str) -> dict[str, Any]:
    return _child(
        "import json, resource\nfrom benchmarks.rebuild import raw_read\n"
        f"s, n = raw_read({url!r})\n"
        f"print(json.dumps({{'rows': n, 'seconds': s, 'peak_gb': {PEAK} / 1024}}))"
    )


def raw_insert(db: Path) -> dict[str, Any]:
    """``executemany`` of the ledger's stored rows into a plain table of the same shape.

    The rows are read from the imported ledger in batches; only the inserts are timed.
    """
    src = sqlite3.connect(db)
    with tempfile.TemporaryDirectory(dir=db.parent) as d:
        dst = sqlite3.connect(f"{d}/raw.sqlite", isolation_level=None)
        dst.execute("PRAGMA journal_mode=WAL")
        dst.execute("PRAGMA cache_size = -65536")  # the page cache the ledger uses
        dst.execute(
            "CREATE TABLE stored_events (originator_id TEXT, originator_version INTEGER, "
            "topic TEXT, state BLOB, PRIMARY KEY (originator_id, originator_version))"
        )
        cur = src.execute(
            "SELECT originator_id, originator_version, topic, state FROM stored_events "
            "ORDER BY rowid"
        )
        seconds, rows = 0.0, 0
        dst.execute("BEGIN")
        while batch := cur.fetchmany(BATCH):
            t = time.perf_counter()
            dst.executemany("INSERT INTO stored_events VALUES (?,?,?,?)", batch)
            seconds += time.perf_counter() - t
            rows += len(batch)
        t = time.perf_counter()
        dst.execute("COMMIT")
        seconds += time.perf_counter() - t
        dst.close()
    src.close()
    return {"rows": rows, "seconds": seconds}


def kpi_cli(url: str, year: int) -> float:
    """Wall time of `hrledger kpi` for one year, monthly, by sector (a new process)."""
    cli = Path(sys.executable).with_name("hrledger")
    t = time.perf_counter()
    subprocess.run(
        [str(cli), "--db", url, "kpi", "--from", f"{year}-01-01", "--to", f"{year}-12-31",
         "--every", "month", "--by", "sector", "--format", "csv"],
        check=True, capture_output=True,
    )  # fmt: skip
    return time.perf_counter() - t


def one_size(work: Path, scale: float, y0: int, y1: int) -> dict[str, Any]:
    jsonl = generated(work, scale, y0, y1)
    db = work / f"scale-{y0}-{y1}-x{scale:g}.sqlite"
    for old in work.glob(db.name + "*"):
        if old.is_dir():
            for f in old.iterdir():
                f.unlink()
            old.rmdir()
        else:
            old.unlink()
    url = f"sqlite:///{db}"
    imp = import_child(url, jsonl)
    raw_in = raw_insert(db)
    warm(url)
    rebuilds, raw_reads = [], []
    for _ in range(RUNS):  # alternating, medians compared (``benchmarks.medians``)
        rebuilds.append(rebuild_child(url, Path(str(db) + ".projection")))
        raw_reads.append(raw_read_child(url))
    reb, raw_out = median_run(rebuilds, "peak_gb"), median_run(raw_reads, "peak_gb")
    # three runs, the median reported: this machine's speed moves by half within minutes
    kpi_runs = sorted(kpi_cli(url, y1) for _ in range(KPI_RUNS))
    n = imp["events"]
    return {
        "scale": scale,
        "events": n,
        "import_s": round(imp["seconds"], 1),
        "import_us_per_event": round(1e6 * imp["seconds"] / n, 2),
        "raw_insert_us_per_row": round(1e6 * raw_in["seconds"] / raw_in["rows"], 2),
        "import_speed_pct_of_raw": round(100 * raw_in["seconds"] / imp["seconds"], 1),
        "import_peak_mb": round(imp["peak_mb"]),
        "rebuild_s": round(reb["seconds"], 1),
        "rebuild_us_per_event": round(1e6 * reb["seconds"] / reb["rows"], 2),
        "raw_read_us_per_row": round(1e6 * raw_out["seconds"] / raw_out["rows"], 2),
        "rebuild_vs_raw": round(reb["seconds"] / raw_out["seconds"], 2),
        "rebuild_peak_gb": round(reb["peak_gb"], 2),
        "raw_read_peak_gb": round(raw_out["peak_gb"], 2),
        "kpi_cli_s": round(kpi_runs[len(kpi_runs) // 2], 2),
        "kpi_cli_fastest_s": round(kpi_runs[0], 2),
        "kpi_cli_slowest_s": round(kpi_runs[-1], 2),
    }


def run(work: Path, scale: float, base: float, y0: int, y1: int) -> dict[str, Any]:
    small = one_size(work, base, y0, y1)
    large = one_size(work, scale, y0, y1)

    def ratio(key: str) -> float:
        return round(float(large[key]) / float(small[key]), 2)

    return {
        "base": small,
        "large": large,
        "import_cost_ratio": ratio("import_us_per_event"),
        "raw_insert_cost_ratio": ratio("raw_insert_us_per_row"),
        "rebuild_cost_ratio": ratio("rebuild_us_per_event"),
        "raw_read_cost_ratio": ratio("raw_read_us_per_row"),
    }


def print_report(r: dict[str, Any]) -> None:
    small, large = r["base"], r["large"]
    print(f"{'scale run':38} {small['scale']:>12g} × {large['scale']:>10g} ×")
    for key in small:
        if key == "scale":
            continue
        goal = GOALS.get(key)
        marks = ""
        if goal is not None:
            marks = "  ok" if max(small[key], large[key]) <= goal else f"  OVER GOAL {goal}"
        print(f"{key:38} {small[key]:>12,} {large[key]:>12,}{marks}")
    for key in ("import_cost_ratio", "raw_insert_cost_ratio", "rebuild_cost_ratio",
                "raw_read_cost_ratio"):  # fmt: skip
        print(report_line(key, r[key], GOALS))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--scale", type=float, default=10.0, help="the large size, × Sandnes")
    ap.add_argument("--base", type=float, default=1.0, help="the base size, × Sandnes")
    ap.add_argument("--from", dest="y0", type=int, default=2022)
    ap.add_argument("--to", dest="y1", type=int, default=2024)
    ap.add_argument("--workdir", default=os.environ.get("HRLEDGER_BENCH_DATA", "bench-data"))
    ap.add_argument("--json", help="also write the figures to this JSON file")
    args = ap.parse_args(argv)
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    use_bench_key(work)
    report = run(work, args.scale, args.base, args.y0, args.y1)
    print_report(report)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
