"""`hrledger import-amelding`: a municipality's a-melding history into the ledger."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from cli.args import POLICY_HELP


def _cmd_import_amelding(args: argparse.Namespace) -> int:
    from ledger.amelding.mapping import load_mapping
    from ledger.services.amelding import import_amelding
    from ledger.services.recording import Ledger

    mapping = load_mapping(Path(args.mapping) if args.mapping else None)
    ledger = Ledger(settings=args.settings)
    try:
        result = import_amelding(
            ledger, [Path(p) for p in args.paths], mapping, progress=args.progress
        )
    finally:
        ledger.close()
    rec = result.recorded
    note = f" ({rec.already_stored} already stored)" if rec.already_stored else ""
    retracted = f", of which {result.retracted} retractions" if result.retracted else ""
    print(
        f"read {result.files} a-melding file(s), {result.months[0]} to {result.months[1]}; "
        f"stored {rec.stored} events{retracted}{note}"
    )
    return 0


def register(sub: Any) -> None:
    p = sub.add_parser(
        "import-amelding",
        help="import a municipality's a-melding files (XML, v2_3), all or nothing",
    )
    p.add_argument("paths", nargs="+", metavar="FILE_OR_FOLDER", help="a-melding files or folders")
    p.add_argument("--mapping", help="the municipality's mapping file (docs/import-amelding.md)")
    p.add_argument("--policy", help=POLICY_HELP)
    p.add_argument("--progress", action="store_true", help="show a progress bar")
    p.set_defaults(handler=_cmd_import_amelding)
