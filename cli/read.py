"""Read-side commands of `hrledger`: roster, kpi, report equality, export tables.

``cli.main`` calls ``register(subparsers)``; each handler receives
``args.settings`` (``ledger.services.settings``: the ledger URL, master key,
projection folder and targets, read once from the flags and environment).
``export kpi|roster|sick-days|…`` is parsed by ``cli.export`` and lands in
``export_table``. Bad user input raises
``SystemExit(message)``; output formats are ``cli.output``'s.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cli.args import add_grouping, iso_date, iso_timestamp
from cli.output import FORMATS, emit, write_frame

if TYPE_CHECKING:
    import polars as pl

__all__ = ["export_table", "register", "write_frame"]


def _common(p: argparse.ArgumentParser, formats: tuple[str, ...] = FORMATS) -> None:
    p.add_argument("--known-at", type=iso_timestamp, help="use only what was recorded by then (TS)")
    p.add_argument("--format", choices=formats, default="table")
    p.add_argument("--out", help="write to FILE instead of standard output")


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add ``roster``, ``kpi`` and ``report equality`` to ``hrledger``."""
    p = subparsers.add_parser("roster", help="active employments on a date")
    p.add_argument("--on", type=iso_date, required=True)
    _common(p)
    p.set_defaults(handler=cmd_roster)

    p = subparsers.add_parser("kpi", help="KPI series (sickness, FTE, full-time, pay, HMS ...)")
    p.add_argument("--from", dest="date_from", type=iso_date, required=True)
    p.add_argument("--to", dest="date_to", type=iso_date, required=True)
    add_grouping(p, required=True)
    p.add_argument("--targets", help="municipality (sandnes, utsira) or a targets JSON file")
    p.add_argument(
        "--publish",
        action="store_true",
        help="for publication: suppress cells of fewer than 5 persons, and the cells that would "
        "give them away (docs/privacy.md)",
    )
    _common(p, (*FORMATS, "summary"))
    p.set_defaults(handler=cmd_kpi)

    p = subparsers.add_parser("report", help="statutory reports")
    rs = p.add_subparsers(dest="report", required=True, metavar="REPORT")
    q = rs.add_parser("equality", help="equality report (likestillingsloven § 26) for a year")
    q.add_argument("--year", type=int, required=True)
    q.add_argument(
        "--no-suppress",
        action="store_true",
        help="show cells of fewer than 5 persons (not for publication)",
    )
    _common(q)
    q.set_defaults(handler=cmd_equality)


# ---------------------------------------------------------------- commands
def _open(args: argparse.Namespace) -> Any:
    from projections.api import open_projection

    try:
        return open_projection(settings=args.settings)
    except ValueError as e:
        raise SystemExit(str(e)) from None


def cmd_roster(args: argparse.Namespace) -> int:
    with _open(args) as p:
        df = p.roster(args.on, known_at=args.known_at)
    write_frame(df, args.format, args.out)
    return 0


def _kpi(args: argparse.Namespace) -> pl.DataFrame:
    if args.date_from is None or args.date_to is None:
        raise SystemExit("kpi needs --from DATE and --to DATE")
    if args.date_to < args.date_from:
        raise SystemExit(f"--to {args.date_to} is before --from {args.date_from}")
    with _open(args) as p:
        return p.kpi(  # type: ignore[no-any-return]
            args.date_from, args.date_to, args.every, by=args.by, known_at=args.known_at
        )


def cmd_kpi(args: argparse.Namespace) -> int:
    df = _kpi(args)
    if args.format == "summary":  # headline KPIs against targets, for people
        if args.publish:
            raise SystemExit("--publish makes a table to publish; drop --format summary")
        if args.by:
            raise SystemExit("--format summary shows the whole municipality; drop --by")
        from projections.reports.summary import summary_table

        emit(summary_table(df).encode(), args.out)
        return 0
    if args.publish:
        from projections.reports.privacy import suppress_for_publication

        df = suppress_for_publication(df, by=args.by)
    write_frame(df, args.format, args.out)
    return 0


def cmd_equality(args: argparse.Namespace) -> int:
    with _open(args) as p:
        df = p.equality_report(args.year, known_at=args.known_at, suppress=not args.no_suppress)
    write_frame(df, args.format, args.out)
    return 0


def _calendar(args: argparse.Namespace) -> pl.DataFrame:
    """The agreed work-day calendar needs no ledger: only the dates."""
    from projections.api import calendar

    if args.date_from is None or args.date_to is None:
        raise SystemExit("export calendar needs --from DATE and --to DATE")
    if args.date_to < args.date_from:
        raise SystemExit(f"--to {args.date_to} is before --from {args.date_from}")
    return calendar(args.date_from, args.date_to)


def export_table(args: argparse.Namespace) -> int:
    """``hrledger export kpi|roster|…|calendar``: versioned tables (docs/downstream.md)."""
    what = args.what
    fmt = args.format or (Path(args.out).suffix.lstrip(".") if args.out else "json")
    if fmt not in ("parquet", "csv", "json"):
        raise SystemExit(f"export format {fmt!r}: choose parquet, csv or json (--format)")
    known_at = getattr(args, "known_at", None)
    if what == "kpi":
        df = _kpi(args)
    elif what == "roster":
        if args.on is None:
            raise SystemExit("export roster needs --on DATE")
        with _open(args) as p:
            df = p.roster(args.on, known_at=known_at)
    elif what == "sick-days":
        with _open(args) as p:
            df = p.sick_days(args.date_from, args.date_to, known_at=known_at)
    elif what == "employments":
        with _open(args) as p:
            df = p.employments(known_at=known_at)
    elif what == "leave":
        with _open(args) as p:
            df = p.leave(args.date_from, args.date_to, known_at=known_at)
    elif what == "hms-deviations":
        with _open(args) as p:
            df = p.hms_deviations(args.date_from, args.date_to, known_at=known_at)
    elif what == "calendar":
        df = _calendar(args)
    else:
        raise SystemExit(f"cannot export {what!r}")
    write_frame(df, fmt, args.out)
    if args.out:
        print(f"exported {df.height} rows of {what} to {args.out}", file=sys.stderr)
    return 0
