"""Field-level checks of one interchange line, before any rule sees it.

Every problem names the field and what was expected, so a clerk can fix a
line without reading code. A line that passes comes out normalised: every
field of its type present (defaults filled), dates as ISO strings.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import date
from typing import Any

from ledger.domain.catalogue import (
    ADDED_FIELDS,
    COMMON_FIELDS,
    EVENT_TYPES,
    MAX_ID_LENGTH,
    MAX_MONEY,
    MAX_PCT,
    MAX_TEXT_LENGTH,
    Field,
)
from ledger.domain.errors import Problem, shown

Line = dict[str, Any]

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
"""Exactly YYYY-MM-DD: `date.fromisoformat` alone also takes week dates like 2020-W01-1."""
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
"""Control characters: never part of an id or a note, and PostgreSQL text cannot hold NUL."""
_CONTROL_IN_ID = re.compile(r"[\x00-\x1f\x7f]")


class _Bad(Exception):
    """A field value that breaks its rule; the message says which."""


Checker = Callable[[Any], Any]


def _compile(f: Field) -> Checker:
    """One small function per field, so a million-line import pays no dispatch.

    Each accepts at once a value that plainly keeps the catalogue's limits and
    hands anything else to ``_check_value``, which reads the same limits and
    says what is wrong.
    """

    def general(value: Any) -> Any:
        norm, error = _check_value(f, value)
        if error:
            raise _Bad(error)
        return norm

    if f.kind == "str":
        longest = MAX_ID_LENGTH

        def str_field(value: Any) -> Any:
            if (
                type(value) is str
                and 0 < len(value) <= longest
                and not value.isspace()
                and value.isprintable()
            ):
                return value
            return general(value)

        return str_field
    if f.kind == "enum":
        canonical = {c: c for c in f.choices}

        def enum_field(value: Any) -> Any:
            # Return the catalogue's own string: a million lines share one object.
            found = canonical.get(value) if type(value) is str else None
            return found if found is not None else general(value)

        return enum_field
    if f.kind == "date":

        def date_field(value: Any) -> Any:
            if type(value) is str and len(value) == 10 and value[4] == "-" == value[7]:
                try:
                    return date.fromisoformat(value).isoformat()
                except ValueError:
                    pass
            return general(value)

        return date_field
    if f.kind == "pct":
        most = MAX_PCT

        def pct_field(value: Any) -> Any:
            if (type(value) is int or type(value) is float) and 0 < value <= most:
                return value
            return general(value)

        return pct_field
    if f.kind == "text":
        limit = MAX_TEXT_LENGTH

        def text_field(value: Any) -> Any:
            # printable and not blank: certainly fine; anything else gets the full check
            if (
                type(value) is str
                and 0 < len(value) <= limit
                and value.isprintable()
                and not value.isspace()
            ):
                return value
            return general(value)

        return text_field
    if f.kind == "bool":

        def bool_field(value: Any) -> Any:
            return value if value is True or value is False else general(value)

        return bool_field
    if f.kind == "money":
        above = MAX_MONEY

        def money_field(value: Any) -> Any:
            if (type(value) is int or type(value) is float) and 0 < value < above:
                return value
            return general(value)

        return money_field
    return general


_FIELDS: dict[str, tuple[tuple[tuple[str, Checker, bool, object], ...], frozenset[str]]] = {
    name: (
        tuple((f.name, _compile(f), f.required, f.default) for f in (*COMMON_FIELDS, *spec.fields)),
        frozenset({"type", *(f.name for f in (*COMMON_FIELDS, *spec.fields))}),
    )
    for name, spec in EVENT_TYPES.items()
}


def _check_value(f: Field, value: Any) -> tuple[Any, str | None]:
    """Return (normalised value, error message or None)."""
    kind = f.kind
    if kind in ("str", "text", "enum"):
        if not isinstance(value, str):
            return None, f"must be a string, got {type(value).__name__} {shown(value)}"
        if kind == "str" and not value.strip():
            return None, "must not be empty"
        if len(value) > (MAX_ID_LENGTH if kind != "text" else MAX_TEXT_LENGTH):
            return None, f"is too long ({len(value)} characters)"
        bad = (_CONTROL if kind == "text" else _CONTROL_IN_ID).search(value)
        if bad:
            return None, f"contains the control character {bad.group()!r}; remove it"
        if kind == "enum" and value not in f.choices:
            return None, f"{shown(value)} is not one of {', '.join(f.choices)}"
        if kind == "text" and f.required and not value.strip():
            return None, "must not be empty"
        return value, None
    if kind == "date":
        if not isinstance(value, str) or not _DATE.fullmatch(value):
            return None, f"must be a date YYYY-MM-DD, got {shown(value)}"
        try:
            return date.fromisoformat(value).isoformat(), None
        except ValueError:
            return None, f"{shown(value)} is not a real date (YYYY-MM-DD)"
    if kind == "bool":
        if not isinstance(value, bool):
            return None, f"must be true or false, got {shown(value)}"
        return value, None
    # numbers: reject bools, which are ints in Python
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None, f"must be a number, got {shown(value)}"
    if isinstance(value, float) and not math.isfinite(value):
        return None, f"must be a finite number, got {shown(value)}"
    if kind == "pct":
        if not 0 < value <= MAX_PCT:
            return None, f"must be a percentage in (0, {MAX_PCT}], got {value}"
        return value, None
    if kind == "money":
        if not 0 < value < MAX_MONEY:
            below = f"{MAX_MONEY // 1_000_000} million"
            return None, f"must be an amount in NOK above 0 (and below {below}), got {value}"
        return value, None
    # int
    if isinstance(value, float):
        if not value.is_integer():
            return None, f"must be a whole number, got {value}"
        value = int(value)
    if f.low is not None and value < f.low:
        return None, f"must be at least {f.low}, got {value}"
    if f.high is not None and value > f.high:
        return None, f"must be at most {f.high}, got {value}"
    return value, None


def _fast_path(type_name: str) -> Callable[[dict[str, Any], Line], bool]:
    """Generate straight-line code for one event type (no loop, no tuple unpacking).

    It returns False on a missing required field and lets a checker's _Bad
    escape; the caller then runs the general path, which reports everything.
    """
    fields, _ = _FIELDS[type_name]
    env: dict[str, Any] = {}
    code = ["def fast(raw, out):", "    g = raw.get"]
    for i, (name, checker, required, default) in enumerate(fields):
        env[f"c{i}"], env[f"d{i}"] = checker, default
        code.append(f"    v = g({name!r})")
        if required:
            code.append("    if v is None:\n        return False")
            code.append(f"    out[{name!r}] = c{i}(v)")
        else:
            code.append(f"    out[{name!r}] = d{i} if v is None else c{i}(v)")
    code.append("    return True")
    exec("\n".join(code), env)  # code built from the catalogue, never from input
    fast: Callable[[dict[str, Any], Line], bool] = env["fast"]
    return fast


_FAST = {name: _fast_path(name) for name in EVENT_TYPES}


class InvalidJson(str):
    """Stands in for a line that did not parse, carrying the parser's reason."""


