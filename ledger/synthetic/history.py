"""A generated ledger recorded in three batches, so ``known_at`` has a story to tell.

The synthetic generator writes one file; imported at once, every event gets
the same recorded time and "as reported" equals "as known now". Here the
events are recorded the way a municipality's ledger fills up:

1. on 20 January after ``report_year`` (the annual report): everything with a
   valid date up to 31 December of ``report_year`` — except some sick notes
   from November/December and some December HMS deviations that arrive late;
2. on 15 February: the late arrivals, and a few retractions of sick days of
   ``report_year`` that had been recorded on the wrong person;
3. on 20 January after ``year_to``: everything after ``report_year``.

    hrledger generate --preset sandnes --from 2019 --to 2023 --out demo/sandnes.jsonl
    python -m ledger.synthetic.history --file demo/sandnes.jsonl --out demo/sandnes.sqlite

The ledger's clock is set to those dates while recording (through the
Python API; the import command always uses the real clock), so the demo
shows what the municipality knew when it made its annual report. `make demo`
builds its ledger this way.
"""

from __future__ import annotations

import argparse
import hashlib
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import orjson

from ledger.services.recording import Ledger
from ledger.synthetic import generate_lines

LATE_SHARE = 0.25
"""Share of doctor-certified sick days in Nov–Dec of the report year that arrive late."""
LATE_HMS_SHARE = 0.3
"""Share of December HMS deviations reported late."""
RETRACTIONS_PER_MONTH = 2
"""Sick days of the report year retracted later (recorded on the wrong person)."""


def _valid(ev: dict[str, Any]) -> date:
    return date.fromisoformat(ev.get("effective_date") or ev["start_date"])


def _pick(event_id: str, share: float) -> bool:
    h = int.from_bytes(hashlib.sha256(event_id.encode()).digest()[:4], "big")
    return h / 2**32 < share


def split(
    lines: Iterable[dict[str, Any]], report_year: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """(report batch, late batch, rest) as described in the module docstring."""
    cutoff = date(report_year, 12, 31)
    late_from = date(report_year, 11, 1)
    report: list[dict[str, Any]] = []
    late: list[dict[str, Any]] = []
    rest: list[dict[str, Any]] = []
    late_deviations: set[str] = set()
    retract: list[str] = []
    retracted_in: dict[int, int] = {}
    for ev in lines:
        d = _valid(ev)
        t = ev["type"]
        eid = str(ev.get("event_id", ""))
        if d > cutoff:
            rest.append(ev)
        elif (
            t == "sick_day"
            and ev.get("certificate") == "doctor"
            and d >= late_from
            and _pick(eid, LATE_SHARE)
        ):
            late.append(ev)
        elif t == "hms_deviation" and d >= date(report_year, 12, 1) and _pick(eid, LATE_HMS_SHARE):
            late_deviations.add(ev["deviation_id"])
            late.append(ev)
        elif t == "hms_deviation_closed" and ev["deviation_id"] in late_deviations:
            late.append(ev)
        else:
            if (
                t == "sick_day"
                and ev.get("certificate") == "doctor"
                and d.year == report_year
                and retracted_in.get(d.month, 0) < RETRACTIONS_PER_MONTH
                and _pick(eid + "/retract", 0.05)
            ):
                retract.append(eid)
                retracted_in[d.month] = retracted_in.get(d.month, 0) + 1
            report.append(ev)
    late += [
        {
            "type": "retracted",
            "target_event_id": eid,
            "reason": "registrert på feil person",
            "recorded_by": "scenario",
        }
        for eid in retract
    ]
    return report, late, rest


def build_ledger(
    path: Path,
    *,
    preset: str = "sandnes",
    year_from: int = 2021,
    year_to: int = 2023,
    scale: float = 0.05,
    seed: int = 1,
    report_year: int | None = None,
    lines: Iterable[dict[str, Any]] | None = None,
    progress: bool = False,
) -> str:
    """Record `lines` (default: generate ``preset``) in three batches into a new SQLite file.

    Returns the ledger URL.
    """
    report_year = report_year if report_year is not None else year_to - 1
    url = f"sqlite:///{path.resolve()}"
    source = (
        lines
        if lines is not None
        else generate_lines(preset, year_from, year_to, seed=seed, scale=scale)
    )
    batches = split(source, report_year)
    stamps = (
        datetime(report_year + 1, 1, 20, 9, 0, tzinfo=UTC),
        datetime(report_year + 1, 2, 15, 9, 0, tzinfo=UTC),
        datetime(year_to + 1, 1, 20, 9, 0, tzinfo=UTC),
    )
    for batch, at in zip(batches, stamps, strict=True):
        if batch:
            with Ledger(url, clock=_fixed(at)) as ledger:
                result = ledger.record_numbered(enumerate(batch, start=1), progress=progress)
            if progress:
                print(f"recorded {result.stored:,} events as known on {at:%Y-%m-%d %H:%M} UTC")
    return url


def _fixed(at: datetime) -> Callable[[], datetime]:
    return lambda: at


def _read(path: Path) -> list[dict[str, Any]]:
    with path.open("rb") as f:
        return [orjson.loads(line) for line in f if line.strip()]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--file", type=Path, help="a generated JSON Lines file (default: generate)")
    ap.add_argument("--preset", default="sandnes", choices=["sandnes", "utsira"])
    ap.add_argument("--from", dest="year_from", type=int, default=2019)
    ap.add_argument("--to", dest="year_to", type=int, default=2023)
    ap.add_argument("--report-year", type=int, help="the annual report's year (default: to − 1)")
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--progress", action="store_true")
    a = ap.parse_args()
    a.out.parent.mkdir(parents=True, exist_ok=True)
    if a.out.exists():
        raise SystemExit(f"{a.out} exists; remove it first")
    url = build_ledger(
        a.out, preset=a.preset, year_from=a.year_from, year_to=a.year_to, scale=a.scale,
        seed=a.seed, report_year=a.report_year, progress=a.progress,
        lines=_read(a.file) if a.file else None,
    )  # fmt: skip
    print(url)


if __name__ == "__main__":
    main()
