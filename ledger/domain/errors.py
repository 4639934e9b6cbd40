"""Errors a user of the ledger sees.

A refusal must name the line, the field and the rule (with the handbook
section where there is one), so problems are data, not just strings.
"""

from __future__ import annotations

from dataclasses import dataclass

Refusal = tuple[str | None, str]
"""A rule's answer to one event: (the field, or None for the whole line; the message).
The caller adds the line number, making it a ``Problem``."""


@dataclass(frozen=True)
class Problem:
    line: int
    message: str
    field: str | None = None

    def __str__(self) -> str:
        where = f"{self.field}: " if self.field else ""
        return f"{self.line}: {where}{self.message}"


class LedgerError(Exception):
    """An error with a message meant for the user (no traceback)."""


class ImportRefused(LedgerError):
    """Nothing was stored: every problem of the file is listed."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=lambda p: p.line)
        super().__init__(
            f"import refused, nothing stored: {len(self.problems)} problem(s)\n"
            + "\n".join(str(p) for p in self.problems)
        )


class StorageError(LedgerError):
    """The ledger cannot be opened or written; the message says what to do."""
