"""An erased person's share of the sickness KPIs, frozen before their key is destroyed.

Why: sickness rates are sums over persons' sick days, and an erased
person's sick days become unreadable. Published figures for past periods
must not move, so `hrledger erase` first computes the person's contribution
to the lost work-days and sickness occurrences of every calendar month,
quarter and year, per `--by` grouping, and stores it (sealed with the
ledger key, without the employee id) in a ``statistics_frozen`` event.
Agreed work-days need no freezing: they come from employment facts, which
stay readable.

The contribution is stored as changes at each moment the person's facts
changed (``known_from``), so ``--known-at`` before the erasure still sees
the person's sick days as they were known then.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import polars as pl

from ledger.domain.streams import person_stream, stream_uuid
from ledger.security.keys import Keyring
from ledger.services.erasure import ErasureResult, erase, erasure_check
from ledger.services.recording import Ledger
from projections.facts.schema import FROZEN_ROW_SCHEMA, LOST_COLUMNS, OCCURRENCE_COLUMNS
from projections.facts.source import Facts, decode_rows, effective
from projections.kpi.context import KEYS, build_context
from projections.periods import BY_CHOICES, EVERY_CHOICES, Every

EVERY: tuple[Every, ...] = EVERY_CHOICES
BY: tuple[str | None, ...] = (None, *BY_CHOICES)
LOST = LOST_COLUMNS
OCCURRENCES = OCCURRENCE_COLUMNS
VALUES = (*LOST, *OCCURRENCES)
IDENTITY = ("every", "by", "period_start", "period_end", "group")


def erase_person(
    ledger: Ledger, employee_id: str, reason: str, *, recorded_by: str | None = None
) -> ErasureResult:
    """`hrledger erase`: check, freeze the person's KPI share, destroy their key."""
    state = erasure_check(ledger, employee_id, ledger.clock().date())
    uid = stream_uuid(person_stream(employee_id))
    rows = ledger.store.stream_rows({uid: 0}).get(uid, [])
    facts = decode_rows(rows, Keyring.load(ledger.store, [employee_id]))
    frozen = frozen_rows(facts, employee_id)
    return erase(ledger, employee_id, reason, frozen, state=state, recorded_by=recorded_by)


def person_facts(facts: Facts, employee_id: str) -> Facts:
    """Only this person's facts (and the retractions of them)."""
    own = facts.map(
        lambda name, df: (
            df.filter(pl.col("employee_id") == employee_id)
            if name in ("employment", "sick", "leave")
            else df.clear()
        )
    )
    ids = pl.concat([own.employment["event_id"], own.sick["event_id"], own.leave["event_id"]])
    return Facts(
        **{
            **own.frames(),
            "retraction": facts.retraction.filter(pl.col("target_event_id").is_in(ids.implode())),
        }
    )


def contribution(facts: Facts) -> pl.DataFrame:
    """The person's sickness sums per (every, by, calendar period, group), all ≠ 0."""
    from projections.kpi.sickness import agreed_and_lost, duration_bands

    if facts.sick.height == 0:
        return pl.DataFrame(schema={**_identity_schema(), **_value_schema()})
    years = facts.sick["date"]
    start = date(_year(years.min()), 1, 1)
    end = date(_year(years.max()), 12, 31)
    parts = []
    for every in EVERY:
        for by in BY:
            ctx = build_context(facts, start, end, every, by)
            part = (
                agreed_and_lost(ctx)
                .select(*KEYS, *LOST)
                .join(duration_bands(ctx), on=KEYS, how="full", coalesce=True, nulls_equal=True)
                .join(ctx.per, on="period")
                .select(
                    pl.lit(every).alias("every"),
                    pl.lit(by or "").alias("by"),
                    "period_start",
                    "period_end",
                    pl.col("_g").cast(pl.String).alias("group"),
                    *(pl.col(n).fill_null(0) for n in VALUES),
                )
            )
            parts.append(_cast(part))
    return _nonzero(pl.concat(parts))


def frozen_rows(all_facts: Facts, employee_id: str) -> list[dict[str, Any]]:
    """The rows to seal into the erasure's ``statistics_frozen`` event (JSON-ready)."""
    facts = person_facts(all_facts, employee_id)
    moments = sorted(
        {
            t
            for df in (facts.employment, facts.sick, facts.leave, facts.retraction)
            for t in df["recorded_at"].unique().to_list()
        }
    )
    before = contribution(Facts.empty())
    changes = []
    for moment in moments:
        now = contribution(effective(facts, moment))
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
