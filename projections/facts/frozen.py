"""A removed person's share of every KPI, frozen before their facts leave the read side.

Why: once a person is erased (or retention shreds their pay or birth date),
their birth date, pay, unit and position must no longer be readable, so the
read side leaves them out of the KPIs altogether: their employments, sick
days and leaves no longer count. Published figures for past periods must
not move, so `hrledger erase` first computes the person's contribution to
every additive KPI component (``schema.COMPONENTS``: headcount, FTE, sums of
ages and salaries, agreed and lost work-days, hires, …) of every calendar
month, quarter and year, per `--by` grouping, and stores it (sealed with the
ledger key, without the employee id) in a ``statistics_frozen`` event. The
KPI code adds these sums before it forms ratios and means
(``projections.kpi.ratios``).

The contribution is stored as changes at each moment the person's facts
changed (``known_from``), so ``--known-at`` before the erasure still sees
the person as they were known then.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import polars as pl

from ledger.domain.streams import person_stream, stream_uuid
from ledger.security.keys import Keyring
from ledger.services.erasure import ErasureResult, erase, erasure_check
from ledger.services.recording import Ledger
from ledger.services.shredding import ShredResult, shred
from projections.facts.schema import COMPONENTS, FROZEN_ROW_SCHEMA, HMS_COUNTS
from projections.facts.source import Facts, decode_rows, effective, read_hms
from projections.facts.timeline import employment_intervals
from projections.kpi.context import KEYS, build_context
from projections.periods import BY_CHOICES, EVERY_CHOICES, Every

EVERY: tuple[Every, ...] = EVERY_CHOICES
BY: tuple[str | None, ...] = (None, *BY_CHOICES)
VALUES = tuple(COMPONENTS)
IDENTITY = ("every", "by", "period_start", "period_end", "group")


def erase_person(
    ledger: Ledger, employee_id: str, reason: str, *, recorded_by: str | None = None
) -> ErasureResult:
    """`hrledger erase`: check, freeze the person's KPI share, destroy their key."""
    state = erasure_check(ledger, employee_id, ledger.clock().date())
    facts = own_facts(ledger, employee_id, read_hms(ledger.store))
    frozen = frozen_rows(facts, employee_id, ledger.clock().date())
    return erase(ledger, employee_id, reason, frozen, state=state, recorded_by=recorded_by)


def apply_retention(
    ledger: Ledger, due: pl.DataFrame, removed: Sequence[str], *, recorded_by: str | None = None
) -> list[ShredResult]:
    """`hrledger retention --apply`: per person, freeze their KPI share (the first time),
    record what is shredded and destroy those keys, one transaction per person.

    ``due``: ``projections.reports.retention.retention_due``; ``removed``:
    persons whose share is frozen already (``Facts.removed``).
    """
    results = []
    today = ledger.clock().date()
    hms = read_hms(ledger.store) if due.height else None
    for (employee_id,), rows in due.group_by("employee_id", maintain_order=True):
        assert isinstance(employee_id, str)
        kinds = dict(zip(rows["kind"].to_list(), rows["source"].to_list(), strict=True))
        frozen = None
        if employee_id not in removed:
            assert hms is not None
            frozen = frozen_rows(own_facts(ledger, employee_id, hms), employee_id, today)
        result = shred(ledger, employee_id, kinds, frozen, recorded_by=recorded_by)
        if result is not None:
            results.append(result)
    return results


def own_facts(ledger: Ledger, employee_id: str, hms: pl.DataFrame) -> Facts:
    """The person's stream, opened, and the HMS deviations (of ``hms``: every one in the
    ledger) that name them: their group in `--by gender`/`age_band` is the person's."""
    uid = stream_uuid(person_stream(employee_id))
    rows = ledger.store.stream_rows({uid: 0}).get(uid, [])
    facts = decode_rows(rows, Keyring.load(ledger.store, [employee_id]))
    return Facts(**{**facts.frames(), "hms": naming(hms, employee_id)})


def naming(hms: pl.DataFrame, employee_id: str) -> pl.DataFrame:
    """Every row (reports and closings) of the deviations whose report names the person."""
    ids = hms.filter((pl.col("type") == "hms_deviation") & (pl.col("employee_id") == employee_id))
    return hms.filter(pl.col("deviation_id").is_in(ids["deviation_id"].implode()))


def person_facts(facts: Facts, employee_id: str) -> Facts:
    """Only this person's facts, the deviations naming them, and the retractions of them."""
    own = facts.map(
        lambda name, df: (
            df.filter(pl.col("employee_id") == employee_id)
            if name in ("employment", "sick", "leave")
            else naming(df, employee_id)
            if name == "hms"
            else df.clear()
        )
    )
    ids = pl.concat(
        [own.employment["event_id"], own.sick["event_id"], own.leave["event_id"],
         own.hms["event_id"]]
    )  # fmt: skip
    return Facts(
        **{
            **own.frames(),
            "retraction": facts.retraction.filter(pl.col("target_event_id").is_in(ids.implode())),
        }
    )


