"""Privacy in published numbers and in what analysts see (docs/privacy.md).

Two tools (the database roles are `ledger.storage.roles`):

- `suppress_small_cells`: a published cell that covers fewer than 5 persons
  (NAV's rule; the threshold is a parameter) becomes null, and the row says
  which of its cells were suppressed. Then `suppress_complementary`
  (`projections.reports.secondary`) hides more cells, so that no suppressed
  one can be worked out from totals or from the other cells of its row or
  column.
  which of its cells were suppressed. What a small cell is, is decided in one
  place, `small_cells`, which the equality report and the charts use too.
- `pseudonym` / `analyst_view`: analysts see a stable pseudonymous id, an
  HMAC-SHA256 of the employee id under a key that lives only in the
  environment (`HRLEDGER_PSEUDONYM_KEY`), never in the repository or the
  ledger. Without the key an id cannot be recomputed from a name list;
  rotating the key unlinks old extracts from new ones.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import polars as pl

from ledger.domain.errors import LedgerError
from ledger.security.pseudonyms import KEY_ENV, pseudonym, pseudonym_key
from projections.reports.secondary import suppress_complementary

MIN_PERSONS = 5
"""NAV's rule: a published cell covering fewer persons is suppressed."""

KPI_KEYS = ("period_start", "period_end", "sector", "unit", "gender", "age_band")
"""Columns that name a cell; they are never suppressed."""

KPI_COVERS: Mapping[str, tuple[str, ...]] = {
    "women": ("women",),
    "men": ("men",),
    "women_pay_pct_of_men": ("women", "men"),
    "avg_salary_women": ("women",),
    "avg_salary_men": ("men",),
    "leaders_women": ("leaders_women",),
    "leaders_men": ("leaders_men",),
    "parental_leave_women": ("parental_leave_women",),
    "parental_leave_men": ("parental_leave_men",),
    "parental_leave_avg_weeks_women": ("parental_leave_women",),
    "parental_leave_avg_weeks_men": ("parental_leave_men",),
}
"""KPI columns whose persons are a subgroup of the row: each is suppressed on its own
count too (a pay ratio over 3 men reveals their pay, whatever the headcount)."""

HEALTH_COLUMNS = frozenset({"certificate", "grade_pct", "sick_days", "lost_workdays"})
"""Person-level columns that are health data (special category, GDPR art. 9)."""


# --- small cells -----------------------------------------------------------------------------


def small_cells(*counts: str, threshold: int = MIN_PERSONS, empty_is_small: bool = True) -> pl.Expr:
    """True for a row where any of the ``counts`` columns covers fewer than ``threshold`` persons.

    With ``empty_is_small`` a count of 0 or null is small too (published KPI tables:
    "no men in this unit" is itself a statement about few persons; a cell of unknown
    size is not shown). Without it an empty cell is not small (it reveals nobody):
    the equality report, and the charts' count of cells hidden for privacy.
    """
    tests = [
        pl.col(c).is_null() | (pl.col(c) < threshold)
        if empty_is_small
        else ((pl.col(c) > 0) & (pl.col(c) < threshold)).fill_null(False)
        for c in counts
    ]
    return pl.any_horizontal(tests)


