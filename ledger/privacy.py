"""Privacy in published numbers and in what analysts see (docs/privacy.md).

Three tools:

- `suppress_small_cells`: a published cell that covers fewer than 5 persons
  (NAV's rule; the threshold is a parameter) becomes null, and the row says
  which of its cells were suppressed.
- `pseudonym` / `analyst_view`: analysts see a stable pseudonymous id, an
  HMAC-SHA256 of the employee id under a key that lives only in the
  environment (`HRLEDGER_PSEUDONYM_KEY`), never in the repository or the
  ledger. Without the key an id cannot be recomputed from a name list;
  rotating the key unlinks old extracts from new ones.
- `setup_roles`: PostgreSQL roles so that analysts cannot read the event
  table (person-level health data, GDPR art. 9) while HR can.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import polars as pl

from ledger.errors import LedgerError

MIN_PERSONS = 5
"""NAV's rule: a published cell covering fewer persons is suppressed."""
KEY_ENV = "HRLEDGER_PSEUDONYM_KEY"
MIN_KEY_LENGTH = 32

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
    small_row = pl.col(persons).is_null() | (pl.col(persons) < threshold)
    masks: dict[str, pl.Expr] = {}
    for column in values:
        mask = small_row
        for count in cover_map.get(column, ()):
            if count in frame.columns:
                mask = mask | pl.col(count).is_null() | (pl.col(count) < threshold)
        masks[column] = mask
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


# --- pseudonyms ------------------------------------------------------------------------------


def pseudonym_key(environ: Mapping[str, str] | None = None) -> bytes:
    """The HMAC key from `HRLEDGER_PSEUDONYM_KEY`; refuses a missing or short key."""
    env = os.environ if environ is None else environ
    key = env.get(KEY_ENV, "")
    if len(key) < MIN_KEY_LENGTH:
        what = "is not set" if not key else f"is shorter than {MIN_KEY_LENGTH} characters"
        raise LedgerError(
            f"{KEY_ENV} {what}; set it to a random secret, e.g. "
            "`python -c 'import secrets; print(secrets.token_hex(32))'`, kept in the "
            "municipality's secret store and never in the repository (docs/privacy.md)"
        )
    return key.encode()


def pseudonym(employee_id: str, key: bytes) -> str:
    """A stable pseudonymous id: HMAC-SHA256(key, employee id), 32 hex characters."""
    digest = hmac.new(key, employee_id.encode(), hashlib.sha256).hexdigest()
    return f"p_{digest[:32]}"


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


# --- PostgreSQL roles ------------------------------------------------------------------------

LEDGER_TABLES = (
    "stored_events",
    "stored_snapshots",
    "ledger_chain",
    "ledger_event_ids",
    "ledger_employments",
    "ledger_person_keys",
)
APPEND_TABLES = ("stored_events", "ledger_chain", "ledger_event_ids", "ledger_employments")


def setup_roles(url: str, analyst_role: str, hr_role: str, *, login: bool = False) -> list[str]:
    """Create (if missing) and grant the analyst and HR roles on the ledger's schema.

    HR: read every ledger table, append events (INSERT; never UPDATE or
    DELETE: the log is immutable), add and destroy person keys (erasure).
    Analyst: USAGE on the schema only, and every right on the ledger tables
    revoked, so person-level events (sick days among them) cannot be read;
    analysts get published aggregates.
    Returns the statements run, for the operator's log.
    """
    from urllib.parse import parse_qs, urlparse

    import psycopg
    from psycopg import sql

    from ledger.store import open_store
    from ledger.store_postgres import _conninfo

    if analyst_role == hr_role:
        raise LedgerError("the analyst role and the HR role must be different roles")
    parsed = urlparse(url)
    if parsed.scheme not in ("postgresql", "postgres"):
        raise LedgerError(
            "database roles exist only on PostgreSQL; protect an SQLite ledger with file "
            "permissions instead (docs/privacy.md)"
        )
    schema = parse_qs(parsed.query).get("schema", ["public"])[0]
    open_store(url).close()  # make sure the ledger's tables exist before granting on them
    conninfo, _ = _conninfo(url)
    ran: list[str] = []
    try:
        with psycopg.connect(conninfo, autocommit=True, connect_timeout=10) as conn:

            def run(stmt: sql.Composed) -> None:
                ran.append(stmt.as_string(conn))
                conn.execute(stmt)

            for role in (analyst_role, hr_role):
                exists = conn.execute(
                    "SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)
                ).fetchone()
                if exists is None:
                    run(
                        sql.SQL("CREATE ROLE {} " + ("LOGIN" if login else "NOLOGIN")).format(
                            sql.Identifier(role)
                        )
                    )
            s = sql.Identifier(schema)
            tables = sql.SQL(", ").join(
                sql.SQL("{}.{}").format(s, sql.Identifier(t)) for t in LEDGER_TABLES
            )
            appends = sql.SQL(", ").join(
                sql.SQL("{}.{}").format(s, sql.Identifier(t)) for t in APPEND_TABLES
            )
            analyst, hr = sql.Identifier(analyst_role), sql.Identifier(hr_role)
            run(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}, {}").format(s, analyst, hr))
            run(sql.SQL("REVOKE ALL ON {} FROM {}").format(tables, analyst))
            run(sql.SQL("REVOKE ALL ON {} FROM PUBLIC").format(tables))
            run(sql.SQL("GRANT SELECT ON {} TO {}").format(tables, hr))
            run(sql.SQL("GRANT INSERT ON {} TO {}").format(appends, hr))
            run(
                sql.SQL("GRANT INSERT, DELETE ON {}.{} TO {}").format(
                    s, sql.Identifier("stored_snapshots"), hr
                )
            )
            # new persons get a key; `hrledger erase` destroys one (an UPDATE of the key row)
            run(
                sql.SQL("GRANT INSERT, UPDATE ON {}.{} TO {}").format(
                    s, sql.Identifier("ledger_person_keys"), hr
                )
            )
            run(sql.SQL("GRANT USAGE ON ALL SEQUENCES IN SCHEMA {} TO {}").format(s, hr))
    except psycopg.Error as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise LedgerError(
            f"could not set up the roles ({first}); run this as the ledger's owner or a "
            "role with CREATEROLE"
        ) from None
    return ran
