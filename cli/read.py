"""Read-side commands of `hrledger`: roster, kpi, report equality, export tables.

``cli.main`` calls ``register(subparsers)``; each command's handler is set
as ``handler`` and receives ``args.db`` (URL or None → ``ledger.storage.store.default_url()``).
``export kpi|roster|sick-days|employments`` is parsed by ``cli.main`` and
lands in ``export_table``. Bad user input raises ``SystemExit(message)``.

Formats: ``table`` (rounded, for people), ``csv``, ``json`` (one array of
objects), ``parquet`` (with ``hrledger.schema_version`` in its metadata);
json/csv/parquet are never rounded.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from pathlib import Path
from typing import Any

import polars as pl

from cli.main import iso_date, iso_timestamp
from projections.facts.schema import (
    BY_CHOICES,
    EVERY_CHOICES,
    EXPORT_SCHEMA_VERSION,
    SCHEMA_VERSION_KEY,
)

FORMATS = ("table", "csv", "json", "parquet")
TABLE_DECIMALS = 2


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
    p.add_argument("--every", choices=EVERY_CHOICES, required=True)
    p.add_argument("--by", choices=BY_CHOICES)
    p.add_argument("--targets", help="municipality (sandnes, utsira) or a targets JSON file")
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


# ------------------------------------------------------------------ output
def _rounded(df: pl.DataFrame) -> pl.DataFrame:
    return df.with_columns(pl.col(pl.Float64, pl.Float32).round(TABLE_DECIMALS))


def write_frame(df: pl.DataFrame, fmt: str, out: str | None) -> None:
    """Write ``df`` as ``fmt`` to ``out`` (a path) or standard output."""
    if fmt == "table":
        with pl.Config(
            tbl_rows=-1,
            tbl_cols=-1,
            tbl_width_chars=10_000,
            tbl_hide_dataframe_shape=True,
            tbl_hide_column_data_types=True,
            float_precision=TABLE_DECIMALS,
        ):
            text = str(_rounded(df)) + "\n"
        _emit(text.encode(), out)
    elif fmt == "csv":
        _emit(df.write_csv().encode(), out)
    elif fmt == "json":
        rows = df.with_columns(pl.col(pl.Date).cast(pl.String)).to_dicts()
        _emit((json.dumps(rows, default=str, ensure_ascii=False) + "\n").encode(), out)
    elif fmt == "parquet":
        buf = io.BytesIO()
        df.write_parquet(buf, metadata={SCHEMA_VERSION_KEY: EXPORT_SCHEMA_VERSION})
        _emit(buf.getvalue(), out)
    else:
        raise SystemExit(f"unknown format {fmt!r}: choose {', '.join(FORMATS)}")


def _emit(data: bytes, out: str | None) -> None:
    if out:
        path = Path(out)
        if not path.parent.exists():
            raise SystemExit(f"folder {path.parent} does not exist")
        path.write_bytes(data)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()


# ---------------------------------------------------------------- commands
def _open(args: argparse.Namespace, targets: str | None = None) -> Any:
    from projections.api import open_projection

    try:
        return open_projection(getattr(args, "db", None), targets=targets)
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
    with _open(args, getattr(args, "targets", None)) as p:
        return p.kpi(  # type: ignore[no-any-return]
            args.date_from, args.date_to, args.every, by=args.by, known_at=args.known_at
        )


def cmd_kpi(args: argparse.Namespace) -> int:
    df = _kpi(args)
    if args.format == "summary":  # headline KPIs against targets, for people
        if args.by:
            raise SystemExit("--format summary shows the whole municipality; drop --by")
        from projections.reports.summary import summary_table

        _emit(summary_table(df).encode(), args.out)
        return 0
    write_frame(df, args.format, args.out)
    return 0


def cmd_equality(args: argparse.Namespace) -> int:
    with _open(args) as p:
        df = p.equality_report(args.year, known_at=args.known_at, suppress=not args.no_suppress)
    write_frame(df, args.format, args.out)
    return 0


def export_table(args: argparse.Namespace) -> int:
    """``hrledger export kpi|roster|sick-days|employments``: versioned tables for consumers."""
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
    else:
        raise SystemExit(f"cannot export {what!r}")
    write_frame(df, fmt, args.out)
    if args.out:
        print(f"exported {df.height} rows of {what} to {args.out}", file=sys.stderr)
    return 0
