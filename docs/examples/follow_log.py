"""Follow the ledger from a checkpoint, exactly once, in your own process.

    HRLEDGER_MASTER_KEY_FILE=/path/to/hrledger.key \\
        python docs/examples/follow_log.py --db sqlite:///hrledger.sqlite --state consumer.json

A downstream consumer (payroll, dashboard, statistics feed) keeps its own
position. Each round it reads the events stored after that position through
``ledger.services.follow`` (export form, personal fields opened with the
master key), handles them, and saves the new position *together with* its
own results (here: one JSON file replaced atomically). After a crash it
resumes from the last saved position: nothing is skipped, nothing handled
twice. Stop with Ctrl-C; ``--once`` catches up and exits.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

from ledger.services.follow import open_log


def load_state(path: Path) -> dict[str, Any]:
    if path.exists():
        return dict(json.loads(path.read_text(encoding="utf-8")))
    return {"position": 0, "sick_days_by_month": {}, "sick_day_months": {}}


def save_state(path: Path, state: dict[str, Any]) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(state, fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)  # atomic: results and position move together


def handle(event: dict[str, Any], state: dict[str, Any]) -> None:
    """Your logic. Here: count sick days per month (retractions subtract).

    An erased person's sick day reads ``[erased]`` in its date: it is counted
    under that key, so totals still add up without knowing the day.
    """
    day = event.get("effective_date", "")
    counts = state["sick_days_by_month"]
    months = state["sick_day_months"]
    if event["type"] == "sick_day":
        month = day if day == "[erased]" else day[:7]
        counts[month] = counts.get(month, 0) + 1
        months[event["event_id"]] = month
    elif event["type"] == "retracted" and event.get("target_type") == "sick_day":
        month = months.pop(event["target_event_id"], None)
        if month is not None:
            counts[month] -= 1


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", help="ledger URL (default $HRLEDGER_DB)")
    ap.add_argument("--state", default="consumer.json")
    ap.add_argument("--poll", type=float, default=2.0, help="seconds between polls")
    ap.add_argument("--once", action="store_true", help="catch up once and exit")
    args = ap.parse_args()

    path = Path(args.state)
    state = load_state(path)
    with open_log(args.db) as log:  # the master key comes from the environment
        try:
            while True:
                page = log.read(after=state["position"])
                for event in page.events:
                    handle(event, state)
                if page.position != state["position"]:
                    state["position"] = page.position
                    save_state(path, state)  # one checkpoint per page
                    print(f"at position {state['position']}", flush=True)
                    continue  # more may be waiting
                if args.once:
                    break
                time.sleep(args.poll)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
