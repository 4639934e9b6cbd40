"""`hrledger history`, `entitlements` and `verify`: one person, or the whole log, as stored."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from typing import Any

from cli.args import POLICY_HELP, iso_date, iso_timestamp


def _cmd_history(args: argparse.Namespace) -> int:
    from ledger.services.history import person_history

    store = args.settings.open_store(create=False)
    try:
        entries = person_history(store, args.employee_id, args.known_at)
    finally:
        store.close()
    if not entries:
        print(f"no events recorded for employee {args.employee_id}", file=sys.stderr)
        return 1
    print(f"{'#':>4}  {'valid':<22} {'recorded at (UTC)':<27} {'by':<12} {'type':<17} details")
    for e in entries:
        details = " ".join(f"{k}={v}" for k, v in e.details.items())
        print(
            f"{e.version:>4}  {e.valid:<22} {e.recorded_at[:26]:<27} "
            f"{(e.recorded_by or '-'):<12} {e.type:<17} {details}  [{e.event_id}]"
        )
        if e.retracted_at:
            print(
                f"{'':>4}  ↳ RETRACTED at {e.retracted_at[:26]} by {e.retracted_by or '-'}: "
                f"{e.retraction_reason}"
            )
    return 0


def _cmd_verify(args: argparse.Namespace) -> int:
    from ledger.services.verification import verify

    store = args.settings.open_store(create=False)
    try:
        result = verify(store, args.expect)
    finally:
        store.close()
    if result.ok:
        print(f"ok: {result.events} events, chain intact; head {result.head}")
        if result.expected_found_at is not None:
            print(f"the published digest matches position {result.expected_found_at}")
        return 0
    where = f" at position {result.first_bad_position}" if result.first_bad_position else ""
    print(f"TAMPERED{where}: {result.problem}", file=sys.stderr)
    return 1


def _cmd_entitlements(args: argparse.Namespace) -> int:
    from ledger.domain.policy import load_policy
    from ledger.services.entitlements import entitlements, format_entitlements

    store = args.settings.open_store(create=False)
    try:
        ent = entitlements(store, args.employee_id, args.on, load_policy(args.settings.policy))
    finally:
        store.close()
    print(format_entitlements(ent))
    return 0


def register(sub: Any) -> None:
    p = sub.add_parser("history", help="every event of a person, on both time axes")
    p.add_argument("employee_id")
    p.add_argument("--known-at", type=iso_timestamp)
    p.set_defaults(handler=_cmd_history)

    p = sub.add_parser("verify", help="check the whole log against its hash chain")
    p.add_argument("--expect", help="a published head digest (POSITION:HEX or HEX)")
    p.set_defaults(handler=_cmd_verify)

    p = sub.add_parser("entitlements", help="what a person is entitled to on a date")
    p.add_argument("employee_id")
    p.add_argument("--on", type=iso_date, default=date.today())
    p.add_argument("--policy", help=POLICY_HELP)
    p.set_defaults(handler=_cmd_entitlements)
