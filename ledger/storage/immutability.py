"""PostgreSQL refuses to change or remove what the ledger has stored.

The hash chain (``ledger.services.verification``) *detects* a rewritten log; this module
*prevents* the quiet rewrite through ordinary SQL. When a
``PostgresStore`` opens, it makes sure that every table whose rows are
history carries a trigger that refuses UPDATE, DELETE and TRUNCATE,
whoever issues them, including the table owner:

- ``stored_events`` — the events themselves;
- ``ledger_chain`` — the hash chain;
- ``ledger_event_ids`` — client event id → stream (idempotent re-import,
  retraction targets);
- ``ledger_employments`` — employment id → person.

The trigger is ``ENABLE ALWAYS``, so ``SET session_replication_role =
replica`` does not switch it off. Only the tables' owner (or a superuser)
can ``ALTER TABLE … DISABLE TRIGGER``: run the application as a separate
writer role that owns nothing (``grants_sql`` prints the statements, and
docs/auditing.md explains them), and keep the owner role for migrations.
Whatever a superuser does remains visible to ``hrledger verify`` against a
published head digest.

The ledger corrects mistakes by appending (``retracted``), so none of its
own code ever updates or deletes these rows.
"""

from __future__ import annotations

from typing import Any

from psycopg import sql

PROTECTED_TABLES = ("stored_events", "ledger_chain", "ledger_event_ids", "ledger_employments")
FUNCTION = "hrledger_refuse_change"
TRIGGER = "hrledger_append_only"
MESSAGE = (
    "the HR ledger is append-only: % on %.% is refused; "
    "correct a mistake by recording a new event (e.g. retracted)"
)


def protected(conn: Any, schema: str) -> set[str]:
    """The ledger tables of ``schema`` that carry the append-only trigger."""
    rows = conn.execute(
        "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND t.tgname = %s AND t.tgenabled = 'A'",
        (schema, TRIGGER),
    ).fetchall()
    return {r[0] for r in rows}


def protect(conn: Any, schema: str) -> None:
    """Create the function and triggers once per schema (idempotent, safe when run concurrently).

    ``conn`` is an autocommit psycopg connection of the tables' owner. A
    writer role that owns nothing finds the triggers in place and changes nothing.
    """
    if protected(conn, schema) >= set(PROTECTED_TABLES):
        return
    fn = sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(FUNCTION))
    with conn.transaction():
        # Two processes opening a fresh schema at once must not race on CREATE.
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"hrledger-protect:{schema}",))
        missing = set(PROTECTED_TABLES) - protected(conn, schema)
        if not missing:
            return
        conn.execute(
            sql.SQL(
                "CREATE OR REPLACE FUNCTION {}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                "RAISE EXCEPTION {}, TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME "
                "USING ERRCODE = 'insufficient_privilege'; END $$"
            ).format(fn, sql.Literal(MESSAGE))
        )
        for table in sorted(missing):
            t = sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(table))
            trig = sql.Identifier(TRIGGER)
            conn.execute(sql.SQL("DROP TRIGGER IF EXISTS {} ON {}").format(trig, t))
            conn.execute(
                sql.SQL(
                    "CREATE TRIGGER {} BEFORE UPDATE OR DELETE OR TRUNCATE ON {} "
                    "FOR EACH STATEMENT EXECUTE FUNCTION {}()"
                ).format(trig, t, fn)
            )
            conn.execute(sql.SQL("ALTER TABLE {} ENABLE ALWAYS TRIGGER {}").format(t, trig))


def grants_sql(schema: str, role: str = "hrledger") -> list[str]:
    """GRANTs for a writer role that can read and append, and nothing else.

    Run them as the owner after the owner has opened the ledger once (so the
    tables and triggers exist). Appends serialise on an advisory lock, so
    the writer needs no UPDATE right; the trigger refuses every UPDATE and
    DELETE whoever issues it, and the writer, owning nothing, cannot disable it.
    """
    s = sql.Identifier(schema).as_string()
    r = sql.Identifier(role).as_string()
    return [
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {s} FROM {r}",
        f"GRANT USAGE ON SCHEMA {s} TO {r}",
        f"GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA {s} TO {r}",
        f"GRANT UPDATE ON {s}.ledger_person_keys TO {r}",
        f"GRANT DELETE ON {s}.stored_snapshots TO {r}",
        f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {s} TO {r}",
    ]