def validate_line(raw: Any, line_no: int) -> tuple[Line | None, list[Problem]]:
    if isinstance(raw, InvalidJson):
        return None, [Problem(line_no, f"not valid JSON ({raw})")]
    if not isinstance(raw, dict):
        return None, [Problem(line_no, "a line must be one JSON object")]
    type_name = raw.get("type")
    if type_name is None:
        return None, [Problem(line_no, "is required", "type")]
    spec = EVENT_TYPES.get(type_name) if isinstance(type_name, str) else None
    if spec is None:
        choices = ", ".join(EVENT_TYPES)
        return None, [Problem(line_no, f"{shown(type_name)} is not one of {choices}", "type")]
    fields, known = _FIELDS[type_name]
    if raw.keys() <= known:  # the common case: try the generated fast path first
        out: Line = {"type": type_name}
        try:
            if _FAST[type_name](raw, out):
                cross = _cross_field_problems(out, line_no)
                return (None if cross else out), cross
        except _Bad:
            pass  # fall through: the full check below names every problem
    problems: list[Problem] = []
    out = {"type": type_name}
    for name, checker, required, default in fields:
        value = raw.get(name)
        if value is None:
            if required:
                problems.append(Problem(line_no, f"is required for {type_name}", name))
            out[name] = default
            continue
        try:
            out[name] = checker(value)
        except _Bad as bad:
            problems.append(Problem(line_no, str(bad), name))
            out[name] = None
    unknown = [k for k in raw if k not in known and k not in _EXPORT_ONLY_FIELDS]
    for name in sorted(unknown) if unknown else ():
        problems.append(Problem(line_no, f"is not a field of {type_name}", name))
    if not problems:
        problems.extend(_cross_field_problems(out, line_no))
    return (None if problems else out), problems


_EXPORT_ONLY_FIELDS = frozenset({"recorded_at", "ledger_position", *ADDED_FIELDS})
"""Fields `export events` adds; importing an export must work, so they are ignored."""


def _cross_field_problems(line: Line, line_no: int) -> list[Problem]:
    t = line["type"]
    problems: list[Problem] = []
    if t == "sick_day" and line["certificate"] == "self" and line["grade_pct"] != 100:
        problems.append(
            Problem(
                line_no,
                f"a self-certified sick day is always graded 100 %, got {line['grade_pct']}",
                "grade_pct",
            )
        )
    if t == "leave":
        if line["end_date"] < line["start_date"]:
            problems.append(
                Problem(
                    line_no,
                    f"end_date {line['end_date']} is before start_date {line['start_date']}",
                    "end_date",
                )
            )
        if line["kind"] == "welfare" and line["welfare_reason"] is None:
            problems.append(Problem(line_no, "is required when kind is welfare", "welfare_reason"))
        if line["kind"] != "welfare" and line["welfare_reason"] is not None:
            problems.append(
                Problem(line_no, "is only allowed when kind is welfare", "welfare_reason")
            )
    if t == "hired" and line["birth_date"] >= line["effective_date"]:
        problems.append(
            Problem(
                line_no,
                f"birth_date {line['birth_date']} is not before the hire date "
                f"{line['effective_date']}",
                "birth_date",
            )
        )
    return problems
