"""The Python API of the read side (for notebooks): polars frames, CLI column names.

    from projections.api import open_projection
    p = open_projection("sqlite:///hrledger.sqlite")
    p.kpi(date(2025, 1, 1), date(2025, 12, 31), "month", by="sector")
    p.roster(date(2025, 12, 31))
    p.roster(date(2025, 12, 31), known_at=datetime(2026, 1, 5, tzinfo=UTC))

See docs/api.md.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from ledger.security.keys import Keyring
from projections.facts.schema import make_schema
from projections.facts.sick_runs import renewed_runs, sick_runs
from projections.facts.source import (
    Facts,
    RowSource,
    effective,
    forget_delta,
    read_facts,
)
from projections.facts.store import (
    DERIVED,
    FactStore,
    Manifest,
    default_directory,
    fingerprint,
    merge,
    parse,
)
from projections.facts.timeline import employment_intervals, workday_calendar
from projections.facts.two_processes import SPLIT_FROM, read_long
from projections.kpi import kpi_series
from projections.kpi.sickness import SICK_COLUMNS, sick_window
from projections.periods import Every
from projections.reports.equality import equality_report
from projections.reports.roster import roster
from projections.targets import Targets, load_targets

if TYPE_CHECKING:
    from ledger.services.settings import Settings

CATCH_UP_BATCH = 500_000
"""Rows per committed batch of a catch-up (each batch is one atomic checkpoint)."""

SICK_DAYS_SCHEMA = make_schema(
    {
        "employee_id": pl.String,
        "date": pl.Date,
        "certificate": pl.String,
        "grade_pct": pl.Float64,
        "workday": pl.Boolean,
        "event_id": pl.String,
        "position": pl.Int64,
        "recorded_at": pl.Datetime("us", "UTC"),
    }
)
LEAVE_EXPORT_SCHEMA = make_schema(
    {
        "employee_id": pl.String,
        "start_date": pl.Date,
        "end_date": pl.Date,
        "kind": pl.String,
        "paid": pl.Boolean,
        "leave_pct": pl.Float64,
        "event_id": pl.String,
        "position": pl.Int64,
        "recorded_at": pl.Datetime("us", "UTC"),
    }
)
HMS_EXPORT_SCHEMA = make_schema(
    {
        "deviation_id": pl.String,
        "type": pl.String,
        "date": pl.Date,
        "sector": pl.String,
        "unit": pl.String,
        "category": pl.String,
        "severity": pl.Int64,
        "employee_id": pl.String,
        "event_id": pl.String,
        "position": pl.Int64,
        "recorded_at": pl.Datetime("us", "UTC"),
    }
)
CALENDAR_SCHEMA = make_schema(
    {"date": pl.Date, "weekday": pl.Int8, "public_holiday": pl.Boolean, "workday": pl.Boolean}
)


def calendar(start: date, end: date) -> pl.DataFrame:
    """Every day of [start, end]: ISO weekday (1 = Monday), weekday public holiday, agreed
    work-day. The one calendar the sickness KPIs use (docs/kpis.md), for outside tools."""
    cal = workday_calendar(start, end).with_columns(pl.col("date").dt.weekday().alias("weekday"))
    return (
        cal.with_columns(((pl.col("weekday") <= 5) & ~pl.col("workday")).alias("public_holiday"))
        .select(CALENDAR_SCHEMA.names())
        .match_to_schema(CALENDAR_SCHEMA)
    )


@dataclass
class _Cache:
    position: int
    known_at: datetime | None
    facts: Facts
    intervals: pl.DataFrame


class Projection:
    """Fact tables of one ledger, kept up to date by ``catch_up``; queries on both time axes.

    ``known_at`` (an aware datetime) everywhere means "use only what had been
    recorded by then"; None means everything recorded so far.
    """

    def __init__(
        self,
        store: RowSource,
        *,
        url: str | None = None,
        directory: Path | None = None,
        targets: Targets | None = None,
        auto_catch_up: bool = True,
    ):
        self.store = store
        self.url = url
        self.targets = targets or load_targets()
        self.auto_catch_up = auto_catch_up
        self.files = (
            FactStore(directory, key_source=getattr(store, "master_key", None))
            if directory is not None
            else None
        )
        self._loaded = Facts.empty()
        self._sick_in: list[bytes] | None = None
        """The opened Parquet of the sick days, while they are not read yet (``_facts``)."""
        self._manifest = Manifest(ledger_url=url)
        self._cache: _Cache | None = None
        self._saved: tuple[int, dict[str, pl.DataFrame]] = (0, {})
        """The derived tables saved in the folder (employment intervals, runs of sick
        days: ``store.DERIVED``), and the position they are of."""
        if self.files is not None:
            with self.files.locked(exclusive=False):
                m = self.files.manifest()
                if self.files.opens(m):  # else sealed with another master key: rebuilt on catch-up
                    self._adopt(m)

    def _adopt(self, m: Manifest) -> None:
        """Take the folder's state (facts and any saved derived tables) as this process's."""
        assert self.files is not None
        files = self.files
        # AES and Parquet release the GIL: the reads overlap on a second core
        with ThreadPoolExecutor(max_workers=3) as pool:
            facts = pool.submit(files.load, m, skip=("sick",))
            sick = pool.submit(files.opened, m, "sick")  # opened now: a changed file fails here
            derived = {name: pool.submit(files.load_derived, m, name) for name in DERIVED}
            self._facts = facts.result()
            self._sick_in = sick.result()
            saved = {
                name: table for name, f in derived.items() if (table := f.result()) is not None
            }
        self._manifest = m
        self._cache = None
        self._saved = (m.position, saved)

    @property
    def _facts(self) -> Facts:
        """The stored facts; the sick days (nine rows in ten) are read on first use, so
        that a KPI query can read only the ones it needs (``kpi``)."""
        if self._sick_in is not None:
            opened, self._sick_in = self._sick_in, None
            self._loaded = replace(self._loaded, sick=parse("sick", opened))
        return self._loaded

    @_facts.setter
    def _facts(self, facts: Facts) -> None:
        self._loaded, self._sick_in = facts, None

    # ------------------------------------------------------------ position
    @property
    def position(self) -> int:
        """The last ledger position folded into the projection."""
        return self._manifest.position

    def facts(self, known_at: datetime | None = None) -> Facts:
        """Effective facts: recorded by ``known_at``, retractions applied."""
        return self._effective(known_at).facts

    def raw_facts(self) -> Facts:
        """All stored facts, retracted ones included (for auditors)."""
        return self._facts

    def catch_up(self, batch_rows: int = CATCH_UP_BATCH) -> int:
        """Fold in the rows stored after the checkpoint; returns how many were read.

        Each batch is committed atomically with its position (see projections.facts.store).
        """
        if self.files is None:
            delta, last = read_long(self.store, self._manifest.position)
            n = last - self._manifest.position
            if n:
                erased = bool(delta.erasure.height or delta.shredding.height)
                before = self._facts
                self._facts = merge(self._facts, delta)
                if erased:  # an erased person's opened fields leave memory too
                    self._facts = forget_delta(self._facts, delta)[0]
                self._manifest = Manifest(last, None, self._manifest.segments, self.url)
                self._advance_cache(delta, last, erased, before)
            return n
        total = 0
        with self.files.locked():
            m = self.files.manifest()
            if not self.files.opens(m):
                # Sealed with another master key (a rotation): rebuild, but only once this
                # key has proved it opens the ledger, so a wrong key destroys nothing.
                Keyring.load(self.store, []).check_master()
                m = self._reset()
            else:
                # The files open with this key, but after a rotation the old key still does:
                # it must also open the ledger's keys, or the cache would outlive the rotation.
                Keyring.load(self.store, []).check_master()
                if m.position != self._manifest.position:
                    self._adopt(m)  # another process moved it meanwhile
            if m.position and (
                m.position > self.store.max_position()
                or fingerprint(self.store, m.position) != m.fingerprint
            ):
                m = self._reset()  # not the ledger we projected: start over
            runs = self._saved_table("runs")
            renew: set[str] | None = set()  # persons whose runs of sick days the rows change
            while True:
                if m.position == 0 and self.store.max_position() > SPLIT_FROM:
                    # An empty projection of a long ledger (a first open) is read as a
                    # rebuild reads it, at once and in two processes: Oslo's three years
                    # took 46 s in batches, 26 s so. Killed, it starts over, as a rebuild.
                    delta, last = read_long(self.store, 0, split_from=SPLIT_FROM)
                else:
                    delta, last = read_facts(self.store, m.position, upto=m.position + batch_rows)
                if last == m.position:
                    break
                total += last - m.position
                touched = _sick_persons(delta)
                if renew is not None:  # a retraction: its target's runs are not at hand
                    renew = None if delta.retraction.height else renew | touched
                fp = fingerprint(self.store, last)
                erased = bool(delta.erasure.height or delta.shredding.height)
                if erased and m.position:
                    # The stored facts hold the erased persons' opened fields (or the kinds
                    # retention shredded): they leave the facts and the files that hold them
                    # are replaced (not the others).
                    before = self._facts
                    self._facts, changed = forget_delta(merge(self._facts, delta), delta)
                    rewrite = {n: getattr(self._facts, n) for n in changed}
                    # the files are written while the cache forgets the person (both polars)
                    with ThreadPoolExecutor(max_workers=1) as pool:
                        files = pool.submit(
                            self.files.commit, m, delta, last, fp, self.url, rewrite=rewrite
                        )
                        self._advance_cache(delta, last, erased, before)
                        m = files.result()
                    continue
                same_runs = not touched and not delta.retraction.height  # the file stays valid
                m = self.files.commit(m, delta, last, fp, self.url, keep_runs=same_runs)
                before = self._facts
                self._facts = merge(self._facts, delta)
                self._advance_cache(delta, last, before=before)
            self._manifest = self.files.compact(m, lambda: self._facts)
        if self._saved[0] != self.position:  # of an older state (an erased person's, perhaps)
            if runs is not None and self._manifest.runs is not None:  # no sick day changed
                self._saved = (self.position, {"runs": runs})
            else:
                self._saved = (self.position, {})
                if runs is not None and renew is not None:
                    # only the changed persons' runs are derived again (an erasure: hers);
                    # runs are of effective facts: with retractions, the effective sick days
                    known = self._facts
                    if known.retraction.height:
                        known = self._effective(None, caught_up=True).facts
                    self._save("runs", renewed_runs(runs, known.sick, renew))
        return total

    def _advance_cache(
        self, delta: Facts, position: int, erased: bool = False, before: Facts | None = None
    ) -> None:
        """Fold new facts into the "everything known" cache instead of recomputing it.

        New rows without retractions only add facts; employment intervals are
        rebuilt only when employment events arrived. Persons erased in ``delta``
        leave the cached facts as they leave the stored ones (forgetting commutes
        with applying retractions; their employments lose birth date, pay, unit and
        job title, so the intervals are rebuilt).
        Anything else: recompute.
        """
        c = self._cache
        if c is None or c.known_at is not None or delta.retraction.height:
            self._cache = None
            return
        if c.facts is before:  # no retraction anywhere: the effective facts are the facts
            facts = self._facts
        else:
            facts = merge(c.facts, delta)
            if erased:
                facts = forget_delta(facts, delta)[0]
        if delta.employment.height:
            intervals = employment_intervals(facts.employment)
        elif erased:  # only the forgotten persons' employments changed: theirs, again
            persons = pl.concat([delta.erasure["employee_id"], delta.shredding["employee_id"]])
            theirs = pl.col("employee_id").is_in(persons.implode())
            intervals = pl.concat(
                [
                    c.intervals.filter(~theirs),
                    employment_intervals(facts.employment.filter(theirs)),
                ]
            )
        else:
            intervals = c.intervals
        self._cache = _Cache(position, None, facts, intervals)

    def _reset(self) -> Manifest:
        assert self.files is not None
        self._facts = Facts.empty()
        self._cache = None
        self._saved = (0, {})
        return self.files.commit(Manifest(), Facts.empty(), 0, None, self.url, replace=True)

    def rebuild(self) -> int:
        """Drop the materialised facts and read the whole ledger again."""
        if self.files is None:
            self._facts = Facts.empty()
            self._manifest = Manifest(ledger_url=self.url)
            self._cache = None
            return self.catch_up()
        with self.files.locked():
            facts, last = read_long(self.store, 0)
            self._manifest = self.files.commit(
                Manifest(), facts, last, fingerprint(self.store, last), self.url, replace=True
            )
            self._facts = facts
            self._cache = None
            self._saved = (0, {})  # the commit dropped them, even at the same position
        # every query needs the intervals, and KPIs the runs of sick days: derived once
        # here, saved for the next process
        self._runs(self._effective(None).facts)
        return last

    def _effective(self, known_at: datetime | None, caught_up: bool = False) -> _Cache:
        if self.auto_catch_up and not caught_up:
            self.catch_up()
        c = self._cache
        if c is not None and c.position == self.position and c.known_at == known_at:
            return c
        facts = effective(self._facts, known_at)
        c = _Cache(self.position, known_at, facts, self._intervals(facts, known_at))
        self._cache = c
        return c

    def _intervals(self, facts: Facts, known_at: datetime | None) -> pl.DataFrame:
        """Employment intervals of ``facts``: those saved in the folder when they are of
        everything known now, else derived (and then saved, for the next process)."""
        if known_at is not None:
            return employment_intervals(facts.employment)
        saved = self._saved_table("intervals")
        if saved is not None:
            return saved
        c = self._cache  # kept up to date by a catch-up (``_advance_cache``)
        if c is not None and c.position == self.position and c.known_at is None:
            intervals = c.intervals
        else:
            intervals = employment_intervals(facts.employment)
        self._save("intervals", intervals)
        return intervals

    def _runs(self, facts: Facts) -> pl.DataFrame:
        """Runs of sick days of everything known (``facts``: all of it, effective), saved
        in the folder, else derived and saved (by a rebuild, or the first `kpi` query that
        reads every sick day anyway); a catch-up keeps them up to date (``catch_up``)."""
        saved = self._saved_table("runs")
        if saved is not None:
            return saved
        runs = sick_runs(facts.sick)
        self._save("runs", runs)
        return runs

    def _saved_table(self, name: str) -> pl.DataFrame | None:
        at, saved = self._saved
        return saved.get(name) if at == self.position else None

    def _save(self, name: str, table: pl.DataFrame) -> None:
        """Best effort: a read-only folder, or one another process moved on, keeps none."""
        if self.files is None or not self.position:
            return
        try:
            with self.files.locked():
                m = self.files.manifest()
                if m.position == self.position and m.fingerprint == self._manifest.fingerprint:
                    self._manifest = self.files.save_derived(m, name, table)
                    at, saved = self._saved
                    kept = saved if at == self.position else {}
                    self._saved = (self.position, {**kept, name: table})
        except OSError:
            pass

    # ------------------------------------------------------------- queries
    def roster(self, on: date, known_at: datetime | None = None) -> pl.DataFrame:
        """Active employments on ``on`` (interchange roster columns)."""
        return roster(self._effective(known_at).intervals, on)

    def kpi(
        self,
        start: date,
        end: date,
        every: Every = "month",
        by: str | None = None,
        known_at: datetime | None = None,
        targets: Targets | None = None,
    ) -> pl.DataFrame:
        """KPI series over [start, end] (interchange KPI columns, then extras)."""
        targets = targets or self.targets
        if self.auto_catch_up:
            self.catch_up()
        if known_at is not None:
            c = self._effective(known_at, caught_up=True)
            return kpi_series(c.facts, start, end, every, by, targets, c.intervals)
        runs = self._saved_table("runs")
        part = self._without_sick_days() if runs is not None else None
        if part is None:
            part = self._with_sick_days_for(start, end)
        if part is not None:
            intervals = self._intervals(part, None)
            return kpi_series(part, start, end, every, by, targets, intervals, runs)
        c = self._effective(None, caught_up=True)  # every sick day is read by now
        if runs is None and self.files is not None:
            runs = self._runs(c.facts)  # saved, for this query and the next process
        return kpi_series(c.facts, start, end, every, by, targets, c.intervals, runs)

    def _without_sick_days(self) -> Facts | None:
        """Everything known but the sick days (the saved runs stand for them), while no
        retraction applies (else None)."""
        if self._loaded.retraction.height:
            return None
        return replace(self._loaded, sick=self._loaded.sick.clear())

    def _with_sick_days_for(self, start: date, end: date) -> Facts | None:
        """Everything known, but only the sick days the KPIs of [start, end] need: while the
        sick days are not read yet and no retraction applies (else None: the whole way)."""
        if self._sick_in is None or self._loaded.retraction.height:
            return None
        first, last = sick_window(start, end)
        rows = pl.col("date").is_between(first, last)
        days = parse("sick", self._sick_in, rows, columns=SICK_COLUMNS)
        return replace(self._loaded, sick=days)

    def employments(self, known_at: datetime | None = None) -> pl.DataFrame:
        """Employment timelines: one row per employment and stretch of constant state."""
        iv = self._effective(known_at).intervals
        return iv.rename({"job_title": "position"}).sort("employment_id", "valid_from")

    def sick_days(
        self,
        start: date | None = None,
        end: date | None = None,
        known_at: datetime | None = None,
        employee_id: str | None = None,
    ) -> pl.DataFrame:
        """Person-level sick days (health data, GDPR art. 9: for the HR role only)."""
        s = _overlapping(
            self._effective(known_at).facts.sick, "date", "date", start, end, employee_id
        )
        if s.height:
            cal = workday_calendar(s["date"].min(), s["date"].max())  # type: ignore[arg-type]
            s = s.join(cal.select("date", "workday"), on="date", how="left")
        else:
            s = s.with_columns(pl.lit(None, dtype=pl.Boolean).alias("workday"))
        return (
            s.with_columns(pl.col("certificate").cast(pl.String))
            .select(SICK_DAYS_SCHEMA.names())
            .match_to_schema(SICK_DAYS_SCHEMA)
            .sort("employee_id", "date")
        )

    def leave(
        self,
        start: date | None = None,
        end: date | None = None,
        known_at: datetime | None = None,
        employee_id: str | None = None,
    ) -> pl.DataFrame:
        """Leaves (permisjon) overlapping [start, end]; they weight agreed and lost work-days.

        The welfare reason stays out: it is personal and no KPI needs it.
        """
        lv = _overlapping(
            self._effective(known_at).facts.leave, "start_date", "end_date", start, end,
            employee_id,
        )  # fmt: skip
        return (
            lv.with_columns(pl.col("kind").cast(pl.String))
            .select(LEAVE_EXPORT_SCHEMA.names())
            .match_to_schema(LEAVE_EXPORT_SCHEMA)
            .sort("employee_id", "start_date", "position")
        )

    def hms_deviations(
        self, start: date | None = None, end: date | None = None, known_at: datetime | None = None
    ) -> pl.DataFrame:
        """HMS deviations and their closings dated in [start, end], one row per event.

        A closing carries the sector, unit, category, severity and employee of
        the deviation it closes, so each row can be grouped alone.
        """
        h = self._effective(known_at).facts.hms
        reported = (
            h.filter(pl.col("type") == "hms_deviation")
            .unique("deviation_id", keep="last")
            .select("deviation_id", "sector", "unit", "category", "severity", "employee_id")
        )
        h = h.join(reported, on="deviation_id", how="left", suffix="_d").with_columns(
            pl.coalesce(c, f"{c}_d").alias(c)
            for c in ("sector", "unit", "category", "severity", "employee_id")
        )
        if start is not None:
            h = h.filter(pl.col("date") >= start)
        if end is not None:
            h = h.filter(pl.col("date") <= end)
        return (
            h.with_columns(pl.col("type", "category").cast(pl.String))
            .select(HMS_EXPORT_SCHEMA.names())
            .match_to_schema(HMS_EXPORT_SCHEMA)
            .sort("date", "position")
        )

    def equality_report(
        self, year: int, known_at: datetime | None = None, suppress: bool = True
    ) -> pl.DataFrame:
        """The § 26 equality tables for ``year`` (see projections.reports.equality)."""
        c = self._effective(known_at)
        return equality_report(c.facts, year, suppress=suppress, intervals=c.intervals)

    def close(self) -> None:
        close = getattr(self.store, "close", None)
        if callable(close):
            close()

    def __enter__(self) -> Projection:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _sick_persons(delta: Facts) -> set[str]:
    """The persons whose sick days ``delta`` adds, or takes away (an erasure, retention)."""
    frames = (delta.sick, delta.erasure, delta.shredding)
    return {e for df in frames if df.height for e in df["employee_id"].unique().to_list()}


def _overlapping(
    df: pl.DataFrame,
    first: str,
    last: str,
    start: date | None,
    end: date | None,
    employee_id: str | None,
) -> pl.DataFrame:
    """Rows whose [first, last] overlaps [start, end] (open where None), of one person if given."""
    if start is not None:
        df = df.filter(pl.col(last) >= start)
    if end is not None:
        df = df.filter(pl.col(first) <= end)
    if employee_id is not None:
        df = df.filter(pl.col("employee_id") == employee_id)
    return df


def open_projection(
    url: str | None = None,
    *,
    directory: str | Path | None = None,
    persist: bool = True,
    targets: str | Targets | None = None,
    catch_up: bool = True,
    settings: Settings | None = None,
) -> Projection:
    """Open the projection of the ledger at ``url`` (None: ``HRLEDGER_DB`` or the default).

    ``directory``: where the materialised facts live (default: next to an SQLite
    ledger, or ``HRLEDGER_PROJECTION_DIR`` for PostgreSQL); ``persist=False``
    keeps everything in memory. ``targets``: municipality name, JSON path or
    ``Targets`` (default ``HRLEDGER_TARGETS`` or Sandnes). ``settings``: the
    entry point's configuration (``ledger.services.settings``), instead of the
    environment's.
    """
    from ledger.services.settings import Settings

    if settings is None:
        settings = Settings.from_environment(url=url)
    elif url is not None:
        settings = replace(settings, url=url)
    store = settings.open_store(create=False)
    where = None
    if persist:
        where = (
            Path(directory)
            if directory is not None
            else default_directory(settings.url, settings.projection_dir)
        )
    t = targets if isinstance(targets, Targets) else load_targets(targets or settings.targets)
    p = Projection(store, url=settings.url, directory=where, targets=t)
    if catch_up:
        try:
            p.catch_up()
        except BaseException:
            p.close()  # e.g. a wrong master key: no connection is left behind
            raise
    return p
