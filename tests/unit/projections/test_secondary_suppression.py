"""Secondary suppression: tables written by hand where small-cell suppression alone leaks a
cell, and the published table after `suppress_complementary` does not."""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl
import pytest

from projections.reports.privacy import (
    suppress_complementary,
    suppress_for_publication,
    suppress_small_cells,
)
from projections.reports.secondary import (
    EQUALITY_ACROSS,
    EQUALITY_WITHIN,
    KPI_ACROSS,
    KPI_WITHIN,
    Across,
    Within,
    _relations,
    complementary_cells,
    recoverable,
)

Q1 = {"period_start": date(2025, 1, 1), "period_end": date(2025, 3, 31)}


def by_unit(headcount: tuple[int, int, int] = (40, 12, 3), **columns: list[Any]) -> pl.DataFrame:
    """Three units of Utsira in Q1 2025: Skulen 40, Heimetenesta 12, Rådhuset 3 persons."""
    return pl.DataFrame(
        {
            "period_start": [Q1["period_start"]] * 3,
            "period_end": [Q1["period_end"]] * 3,
            "unit": ["Skulen", "Heimetenesta", "Rådhuset"],
            "headcount": list(headcount),
            **columns,
        }
    )


def row(df: pl.DataFrame, unit: str) -> dict[str, Any]:
    return df.filter(pl.col("unit") == unit).row(0, named=True)


def recovered(published: pl.DataFrame, group: str | None) -> set[tuple[int, str]]:
    """The small-cell-suppressed cells of ``published`` a reader could work out."""
    rows = published.to_dicts()
    hidden = {(i, c) for i, r in enumerate(rows) for c in r["suppressed_cells"]}
    relations = _relations(rows, group, None, ("period_start", "period_end"), KPI_WITHIN,
                           KPI_ACROSS)  # fmt: skip
    return recoverable(relations, hidden)


def total(**values: float) -> dict[str, float]:
    """The whole municipality's row of the same period (`hrledger kpi` without --by)."""
    return values


# ------------------------------------------------------------ a --by table and its total
def test_one_hidden_unit_is_not_the_total_minus_the_others() -> None:
    table = by_unit(
        lost_workdays=[61.0, 25.5, 9.0],
        agreed_workdays=[2520.0, 700.0, 180.0],
        sickness_rate_pct=[100 * 61 / 2520, 100 * 25.5 / 700, 5.0],
    )
    municipality = total(headcount=55, lost_workdays=95.5, agreed_workdays=3400.0)
    naive = suppress_small_cells(table)
    shown = naive.filter(pl.col("unit") != "Rådhuset")
    # the leak: Rådhuset's 3 persons and 9 lost days are the total minus the two others
    assert municipality["headcount"] - shown["headcount"].sum() == 3
    assert municipality["lost_workdays"] - shown["lost_workdays"].sum() == 9.0

    published = suppress_complementary(naive, group="unit")

    assert row(published, "Rådhuset")["headcount"] is None
    hidden = row(published, "Heimetenesta")  # the next smallest unit goes with it
    assert hidden["suppressed"] is True
    assert hidden["suppressed_cells"] == ["headcount", "lost_workdays", "agreed_workdays"]
    # its rate may stay: 25.5/700 does not split the 34.5 lost days of the two hidden units
    assert hidden["sickness_rate_pct"] == pytest.approx(100 * 25.5 / 700)
    assert row(published, "Skulen") == row(naive, "Skulen")  # the big unit is untouched
    left = published.filter(pl.col("headcount").is_not_null())
    assert municipality["headcount"] - left["headcount"].sum() == 15  # 12 + 3: cannot split
    assert municipality["lost_workdays"] - left["lost_workdays"].sum() == 34.5  # 25.5 + 9
    assert recovered(published, "unit") == set()
    assert recovered(naive, "unit") >= {(2, "headcount"), (2, "lost_workdays")}


def test_the_whole_municipality_alone_has_no_partner_to_hide() -> None:
    table = by_unit().filter(pl.col("unit") == "Skulen").drop("unit")
    published = suppress_complementary(suppress_small_cells(table), group=None)
    assert published["suppressed"].to_list() == [False]


