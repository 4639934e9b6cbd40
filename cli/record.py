"""`hrledger import` and `hrledger generate`: facts into the ledger, synthetic or real."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from cli.args import POLICY_HELP


def _cmd_import(args: argparse.Namespace) -> int:
    from ledger.services.interchange import import_file
    from ledger.services.recording import Ledger

    ledger = Ledger(settings=args.settings)
    try:
        result = import_file(ledger, Path(args.file), progress=args.progress)
    finally:
        ledger.close()
    note = f" ({result.already_stored} already stored)" if result.already_stored else ""
    span = f", positions {result.positions[0]}–{result.positions[1]}" if result.positions else ""
    print(f"stored {result.stored} events{note}{span}")
    return 0


def _cmd_import_absence(args: argparse.Namespace) -> int:
    from ledger.services.absence_csv import column_mapping, read_absence_csv
    from ledger.services.interchange import import_file
    from ledger.services.recording import Ledger

    columns = column_mapping(args.column)
    ledger = Ledger(settings=args.settings)
    try:
        result = import_file(
            ledger,
            Path(args.file),
            progress=args.progress,
            lines_of=lambda path: read_absence_csv(path, columns),
        )
    finally:
        ledger.close()
    note = f" ({result.already_stored} already stored)" if result.already_stored else ""
    print(f"stored {result.stored} sick days{note}")
    return 0


def _cmd_generate(args: argparse.Namespace) -> int:
    from ledger.synthetic import generate

    if args.format == "amelding":
        return _generate_amelding(args)
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


def _generate_amelding(args: argparse.Namespace) -> int:
    from ledger.synthetic import generate_lines
    from ledger.synthetic.amelding import write_amelding
    from ledger.synthetic.writer import run_tag

    lines = generate_lines(
        args.preset, args.year_from, args.year_to, seed=args.seed, scale=args.scale
    )
    out = Path(args.out)
    n = write_amelding(
        (line for line in lines if line["type"] != "sick_day"),
        out,
        first_month=f"{args.year_from}-01",
        last_month=f"{args.year_to}-12",
        name=args.preset,
        tag=run_tag(args.preset, args.seed, args.year_from, args.year_to, args.scale),
    )
    print(f"wrote {n} a-melding files and mapping.json to {out}")
    return 0


def register(sub: Any) -> None:
    p = sub.add_parser("import", help="import a JSON Lines file, all or nothing")
    p.add_argument("file")
    p.add_argument("--policy", help=POLICY_HELP)
    p.add_argument("--progress", action="store_true", help="show a progress bar")
    p.set_defaults(handler=_cmd_import)

    p = sub.add_parser(
        "import-absence", help="import sick-leave periods from a CSV file, all or nothing"
    )
    p.add_argument("file")
    p.add_argument(
        "--column",
        action="append",
        default=[],
        metavar="FIELD=HEADER",
        help="the CSV column that holds FIELD (employee_id, start_date, end_date, certificate, "
        "grade_pct, event_id, note), if not named so; repeat for several",
    )
    p.add_argument("--policy", help=POLICY_HELP)
    p.add_argument("--progress", action="store_true", help="show a progress bar")
    p.set_defaults(handler=_cmd_import_absence)

    p = sub.add_parser(
        "generate", help="write a synthetic municipality as JSON Lines (or a-melding files)"
    )
    p.add_argument("--preset", required=True, choices=["utsira", "sandnes"])
    p.add_argument("--from", dest="year_from", type=int, required=True)
    p.add_argument("--to", dest="year_to", type=int, required=True)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--out", required=True, help="a file (jsonl) or a folder (amelding)")
    p.add_argument(
        "--format",
        choices=["jsonl", "amelding"],
        default="jsonl",
        help="jsonl: one import file; amelding: one a-melding XML per month and mapping.json",
    )
    p.add_argument("--progress", action="store_true")
    p.set_defaults(handler=_cmd_generate)
