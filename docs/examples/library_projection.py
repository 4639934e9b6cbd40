"""A consumer built from the `eventsourcing` library's own machinery.

    HRLEDGER_MASTER_KEY_FILE=/path/to/hrledger.key python docs/examples/library_projection.py \\
        --db 'postgresql://reader@db:5432/hr?schema=sandnes' --view hr_consumer
    HRLEDGER_MASTER_KEY_FILE=/path/to/hrledger.key python docs/examples/library_projection.py \\
        --db sqlite:///hrledger.sqlite --view consumer-view.sqlite

On PostgreSQL the library's ``ProjectionRunner`` reads the ledger's
``stored_events`` table through an ``Application`` (catching up first, then
LISTEN/NOTIFY) and hands each domain event with its ``Tracking`` to a
``Projection``. On SQLite, which has no notifications, the same projection
is fed by polling the library recorder's ``select_notifications`` from the
view's tracked position. Either way the view (a tracking recorder) writes
its rows and the tracking row in one transaction: every event is handled
exactly once, also across restarts.

What the ledger needs from such a consumer (docs/downstream.md):

- its event classes imported (``ledger.domain.event_classes`` registers the
  stored topics ``ledger.domain_events:<Class>``);
- the transcodings of the stored JSON: the recorded time is a ``datetime``
  (``DatetimeAsISO``); the ledger's dates are ISO strings and its amounts
  numbers, so nothing beyond the library's defaults;
- the application named ``stored`` (the library names its PostgreSQL table
  ``<name>_events``) and told not to create tables (``STORED_CREATE_TABLE=n``):
  the consumer only reads the ledger;
- personal fields (a sick day's date, certificate and grade, pay, notes) are
  sealed: ``LogReader.export_form`` opens them with the master key;
- a restart loop on PostgreSQL: when the listening connection is cut, the
  runner stops with an ``OperationalError``; when it dies without a word the
  subscription stalls silently (eventsourcing issue #305). Either way the
  runner is started again (after ``--retry-after`` seconds, or when the view
  has lagged behind the ledger for ``--stall-after`` seconds) and resumes from
  its tracking row.
"""

from __future__ import annotations

import argparse
import os
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    InterfaceError,
    JSONTranscoder,
    OperationalError,
    Tracking,
    TrackingRecorder,
    UUIDAsHex,
)
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from eventsourcing.projection import Projection, ProjectionRunner
from eventsourcing.sqlite import SQLiteDatastore, SQLiteTrackingRecorder
from psycopg.sql import SQL, Identifier

import ledger.domain.event_classes  # noqa: F401  (registers the stored topics)
from ledger.services.follow import LogReader, open_log


class LedgerLog(Application[UUID]):
    """The ledger as the library reads it: the table ``stored_events``, read only."""

    name = "stored"

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        transcoder.register(UUIDAsHex())
        transcoder.register(DecimalAsStr())
        transcoder.register(DatetimeAsISO())  # the recorded time, ``timestamp``


# ------------------------------------------------------------------ the view
TABLES = (
    "CREATE TABLE IF NOT EXISTS {t}sick_days_by_month "
    "(month text PRIMARY KEY, days bigint NOT NULL)",
    "CREATE TABLE IF NOT EXISTS {t}sick_day_months "
    "(event_id text PRIMARY KEY, month text NOT NULL)",
    "CREATE TABLE IF NOT EXISTS {t}handled_events "
    "(position bigint NOT NULL, event_id text NOT NULL, type text NOT NULL)",
)
HANDLED = "INSERT INTO {t}handled_events VALUES ({p}, {p}, {p})"
REMEMBER = "INSERT INTO {t}sick_day_months VALUES ({p}, {p})"
FORGET = "DELETE FROM {t}sick_day_months WHERE event_id = {p} RETURNING month"
ADD = (
    "INSERT INTO {t}sick_days_by_month VALUES ({p}, {p}) ON CONFLICT (month) "
    "DO UPDATE SET days = {t}sick_days_by_month.days + excluded.days"
)
COUNTS = "SELECT month, days FROM {t}sick_days_by_month"


