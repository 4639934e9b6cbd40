"""`hrledger retention --on DATE`: what the retention policy says is due (a dry run).

It lists, per person and kind of field, what the policy's retention periods
say should be shredded by DATE (docs/privacy.md, retention). It changes
nothing: carrying it out (`--apply`) is not built yet.
"""

from __future__ import annotations

import argparse
import sys
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
    with open_projection(settings=args.settings) as p:
        due = retention_due(p.facts(), p.employments(), policy.retention, args.on)
    write_frame(due, args.format, args.out)
    persons = due["employee_id"].n_unique()
    print(
        f"dry run: {due.height} kind(s) of field of {persons} former employee(s) are due by "
        f"{args.on} under policy {policy.name}; nothing was changed",
        file=sys.stderr,
    )
    return 0


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "retention", help="list what the retention policy says is due (dry run, changes nothing)"
    )
    p.add_argument("--on", type=iso_date, required=True, help="the day to check (YYYY-MM-DD)")
    p.add_argument("--policy", help=POLICY_HELP)
    p.add_argument("--format", choices=FORMATS, default="table")
    p.add_argument("--out", help="write to FILE instead of standard output")
    p.set_defaults(handler=_cmd_retention)
