"""Follow the ledger from a checkpoint, exactly once, in your own process.

    python docs/examples/follow_log.py --db sqlite:///hrledger.sqlite --state consumer.json

A downstream consumer (payroll, dashboard, statistics feed) keeps its own
position. Each round it reads the rows stored after that position, handles
them, and saves the new position *together with* its own results (here: one
JSON file replaced atomically). After a crash it resumes from the last saved
position: nothing is skipped, nothing handled twice. Stop with Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

from ledger.storage.store import open_store

PAGE = 10_000


def load_state(path: Path) -> dict[str, Any]:
    if path.exists():
        return dict(json.loads(path.read_text(encoding="utf-8")))
    return {"position": 0, "sick_days_by_month": {}}


def save_state(path: Path, state: dict[str, Any]) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(state, fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)  # atomic: results and position move together


def handle(event: dict[str, Any], state: dict[str, Any]) -> None:
    """Your logic. Here: count sick days per month (retractions subtract)."""
    counts = state["sick_days_by_month"]
    if event["type"] == "sick_day":
        month = event["effective_date"][:7]
        counts[month] = counts.get(month, 0) + 1
        state.setdefault("sick_day_months", {})[event["event_id"]] = month
    elif event["type"] == "retracted" and event.get("target_type") == "sick_day":
        month = state.get("sick_day_months", {}).pop(event["target_event_id"], None)
        if month is not None:
            counts[month] -= 1


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", help="ledger URL (default $HRLEDGER_DB)")
    ap.add_argument("--state", default="consumer.json")
    ap.add_argument("--poll", type=float, default=2.0, help="seconds between polls")
    ap.add_argument("--once", action="store_true", help="catch up once and exit")
    args = ap.parse_args()

    store = open_store(args.db, create=False)
    path = Path(args.state)
    state = load_state(path)
    try:
        while True:
            rows = store.read_rows(state["position"], PAGE)
            for position, raw in rows:
                handle(json.loads(raw), state)
                state["position"] = position
            if rows:
                save_state(path, state)  # one checkpoint per page
                print(f"at position {state['position']}")
                continue  # more may be waiting
            if args.once:
                break
            time.sleep(args.poll)
    except KeyboardInterrupt:
        pass
    finally:
        store.close()


if __name__ == "__main__":
    main()