class SickDaysByMonthView(TrackingRecorder):
    """Sick days per month, and every handled event (position, event id, type).

    The statements are written once; each database's class says how its
    tables are named (``{t}``) and its parameters marked (``{p}``).
    """

    datastore: Any

    def _sql(self, text: str) -> Any:
        raise NotImplementedError

    def apply(self, event: dict[str, Any], tracking: Tracking) -> None:
        """The view's rows and the tracking row, in one transaction."""
        with self.datastore.transaction(commit=True) as cur:
            cur.execute(self._sql(HANDLED), (tracking.notification_id, event["event_id"],
                                              event["type"]))  # fmt: skip
            if event["type"] == "sick_day":
                day = event["effective_date"]
                month = day if day == "[erased]" else day[:7]  # an erased person: no date
                cur.execute(self._sql(REMEMBER), (event["event_id"], month))
                cur.execute(self._sql(ADD), (month, 1))
            elif event["type"] == "retracted" and event["target_type"] == "sick_day":
                cur.execute(self._sql(FORGET), (event["target_event_id"],))
                row = cur.fetchone()
                if row is not None:
                    cur.execute(self._sql(ADD), (row["month"], -1))
            self._insert_tracking(cur, tracking)  # type: ignore[attr-defined]

    def sick_days_by_month(self) -> dict[str, int]:
        with self.datastore.transaction(commit=False) as cur:
            cur.execute(self._sql(COUNTS))
            return {r["month"]: r["days"] for r in cur.fetchall()}


class PostgresSickDaysByMonth(PostgresTrackingRecorder, SickDaysByMonthView):
    """The view in its own PostgreSQL schema (made if missing)."""

    def __init__(self, datastore: PostgresDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        schema = Identifier(datastore.schema)
        self.sql_create_statements[:0] = [SQL("CREATE SCHEMA IF NOT EXISTS {}").format(schema)]
        self.sql_create_statements += [self._sql(stmt) for stmt in TABLES]

    def _sql(self, text: str) -> Any:
        prefix = SQL("{}.").format(Identifier(self.datastore.schema))
        return SQL(text.replace("{p}", "%s")).format(t=prefix)


class SQLiteSickDaysByMonth(SQLiteTrackingRecorder, SickDaysByMonthView):
    """The view in its own SQLite file (never in the ledger's file)."""

    def construct_create_table_statements(self) -> list[str]:
        return [*super().construct_create_table_statements(), *map(self._sql, TABLES)]

    def _sql(self, text: str) -> Any:
        return text.format(t="", p="?")


class SickDaysByMonth(Projection[SickDaysByMonthView]):
    name = "sick_days_by_month"
    topics = ()  # every event type (a list of topics filters in the database)

    def __init__(self, view: SickDaysByMonthView) -> None:
        super().__init__(view)
        self.ledger: LogReader = open_log()  # HRLEDGER_DB and the master key, from the environment

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        event = self.ledger.export_form(domain_event, tracking.notification_id)
        self.view.apply(event, tracking)


# --------------------------------------------------------------- PostgreSQL
def postgres_env(ledger_url: str, view_schema: str) -> dict[str, str]:
    """The library's settings for the ledger (prefix ``STORED_``) and the view."""
    p = urlparse(ledger_url)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": p.path.lstrip("/"),
        "POSTGRES_HOST": p.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(p.port or 5432),
        "POSTGRES_USER": p.username or "postgres",
        "POSTGRES_PASSWORD": p.password or "",
        "STORED_POSTGRES_SCHEMA": parse_qs(p.query).get("schema", ["public"])[0],
        "STORED_CREATE_TABLE": "n",
        "SICK_DAYS_BY_MONTH_POSTGRES_SCHEMA": view_schema,
    }


