"""The KPIs against their targets, as a municipality's annual report shows them.

The full KPI frame has fifty columns, which no person reads in a terminal;
this view turns the headline figures into rows (Norwegian name first), one
column per period, with the target and the distance to it.
"""

from __future__ import annotations

from typing import Any

import polars as pl

# (column, Norwegian label, target column or None, decimals, unit)
HEADLINES: tuple[tuple[str, str, str | None, int, str], ...] = (
    ("headcount", "Ansatte (personer)", None, 0, ""),
    ("fte", "Årsverk", None, 0, ""),
    ("sickness_rate_pct", "Sykefravær totalt", "sickness_target_pct", 1, " %"),
    ("self_certified_rate_pct", "  egenmeldt", None, 1, " %"),
    ("doctor_certified_rate_pct", "  legemeldt", None, 1, " %"),
    ("fulltime_share_pct", "Heltidsandel (faste)", None, 1, " %"),
    ("avg_position_pct", "Gj.sn. stillingsstørrelse", None, 1, " %"),
    ("apprentices", "Lærlinger 31.12.", "apprentice_target", 0, ""),
    ("women", "Kvinner", None, 0, ""),
    ("men", "Menn", None, 0, ""),
    ("leaders_women", "Ledere, kvinner", None, 0, ""),
    ("leaders_men", "Ledere, menn", None, 0, ""),
    ("women_pay_pct_of_men", "Kvinners lønn i % av menns", None, 1, " %"),
    ("parental_leave_women", "Foreldrepermisjon, kvinner", None, 0, ""),
    ("parental_leave_men", "Foreldrepermisjon, menn", None, 0, ""),
    ("hms_deviations", "HMS-avvik", None, 0, ""),
    ("personal_injuries", "  herav personskader", None, 0, ""),
    ("hires", "Nyansatte", None, 0, ""),
    ("terminations", "Sluttet", None, 0, ""),
)


def _fmt(value: Any, decimals: int, unit: str) -> str:
    if value is None:
        return "–"
    text = f"{value:,.{decimals}f}".replace(",", " ").replace(".", ",")
    return text + unit


def summary_table(kpi: pl.DataFrame) -> str:
    """Rows of headline KPIs; columns are the periods, then the target and the gap."""
    periods = [
        f"{s}–{e}" if str(s)[:4] != str(e)[:4] or str(s)[5:] != "01-01" or str(e)[5:] != "12-31"
        else str(s)[:4]
        for s, e in zip(kpi["period_start"], kpi["period_end"], strict=True)
    ]  # fmt: skip
    rows: list[list[str]] = []
    last = kpi.row(kpi.height - 1, named=True) if kpi.height else {}
    for col, label, target_col, decimals, unit in HEADLINES:
        if col not in kpi.columns:
            continue
        values = [_fmt(v, decimals, unit) for v in kpi[col].to_list()]
        target = last.get(target_col) if target_col else None
        gap = ""
        if target is not None and last.get(col) is not None:
            diff = last[col] - target
            gap = f"{'+' if diff >= 0 else '−'}{_fmt(abs(diff), decimals, '')}"
            gap += " poeng" if unit.strip() == "%" else ""
        rows.append([label, *values, _fmt(target, decimals, unit) if target else "", gap])
    header = ["Nøkkeltall", *periods, "Mål", f"Avvik {periods[-1] if periods else ''}"]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        pairs = enumerate(zip(cells, widths, strict=True))
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in pairs)

    lines = [line(header), "  ".join("-" * w for w in widths), *(line(r) for r in rows)]
    return "\n".join(lines) + "\n"
