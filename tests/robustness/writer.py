"""A writer process for the concurrency tests.

``python -m tests.robustness.writer URL NAME COUNT YEAR GO_FILE EMPLOYEE HIRE``
waits until GO_FILE exists (so two writers start together), opens the
ledger, hires EMPLOYEE first if HIRE is 1, then records COUNT
doctor-certified sick days for EMPLOYEE in YEAR, one event per call, as a
clerk's client would. It prints one JSON object: how many calls it made
and how often the ledger gave up after its own retries ("try again").
Anything else the ledger raises is left to crash the process, so the test
shows it.
"""

from __future__ import annotations

import sys
import time
from datetime import date, timedelta
from pathlib import Path

import orjson

from ledger.domain.errors import LedgerError
from ledger.services.recording import Ledger
from tests.builders import hired, sick


def main(
    url: str, name: str, count: int, year: int, go_file: str, employee: str, hire: bool
) -> int:
    while not Path(go_file).exists():
        time.sleep(0.005)
    gave_up = 0
    first = date(year, 1, 1)
    with Ledger(url) as ledger:
        if hire:
            ledger.record([hired(employee, f"{employee}-A", "2020-01-01")])
        for i in range(count):
            day = (first + timedelta(days=i)).isoformat()
            line = sick(day, employee, certificate="doctor", event_id=f"{name}-{i}")
            while True:
                try:
                    ledger.record([line])
                    break
                except LedgerError as e:
                    if "try again" not in str(e):
                        raise
                    gave_up += 1
    print(orjson.dumps({"writer": name, "calls": count, "gave_up": gave_up}).decode())
    return 0


if __name__ == "__main__":
    url, name, count, year, go, employee, hire = sys.argv[1:8]
    raise SystemExit(main(url, name, int(count), int(year), go, employee, hire == "1"))
