"""`hrledger keys rotate` and `hrledger keys check`: the master key (docs/operations.md).

The keys are never given on the command line (it ends up in the shell's
history and in the process list): the current one is the configured one
(``HRLEDGER_MASTER_KEY_FILE`` or ``HRLEDGER_MASTER_KEY``), the new one a
file only its owner may read.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from ledger.domain.errors import LedgerError

if TYPE_CHECKING:
    from ledger.services.key_rotation import KeyCheck


def _open(settings: Any) -> Any:
    settings.open_store(create=False).close()  # a missing ledger is named, never created
    return settings.open_store()


def _summary(check: KeyCheck) -> str:
    ledger_key = check.live - check.person_keys
    parts = [f"{check.person_keys} of {check.persons} person(s)"] + (
        ["the ledger key"] if ledger_key else []
    )
    return (
        f"{check.live} live key(s) ({' and '.join(parts)}); "
        f"{check.erased} erased person(s) stay erased"
    )


def _cmd_rotate(args: argparse.Namespace) -> int:
    from ledger.security.keys import master_key_from_file
    from ledger.services.key_rotation import rotate_master_key

    old = args.settings.master_key.require()
    new = master_key_from_file(args.new_key_file, "--new-key-file")
    store = _open(args.settings)
    try:
        result = rotate_master_key(store, old, new)
        postgres = getattr(store, "schema", None) if store.kind == "postgres" else None
    finally:
        store.close()
    if result.warning:
        print(f"warning: {result.warning}", file=sys.stderr)
    check = result.check
    print(
        f"re-wrapped {result.rewrapped} key(s) under the new master key"
        + (f" ({result.already_new} already were)" if result.already_new else "")
        + f"; verified: all {_summary(check)}; every live "
        "key opens with the new master key and none with the old one."
    )
    print(
        f"next: point every process at the new key (HRLEDGER_MASTER_KEY_FILE={args.new_key_file}"
        "); keep the old key in escrow for backups taken before now"
        + (f"; as the owner, VACUUM {postgres}.ledger_person_keys" if postgres else "")
    )
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    from ledger.security.keys import master_key_from_file
    from ledger.services.key_rotation import check_keys

    if args.key_file:
        master, which = master_key_from_file(args.key_file, "--key-file"), args.key_file
    else:
        master, which = args.settings.master_key.require(), "the configured master key"
    store = _open(args.settings)
    try:
        check = check_keys(store, master)
    finally:
        store.close()
    if not check.ok:
        shown = ", ".join(check.not_opening[:5]) + (", …" if len(check.not_opening) > 5 else "")
        raise LedgerError(
            f"{len(check.not_opening)} of {check.live} live key(s) do not open with {which}: "
            f"{shown}. A rotation not finished? Run `hrledger keys rotate` again with the same "
            "keys (docs/operations.md)"
        )
    print(f"ok: {_summary(check)}; all open with {which}")
    return 0


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("keys", help="rotate or check the master key")
    keys = p.add_subparsers(dest="keys_command", required=True, metavar="ACTION")
    r = keys.add_parser(
        "rotate",
        help="re-wrap every data key under a new master key (stop writers and back up first)",
        description="Re-wraps every data key, from the configured master key "
        "(HRLEDGER_MASTER_KEY_FILE or HRLEDGER_MASTER_KEY) to the key in --new-key-file, in one "
        "transaction, then checks every live key opens with the new one. Safe to run again "
        "with the same keys: it finishes what an interrupted run left.",
    )
    r.add_argument(
        "--new-key-file",
        required=True,
        metavar="PATH",
        help="the new master key: 64 hex characters in a file only its owner may read (mode 600)",
    )
    r.set_defaults(handler=_cmd_rotate)
    c = keys.add_parser("check", help="check that a master key opens every live data key")
    c.add_argument(
        "--key-file", metavar="PATH", help="check this key instead of the configured one"
    )
    c.set_defaults(handler=_cmd_check)
