"""From stored rows to typed fact frames, in columns.

The ``state`` column of ``stored_events`` is the JSON of one interchange line
plus ``timestamp`` (the recorded time) and, for employment-scoped types, the
resolved ``employee_id``. Rows are decoded page by page with one
``str.json_decode`` over an explicit struct dtype (no Python per event), then
split into five append-only fact frames, each with ``position`` (ledger
position, which is recorded order) and ``recorded_at``:

- ``employment``: hired, position_changed, transferred, salary_changed, terminated
- ``sick``: sick days
- ``leave``: leaves
- ``hms``: HMS deviations and their closings
- ``retraction``: retractions

In the fact frames, ``position`` is always the *ledger* position; the job
title of an employment is ``job_title`` (it becomes ``position`` again in the
roster, as the interchange names it).

Retractions are applied when reading, not when storing (``effective``), so
the stored facts stay append-only and "what was known at T" stays answerable.
"""

from __future__ import annotations

import io
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Protocol

import polars as pl

from ledger.domain.catalogue import FIELD_KINDS, STORED_TYPES, Seal
from ledger.domain.errors import LedgerError
from ledger.security.keys import NONCE, KeyProblem, Keyring, KeyRow, person_of
from ledger.security.sealing import ERASED, KIND_SLOTS, LEDGER, PERSON, SLOTS
from ledger.storage.wire import STAMP_DATA, TIMESTAMP
from projections.facts.schema import (
    CERTIFICATE,
    COMPONENTS,
    EMPLOYMENT_EVENT,
    EMPLOYMENT_TYPE,
    FROZEN_ROW_SCHEMA,
    GENDER,
    HMS_CATEGORY,
    HMS_EVENT,
    LEAVE_KIND,
    RECORDED_AT,
    STORED_DTYPE,
    make_schema,
)

PAGE_SIZE = 50_000
LARGE_PAGE = 75_000
"""Rows per page of a read of millions of rows (``page_size_for``)."""
READ_AHEAD = 2
"""Raw pages read but not yet decoded, at most."""
DECODERS = min(2, os.cpu_count() or 1)
"""Pages decoded at once: the AES holds the GIL, polars does not, so two overlap."""
BLOB_READS_FROM = 200_000
"""A read of more rows than this takes its pages as blobs (a rebuild); a catch-up reads rows."""


class RowSource(Protocol):
    """The part of ``ledger.storage.store.EventStore`` the read side needs."""

    def max_position(self) -> int: ...
    def read_rows(self, after: int, limit: int) -> list[tuple[int, bytes]]: ...
    def read_page(self, after: int, limit: int) -> tuple[int, bytes] | None: ...
    def read_rows_of(self, topics: Sequence[str]) -> list[tuple[int, bytes]]: ...
    def key_rows(self, employee_ids: Iterable[str] | None = None) -> list[KeyRow]: ...
    def key_rows_by_id(self, key_ids: Iterable[str]) -> list[KeyRow]: ...
    def erased_employees(self) -> set[str]: ...


EMPLOYMENT_SCHEMA = make_schema(
    {
        "position": pl.Int64,
        "recorded_at": RECORDED_AT,
        "event_id": pl.String,
        "type": EMPLOYMENT_EVENT,
        "employee_id": pl.String,
        "employment_id": pl.String,
        "effective_date": pl.Date,
        "birth_date": pl.Date,
        "gender": GENDER,
        "sector": pl.String,
        "unit": pl.String,
        "job_title": pl.String,
        "employment_type": EMPLOYMENT_TYPE,
        "position_pct": pl.Float64,
        "annual_salary": pl.Float64,
        "is_leader": pl.Boolean,
        "reason": pl.String,
    }
)
SICK_SCHEMA = make_schema(
    {
        "position": pl.Int64,
        "recorded_at": RECORDED_AT,
        "event_id": pl.String,
        "employee_id": pl.String,
        "date": pl.Date,
        "certificate": CERTIFICATE,
        "grade_pct": pl.Float64,
    }
)
LEAVE_SCHEMA = make_schema(
    {
        "position": pl.Int64,
        "recorded_at": RECORDED_AT,
        "event_id": pl.String,
        "employee_id": pl.String,
        "start_date": pl.Date,
        "end_date": pl.Date,
        "kind": LEAVE_KIND,
        "paid": pl.Boolean,
        "leave_pct": pl.Float64,
        "welfare_reason": pl.String,
    }
)
HMS_SCHEMA = make_schema(
    {
        "position": pl.Int64,
        "recorded_at": RECORDED_AT,
        "event_id": pl.String,
        "type": HMS_EVENT,
        "deviation_id": pl.String,
        "date": pl.Date,
        "sector": pl.String,
        "unit": pl.String,
        "category": HMS_CATEGORY,
        "employee_id": pl.String,
        "severity": pl.Int64,
        "measures": pl.String,
    }
)
RETRACTION_SCHEMA = make_schema(
    {
        "position": pl.Int64,
        "recorded_at": RECORDED_AT,
        "event_id": pl.String,
        "target_event_id": pl.String,
        "target_type": pl.String,
        "reason": pl.String,
    }
)

