"""`hrledger erase EMPLOYEE_ID --reason TEXT`: crypto-shredding (docs/privacy.md).

It lives on the read side's package because freezing the person's share of
past KPIs (``projections.facts.frozen``) needs the KPI code; the write itself is
``ledger.services.erasure``.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any


def _cmd_erase(args: argparse.Namespace) -> int:
    from ledger.services.recording import Ledger
    from projections.facts.frozen import erase_person

    with Ledger(settings=args.settings) as ledger:
        result = erase_person(ledger, args.employee_id, args.reason, recorded_by=args.recorded_by)
    if result.warning:
        print(f"warning: {result.warning}", file=sys.stderr)
    first, last = result.positions
    print(
        f"erased {result.employee_id} at {result.erased_at} (positions {first}–{last}): their "
        f"keys are destroyed; health fields, notes, birth date and pay are unreadable from now "
        f"on, unit and job title masked. {result.frozen_rows} frozen statistics rows keep past "
        "KPIs unchanged."
    )
    return 0


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "erase", help="erase a former employee by destroying their key (GDPR art. 17)"
    )
    p.add_argument("employee_id")
    p.add_argument("--reason", required=True, help="why, e.g. the request's case number")
    p.add_argument("--recorded-by", help="who carries out the erasure (kept for auditors)")
    p.set_defaults(handler=_cmd_erase)