def suppress_small_cells(
    frame: pl.DataFrame,
    *,
    persons: str = "headcount",
    keys: Iterable[str] = KPI_KEYS,
    threshold: int = MIN_PERSONS,
    covers: Mapping[str, Sequence[str]] | None = None,
) -> pl.DataFrame:
    """Null every cell that covers fewer than `threshold` persons.

    A row whose `persons` column is below the threshold loses all its values
    (the key columns stay, so the reader sees that the cell exists). A value
    listed in `covers` (default: `KPI_COVERS`, for the columns present) is
    also nulled when any of its own person counts is below the threshold.
    Two columns are added: `suppressed` (bool) and `suppressed_cells` (the
    names of the nulled columns of that row). Zero counts are suppressed too:
    "no men in this unit" is itself a statement about few persons.
    """
    if threshold < 1:
        raise ValueError("threshold must be at least 1")
    if persons not in frame.columns:
        raise ValueError(f"column {persons!r} (persons per cell) is not in the table")
    key_set = set(keys)
    values = [c for c in frame.columns if c not in key_set]
    cover_map = dict(KPI_COVERS if covers is None else covers)
    masks = {
        column: small_cells(
            persons,
            *(c for c in cover_map.get(column, ()) if c in frame.columns),
            threshold=threshold,
        )
        for column in values
    }
    # Masks are computed on the original counts, before any of them is nulled.
    flagged = frame.with_columns(*(masks[c].alias(f"__small_{i}") for i, c in enumerate(values)))
    out = flagged.with_columns(
        *(
            pl.when(pl.col(f"__small_{i}")).then(None).otherwise(pl.col(c)).alias(c)
            for i, c in enumerate(values)
        ),
        pl.concat_list(
            [
                pl.when(pl.col(f"__small_{i}")).then(pl.lit(c)).otherwise(None)
                for i, c in enumerate(values)
            ]
        )
        .list.drop_nulls()
        .alias("suppressed_cells")
        if values
        else pl.lit([], dtype=pl.List(pl.String)).alias("suppressed_cells"),
    )
    out = out.with_columns((pl.col("suppressed_cells").list.len() > 0).alias("suppressed"))
    return out.select(*frame.columns, "suppressed", "suppressed_cells")


def suppress_for_publication(
    kpi: pl.DataFrame, *, by: str | None, threshold: int = MIN_PERSONS
) -> pl.DataFrame:
    """A KPI table (``hrledger kpi``, grouped ``by`` a column or not) fit to publish:
    small cells suppressed, then as many more as keep them from being worked out."""
    return suppress_complementary(suppress_small_cells(kpi, threshold=threshold), group=by)


# --- pseudonyms ------------------------------------------------------------------------------


def _pseudonymizer(prefix: str, key: bytes) -> Callable[[Any], str]:
    def one(value: Any) -> str:
        return pseudonym(f"{prefix}{value}", key)

    return one


def analyst_view(
    frame: pl.DataFrame,
    *,
    key: bytes | None = None,
    id_columns: Sequence[str] = ("employee_id", "employment_id"),
    allow_health_data: bool = False,
) -> pl.DataFrame:
    """A person-level table fit for analysts.

    Ids become pseudonyms (same key, same pseudonym: analysts can still join
    tables), the birth date becomes the birth year, and free-text columns
    that may name people (`note`, `recorded_by`, `measures`) are dropped.
    Person-level health data is refused unless the caller's role allows it.
    """
    health = sorted(HEALTH_COLUMNS & set(frame.columns))
    if health and not allow_health_data:
        raise LedgerError(
            f"the table holds person-level health data ({', '.join(health)}); analysts get "
            "aggregates (hrledger kpi) unless their role allows it (docs/privacy.md)"
        )
    secret = key if key is not None else pseudonym_key()
    exprs: list[pl.Expr] = []
    for column in id_columns:
        if column in frame.columns:
            # employee ids bare (the documented pseudonym); other ids prefixed by their kind
            prefix = "" if column == "employee_id" else f"{column}:"
            exprs.append(
                pl.col(column).map_elements(_pseudonymizer(prefix, secret), return_dtype=pl.String)
            )
    out = frame.with_columns(*exprs) if exprs else frame
    if "birth_date" in out.columns:
        dtype = out.schema["birth_date"]
        year = (
            pl.col("birth_date").dt.year()
            if dtype == pl.Date
            else pl.col("birth_date").cast(pl.String).str.slice(0, 4).cast(pl.Int32)
        )
        out = out.with_columns(year.alias("birth_year")).drop("birth_date")
    return out.drop([c for c in ("note", "recorded_by", "measures") if c in out.columns])


__all__ = [
    "KEY_ENV",
    "analyst_view",
    "pseudonym",
    "pseudonym_key",
    "small_cells",
    "suppress_complementary",
    "suppress_for_publication",
    "suppress_small_cells",
]
