"""Explaining a change: what was recorded between two moments, and what it moved.

An auditor holds a report published at T1 and today's report (T2) for the
same period, and the numbers differ. ``diff`` answers why: the events
*recorded* in (T1, T2] whose *valid* dates touch the period — added, or
retracted (with who recorded the retraction and why) — and the KPI deltas
they caused, KPI as known at T2 minus KPI as known at T1, column by column.

Which events touch a period [start, end] (valid-time axis):

- a sick day or an HMS deviation: its date lies in the period;
- a leave: its [start_date, end_date] overlaps the period;
- a hire, position change, transfer, salary change, termination or closed
  deviation: its effective date is on or before the period's end, because
  the state it sets lasts (a salary settlement decided in June with effect
  from 1 May changes May's pay figures, and every later month's);
- a retraction: when the event it retracts touches the period.

The functions below are pure (events as ``ledger.services.interchange.iter_events``
yields them, KPI and roster frames as ``projections.api`` returns them);
``diff_report`` wires them to a ledger URL.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import polars as pl

from ledger.domain.catalogue import detail_fields

LASTING = frozenset(
    {"hired", "position_changed", "transferred", "salary_changed", "terminated",
     "hms_deviation_closed"}
)  # fmt: skip
"""Event types whose effect lasts from their effective date on."""

PERIOD_KEYS = ("period_start", "period_end")

if TYPE_CHECKING:
    from ledger.services.settings import Settings


@dataclass(frozen=True)
class Change:
    """One recorded event that changed the picture of the period between T1 and T2."""

    position: int
    """Ledger position of the recording event (the retraction, for a retraction)."""
    recorded_at: str
    recorded_by: str | None
    change: str
    """``added`` or ``retracted``."""
    type: str
    """Type of the fact added or retracted."""
    event_id: str
    """Id of the fact added or retracted."""
    employee_id: str | None
    valid: str
    """The fact's valid date or ``start..end``."""
    why: str | None
    """The note of an added fact; the reason of a retraction."""
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AuditDiff:
    known_at_1: datetime
    known_at_2: datetime
    start: date
    end: date
    changes: list[Change]
    kpi_deltas: pl.DataFrame
    roster_changes: pl.DataFrame | None = None
    """Only for a single day (``--on``): employments added, removed or changed."""


_DETAIL_FIELDS = detail_fields("all")
"""Per type, the fields listed as details (``Field.detail`` in the catalogue)."""


def _day(text: Any) -> date:
    return date.fromisoformat(str(text))


def valid_span(ev: dict[str, Any]) -> tuple[date, date | None]:
    """The stretch of valid time an event affects; None as end: from then on."""
    if "start_date" in ev and ev.get("start_date") is not None:
        return _day(ev["start_date"]), _day(ev["end_date"])
    day = _day(ev["effective_date"])
    return day, (None if ev["type"] in LASTING else day)


def touches(ev: dict[str, Any], start: date, end: date) -> bool:
    """Does the fact ``ev`` (not a retraction) bear on the period [start, end]?"""
    try:
        lo, hi = valid_span(ev)
    except (KeyError, ValueError):
        return False  # an erasure, or a fact whose date was erased with its key
    return lo <= end and (hi is None or hi >= start)


def valid_text(ev: dict[str, Any]) -> str:
    lo, hi = valid_span(ev)
    if "start_date" in ev and ev.get("start_date") is not None:
        return f"{lo}..{hi}"
    return f"{lo}" if hi is not None else f"{lo}→"