ERASURE_SCHEMA = make_schema(
    {
        "position": pl.Int64,
        "recorded_at": RECORDED_AT,
        "event_id": pl.String,
        "employee_id": pl.String,
        "frozen_share": pl.String,
    }
)
SHREDDING_SCHEMA = make_schema(
    {
        "position": pl.Int64,
        "recorded_at": RECORDED_AT,
        "event_id": pl.String,
        "employee_id": pl.String,
        "field_kind": pl.String,
        "frozen_share": pl.String,
    }
)
FROZEN_SCHEMA = make_schema(
    {
        "position": pl.Int64,
        "recorded_at": RECORDED_AT,
        "event_id": pl.String,
        **FROZEN_ROW_SCHEMA,
    }
)


@dataclass(frozen=True)
class Facts:
    """The five typed fact frames of a ledger (or of a slice of it)."""

    employment: pl.DataFrame
    sick: pl.DataFrame
    leave: pl.DataFrame
    hms: pl.DataFrame
    retraction: pl.DataFrame
    erasure: pl.DataFrame
    """Erased persons (``hrledger erase``): their shreddable fields are unreadable."""
    shredding: pl.DataFrame
    """Kinds of field whose retention ran out (``hrledger retention --apply``), per person."""
    frozen: pl.DataFrame
    """Erased persons' sickness contributions, kept so past KPIs stay as they were."""

    @staticmethod
    def empty() -> Facts:
        return Facts(**{name: pl.DataFrame(schema=s) for name, s in SCHEMAS.items()})

    def frames(self) -> dict[str, pl.DataFrame]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def height(self) -> int:
        return sum(df.height for df in self.frames().values())

    def max_recorded_at(self) -> datetime | None:
        stamps = [df["recorded_at"].max() for df in self.frames().values() if df.height]
        found = [s for s in stamps if isinstance(s, datetime)]
        return max(found) if found else None

    def map(self, fn: Callable[[str, pl.DataFrame], pl.DataFrame]) -> Facts:
        return Facts(**{name: fn(name, df) for name, df in self.frames().items()})

    def removed(self) -> list[str]:
        """Persons whose whole KPI share is frozen: the KPIs leave their facts out."""
        ids = {
            eid
            for df in (self.erasure, self.shredding)
            for eid in df.filter(pl.col("frozen_share") == "all")["employee_id"].to_list()
        }
        return sorted(ids)

    def without(self, employee_ids: Sequence[str]) -> Facts:
        """These persons' employments, sick days and leaves left out (the KPIs' view)."""
        if not employee_ids:
            return self
        gone = pl.col("employee_id").is_in(pl.Series(employee_ids, dtype=pl.String).implode())
        return self.map(
            lambda name, df: df.filter(~gone) if name in ("employment", "sick", "leave") else df
        )


SCHEMAS: dict[str, pl.Schema] = {
    "employment": EMPLOYMENT_SCHEMA,
    "sick": SICK_SCHEMA,
    "leave": LEAVE_SCHEMA,
    "hms": HMS_SCHEMA,
    "retraction": RETRACTION_SCHEMA,
    "erasure": ERASURE_SCHEMA,
    "shredding": SHREDDING_SCHEMA,
    "frozen": FROZEN_SCHEMA,
}

_TS_FORMAT = "%Y-%m-%dT%H:%M:%S%.f%:z"
_HEAD = ("position", "recorded_at", "event_id")
"""The first columns of every fact frame: ledger position, recorded time, event id."""


