"""Secondary (complementary) suppression: a hidden cell must stay hidden.

Small-cell suppression (``privacy.suppress_small_cells``) nulls the cells
that cover too few persons. A published table also carries relations that
can give such a cell back: a unit's headcount is the municipality's total
(published in the table without ``--by``) minus the other units; ``men`` is
``headcount − women``; a sickness rate is lost over agreed work-days, both
published in the same row. ``suppress_complementary`` hides further cells
until no suppressed cell can be worked out from what is shown.

The model of what a reader can do:

- **sums** (exact, linear): within a row (``headcount = women + men``, the
  four age bands, self + doctor lost days, the occurrence bands, the HMS
  categories) and across the groups of one period (every additive column
  adds up to the whole municipality's figure, which is assumed known: it is
  published by ``hrledger kpi`` without ``--by``). Any combination of these
  equations counts: a cell is recoverable when it is a linear consequence of
  them (checked exactly, by elimination over a prime field);
- **ratios and means**: a rate from its numerator and denominator, a mean
  weighted by its count across the groups; a cell is recoverable when all
  other cells of such a relation are known (shown or recovered).

Which cells are added: for a relation across groups, the same column in the
group with the fewest persons (so the same partner row is chosen for every
column, and few rows lose anything); within a row, the smallest value of the
relation. Repeated until no relation has exactly one hidden cell and no
primarily suppressed cell is recoverable; it always ends (cells are only
added).

Not modelled: the same KPI published at two period lengths (a year is the
sum of its quarters), and knowledge from outside the tables (that a unit has
no men). Publish one period length per table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

Cell = tuple[int, str]
"""(row number, column name)."""

PRIME = (1 << 61) - 1
"""Linear recoverability is a question of rank; over this field the ±1 systems of a
table have the same rank as over the rationals (a minor divisible by it cannot occur
in tables of this size)."""


@dataclass(frozen=True)
class Within:
    """Cells of one row tied by one equation: knowing all but one gives the last.

    ``coefficients``: a sum, ``Σ coefficient × cell = 0`` (linear); None for a
    ratio or mean (``rate = numerator / denominator``).
    ``only``: apply to the rows whose column ``only[0]`` is one of ``only[1]``.
    """

    columns: tuple[str, ...]
    coefficients: tuple[int, ...] | None = None
    only: tuple[str, tuple[str, ...]] | None = None


@dataclass(frozen=True)
class Across:
    """A column whose cells over the groups of one slice give a published total.

    ``weights``: empty for a column that adds up; else the column is a mean (or
    ratio) weighted by the sum of these columns, so it and its weights together
    give the total's mean.
    """

    column: str
    weights: tuple[str, ...] = ()
    only: tuple[str, tuple[str, ...]] | None = None


KPI_WITHIN: tuple[Within, ...] = (
    Within(("headcount", "women", "men"), (1, -1, -1)),
    Within(("headcount", "age_under_35", "age_35_49", "age_50_60", "age_over_60"),
           (1, -1, -1, -1, -1)),
    Within(("lost_workdays", "lost_workdays_self", "lost_workdays_doctor"), (1, -1, -1)),
    Within(("long_term_occurrences", "sick_occurrences_17_56", "sick_occurrences_over_56"),
           (1, -1, -1)),
    Within(("hms_deviations", "personal_injuries", "hms_violence_threat", "hms_near_miss",
            "hms_property_damage", "hms_other"), (1, -1, -1, -1, -1, -1)),
    Within(("sickness_rate_pct", "lost_workdays", "agreed_workdays")),
    Within(("self_certified_rate_pct", "lost_workdays_self", "agreed_workdays")),
    Within(("doctor_certified_rate_pct", "lost_workdays_doctor", "agreed_workdays")),
    Within(("fulltime_share_pct", "fulltime_persons", "permanent_persons")),
    Within(("women_pay_pct_of_men", "avg_salary_women", "avg_salary_men")),
    Within(("turnover_pct", "terminations", "headcount_start", "headcount")),
)  # fmt: skip
"""The relations inside one row of ``hrledger kpi`` (docs/kpis.md)."""

KPI_ADDITIVE: tuple[str, ...] = (
    "headcount", "fte", "apprentices", "women", "men", "hms_deviations", "personal_injuries",
    "parental_leave_women", "parental_leave_men", "hires", "terminations", "employments",
    "agreed_workdays", "lost_workdays", "lost_workdays_self", "lost_workdays_doctor",
    "sick_occurrences_1_3", "sick_occurrences_4_16", "sick_occurrences_17_56",
    "sick_occurrences_over_56", "long_term_occurrences", "fulltime_persons", "permanent_persons",
    "leaders_women", "leaders_men", "age_under_35", "age_35_49", "age_50_60", "age_over_60",
    "headcount_start", "hms_violence_threat", "hms_near_miss", "hms_property_damage",
    "hms_other", "hms_deviations_closed",
)  # fmt: skip
"""Columns whose groups add up to the whole municipality's figure. Persons in two units
count in both, so head-counts add up to at least the total: treating it as equal is the
cautious side."""

KPI_ACROSS: tuple[Across, ...] = (
    *(Across(c) for c in KPI_ADDITIVE),
    Across("sickness_rate_pct", ("agreed_workdays",)),
    Across("self_certified_rate_pct", ("agreed_workdays",)),
    Across("doctor_certified_rate_pct", ("agreed_workdays",)),
    Across("fulltime_share_pct", ("permanent_persons",)),
    Across("avg_position_pct", ("permanent_persons",)),
    Across("mean_age", ("headcount",)),
    Across("avg_salary_women", ("women",)),
    Across("avg_salary_men", ("men",)),
    Across("parental_leave_avg_weeks_women", ("parental_leave_women",)),
    Across("parental_leave_avg_weeks_men", ("parental_leave_men",)),
)
"""The relations across the groups of one period of ``hrledger kpi --by``."""

KPI_SLICE = ("period_start", "period_end")

_COUNT_TABLES = ("gender_balance", "temporary", "part_time", "level")
EQUALITY_WITHIN: tuple[Within, ...] = (
    Within(("n_women", "women"), (1, -1), only=("table", _COUNT_TABLES)),
    Within(("n_men", "men"), (1, -1), only=("table", _COUNT_TABLES)),
    Within(("total", "women", "men"), (1, -1, -1), only=("table", _COUNT_TABLES)),
    Within(("women_pct", "women", "total"), only=("table", _COUNT_TABLES)),
    Within(("women_pct", "women", "men"), only=("table", ("pay",))),
    Within(("total", "women", "men", "n_women", "n_men"), only=("table", ("pay",))),
)
"""The relations inside one row of the equality report (projections.reports.equality)."""

EQUALITY_ACROSS: tuple[Across, ...] = (
    *(Across(c, only=("table", ("part_time", "level", "pay"))) for c in ("n_women", "n_men")),
    *(Across(c, only=("table", ("part_time", "level"))) for c in ("women", "men", "total")),
    Across("women", ("n_women",), only=("table", ("pay",))),
    Across("men", ("n_men",), only=("table", ("pay",))),
    Across("total", ("n_women", "n_men"), only=("table", ("pay",))),
)
"""Groups that add up: full-/part-time employments and leaders/others to the totals
published elsewhere (the employments, the gender balance), the positions of the pay
table to its ``total`` row."""


# ---------------------------------------------------------------- the relations
@dataclass(frozen=True)
class _Relation:
    cells: tuple[Cell, ...]
    coefficients: tuple[int, ...] | None
    """Linear: Σ coefficient × cell = a known number. None: a ratio or a mean."""
    part: int
    """The slice (period) it belongs to: slices share no relation, so each is solved alone."""
    across: bool = False
    """Across groups: a cell is protected by hiding the same column in another group."""


def _applies(only: tuple[str, tuple[str, ...]] | None, row: Mapping[str, Any]) -> bool:
    return only is None or row.get(only[0]) in only[1]


def _relations(
    rows: list[dict[str, Any]],
    group: str | None,
    total_group: str | None,
    slice_by: Sequence[str],
    within: Sequence[Within],
    across: Sequence[Across],
) -> list[_Relation]:
    present = set(rows[0]) if rows else set()
    slices: dict[tuple[Any, ...], list[int]] = {}
    for i, row in enumerate(rows):
        slices.setdefault(tuple(row[k] for k in slice_by), []).append(i)
    part_of = {i: n for n, members in enumerate(slices.values()) for i in members}
    out: list[_Relation] = []
    for spec in within:
        if not set(spec.columns) <= present:
            continue
        for i, row in enumerate(rows):
            if _applies(spec.only, row):
                cells = tuple((i, c) for c in spec.columns)
                out.append(_Relation(cells, spec.coefficients, part_of[i]))
    if group is None:
        return out
    for rule in across:
        if not {rule.column, *rule.weights} <= present:
            continue
        for part, members in enumerate(slices.values()):
            mine = [i for i in members if _applies(rule.only, rows[i])]
            totals = [i for i in mine if total_group is not None and rows[i][group] == total_group]
            parts = [i for i in mine if i not in totals]
            if not parts:
                continue
            cells = tuple((i, rule.column) for i in (*parts, *totals))
            if not rule.weights:
                coefficients = (1,) * len(parts) + (-1,) * len(totals)
                out.append(_Relation(cells, coefficients, part, across=True))
            else:
                weighted = tuple((i, w) for i in (*parts, *totals) for w in rule.weights)
                out.append(_Relation(cells + weighted, None, part, across=True))
    return out


# ---------------------------------------------------------------- what a reader recovers
def _solve_linear(relations: Iterable[_Relation], unknown: set[Cell]) -> set[Cell]:
    """The unknown cells that the linear relations determine (in any combination)."""
    rows: list[dict[Cell, int]] = []
    for rel in relations:
        assert rel.coefficients is not None
        row: dict[Cell, int] = {}
        for cell, coefficient in zip(rel.cells, rel.coefficients, strict=True):
            if cell in unknown:
                row[cell] = (row.get(cell, 0) + coefficient) % PRIME
        row = {c: v for c, v in row.items() if v}
        if row:
            rows.append(row)
    pivots: dict[Cell, dict[Cell, int]] = {}  # pivot cell -> its row, reduced (RREF)
    for row in rows:
        for cell, pivot_row in pivots.items():  # reduce by the pivots found so far
            factor = row.get(cell)
            if factor:
                for c, v in pivot_row.items():
                    row[c] = (row.get(c, 0) - factor * v) % PRIME
                row = {c: v for c, v in row.items() if v}
        if not row:
            continue
        cell = min(row)
        inverse = pow(row[cell], PRIME - 2, PRIME)
        row = {c: v * inverse % PRIME for c, v in row.items()}
        for other in pivots.values():  # keep every pivot column a unit column
            factor = other.get(cell)
            if factor:
                for c, v in row.items():
                    other[c] = (other.get(c, 0) - factor * v) % PRIME
                for c in [c for c, v in other.items() if not v]:
                    del other[c]
        pivots[cell] = row
    return {cell for cell, row in pivots.items() if len(row) == 1}


def recoverable(relations: Sequence[_Relation], hidden: set[Cell]) -> set[Cell]:
    """The hidden cells a reader can work out from the shown ones and the relations."""
    recovered: set[Cell] = set()
    linear = [r for r in relations if r.coefficients is not None]
    while True:
        before = len(recovered)
        changed = True
        while changed:
            changed = False
            for rel in relations:
                missing = [c for c in rel.cells if c in hidden and c not in recovered]
                if len(missing) == 1:
                    recovered.add(missing[0])
                    changed = True
        unknown = hidden - recovered
        by_part: dict[int, list[_Relation]] = {}
        for rel in linear:
            if any(c in unknown for c in rel.cells):
                by_part.setdefault(rel.part, []).append(rel)
        for touched in by_part.values():
            recovered |= _solve_linear(touched, unknown)
        if len(recovered) == before:
            return recovered


# ---------------------------------------------------------------- choosing what to hide
def _magnitude(rows: list[dict[str, Any]], cell: Cell) -> float:
    value = rows[cell[0]].get(cell[1])
    return abs(float(value)) if isinstance(value, int | float) else 0.0


def _partner(
    rel: _Relation, cell: Cell, hidden: set[Cell], rows: list[dict[str, Any]], persons: str | None
) -> Cell | None:
    """The cell of ``rel`` to hide with ``cell``: across groups, the same column in the group
    with the fewest persons; within a row, the smallest value."""
    if rel.across:
        same = [c for c in rel.cells if c[1] == cell[1] and c not in hidden]
        if same:

            def size(c: Cell) -> tuple[float, int]:
                if persons is None:
                    return (_magnitude(rows, c), c[0])
                n = rows[c[0]].get(persons)  # hidden: a small group, already partly hidden
                return (float(n) if isinstance(n, int | float) else 0.0, c[0])

            return min(same, key=size)
    shown = [c for c in rel.cells if c not in hidden]
    if not shown:
        return None
    return min(shown, key=lambda c: (_magnitude(rows, c), rel.cells.index(c)))


def complementary_cells(
    rows: list[dict[str, Any]],
    primary: set[Cell],
    relations: Sequence[_Relation],
    persons: str | None,
) -> set[Cell]:
    """The cells to hide besides ``primary`` so that none of ``primary`` is recoverable."""
    hidden = set(primary)
    settled: set[Cell] = set()
    while True:
        changed = True
        while changed:  # no relation may have exactly one hidden cell
            changed = False
            for rel in relations:
                mine = [c for c in rel.cells if c in hidden]
                if len(mine) == 1:
                    partner = _partner(rel, mine[0], hidden, rows, persons)
                    if partner is not None:
                        hidden.add(partner)
                        changed = True
        leaks = sorted(recoverable(relations, hidden) & primary - settled)
        if not leaks:
            return hidden - primary
        for leak in leaks:  # recoverable only by combining relations: open one further
            partners = (_partner(rel, leak, hidden, rows, persons) for rel in relations
                        if leak in rel.cells)  # fmt: skip
            partner = next((p for p in partners if p is not None), None)
            if partner is not None:
                hidden.add(partner)
                break
            # Every cell of its relations is hidden, yet the total gives it: a slice with one
            # group, whose total (published elsewhere) then has the same small cells.
            settled.add(leak)


def suppress_complementary(
    frame: pl.DataFrame,
    *,
    group: str | None,
    slice_by: Sequence[str] = KPI_SLICE,
    total_group: str | None = None,
    persons: str | None = "headcount",
    within: Sequence[Within] = KPI_WITHIN,
    across: Sequence[Across] = KPI_ACROSS,
) -> pl.DataFrame:
    """Hide more cells of a small-cell-suppressed table until no hidden cell is recoverable.

    ``frame`` is the output of ``suppress_small_cells`` (its ``suppressed_cells``
    name the cells to protect). ``group`` is the column whose values split a
    total (the ``--by`` column; None for the whole municipality, where only the
    relations inside a row apply); ``slice_by`` names one total (a period);
    ``total_group`` is the value of ``group`` of a row that holds the total in
    the same table (otherwise the total is taken as published elsewhere).
    The added cells are nulled and appended to ``suppressed_cells``;
    ``suppressed`` is updated.
    """
    if "suppressed_cells" not in frame.columns:
        raise ValueError("suppress_complementary works on the output of suppress_small_cells")
    rows = frame.to_dicts()
    primary = {(i, c) for i, row in enumerate(rows) for c in row["suppressed_cells"] or []}
    relations = _relations(rows, group, total_group, slice_by, within, across)
    extra = complementary_cells(rows, primary, relations, persons)
    by_row: dict[int, list[str]] = {}
    for i, column in sorted(extra):
        by_row.setdefault(i, []).append(column)
    order = list(frame.columns)
    for i, columns in by_row.items():
        row = rows[i]
        for column in columns:
            row[column] = None
        known = list(row["suppressed_cells"] or [])
        row["suppressed_cells"] = [c for c in order if c in {*known, *columns}]
        row["suppressed"] = True
    return pl.DataFrame(rows, schema=frame.schema)
