"""`hrledger`: the command line of shared/interchange.md.

Errors reach the user as one clear message and a non-zero exit code, never
a traceback: a clerk or a cron job must know what to fix.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ledger.domain.errors import ImportRefused, LedgerError

Handler = Callable[[argparse.Namespace], int]


def iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date YYYY-MM-DD") from None


def iso_timestamp(text: str) -> datetime:
    try:
        ts = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO timestamp like 2026-11-23T11:30:00+00:00"
        ) from None
    if ts.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} needs a UTC offset, e.g. +00:00")
    return ts


def _cmd_import(args: argparse.Namespace) -> int:
    from ledger.services.interchange import import_file
    from ledger.services.recording import Ledger

    ledger = Ledger(args.db, policy=args.policy)
    try:
        result = import_file(ledger, Path(args.file), progress=args.progress)
    finally:
        ledger.close()
    note = f" ({result.already_stored} already stored)" if result.already_stored else ""
    span = f", positions {result.positions[0]}–{result.positions[1]}" if result.positions else ""
    print(f"stored {result.stored} events{note}{span}")
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    if args.what != "events":
        from cli import read as pcli

        return int(pcli.export_table(args))
    from ledger.services.interchange import export_events
    from ledger.storage.store import open_store

    store = open_store(args.db, create=False)
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


def _cmd_generate(args: argparse.Namespace) -> int:
    from ledger.synthetic import generate

    n = generate(
        args.preset,
        args.year_from,
        args.year_to,
        seed=args.seed,
        scale=args.scale,
        out=Path(args.out),
        progress=sys.stderr.isatty() or args.progress,
    )
    print(f"wrote {n} events to {args.out}")
    return 0


def _cmd_history(args: argparse.Namespace) -> int:
    from ledger.services.history import person_history
    from ledger.storage.store import open_store

    store = open_store(args.db, create=False)
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
    from ledger.storage.store import open_store

    store = open_store(args.db, create=False)
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
    from ledger.storage.store import open_store

    store = open_store(args.db, create=False)
    try:
        ent = entitlements(store, args.employee_id, args.on, load_policy(args.policy))
    finally:
        store.close()
    print(format_entitlements(ent))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hrledger", description="Event-sourced HR ledger for Norwegian municipalities."
    )
    parser.add_argument(
        "--db", help="ledger URL (sqlite:///file.sqlite or postgresql://…); default $HRLEDGER_DB"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("import", help="import a JSON Lines file, all or nothing")
    p.add_argument("file")
    p.add_argument("--policy", help="utsira (default), statutory, or a policy JSON file")
    p.add_argument("--progress", action="store_true", help="show a progress bar")
    p.set_defaults(handler=_cmd_import)

    p = sub.add_parser("export", help="export events (or tables) for other systems")
    p.add_argument("what", choices=["events", "kpi", "roster", "sick-days", "employments"])
    p.add_argument("--out")
    p.add_argument("--format", default=None, choices=["parquet", "csv", "json"])
    p.add_argument("--from", dest="date_from", type=iso_date)
    p.add_argument("--to", dest="date_to", type=iso_date)
    p.add_argument("--on", type=iso_date)
    p.add_argument("--every", choices=["month", "quarter", "year"], default="month")
    p.add_argument("--by", choices=["sector", "unit", "gender", "age_band"])
    p.add_argument("--known-at", type=iso_timestamp)
    p.set_defaults(handler=_cmd_export)

    p = sub.add_parser("generate", help="write a synthetic municipality as JSON Lines")
    p.add_argument("--preset", required=True, choices=["utsira", "sandnes"])
    p.add_argument("--from", dest="year_from", type=int, required=True)
    p.add_argument("--to", dest="year_to", type=int, required=True)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--out", required=True)
    p.add_argument("--progress", action="store_true")
    p.set_defaults(handler=_cmd_generate)

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
    p.add_argument("--policy", help="utsira (default), statutory, or a policy JSON file")
    p.set_defaults(handler=_cmd_entitlements)

    _register_extensions(sub)
    return parser


EXTENSIONS = ("cli.read", "cli.audit", "cli.roles", "cli.erase")
"""Modules that add commands; each owns its commands (read side, audit, privacy)."""


def _register_extensions(sub: Any) -> None:
    import importlib

    for name in EXTENSIONS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name and name.startswith(e.name):
                continue  # that part is not installed in this build
            raise
        register = getattr(module, "register", None)
        if register is not None:
            register(sub)


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


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
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
