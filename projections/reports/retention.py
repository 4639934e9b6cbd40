"""What the retention policy says is due: per person and kind of field (a dry run).

Why on the read side: the facts already know every employment's last day
(retractions applied) and which sick days, welfare reasons, salaries and
birth dates are still readable (an erasure or an earlier `--apply` took
theirs away). The periods are policy data (``ledger.domain.policy``,
``retention``); this module only dates them. Carrying them out (`--apply`) is
``projections.facts.frozen.apply_retention``: a kind already shredded is not
listed again.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import polars as pl

from ledger.domain.policy import RetentionRule
from projections.facts.source import Facts

RETENTION_SCHEMA = pl.Schema(
    {
        "employee_id": pl.String,
        "kind": pl.String,
        "employment_ended": pl.Date,
        "due_on": pl.Date,
        "items": pl.Int64,
        "fields": pl.String,
        "source": pl.String,
    }
)

_FIELDS = {
    "health": "sick days (date, certificate, grade) and welfare reasons",
    "free_text": "notes and retraction reasons, if any (not counted: not in the projection)",
    "pay": "annual_salary of hired and salary_changed",
    "birth_date": "birth_date of hired",
}


def add_years(day: date, years: int) -> date:
    """The same day ``years`` later; 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def due_on(ended: date, rule: RetentionRule) -> date:
    start = date(ended.year, 12, 31) if rule.counted_from == "end_of_year" else ended
    return add_years(start, rule.years)


def _items(facts: Facts, erased: set[str]) -> dict[str, dict[str, int | None]]:
    """Per kind, per person, how many readable items the kind covers."""
    sick = facts.sick.group_by("employee_id").len()
    welfare = facts.leave.filter(pl.col("welfare_reason").is_not_null())
    health: dict[str, int | None] = {}
    for frame in (sick, welfare.group_by("employee_id").len()):
        for eid, n in frame.iter_rows():
            if eid not in erased:
                health[eid] = (health.get(eid) or 0) + n
    employment = facts.employment
    pay = employment.filter(pl.col("annual_salary").is_not_null()).group_by("employee_id").len()
    births = (
        employment.filter(pl.col("birth_date").is_not_null())
        .group_by("employee_id")
        .agg(pl.col("birth_date").n_unique().cast(pl.Int64))
    )
    return {
        "health": health,
        "pay": dict(pay.iter_rows()),
        "birth_date": dict(births.iter_rows()),
    }


def retention_due(
    facts: Facts,
    intervals: pl.DataFrame,
    rules: Mapping[str, RetentionRule],
    on: date,
) -> pl.DataFrame:
    """One row per person and kind of field whose retention period has run out by ``on``.

    Only persons whose every employment has ended count (an open employment
    keeps everything); the period runs from the last one's last day.
    ``facts``: effective facts (retractions applied); ``intervals``: their
    employment intervals (``employment_intervals``).
    """
    ended = (
        intervals.group_by("employee_id")
        .agg(
            pl.col("end_date").is_null().any().alias("_open"),
            pl.col("end_date").max().alias("employment_ended"),
        )
        .filter(~pl.col("_open") & (pl.col("employment_ended") < on))
        .sort("employee_id")
    )
    erased = set(facts.erasure["employee_id"].to_list())
    done = set(facts.shredding.select("employee_id", "field_kind").iter_rows())
    items = _items(facts, erased)
    rows = []
    for eid, last in ended.select("employee_id", "employment_ended").iter_rows():
        for kind, rule in rules.items():
            when = due_on(last, rule)
            if when > on or (eid, kind) in done:
                continue
            if kind == "free_text":
                if eid in erased:
                    continue  # destroyed with the person's key
                count = None
            else:
                count = items[kind].get(eid)
                if not count:
                    continue
            rows.append((eid, kind, last, when, count, _FIELDS[kind], rule.source))
    return pl.DataFrame(rows, schema=RETENTION_SCHEMA, orient="row")