@dataclass(frozen=True)
class _FactFrame:
    """Which stored types make a fact frame; its columns are its schema's."""

    types: tuple[str, ...]
    schema: pl.Schema
    keep: pl.Expr | None = None
    """Rows of these types to keep (all when None)."""
    rules: Mapping[str, Callable[[pl.Expr], pl.Expr]] = field(default_factory=dict)
    """Columns a rule computes, from the column as stored."""


_FRAMES: dict[str, _FactFrame] = {
    "employment": _FactFrame(tuple(EMPLOYMENT_EVENT.categories), EMPLOYMENT_SCHEMA),
    "sick": _FactFrame(
        ("sick_day",),
        SICK_SCHEMA,
        # an erased person's sick days have no date left: they count only through `frozen`
        keep=pl.col("effective_date").is_not_null(),
        # self-certified days always have grade 100
        rules={
            "grade_pct": lambda grade: (
                pl.when(pl.col("certificate") == "self").then(100.0).otherwise(grade)
            )
        },
    ),
    "leave": _FactFrame(("leave",), LEAVE_SCHEMA),
    "hms": _FactFrame(tuple(HMS_EVENT.categories), HMS_SCHEMA),
    "retraction": _FactFrame(("retracted",), RETRACTION_SCHEMA),
    "erasure": _FactFrame(("erased",), ERASURE_SCHEMA),
    "shredding": _FactFrame(("shredded",), SHREDDING_SCHEMA),
}
"""The fact frames made from stored fields; ``frozen`` is opened from ``sealed_stats``."""


def _stored_name(column: str) -> str:
    """The stored field a fact column holds."""
    return {"date": "effective_date", "job_title": "position"}.get(column, column)


def _decoded_name(column: str) -> str:
    """Its column in a decoded page, where ``position`` is the ledger position and the
    stored ``position`` (the job) is already ``job_title``."""
    return "effective_date" if column == "date" else column


def _date(name: str) -> pl.Expr:
    return pl.col(name).str.to_date("%Y-%m-%d")


def _state_dtype() -> pl.Struct:
    """The stored fields the fact frames read, with the dtype of their catalogue kind.

    Fields no frame reads are not decoded (``note``, ``travel_days``, …).
    """
    fields: dict[str, pl.DataType] = {
        "type": pl.String(),
        "event_id": pl.String(),
        TIMESTAMP: pl.Struct({STAMP_DATA: pl.String}),
    }
    for frame in _FRAMES.values():
        for column in frame.schema.names():
            name = _stored_name(column)
            if column not in _HEAD and name not in fields:
                fields[name] = STORED_DTYPE[FIELD_KINDS[name]]
    for slot in (*SLOTS, "sealed_stats"):
        fields[slot] = pl.String()
    return pl.Struct(fields)


STATE_DTYPE = _state_dtype()
STATE_SCHEMA = pl.Schema({f.name: f.dtype for f in STATE_DTYPE.fields})


def _sealed_columns(*seals: Seal) -> list[str]:
    sealed = {f.name for t in STORED_TYPES.values() for f in t.stored_fields if f.sealed in seals}
    return sorted(sealed & set(STATE_SCHEMA))


SEALED_COLUMNS: dict[str, list[str]] = {
    PERSON: _sealed_columns("person"),
    # before the kind keys, pay and birth date were sealed together with the ledger key
    LEDGER: _sealed_columns("ledger", *KIND_SLOTS),  # type: ignore[arg-type]
    **{slot: _sealed_columns(kind) for kind, slot in KIND_SLOTS.items()},  # type: ignore[arg-type]
}
SEALED_DTYPE = {
    slot: pl.Struct({n: STATE_SCHEMA[n] for n in names}) for slot, names in SEALED_COLUMNS.items()
}
SEALED_SCHEMA = {
    slot: pl.Schema({n: STATE_SCHEMA[n] for n in names}) for slot, names in SEALED_COLUMNS.items()
}


