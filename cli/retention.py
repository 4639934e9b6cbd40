"""`hrledger retention --on DATE [--apply]`: what the policy's retention periods say is due.

It lists, per person and kind of field, what the policy's retention periods
say should be shredded by DATE (docs/privacy.md, retention). It changes
nothing unless `--apply` is given: then, per person, their share of every
KPI is frozen (the first time), a ``shredded`` event is recorded per kind
and the keys of those kinds are destroyed.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from typing import Any

from cli.args import POLICY_HELP, iso_date
from cli.output import FORMATS, write_frame
from ledger.domain.errors import LedgerError


def _cmd_retention(args: argparse.Namespace) -> int:
    from ledger.domain.policy import load_policy
    from projections.api import open_projection
    from projections.reports.retention import retention_due

    policy = load_policy(args.settings.policy)
    if not policy.retention:
        raise LedgerError(
            f"policy {policy.name} sets no retention periods; add a `retention` section "
            "(docs/privacy.md, retention)"
        )
    if args.apply and args.on > date.today():
        raise LedgerError(
            f"--on {args.on} is in the future: --apply shreds only what is due by today"
        )
    with open_projection(settings=args.settings) as p:
        facts = p.facts()
        due = retention_due(facts, p.employments(), policy.retention, args.on)
        removed = facts.removed()
    write_frame(due, args.format, args.out)
    persons = due["employee_id"].n_unique()
    if not args.apply:
        print(
            f"dry run: {due.height} kind(s) of field of {persons} former employee(s) are due "
            f"by {args.on} under policy {policy.name}; nothing was changed",
            file=sys.stderr,
        )
        return 0
    from ledger.services.recording import Ledger
    from projections.facts.frozen import apply_retention

    with Ledger(settings=args.settings) as ledger:
        done = apply_retention(ledger, due, removed, recorded_by=args.recorded_by)
    kinds = sum(len(r.kinds) for r in done)
    keys = sum(r.keys for r in done)
    print(
        f"applied: {kinds} kind(s) of field of {len(done)} former employee(s) shredded under "
        f"policy {policy.name} ({keys} key(s) destroyed); past KPIs are kept by their frozen "
        "share",
        file=sys.stderr,
    )
    return 0


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "retention",
        help="list what the retention policy says is due (a dry run); --apply carries it out",
    )
    p.add_argument("--on", type=iso_date, required=True, help="the day to check (YYYY-MM-DD)")
    p.add_argument("--policy", help=POLICY_HELP)
    p.add_argument(
        "--apply",
        action="store_true",
        help="carry it out: record it, freeze the KPI share, destroy the keys (irreversible)",
    )
    p.add_argument("--recorded-by", help="who carries it out (kept for auditors)")
    p.add_argument("--format", choices=FORMATS, default="table")
    p.add_argument("--out", help="write to FILE instead of standard output")
    p.set_defaults(handler=_cmd_retention)
