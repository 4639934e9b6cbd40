"""`hrledger export`: the event log (re-importable) or a versioned table for consumers."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from cli.args import add_grouping, iso_date, iso_timestamp

TABLES = ("kpi", "roster", "sick-days", "employments", "leave", "hms-deviations", "calendar")


def _cmd_export(args: argparse.Namespace) -> int:
    if args.what != "events":
        from cli.read import export_table

        return export_table(args)
    from ledger.services.interchange import export_events

    store = args.settings.open_store(create=False)
    try:
        if args.out:
            with open(args.out, "wb") as out:
                n = export_events(store, out)
            print(f"exported {n} events to {args.out}", file=sys.stderr)
        else:
            export_events(store, sys.stdout.buffer)
    finally:
        store.close()
    return 0


def register(sub: Any) -> None:
    p = sub.add_parser("export", help="export events (or tables) for other systems")
    p.add_argument("what", choices=["events", *TABLES])
    p.add_argument("--out")
    p.add_argument("--format", default=None, choices=["parquet", "csv", "json"])
    p.add_argument("--from", dest="date_from", type=iso_date)
    p.add_argument("--to", dest="date_to", type=iso_date)
    p.add_argument("--on", type=iso_date)
    add_grouping(p, every_default="month")
    p.add_argument("--known-at", type=iso_timestamp)
    p.set_defaults(handler=_cmd_export)