def _copied(column: str, dtype: pl.DataType, types: tuple[str, ...]) -> pl.Expr:
    """A fact column from its stored field: dates parsed, choices as enums, and for a
    single type its catalogue default where the field is missing (older events)."""
    stored = _stored_name(column)
    if dtype == pl.Date:
        return _date(_decoded_name(column)).alias(column)
    expr = pl.col(_decoded_name(column))
    if len(types) == 1:
        found = [f for f in STORED_TYPES[types[0]].stored_fields if f.name == stored]
        if found and found[0].default is not None:
            expr = expr.fill_null(found[0].default)
    if dtype != STATE_SCHEMA.get(stored):
        expr = expr.cast(dtype)
    return expr.alias(column)


def _selection(frame: _FactFrame) -> tuple[pl.Expr, list[pl.Expr]]:
    """The row filter and the column expressions of one fact frame, made once."""
    t = pl.col("type")
    rows = t == frame.types[0] if len(frame.types) == 1 else t.is_in(frame.types)
    if frame.keep is not None:
        rows = rows & frame.keep
    columns: list[pl.Expr] = [pl.col(c) for c in _HEAD]
    for column, dtype in frame.schema.items():
        if column in _HEAD:
            continue
        expr = _copied(column, dtype, frame.types)
        rule = frame.rules.get(column)
        columns.append(rule(expr).alias(column) if rule else expr)
    return rows, columns


_SELECTIONS = {name: _selection(frame) for name, frame in _FRAMES.items()}


def decode_rows(rows: Sequence[tuple[int, bytes]], ring: Keyring | None = None) -> Facts:
    """Decode stored rows (position, state JSON bytes) into fact frames.

    The states are joined into one NDJSON buffer and parsed by polars' parallel
    NDJSON reader with an explicit schema (about 3× faster than
    ``str.json_decode`` on one column); a state with a raw newline (not
    produced by the ledger's compact encoder) falls back to ``str.json_decode``.
    """
    if not rows:
        return Facts.empty()
    positions, states = zip(*rows, strict=True)
    pos = pl.Series("position", positions, dtype=pl.Int64)
    try:
        d = pl.read_ndjson(io.BytesIO(b"\n".join(states)), schema=STATE_SCHEMA)
        if d.height != pos.len():
            raise ValueError("row count differs")
    except (pl.exceptions.ComputeError, ValueError):
        d = (
            pl.Series("state", states, dtype=pl.Binary)
            .cast(pl.String)
            .str.json_decode(STATE_DTYPE)
            .struct.unnest()
        )
    return _facts(d, pos, ring)


def decode_page(first: int, last: int, blob: bytes, ring: Keyring | None = None) -> Facts | None:
    """Decode a page read as one blob (``read_page``), positions ``first`` to ``last``.

    None when the blob does not hold that many states (one of them held a raw
    newline, which the ledger never writes): the caller reads those rows one by one.
    """
    if not blob:
        return Facts.empty()
    try:
        d = pl.read_ndjson(io.BytesIO(blob), schema=STATE_SCHEMA)
    except pl.exceptions.ComputeError:
        return None
    if d.height != last - first + 1:
        return None
    return _facts(d, pl.int_range(first, last + 1, eager=True).alias("position"), ring)


def _facts(d: pl.DataFrame, pos: pl.Series, ring: Keyring | None) -> Facts:
    return _split(unseal(d, ring).rename({"position": "job_title"}).with_columns(pos), ring)


def unseal(d: pl.DataFrame, ring: Keyring | None) -> pl.DataFrame:
    """Open the sealed fields of every row in place (null where the key was destroyed).

    Column-wise: the tokens are split and base64-decoded by polars, the
    decryptions run in one ``map`` (``Keyring.open_many``), and the opened
    JSON of all rows is parsed at once by polars' NDJSON reader. The only
    work per value outside polars is the AES itself.
    """
    for slot in SLOTS:
        tokens = d[slot]
        mask = tokens.is_not_null()
        if not mask.any():
            continue
        if ring is None:
            raise LedgerError("this ledger has sealed fields: open it with its keys")
        idx = mask.arg_true()
        kid, body = tokens.filter(mask).str.split_exact(":", 1).struct.unnest()
        kids = kid.unique()
        raw = body.str.decode("base64")  # nonce ‖ ciphertext
        plain = ring.open_many(
            kids.to_list(),
            kid.cast(pl.Enum(kids)).to_physical().to_list(),
            raw.bin.head(NONCE).to_list(),
            raw.bin.slice(NONCE).to_list(),
            d["event_id"].filter(mask).cast(pl.Binary).to_list(),
        )
        if None in plain:
            lost = pl.Series(plain, dtype=pl.Binary).is_null()
            ring.unopened.update(d["employee_id"].filter(mask).filter(lost).drop_nulls())
        values = _opened_fields(plain, slot)
        blank = pl.Series(dtype=pl.Null).extend_constant(None, d.height)
        d = d.with_columns(
            # a sealed value fills its field; a clear one (or none) stays as stored
            pl.coalesce(blank.cast(d[n].dtype).scatter(idx, values[n]), d[n]).alias(n)
            for n in SEALED_COLUMNS[slot]
            if values[n].null_count() < values.height  # e.g. a page of sick days: no notes
        )
    return d