def follow_postgres(
    ledger_url: str,
    view_schema: str,
    *,
    stall_after: float = 30.0,
    retry_after: float = 5.0,
    stop: threading.Event,
) -> None:
    """Follow live until ``stop`` is set; start the runner again when it stalls or loses
    its connection (the tracking row says where to resume: nothing twice)."""
    env = postgres_env(ledger_url, view_schema)
    while not stop.is_set():
        try:
            runner = ProjectionRunner(
                application_class=LedgerLog,
                projection_class=SickDaysByMonth,
                view_class=PostgresSickDaysByMonth,
                env=env,
            )
            try:
                with runner:
                    watch(runner, stall_after, stop)
            finally:
                assert isinstance(runner.projection, SickDaysByMonth)
                runner.projection.ledger.close()
                runner.view.datastore.close()
        except (OperationalError, InterfaceError) as e:  # the database, not our code
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            print(f"lost the database ({first}); resuming in {retry_after:.0f} s", flush=True)
            stop.wait(retry_after)


def watch(runner: ProjectionRunner[Any, Any], stall_after: float, stop: threading.Event) -> None:
    """Return when ``stop`` is set or the view lags for ``stall_after`` seconds (a stall)."""
    seen, since = runner.view.max_tracking_id(runner.app_name), time.monotonic()
    while not stop.is_set():
        runner.run_forever(timeout=1.0)  # re-raises an error of the processing thread
        if runner.is_interrupted.is_set():
            return
        done = runner.view.max_tracking_id(runner.app_name)
        behind = (runner.app.recorder.max_notification_id() or 0) > (done or 0)
        if done != seen or not behind:
            seen, since = done, time.monotonic()
        elif time.monotonic() - since > stall_after:
            print(f"no progress for {stall_after:.0f} s at position {done}: restarting", flush=True)
            return


# ------------------------------------------------------------------- SQLite
def follow_sqlite(
    ledger_url: str, view_file: str, *, poll: float = 2.0, stop: threading.Event
) -> None:
    """Poll the ledger's recorder from the view's tracked position until ``stop`` is set."""
    ledger_file = ledger_url.split(":///", 1)[1]
    app = LedgerLog({"PERSISTENCE_MODULE": "eventsourcing.sqlite",
                     "STORED_SQLITE_DBNAME": ledger_file, "STORED_CREATE_TABLE": "n"})  # fmt: skip
    view = SQLiteSickDaysByMonth(SQLiteDatastore(db_name=view_file))
    view.create_table()
    projection = SickDaysByMonth(view)
    try:
        while not stop.is_set():
            after = view.max_tracking_id(app.name) or 0
            notifications = app.recorder.select_notifications(
                start=after, limit=500, inclusive_of_start=False
            )
            for n in notifications:
                projection.process_event(app.mapper.to_domain_event(n), Tracking(app.name, n.id))
            if not notifications:
                stop.wait(poll)
    finally:
        projection.ledger.close()
        view.datastore.close()
        app.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", help="ledger URL (default $HRLEDGER_DB)")
    ap.add_argument("--view", help="PostgreSQL: a schema (default hr_consumer); SQLite: a file")
    ap.add_argument("--poll", type=float, default=2.0, help="SQLite: seconds between polls")
    ap.add_argument("--stall-after", type=float, default=30.0, help="restart when stalled (s)")
    ap.add_argument("--retry-after", type=float, default=5.0, help="pause after a lost database")
    args = ap.parse_args()
    url = args.db or os.environ["HRLEDGER_DB"]
    os.environ["HRLEDGER_DB"] = url  # the projection opens sealed fields on this ledger
    stop = threading.Event()
    try:
        if url.startswith("sqlite:"):
            view = args.view or str(Path("consumer-view.sqlite").resolve())
            follow_sqlite(url, view, poll=args.poll, stop=stop)
        else:
            follow_postgres(url, args.view or "hr_consumer", stall_after=args.stall_after,
                            retry_after=args.retry_after, stop=stop)  # fmt: skip
    except KeyboardInterrupt:
        stop.set()


if __name__ == "__main__":
    main()
