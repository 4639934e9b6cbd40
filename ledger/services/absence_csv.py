"""Absence periods from a spreadsheet or an HR system's CSV export.

Each row is one sick-leave period and becomes a `sick_leave` line (expanded
to its days by the import, `ledger.domain.sick_leave_periods`). The columns
are found by name; a municipality whose export calls them otherwise maps
them (`--column start_date=Fra`). Norwegian spellings are read as they come
out of Excel: `31.01.2024`, `50 %`, `egenmelding`/`sykmelding`, `;` between
columns (docs/import.md, "Sick leave as periods").
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from ledger.domain.errors import ImportRefused, LedgerError, Problem
from ledger.domain.sick_leave_periods import PERIOD_TYPE

COLUMNS = ("employee_id", "start_date", "end_date", "certificate", "grade_pct", "event_id", "note")
REQUIRED = ("employee_id", "start_date", "end_date", "certificate")
CERTIFICATES = {
    "self": "self", "egenmelding": "self", "egenmeldt": "self", "egenmeldt fravær": "self",
    "doctor": "doctor", "sykmelding": "doctor", "sykemelding": "doctor", "legemeldt": "doctor",
    "sykmeldt": "doctor",
}  # fmt: skip
_NORWEGIAN_DATE = re.compile(r"([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{4})")
_GRADE = re.compile(r"([0-9]+(?:[.,][0-9]+)?)\s*%?")


def column_mapping(pairs: list[str]) -> dict[str, str]:
    """`FIELD=HEADER` pairs → field to header; every field not named keeps its own name."""
    mapping = {c: c for c in COLUMNS}
    for pair in pairs:
        field, sep, header = pair.partition("=")
        if not sep or field not in COLUMNS or not header:
            raise LedgerError(
                f"--column {pair!r}: write FIELD=HEADER with FIELD one of {', '.join(COLUMNS)}"
            )
        mapping[field] = header
    return mapping


def _date(value: str) -> str:
    m = _NORWEGIAN_DATE.fullmatch(value)
    return f"{m.group(3)}-{int(m.group(2)):02d}-{int(m.group(1)):02d}" if m else value


def _grade(value: str) -> Any:
    m = _GRADE.fullmatch(value)
    if m is None:
        return value  # refused by the field check, which names it
    number = float(m.group(1).replace(",", "."))
    return int(number) if number.is_integer() else number


def read_absence_csv(
    path: Path, columns: Mapping[str, str] | None = None
) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, `sick_leave` line) for every non-empty row, the header being line 1."""
    columns = columns or {c: c for c in COLUMNS}
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as e:
        raise LedgerError(f"cannot read {path}: {e.strerror}") from None
    with handle:
        header_line = handle.readline()
        handle.seek(0)
        delimiter = max(",;\t", key=header_line.count)
        reader = csv.DictReader(handle, delimiter=delimiter)
        header = reader.fieldnames or []
        missing = [f for f in REQUIRED if columns[f] not in header]
        if missing:
            raise ImportRefused([
                Problem(1, f"column {columns[f]!r} (for {f}) is missing; the header has "
                        f"{', '.join(header) or 'no columns'} (map columns with --column)")
                for f in missing
            ])  # fmt: skip
        for row in reader:
            values = {f: (row.get(h) or "").strip() for f, h in columns.items() if h in header}
            if not any(values.values()):
                continue
            line: dict[str, Any] = {"type": PERIOD_TYPE}
            for field, value in values.items():
                if not value:
                    continue
                if field in ("start_date", "end_date"):
                    line[field] = _date(value)
                elif field == "certificate":
                    line[field] = CERTIFICATES.get(value.lower(), value)
                elif field == "grade_pct":
                    line[field] = _grade(value)
                else:
                    line[field] = value
            yield reader.line_num, line