# ------------------------------------------------------------- the other cells of a row
def test_men_are_not_the_headcount_minus_the_women() -> None:
    table = by_unit(women=[37, 7, 2], men=[3, 5, 1])
    naive = suppress_small_cells(table)
    school = row(naive, "Skulen")
    assert school["men"] is None and school["headcount"] - school["women"] == 3  # the leak

    published = suppress_complementary(naive, group="unit")

    school = row(published, "Skulen")
    assert school["men"] is None and school["women"] is None
    assert school["headcount"] == 40  # the unit's size is not what was small
    # down the columns, Rådhuset (3 persons, hidden) pairs with Skulen for women and men;
    # its headcount pairs with Heimetenesta's, which then hides one of its two parts
    care = row(published, "Heimetenesta")
    assert care["suppressed_cells"] == ["headcount", "men"] and care["women"] == 7
    assert (0, "men") in recovered(naive, "unit")
    assert recovered(published, "unit") == set()


def test_a_ratio_is_not_its_numerator_over_its_denominator() -> None:
    # a stricter local rule: a sickness rate over fewer than 5 sick persons is not published
    table = by_unit(
        (40, 12, 30),
        sick_persons=[12, 2, 9],
        lost_workdays=[61.0, 14.0, 40.0],
        agreed_workdays=[2520.0, 700.0, 1800.0],
        sickness_rate_pct=[100 * 61 / 2520, 2.0, 100 * 40 / 1800],
    )
    rule = {"sickness_rate_pct": ("sick_persons",), "sick_persons": ("sick_persons",)}
    naive = suppress_small_cells(table, covers=rule)
    care = row(naive, "Heimetenesta")
    assert care["sickness_rate_pct"] is None
    assert 100 * care["lost_workdays"] / care["agreed_workdays"] == 2.0  # the leak

    published = suppress_complementary(naive, group="unit")

    care = row(published, "Heimetenesta")
    assert care["sickness_rate_pct"] is None
    assert care["lost_workdays"] is None  # the smaller of numerator and denominator
    assert care["agreed_workdays"] == 700.0
    # and then the lost days are not the total's minus the others': the smallest other unit
    town_hall = row(published, "Rådhuset")
    assert town_hall["lost_workdays"] is None and town_hall["agreed_workdays"] == 1800.0
    assert recovered(published, "unit") == set()


def test_the_municipality_row_protects_its_own_few_men() -> None:
    table = pl.DataFrame(
        {**{k: [v] for k, v in Q1.items()}, "headcount": [41], "women": [37], "men": [4],
         "avg_salary_women": [541_000.0], "avg_salary_men": [598_000.0],
         "women_pay_pct_of_men": [100 * 541 / 598]}
    )  # fmt: skip
    naive = suppress_small_cells(table)
    assert naive["men"][0] is None and naive["headcount"][0] - naive["women"][0] == 4

    published = suppress_complementary(naive, group=None)

    assert published["women"][0] is None and published["headcount"][0] == 41
    assert published["avg_salary_women"][0] == 541_000.0  # 37 women: their mean is fine
    assert published["suppressed_cells"][0].to_list() == [
        "women", "men", "avg_salary_men", "women_pay_pct_of_men"
    ]  # fmt: skip


def test_a_mean_is_not_recovered_from_the_total_mean_and_the_counts() -> None:
    # mean salary of the men per unit; the municipality's is 580 000 over 14 men
    table = by_unit((40, 12, 6), men=[6, 5, 3], avg_salary_men=[590_000.0, 560_000.0, 593_333.33])
    naive = suppress_small_cells(table)
    assert row(naive, "Rådhuset")["avg_salary_men"] is None
    shown = naive.filter(pl.col("men").is_not_null())
    leaked = (14 * 580_000 - (shown["men"] * shown["avg_salary_men"]).sum()) / (
        14 - shown["men"].sum()
    )
    assert leaked == pytest.approx(593_333.33, abs=1)

    published = suppress_complementary(naive, group="unit")

    care = row(published, "Heimetenesta")  # its men hidden: 8 men over two units, any split
    assert care["suppressed_cells"] == ["men"] and care["avg_salary_men"] == 560_000.0
    assert recovered(published, "unit") == set()


