"""Argument types and choices shared by the commands.

Kept free of polars and of the ledger's heavy modules, so that building the
parser (every command, `hrledger --help` included) stays cheap.
"""

from __future__ import annotations

import argparse
from datetime import date, datetime

from projections.periods import BY_CHOICES, EVERY_CHOICES


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


def add_grouping(
    p: argparse.ArgumentParser, *, every_default: str | None = None, required: bool = False
) -> None:
    """``--every`` and ``--by``, with the one list of choices the KPI code accepts."""
    p.add_argument("--every", choices=EVERY_CHOICES, default=every_default, required=required)
    p.add_argument("--by", choices=BY_CHOICES)


POLICY_HELP = "utsira (default), statutory, or a policy JSON file"
