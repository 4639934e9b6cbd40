"""`hrledger`: the one command line of the ledger (docs/import.md, docs/kpis.md, …).

Errors reach the user as one clear message and a non-zero exit code, never
a traceback: a clerk or a cron job must know what to fix.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from cli import amelding, audit, erase, export, inspect, keys, read, record, retention, roles
from ledger.domain.errors import ImportRefused, LedgerError
from ledger.services.settings import Settings

COMMAND_GROUPS = (record, amelding, export, inspect, read, audit, roles, erase, keys, retention)
"""Each module owns its commands and registers them; handlers import the heavy parts."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hrledger", description="Event-sourced HR ledger for Norwegian municipalities."
    )
    parser.add_argument(
        "--db", help="ledger URL (sqlite:///file.sqlite or postgresql://…); default $HRLEDGER_DB"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in COMMAND_GROUPS:
        group.register(sub)
    return parser


def _is_database_error(e: Exception) -> bool:
    import sqlite3

    from eventsourcing.persistence import PersistenceError

    if isinstance(e, sqlite3.Error | PersistenceError):
        return True
    try:
        import psycopg
    except ImportError:  # pragma: no cover
        return False
    return isinstance(e, psycopg.Error)


def settings_from(args: argparse.Namespace) -> Settings:
    """The one place the command line reads its configuration: flags, then environment."""
    return Settings.from_environment(
        url=args.db,
        policy=getattr(args, "policy", None),
        targets=getattr(args, "targets", None),
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.settings = settings_from(args)
    try:
        return int(args.handler(args))
    except ImportRefused as e:
        print(str(e), file=sys.stderr)
        return 1
    except LedgerError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # `hrledger history E1 | head`: the reader has had enough
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as e:  # a database failure must still read as one line, no traceback
        if not _is_database_error(e):
            raise
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        print(
            f"error: the ledger database failed ({first}); nothing more was written. Check the "
            "--db URL and your rights; if the file is damaged, restore it from a backup "
            "(docs/operations.md)",
            file=sys.stderr,
        )
        return 1
    except KeyboardInterrupt:
        print("interrupted: nothing from the running import was stored", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
