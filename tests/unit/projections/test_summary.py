"""The headline table people read: KPIs as rows, periods as columns, target and gap."""

from __future__ import annotations

from datetime import date

import polars as pl

from projections.reports.summary import summary_table


def two_years() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "period_start": [date(2021, 1, 1), date(2022, 1, 1)],
            "period_end": [date(2021, 12, 31), date(2022, 12, 31)],
            "headcount": [6206, 6280],
            "sickness_rate_pct": [8.84, 9.31],
            "sickness_target_pct": [6.5, 6.5],
            "apprentices": [85, 86],
            "apprentice_target": [160.0, 160.0],
        }
    )


def test_the_summary_shows_each_year_the_target_and_the_gap_in_points() -> None:
    text = summary_table(two_years())

    header, _, headcount, sickness, apprentices = text.splitlines()
    assert header.split()[:3] == ["Nøkkeltall", "2021", "2022"]
    assert "6 206" in headcount and "6 280" in headcount
    # 9.31 − 6.5 = 2.81 → "+2,8 poeng", Norwegian decimal comma
    assert "8,8 %" in sickness and "9,3 %" in sickness and "6,5 %" in sickness
    assert sickness.rstrip().endswith("+2,8 poeng")
    # 86 apprentices against 160: 74 short
    assert apprentices.rstrip().endswith("−74")


def test_columns_missing_from_the_frame_are_left_out() -> None:
    text = summary_table(two_years().select("period_start", "period_end", "headcount"))

    assert len(text.splitlines()) == 3
