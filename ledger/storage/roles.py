"""PostgreSQL roles so that analysts cannot read the event table (person-level
health data, GDPR art. 9) while HR can (`hrledger roles setup`, docs/privacy.md)."""

from __future__ import annotations

from ledger.domain.errors import LedgerError

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
    import psycopg
    from psycopg import sql

    from ledger.storage.postgres import connection_info
    from ledger.storage.store import open_store
    from ledger.storage.urls import is_postgres, postgres_schema

    if analyst_role == hr_role:
        raise LedgerError("the analyst role and the HR role must be different roles")
    if not is_postgres(url):
        raise LedgerError(
            "database roles exist only on PostgreSQL; protect an SQLite ledger with file "
            "permissions instead (docs/privacy.md)"
        )
    schema = postgres_schema(url)
    open_store(url).close()  # make sure the ledger's tables exist before granting on them
    conninfo, _ = connection_info(url)
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