def _opened_fields(plain: list[bytes | None], slot: str) -> pl.DataFrame:
    """The opened JSON objects (None: key destroyed) as columns of the slot's fields."""
    schema = SEALED_SCHEMA[slot]
    try:
        # orjson never writes a raw newline, so the values are one NDJSON buffer
        values = pl.read_ndjson(
            io.BytesIO(b"\n".join(_filled(plain))), schema=schema
        )
        if values.height == len(plain):
            return values
    except pl.exceptions.ComputeError:
        pass
    return (
        pl.Series(plain, dtype=pl.Binary).cast(pl.String).str.json_decode(SEALED_DTYPE[slot])
    ).struct.unnest()


def _filled(plain: list[bytes | None]) -> list[bytes]:
    """``{}`` for a value whose key was destroyed; the list as it is when there is none
    (the common case: no Python per value)."""
    if None not in plain:
        return plain  # type: ignore[return-value]
    return [b"{}" if p is None else p for p in plain]


def frozen_frame(rows: list[dict[str, object]]) -> pl.DataFrame:
    """Contribution rows as stored (JSON: ISO dates and times) to ``FROZEN_ROW_SCHEMA``."""
    raw = pl.DataFrame(rows, schema={n: pl.String for n in FROZEN_ROW_SCHEMA.names()}, strict=False)
    return raw.select(
        pl.col("known_from").str.to_datetime(_TS_FORMAT, time_zone="UTC", time_unit="us"),
        "every",
        "by",
        _date("period_start"),
        _date("period_end"),
        "group",
        # rows frozen when only the sickness sums were frozen read 0 for the other parts
        *(pl.col(n).cast(t).fill_null(0) for n, t in FROZEN_ROW_SCHEMA.items() if n in COMPONENTS),
    )


def _frozen_rows(d: pl.DataFrame, head: tuple[str, ...], ring: Keyring | None) -> pl.DataFrame:
    """The contribution rows sealed into each ``statistics_frozen`` event."""
    parts = []
    for row in d.filter(pl.col("type") == "statistics_frozen").iter_rows(named=True):
        if ring is None:
            raise LedgerError("this ledger has sealed statistics: open it with its keys")
        token = row["sealed_stats"]
        content = ring.open(token, row["event_id"]) if token else None
        rows = (content or {}).get("rows", [])
        if rows:
            frame = frozen_frame(rows)
            parts.append(
                frame.with_columns(pl.lit(row[h], dtype=FROZEN_SCHEMA[h]).alias(h) for h in head)
            )
    if not parts:
        return pl.DataFrame(schema=FROZEN_SCHEMA)
    return pl.concat(parts, how="diagonal").match_to_schema(FROZEN_SCHEMA)


def _split(d: pl.DataFrame, ring: Keyring | None = None) -> Facts:
    # all lines of one import share their recorded time: parse each distinct string once
    ts = d[TIMESTAMP].struct.field(STAMP_DATA)
    distinct = ts.unique()
    parsed = distinct.str.to_datetime(_TS_FORMAT, time_zone="UTC", time_unit="us")
    d = d.with_columns(
        ts.replace_strict(distinct, parsed, return_dtype=RECORDED_AT).alias("recorded_at")
    )
    # lazily, so each frame filters only its own columns, and all of them in one go
    lazy = d.lazy()
    collected = pl.collect_all(
        [lazy.filter(rows).select(cols) for rows, cols in _SELECTIONS.values()]
    )
    frames = {
        name: df.match_to_schema(SCHEMAS[name])
        for name, df in zip(_SELECTIONS, collected, strict=True)
    }
    frozen = _frozen_rows(d, _HEAD, ring) if (d["type"] == "statistics_frozen").any() else None
    frames["frozen"] = pl.DataFrame(schema=FROZEN_SCHEMA) if frozen is None else frozen
    return Facts(**frames)