# ---------------------------------------------------- combinations of rows and columns
def test_a_cell_given_away_by_a_combination_of_sums_is_found_and_protected() -> None:
    """Every row and column below has 0 or 2+ hidden cells, yet R2's c3 is the sum of the
    row and column equations of the left block: a bridge between two hidden blocks."""
    columns = ("c1", "c2", "c3", "c4")
    rows = [
        {"p": 1, "g": g, "t": 10 * n + 10, **{c: n + i for i, c in enumerate(columns)}}
        for n, g in enumerate(["R1", "R2", "R3", "R4", "R5"])
    ]
    within = [Within(("t", *columns), (1, -1, -1, -1, -1))]
    across = [Across(c) for c in ("t", *columns)]
    relations = _relations(rows, "g", None, ("p",), within, across)
    block = {(0, "c1"), (0, "c2"), (1, "c1"), (1, "c2"), (2, "c3"), (2, "c4"), (3, "c3"),
             (3, "c4")}  # fmt: skip
    bridge = (1, "c3")
    hidden = block | {bridge}
    for rel in relations:  # the one-equation rule sees nothing wrong
        assert len([c for c in rel.cells if c in hidden]) != 1

    assert recoverable(relations, hidden) == {bridge}

    extra = complementary_cells(rows, hidden, relations, persons="t")
    assert extra and not recoverable(relations, hidden | extra) & hidden


def test_nothing_hidden_means_nothing_more_hidden() -> None:
    table = by_unit((40, 12, 10), women=[30, 6, 5], men=[10, 6, 5])
    published = suppress_complementary(suppress_small_cells(table), group="unit")
    assert published["suppressed"].to_list() == [False, False, False]


def test_publication_of_a_kpi_table_is_both_steps() -> None:
    table = by_unit(lost_workdays=[61.0, 25.5, 9.0])
    assert suppress_for_publication(table, by="unit")["headcount"].to_list() == [40, None, None]


def test_it_needs_the_small_cell_flags() -> None:
    with pytest.raises(ValueError, match="suppress_small_cells"):
        suppress_complementary(by_unit(), group="unit")


# ------------------------------------------------------------------ the equality report
def pay_table() -> pl.DataFrame:
    """The pay table of a § 26 report: the total row and one row per position."""
    women = {"total": (16, 0.0), "Lærar": (8, 560_000.0), "Assistent": (5, 470_000.0),
             "Reinhald": (3, 450_000.0)}  # fmt: skip
    women["total"] = (16, (8 * 560_000 + 5 * 470_000 + 3 * 450_000) / 16)
    men = {"total": (11, (5 * 590_000 + 5 * 480_000 + 460_000) / 11), "Lærar": (5, 590_000.0),
           "Assistent": (5, 480_000.0), "Reinhald": (1, 460_000.0)}  # fmt: skip
    return pl.DataFrame(
        [
            {"table": "pay", "group": g, "n_women": women[g][0], "n_men": men[g][0],
             "women": women[g][1], "men": men[g][1],
             "total": (women[g][0] * women[g][1] + men[g][0] * men[g][1])
             / (women[g][0] + men[g][0]),
             "women_pct": 100 * women[g][1] / men[g][1], "suppressed": False}
            for g in women
        ]
    )  # fmt: skip


def test_a_hidden_position_is_not_the_pay_tables_total_minus_the_other_positions() -> None:
    from projections.reports.equality import suppress_complements, suppress_small

    counts, values = ["n_women", "n_men"], ["women", "men", "total", "women_pct"]
    naive = suppress_small(pay_table(), counts, values)
    by = {r["group"]: r for r in naive.to_dicts()}
    assert by["Reinhald"]["women"] is None
    shown = [by[g] for g in ("Lærar", "Assistent")]
    n = by["total"]["n_women"] - sum(r["n_women"] for r in shown)
    mean = (by["total"]["n_women"] * by["total"]["women"]
            - sum(r["n_women"] * r["women"] for r in shown)) / n  # fmt: skip
    assert (n, mean) == (3, pytest.approx(450_000.0))  # the leak: 3 cleaners' mean pay

    published = {r["group"]: r for r in suppress_complements(naive, [*counts, *values]).to_dicts()}

    # the smaller of the two other positions loses its counts: 8 women and 6 men over two
    # positions, in any split, give no one mean (its own mean may stay: it covers 5)
    assistant = published["Assistent"]
    assert (assistant["n_women"], assistant["n_men"]) == (None, None)
    assert assistant["women"] == 470_000.0 and assistant["suppressed"] is True
    assert published["Lærar"] == by["Lærar"]
    assert published["total"] == by["total"]
    rows = [{**r, "suppressed_cells": [*counts, *values] if r["group"] == "Reinhald" else []}
            for r in published.values()]  # fmt: skip
    relations = _relations(rows, "group", "total", ("table",), EQUALITY_WITHIN, EQUALITY_ACROSS)
    hidden = {(i, c) for i, r in enumerate(rows) for c in [*counts, *values] if r[c] is None}
    assert recoverable(relations, hidden) == set()
