"""Errors a user of the ledger sees.

A refusal must name the line, the field and the rule (with the handbook
section where there is one), so problems are data, not just strings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

SHOWN_CHARACTERS = 80
"""How much of a bad value a message echoes: enough to find it in the file, never megabytes."""
MESSAGE_CHARACTERS = 2_000
"""A refusal line is cut here whatever built it (the longest rule message is far shorter)."""


def shown(value: Any) -> str:
    """A value from the input as a message shows it: short, whatever its size or nesting.

    Scalars as Python writes them (``'x'``, ``17``, ``True``); lists and
    objects as compact JSON. Never recursive: a value nested a thousand deep
    (the JSON parser allows 1,024 levels) is described, not printed.
    """
    if isinstance(value, str):
        if len(value) <= SHOWN_CHARACTERS:
            return repr(value)
        return f"{value[:SHOWN_CHARACTERS]!r}… ({len(value):,} characters)"
    if isinstance(value, list | dict):
        try:
            text = orjson.dumps(value).decode()
        except orjson.JSONEncodeError:  # deeper than the encoder goes
            return (
                "[… nested too deep to show]"
                if isinstance(value, list)
                else "{… nested too deep to show}"
            )
    else:
        text = repr(value)
    if len(text) <= SHOWN_CHARACTERS:
        return text
    return f"{text[:SHOWN_CHARACTERS]}… ({len(text):,} characters)"


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text):,} characters)"


Refusal = tuple[str | None, str]
"""A rule's answer to one event: (the field, or None for the whole line; the message).
The caller adds the line number, making it a ``Problem``."""


@dataclass(frozen=True)
class Problem:
    line: int
    message: str
    field: str | None = None

    def __str__(self) -> str:
        where = f"{_cut(self.field, SHOWN_CHARACTERS)}: " if self.field else ""
        return f"{self.line}: {where}{_cut(self.message, MESSAGE_CHARACTERS)}"


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
