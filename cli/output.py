"""Writing a table where the user asked: standard output or a file, in a format.

``table`` is rounded, for people; ``csv``, ``json`` (one array of objects)
and ``parquet`` (with ``hrledger.schema_version`` in its metadata) are never
rounded. polars is imported only when a table is written.
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from projections.periods import EXPORT_SCHEMA_VERSION, SCHEMA_VERSION_KEY

if TYPE_CHECKING:
    import polars as pl

FORMATS = ("table", "csv", "json", "parquet")
TABLE_DECIMALS = 2


def write_frame(df: pl.DataFrame, fmt: str, out: str | None) -> None:
    """Write ``df`` as ``fmt`` to ``out`` (a path) or standard output."""
    import polars as pl

    if fmt == "table":
        with pl.Config(
            tbl_rows=-1,
            tbl_cols=-1,
            tbl_width_chars=10_000,
            tbl_hide_dataframe_shape=True,
            tbl_hide_column_data_types=True,
            float_precision=TABLE_DECIMALS,
        ):
            text = str(df.with_columns(pl.col(pl.Float64, pl.Float32).round(TABLE_DECIMALS)))
        emit((text + "\n").encode(), out)
    elif fmt == "csv":  # CSV has no lists: `suppressed_cells` becomes "men;women"
        lists = [n for n, t in df.schema.items() if isinstance(t, pl.List)]
        flat = df.with_columns(pl.col(n).list.join(";") for n in lists) if lists else df
        emit(flat.write_csv().encode(), out)
    elif fmt == "json":
        rows = df.with_columns(pl.col(pl.Date).cast(pl.String)).to_dicts()
        emit((json.dumps(rows, default=str, ensure_ascii=False) + "\n").encode(), out)
    elif fmt == "parquet":
        buf = io.BytesIO()
        df.write_parquet(buf, metadata={SCHEMA_VERSION_KEY: EXPORT_SCHEMA_VERSION})
        emit(buf.getvalue(), out)
    else:
        raise SystemExit(f"unknown format {fmt!r}: choose {', '.join(FORMATS)}")


def emit(data: bytes, out: str | None) -> None:
    if out:
        path = Path(out)
        if not path.parent.exists():
            raise SystemExit(f"folder {path.parent} does not exist")
        path.write_bytes(data)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