def _recorded(ev: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(str(ev["recorded_at"]))


def changes_between(
    events: Iterable[dict[str, Any]],
    known_at_1: datetime,
    known_at_2: datetime,
    start: date,
    end: date,
) -> list[Change]:
    """Events recorded in (known_at_1, known_at_2] that touch [start, end], in ledger order.

    ``events`` in position order, as exported (``recorded_at``, ``ledger_position``).
    """
    facts: dict[str, dict[str, Any]] = {}
    out: list[Change] = []
    for ev in events:
        if ev["type"] != "retracted":
            facts[str(ev["event_id"])] = ev
        recorded = _recorded(ev)
        if not known_at_1 < recorded <= known_at_2:
            continue
        if ev["type"] == "retracted":
            target = facts.get(str(ev["target_event_id"]))
            if target is None or not touches(target, start, end):
                continue
            out.append(_change(ev, target, "retracted", ev.get("reason")))
        elif touches(ev, start, end):
            out.append(_change(ev, ev, "added", ev.get("note")))
    return out


def _change(ev: dict[str, Any], fact: dict[str, Any], what: str, why: Any) -> Change:
    return Change(
        position=int(ev["ledger_position"]),
        recorded_at=str(ev["recorded_at"]),
        recorded_by=ev.get("recorded_by"),
        change=what,
        type=str(fact["type"]),
        event_id=str(fact["event_id"]),
        employee_id=fact.get("employee_id"),
        valid=valid_text(fact),
        why=None if why is None else str(why),
        details={
            k: fact[k] for k in _DETAIL_FIELDS.get(fact["type"], ()) if fact.get(k) is not None
        },
    )


def kpi_deltas(before: pl.DataFrame, after: pl.DataFrame, by: str | None = None) -> pl.DataFrame:
    """KPIs that differ: one row per period (and group) and KPI column.

    Columns: ``period_start``, ``period_end``, [the ``by`` column], ``kpi``,
    ``at_t1``, ``at_t2``, ``change`` (at_t2 − at_t1; null when either is null).
    Unrounded; a KPI whose value is the same at both moments is left out.
    """
    keys = [*PERIOD_KEYS, *([by] if by else [])]
    numeric = [
        c for c, t in after.schema.items()
        if c not in keys and c in before.columns
        and (t.is_numeric() or before.schema[c].is_numeric())
    ]  # fmt: skip

    def long(df: pl.DataFrame, name: str) -> pl.DataFrame:
        return df.select(*keys, *[pl.col(c).cast(pl.Float64) for c in numeric]).unpivot(
            index=keys, on=numeric, variable_name="kpi", value_name=name
        )

    joined = long(before, "at_t1").join(
        long(after, "at_t2"), on=[*keys, "kpi"], how="full", coalesce=True, nulls_equal=True
    )
    order = {c: i for i, c in enumerate(numeric)}
    return (
        joined.filter(pl.col("at_t1").ne_missing(pl.col("at_t2")))
        .with_columns((pl.col("at_t2") - pl.col("at_t1")).alias("change"))
        .with_columns(pl.col("kpi").replace_strict(order, return_dtype=pl.Int32).alias("_o"))
        .sort([*keys, "_o"], nulls_last=True)
        .drop("_o")
        .select(*keys, "kpi", "at_t1", "at_t2", "change")
    )


def roster_changes(before: pl.DataFrame, after: pl.DataFrame) -> pl.DataFrame:
    """Employments on the roster only at T1 (removed), only at T2 (added), or different.

    Columns: ``employment_id``, ``employee_id``, ``change``, ``detail``
    (``column: at_t1 → at_t2`` for a changed employment).
    """
    key = "employment_id"
    b = {r[key]: r for r in before.to_dicts()}
    a = {r[key]: r for r in after.to_dicts()}
    rows: list[dict[str, Any]] = []
    for emp in sorted(set(a) | set(b)):
        if emp not in b:
            rows.append({key: emp, "employee_id": a[emp]["employee_id"], "change": "added",
                         "detail": ""})  # fmt: skip
        elif emp not in a:
            rows.append({key: emp, "employee_id": b[emp]["employee_id"], "change": "removed",
                         "detail": ""})  # fmt: skip
        else:
            diffs = [
                f"{c}: {b[emp][c]} → {a[emp][c]}" for c in a[emp] if b[emp].get(c) != a[emp][c]
            ]
            if diffs:
                rows.append({key: emp, "employee_id": a[emp]["employee_id"],
                             "change": "changed", "detail": "; ".join(diffs)})  # fmt: skip
    return pl.DataFrame(
        rows,
        schema={key: pl.String, "employee_id": pl.String, "change": pl.String,
                "detail": pl.String},
    )  # fmt: skip


def diff_report(
    url: str | Settings | None,
    known_at_1: datetime,
    known_at_2: datetime,
    start: date,
    end: date,
    every: str = "month",
    by: str | None = None,
    on: date | None = None,
) -> AuditDiff:
    """Open the ledger at ``url`` (or the one the settings name) and explain what changed
    for [start, end] from T1 to T2."""
    from ledger.services.interchange import iter_events
    from ledger.services.settings import Settings
    from projections.api import open_projection

    settings = url if isinstance(url, Settings) else Settings.from_environment(url=url)
    store = settings.open_store(create=False)
    try:
        changes = changes_between(iter_events(store), known_at_1, known_at_2, start, end)
    finally:
        store.close()
    with open_projection(settings=settings) as p:
        k1 = p.kpi(start, end, every, by=by, known_at=known_at_1)  # type: ignore[arg-type]
        k2 = p.kpi(start, end, every, by=by, known_at=known_at_2)  # type: ignore[arg-type]
        roster = None
        if on is not None:
            roster = roster_changes(p.roster(on, known_at_1), p.roster(on, known_at_2))
    return AuditDiff(known_at_1, known_at_2, start, end, changes, kpi_deltas(k1, k2, by), roster)


def format_diff(d: AuditDiff, decimals: int = 2) -> str:
    """The human-readable report of ``hrledger diff``."""
    span = f"{d.start}" if d.start == d.end else f"{d.start}..{d.end}"
    t1, t2 = d.known_at_1.isoformat(), d.known_at_2.isoformat()
    lines = [
        f"What changed for {span} between T1 = {t1} and T2 = {t2}",
        "",
        f"Recorded after T1 and by T2, touching {span}: {len(d.changes)} event(s)",
    ]
    if d.changes:
        lines.append(
            f"{'pos':>6}  {'recorded at (UTC)':<26} {'by':<12} {'change':<10} {'type':<16} "
            f"{'valid':<22} {'employee':<9} details"
        )
    for c in d.changes:
        details = " ".join(f"{k}={v}" for k, v in c.details.items())
        lines.append(
            f"{c.position:>6}  {c.recorded_at[:26]:<26} {(c.recorded_by or '-'):<12} "
            f"{c.change:<10} {c.type:<16} {c.valid:<22} {(c.employee_id or '-'):<9} "
            f"{details}  [{c.event_id}]"
        )
        if c.why:
            label = "reason" if c.change == "retracted" else "note"
            lines.append(f"{'':>6}  ↳ {label}: {c.why}")
    lines += ["", "KPI changes (value known at T2 minus value known at T1):"]
    if d.kpi_deltas.height == 0:
        lines.append("  none: every KPI of the period is the same at T1 and T2")
    else:
        extra = [c for c in d.kpi_deltas.columns if c not in (*PERIOD_KEYS, "kpi", "at_t1",
                                                                "at_t2", "change")]  # fmt: skip
        head = f"  {'period':<23} " + "".join(f"{c:<12} " for c in extra)
        lines.append(head + f"{'kpi':<27} {'at T1':>12} {'at T2':>12} {'change':>12}")
        for r in d.kpi_deltas.iter_rows(named=True):
            period = f"{r['period_start']}..{r['period_end']}"
            groups = "".join(f"{r[c]!s:<12} " for c in extra)
            lines.append(
                f"  {period:<23} {groups}{r['kpi']:<27} {_num(r['at_t1'], decimals):>12} "
                f"{_num(r['at_t2'], decimals):>12} {_num(r['change'], decimals, sign=True):>12}"
            )
    if d.roster_changes is not None:
        lines += ["", f"Roster on {d.start}: employments that differ between T1 and T2"]
        if d.roster_changes.height == 0:
            lines.append("  none")
        for r in d.roster_changes.iter_rows(named=True):
            lines.append(
                f"  {r['employment_id']:<10} {r['employee_id']:<9} {r['change']:<8} {r['detail']}"
            )
    return "\n".join(lines) + "\n"


def _num(x: float | None, decimals: int, sign: bool = False) -> str:
    if x is None:
        return "-"
    text = f"{x:+.{decimals}f}" if sign else f"{x:.{decimals}f}"
    return text.removesuffix("." + "0" * decimals) if decimals else text


def diff_json(d: AuditDiff) -> dict[str, Any]:
    """``hrledger diff --format json``: unrounded, for tools."""
    return {
        "known_at_1": d.known_at_1.isoformat(),
        "known_at_2": d.known_at_2.isoformat(),
        "from": d.start.isoformat(),
        "to": d.end.isoformat(),
        "changes": [c.__dict__ for c in d.changes],
        "kpi_deltas": d.kpi_deltas.with_columns(pl.col(pl.Date).cast(pl.String)).to_dicts(),
        "roster_changes": None if d.roster_changes is None else d.roster_changes.to_dicts(),
    }


def require_two(known_at: Sequence[datetime] | None) -> tuple[datetime, datetime]:
    """Exactly two moments, the earlier first."""
    from ledger.domain.errors import LedgerError

    if not known_at or len(known_at) != 2:
        raise LedgerError(
            "diff needs two moments: --known-at T1 --known-at T2 (e.g. when a report "
            "was published, and now)"
        )
    t1, t2 = known_at
    if t2 < t1:
        raise LedgerError(f"--known-at {t2.isoformat()} is before {t1.isoformat()}: give T1 first")
    return t1, t2