def span(facts: Facts, until: date) -> tuple[date, date] | None:
    """The calendar years the person's facts can reach: from the first to the last,
    or to ``until``'s year while an employment is open (at an earlier ``known_from``
    it counts up to then). Nothing of theirs lies outside: the share is 0 there."""
    dates = [
        d
        for df, cols in (
            (facts.employment, ("effective_date",)),
            (facts.sick, ("date",)),
            (facts.leave, ("start_date", "end_date")),
            (facts.hms, ("date",)),
        )
        for c in cols
        for d in (df[c].min(), df[c].max())
        if isinstance(d, date)
    ]
    if not dates:
        return None
    ivs = employment_intervals(facts.employment) if facts.employment.height else None
    last = max(*dates, until) if ivs is not None and ivs["end_date"].is_null().any() else max(dates)
    return date(min(dates).year, 1, 1), date(last.year, 12, 31)


def contribution(facts: Facts, years: tuple[date, date] | None) -> pl.DataFrame:
    """The person's KPI components per (every, by, calendar period, group), all ≠ 0."""
    from projections.kpi import kpi_components
    from projections.kpi.hms import hms

    if years is None or facts.employment.height + facts.sick.height + facts.leave.height == 0:
        return pl.DataFrame(schema={**_identity_schema(), **_value_schema()})
    start, end = years
    parts = []
    for every in EVERY:
        for by in BY:
            ctx = build_context(facts, start, end, every, by)
            own = kpi_components(ctx)
            if facts.hms.height and by in ("gender", "age_band"):
                # the deviations naming the person stay, counted under no person: only the
                # move from that group to the person's is their share
                bare = build_context(facts, start, end, every, by, ctx.intervals.clear())
                own = _minus(own, hms(bare).with_columns(pl.col("_g").cast(pl.String)))
            elif facts.hms.height:
                own = own.with_columns(pl.lit(0, dtype=pl.Int64).alias(c) for c in HMS_COUNTS)
            part = own.join(ctx.per, on="period").select(
                pl.lit(every).alias("every"),
                pl.lit(by or "").alias("by"),
                "period_start",
                "period_end",
                pl.col("_g").cast(pl.String).alias("group"),
                *(pl.col(n).fill_null(0) for n in VALUES),
            )
            parts.append(_cast(part))
    return _nonzero(pl.concat(parts))


def frozen_rows(all_facts: Facts, employee_id: str, until: date) -> list[dict[str, Any]]:
    """The rows to seal into the erasure's ``statistics_frozen`` event (JSON-ready).

    ``until``: the day of the erasure; periods up to the end of its year are frozen.
    """
    facts = person_facts(all_facts, employee_id)
    moments = sorted(
        {
            t
            for df in (facts.employment, facts.sick, facts.leave, facts.hms, facts.retraction)
            for t in df["recorded_at"].unique().to_list()
        }
    )
    before = contribution(Facts.empty(), None)
    changes = []
    for moment in moments:
        known = effective(facts, moment)
        now = contribution(known, span(known, until))
        changes.append(_delta(now, before).with_columns(pl.lit(moment).alias("known_from")))
        before = now
    if not changes:
        return []
    out = pl.concat(changes).select(FROZEN_ROW_SCHEMA.names())
    return [
        {
            **r,
            "known_from": _iso(r["known_from"]),
            "period_start": r["period_start"].isoformat(),
            "period_end": r["period_end"].isoformat(),
        }
        for r in out.iter_rows(named=True)
    ]


# ----------------------------------------------------------------- helpers
def _year(d: object) -> int:
    assert isinstance(d, date)
    return d.year


def _iso(ts: object) -> str:
    assert isinstance(ts, datetime)
    return ts.isoformat()


def _identity_schema() -> dict[str, pl.DataType]:
    return {n: FROZEN_ROW_SCHEMA[n] for n in IDENTITY}


def _value_schema() -> dict[str, pl.DataType]:
    return {n: FROZEN_ROW_SCHEMA[n] for n in VALUES}


def _cast(df: pl.DataFrame) -> pl.DataFrame:
    return df.select(
        pl.col(n).cast(t) for n, t in {**_identity_schema(), **_value_schema()}.items()
    )


def _nonzero(df: pl.DataFrame) -> pl.DataFrame:
    return df.filter(pl.any_horizontal(pl.col(n) != 0 for n in VALUES))


def _minus(own: pl.DataFrame, bare: pl.DataFrame) -> pl.DataFrame:
    """``own`` with ``bare``'s HMS counts taken off (groups of ``bare`` alone come in)."""
    j = own.join(bare, on=KEYS, how="full", coalesce=True, nulls_equal=True, suffix="_bare")
    return j.select(
        *KEYS,
        *(
            (pl.col(c).fill_null(0) - pl.col(f"{c}_bare").fill_null(0)).alias(c)
            if c in HMS_COUNTS
            else pl.col(c).fill_null(0)
            for c in COMPONENTS
        ),
    )


def _delta(now: pl.DataFrame, before: pl.DataFrame) -> pl.DataFrame:
    j = now.join(
        before, on=list(IDENTITY), how="full", coalesce=True, nulls_equal=True, suffix="_b"
    )
    return _nonzero(
        j.select(
            *IDENTITY,
            *((pl.col(n).fill_null(0) - pl.col(f"{n}_b").fill_null(0)).alias(n) for n in VALUES),
        )
    )
