"""The choices a KPI request is made of, in one place and without polars.

The command line offers exactly these (``--every``, ``--by``), the KPI code
accepts exactly these, and the command line can list them without loading
the read side.
"""

from __future__ import annotations

from typing import Final, Literal

Every = Literal["month", "quarter", "year"]
EVERY_CHOICES: Final[tuple[Every, ...]] = ("month", "quarter", "year")
BY_CHOICES: Final = ("sector", "unit", "gender", "age_band")
"""Groupings of a KPI table (besides the whole municipality)."""

EXPORT_SCHEMA_VERSION: Final = "1.1"
"""Version of the exported tables' columns (docs/downstream.md)."""
SCHEMA_VERSION_KEY: Final = "hrledger.schema_version"
"""The Parquet key-value metadata key that carries ``EXPORT_SCHEMA_VERSION``."""
