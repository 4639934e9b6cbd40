"""`hrledger roles setup`: database roles for HR and analysts (docs/privacy.md)."""

from __future__ import annotations

import argparse
from typing import Any

from ledger.domain.errors import LedgerError


def _cmd_roles_setup(args: argparse.Namespace) -> int:
    from ledger.storage.roles import setup_roles
    from ledger.storage.urls import is_postgres

    url = args.settings.url
    if not is_postgres(url):
        raise LedgerError(
            "roles exist only on PostgreSQL (pass --db postgresql://…); an SQLite ledger is "
            "protected by its file permissions (docs/privacy.md)"
        )
    ran = setup_roles(url, args.analyst_role, args.hr_role, login=args.login)
    for stmt in ran:
        print(stmt)
    print(
        f"roles ready: {args.hr_role} reads and appends the ledger; {args.analyst_role} "
        "cannot read person-level events"
    )
    return 0


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("roles", help="PostgreSQL roles for HR and analysts")
    roles = p.add_subparsers(dest="roles_command", required=True, metavar="ACTION")
    s = roles.add_parser("setup", help="create and grant the analyst and HR roles")
    s.add_argument("--analyst-role", required=True, help="may not read person-level events")
    s.add_argument("--hr-role", required=True, help="reads and appends the ledger")
    s.add_argument(
        "--login", action="store_true", help="create missing roles with LOGIN (default NOLOGIN)"
    )
    s.set_defaults(handler=_cmd_roles_setup)
