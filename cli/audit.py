"""`hrledger diff`: explain why a period's numbers changed between two moments.

    hrledger diff --from 2021-01-01 --to 2021-12-31 --every month \\
        --known-at 2022-01-15T12:00:00+00:00 --known-at 2022-06-30T12:00:00+00:00
    hrledger diff --on 2021-05-31 --known-at T1 --known-at T2

``cli.main`` calls ``register(subparsers)``; see projections/reports/audit.py and docs/auditing.md.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from cli.args import add_grouping, iso_date, iso_timestamp
from ledger.domain.errors import LedgerError


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    p = subparsers.add_parser(
        "diff",
        help="events recorded between two moments that change a period, and the KPI deltas",
        description=(
            "Lists the events recorded after T1 and by T2 whose valid dates touch the period "
            "(added, or retracted with who and why), and every KPI whose value known at T2 "
            "differs from its value known at T1."
        ),
    )
    p.add_argument(
        "--known-at", action="append", type=iso_timestamp, metavar="TS", required=True,
        help="give it twice: T1 (e.g. when the report was published), then T2 (e.g. now)",
    )  # fmt: skip
    p.add_argument("--on", type=iso_date, help="one day (KPIs of that day, and the roster)")
    p.add_argument("--from", dest="date_from", type=iso_date, help="first day of the period")
    p.add_argument("--to", dest="date_to", type=iso_date, help="last day of the period")
    add_grouping(p, every_default="month")
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.set_defaults(handler=cmd_diff)


def cmd_diff(args: argparse.Namespace) -> int:
    from projections.reports.audit import diff_json, diff_report, format_diff, require_two

    t1, t2 = require_two(args.known_at)
    if args.on is not None:
        if args.date_from is not None or args.date_to is not None:
            raise LedgerError("give either --on DATE or --from DATE --to DATE, not both")
        start = end = args.on
    elif args.date_from is not None and args.date_to is not None:
        start, end = args.date_from, args.date_to
        if end < start:
            raise LedgerError(f"--to {end} is before --from {start}")
    else:
        raise LedgerError("diff needs a period: --on DATE, or --from DATE --to DATE")
    d = diff_report(args.settings, t1, t2, start, end, args.every, args.by, args.on)
    if args.format == "json":
        print(json.dumps(diff_json(d), default=str, ensure_ascii=False))
    else:
        print(format_diff(d), end="")
    return 0