def page_size_for(rows: int) -> int:
    """``PAGE_SIZE`` rows a page; a fiftieth of a read above 2.5 M rows, up to ``LARGE_PAGE``.

    Why: a page opens its sealed values with one cipher per person in it, and the
    ring keeps only the last ``CIPHERS`` ciphers. At Oslo's size a page of 50,000 rows
    holds about a week, and most of its persons' ciphers are made anew for each page;
    in one process, pages of 150,000 made the 7.8-million-row rebuild of
    ``benchmarks.scale`` 10 % faster at the same peak. In two processes
    (``two_processes``) each holds its own pages in flight, and 150,000-row pages
    cost 0.5 GB more than 75,000 for no speed (27.4–27.8 s against 27.0–27.1 s;
    50,000: 27.7 s, 0.15 GB less again). A smaller ledger keeps 50,000: at 780,000
    rows, pages of 150,000 raised the peak from 0.66 to 1.05 GB and bought nothing.
    """
    return min(LARGE_PAGE, max(PAGE_SIZE, rows // 50))


def read_facts(
    store: RowSource,
    after: int = 0,
    *,
    upto: int | None = None,
    page_size: int | None = None,
) -> tuple[Facts, int]:
    """Read and decode every row with ``after < position <= upto``.

    Reading (Python, SQLite/psycopg) and decoding (polars, GIL released) overlap:
    the main thread reads page n+1 while a worker decodes page n. Returns the
    facts and the last position read (``after`` when nothing was read). Pages
    of ``page_size`` rows, by default ``page_size_for`` the rows to read.
    """
    reading = Reading(after)
    facts = concat(list(read_parts(store, reading, upto=upto, page_size=page_size)))
    return forget_delta(facts, facts)[0], reading.last


@dataclass
class Reading:
    """Where ``read_parts`` has got to: the last position read."""

    last: int


def read_parts(
    store: RowSource,
    reading: Reading,
    *,
    upto: int | None = None,
    page_size: int | None = None,
) -> Iterator[Facts]:
    """The facts of the rows after ``reading.last``, one page at a time, in position order.

    What ``read_facts`` joins; a reader that sends its pages on (the child of
    ``two_processes``) holds one at a time. Erasures are not applied here:
    across pages, they are the caller's (``forget_delta``). Raises ``KeyProblem``
    after the last page when a value's key is missing without an erasure.
    """
    after = last = reading.last
    head = store.max_position()
    if page_size is None:
        page_size = page_size_for(min(head, upto or head) - after)
    if min(head, upto or head) - after > page_size:
        # A long read loads every key in one query. Keys commit with the events they
        # seal, so every row up to ``head`` finds its key; rows written since are
        # looked up page by page, as a short catch-up does for all its rows.
        ring, complete = Keyring.load(store), head
        ring.keep_ciphers(len(ring.rows))
    else:
        ring, complete = Keyring.load(store, []), after  # the ledger key; persons' keys below
    ring.source = None  # the decoding thread must not use the store's connection
    pending: deque[tuple[int, int, Future[Facts | None]]] = deque()

    def decoded(first: int, last: int, future: Future[Facts | None]) -> Facts:
        facts = future.result()
        if facts is None:  # a blob that did not split into its rows: read them one by one
            facts = decode_rows(store.read_rows(first - 1, last - first + 1), ring)
        return facts

    # a long read takes pages as blobs (``read_page``): no Python object per row
    blobs = min(head, upto or head) - after > BLOB_READS_FROM
    with ThreadPoolExecutor(max_workers=DECODERS) as pool:
        while upto is None or last < upto:
            limit = page_size if upto is None else min(page_size, upto - last)
            first = last + 1
            page = store.read_page(last, limit) if blobs else None
            job: Future[Facts | None]
            if page is not None:
                last, blob = page
                if not blob:
                    break
                # fewer than asked: the end, unless a gap in the positions (rows next)
                n = last - first + 1 if last >= head else limit
                if last > complete:
                    ring.fetch_for(store, blob)
                job = pool.submit(decode_page, first, last, blob, ring)
            else:
                rows = store.read_rows(last, limit)
                if not rows:
                    break
                n, last = len(rows), int(rows[-1][0])
                if last > complete:
                    ring.fetch_for(store, b"\n".join(bytes(r[1]) for r in rows))
                job = pool.submit(decode_rows, rows, ring)
            pending.append((first, last, job))
            reading.last = last
            # Opening sealed fields makes decoding slower than reading: without this
            # back-pressure every raw page would wait in memory at once.
            while len(pending) > READ_AHEAD:
                yield decoded(*pending.popleft())
            if n < limit:
                break
        while pending:
            yield decoded(*pending.popleft())
    if ring.unopened:
        lost = ring.unopened - {person_of(o) for o in store.erased_employees()}
        if lost:
            raise KeyProblem(
                f"sealed fields of {', '.join(sorted(lost)[:5])} cannot be opened: their key "
                "is missing from ledger_person_keys but they were never erased. Restore that "
                "table from a backup (docs/operations.md); nothing was read"
            )


def read_hms(store: RowSource) -> pl.DataFrame:
    """Every HMS fact of the ledger (reports and closings), and nothing else read.

    An erasure needs the deviations naming the person; the database picks
    their rows by topic, so this costs a scan, not opening the whole ledger.
    """
    from ledger.storage.wire import event_topics  # loads the library: writers only

    types = _FRAMES["hms"].types
    rows = store.read_rows_of([t for typ, t in event_topics().items() if typ in types])
    ring = Keyring.load(store, [])
    if rows:
        ring.fetch_for(store, b"\n".join(bytes(s) for _, s in rows))
    return decode_rows(rows, ring).hms


def forget_delta(facts: Facts, delta: Facts) -> tuple[Facts, set[str]]:
    """``facts`` after the erasures and shreddings in ``delta``, and the tables changed.

    Also on a fresh read: a long read can open a person's sick days on one page
    while `hrledger erase` commits before a later page; without this, they
    would count beside their frozen share, and land in a stored projection.
    """
    changed: set[str] = set()
    if delta.erasure.height:
        facts, changed = forget(facts, delta.erasure["employee_id"].unique().to_list())
    if delta.shredding.height:
        facts, more = forget_kinds(facts, delta.shredding)
        changed |= more
    return facts, changed


def forget_kinds(facts: Facts, shredding: pl.DataFrame) -> tuple[Facts, set[str]]:
    """The facts without the kinds of field retention shredded (``shredding`` rows).

    health: sick days and welfare reasons; free_text: reasons of retractions of
    the person's events; pay: salaries; birth_date: birth dates. The KPIs leave
    the person out anyway (their frozen share counts instead).
    """
    changed: set[str] = set()
    frames = facts.frames()

    def who(kind: str) -> pl.Expr:
        ids = shredding.filter(pl.col("field_kind") == kind)["employee_id"].unique()
        return pl.col("employee_id").is_in(ids.implode())

    def null(frame: str, column: str, rows: pl.Expr) -> None:
        df = frames[frame]
        if df.select((rows & pl.col(column).is_not_null()).any()).item():
            frames[frame] = df.with_columns(
                pl.when(rows).then(None).otherwise(pl.col(column)).alias(column)
            )
            changed.add(frame)

    if facts.sick.select(who("health").any()).item():
        frames["sick"] = facts.sick.filter(~who("health"))
        changed.add("sick")
    null("leave", "welfare_reason", who("health"))
    null("employment", "annual_salary", who("pay"))
    null("employment", "birth_date", who("birth_date"))
    own = pl.concat(
        [
            df.filter(who("free_text"))["event_id"]
            for df in (facts.employment, facts.sick, facts.leave)
        ]
    )
    null("retraction", "reason", pl.col("target_event_id").is_in(own.implode()))
    return Facts(**frames), changed


def forget(facts: Facts, employee_ids: Sequence[str]) -> tuple[Facts, set[str]]:
    """The facts as a rebuild after these persons' erasure reads them, and the tables changed.

    What their destroyed key sealed (``ledger.security.sealing``) leaves: their
    sick days (no date is left) and the reasons of retractions in their stream.
    What would still single them out leaves too, although the ledger key could
    open it: their leaves go, and their employments stay (a roster of a past
    day still lists them) without birth date and pay, with unit and job title
    masked (``ERASED``). The KPIs leave them out altogether and count them only
    through the frozen share, which arrives with the erasure's own events.
    """
    gone = pl.Series(employee_ids, dtype=pl.String).implode()
    changed: set[str] = set()
    mine = pl.col("employee_id").is_in(gone)
    own_ids = pl.concat(
        [df.filter(mine)["event_id"] for df in (facts.employment, facts.sick, facts.leave)]
    ).implode()
    sick = facts.sick
    if sick.select(mine.any()).item():
        sick = sick.filter(~mine)
        changed.add("sick")
    leave = facts.leave
    if leave.select(mine.any()).item():
        leave = leave.filter(~mine)
        changed.add("leave")
    employment = facts.employment
    identifying = pl.any_horizontal(
        pl.col("birth_date").is_not_null(),
        pl.col("annual_salary").is_not_null(),
        pl.col("unit").is_not_null() & (pl.col("unit") != ERASED),
        pl.col("job_title").is_not_null() & (pl.col("job_title") != ERASED),
    )
    if employment.select((mine & identifying).any()).item():
        employment = employment.with_columns(
            pl.when(mine).then(None).otherwise(pl.col("birth_date")).alias("birth_date"),
            pl.when(mine).then(None).otherwise(pl.col("annual_salary")).alias("annual_salary"),
            *(
                pl.when(mine & pl.col(c).is_not_null()).then(pl.lit(ERASED))
                .otherwise(pl.col(c)).alias(c)
                for c in ("unit", "job_title")
            ),
        )  # fmt: skip
        changed.add("employment")
    hms = facts.hms
    if hms.select(mine.any()).item():
        # the deviation stays (the register of injuries), no longer linked to the person
        hms = hms.with_columns(
            pl.when(mine).then(None).otherwise(pl.col("employee_id")).alias("employee_id")
        )
        changed.add("hms")
    retraction = facts.retraction
    theirs = pl.col("target_event_id").is_in(own_ids)
    if retraction.select((theirs & pl.col("reason").is_not_null()).any()).item():
        retraction = retraction.with_columns(
            pl.when(theirs).then(None).otherwise(pl.col("reason")).alias("reason")
        )
        changed.add("retraction")
    out = Facts(
        **{
            **facts.frames(),
            "employment": employment,
            "sick": sick,
            "leave": leave,
            "hms": hms,
            "retraction": retraction,
        }
    )
    return out, changed


def concat(parts: Iterable[Facts]) -> Facts:
    parts = list(parts)
    if not parts:
        return Facts.empty()
    if len(parts) == 1:
        return parts[0]
    return Facts(
        **{name: pl.concat([getattr(p, name) for p in parts], how="vertical") for name in SCHEMAS}
    )


def _utc(ts: datetime) -> datetime:
    if ts.tzinfo is None or ts.utcoffset() is None:
        raise ValueError(f"known_at {ts.isoformat()} has no UTC offset; give e.g. +00:00")
    return ts


def effective(facts: Facts, known_at: datetime | None = None) -> Facts:
    """The facts as known at ``known_at`` (all when None), retractions applied.

    A row counts when it was recorded at or before ``known_at``; a retraction
    recorded at or before ``known_at`` removes its target (the target "never
    happened" from then on). A retraction that is itself retracted does not
    apply (the write side refuses that today, the read side is ready for it).
    One sick day per person and date is guaranteed by the write side
    (``ledger.domain.rules.sick_leave``); for other data use ``timeline.sick_days``.
    """
    if known_at is not None:
        ts = _utc(known_at)
        # a frozen contribution counts from when its underlying facts were known; an
        # erasure or a shredding is not a fact of the past but of what can be read now:
        # it always applies
        facts = facts.map(
            lambda name, df: (
                df
                if name in ("erasure", "shredding")
                else df.filter(pl.col("known_from" if name == "frozen" else "recorded_at") <= ts)
            )
        )
    r = facts.retraction
    if r.height == 0:
        return facts
    live = r.join(r.select(pl.col("target_event_id").alias("event_id")), on="event_id", how="anti")
    targets = live.select(pl.col("target_event_id").alias("event_id")).unique()
    return facts.map(
        lambda name, df: df if name == "retraction" else df.join(targets, on="event_id", how="anti")
    )
