"""A generated municipality, filed as a-melding and imported, is the same municipality.

The generator writes the months as a-melding files; importing them must
give the roster and the workforce KPIs (headcount, FTE, full-time share,
apprentices, pay ratio) of the JSON Lines import at every month-end. Sick
days are not in the a-melding and are left out of both.
"""

from __future__ import annotations

import re
from calendar import monthrange
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from cli.main import main
from ledger.amelding.mapping import load_mapping
from ledger.services.amelding import import_amelding
from ledger.services.recording import Ledger
from ledger.synthetic import generate_lines
from ledger.synthetic.amelding import write_amelding
from projections.api import open_projection

CASES = {
    "utsira 2021-2022": ("utsira", 2021, 2022, 1.0),
    "sandnes 2022 x0.03": ("sandnes", 2022, 2022, 0.03),
}
KPIS = [
    "period_end",
    "headcount",
    "fte",
    "fulltime_share_pct",
    "apprentices",
    "women_pay_pct_of_men",
]
NATIONAL_ID = re.compile(rb"<inntektsmottaker><norskIdentifikator>([0-9]{11})<")


def month_ends(first: int, last: int) -> list[date]:
    return [date(y, m, monthrange(y, m)[1]) for y in range(first, last + 1) for m in range(1, 13)]


@pytest.fixture(scope="module", params=list(CASES))
def both(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    preset, first, last, scale = CASES[request.param]
    where = tmp_path_factory.mktemp(preset)
    lines = [x for x in generate_lines(preset, first, last, scale=scale) if x["type"] != "sick_day"]
    files = where / "amelding"
    write_amelding(lines, files, first_month=f"{first}-01", last_month=f"{last}-12", name=preset)
    via_amelding, via_jsonl = (
        f"sqlite:///{where}/amelding.sqlite",
        f"sqlite:///{where}/jsonl.sqlite",
    )
    with Ledger(via_amelding) as ledger:
        import_amelding(ledger, [files], load_mapping(files / "mapping.json"))
    with Ledger(via_jsonl) as ledger:
        ledger.record(lines)
    return {"amelding": via_amelding, "jsonl": via_jsonl, "files": files, "years": (first, last)}


def test_the_roster_is_the_same_at_every_month_end(both: dict[str, Any]) -> None:
    with (
        open_projection(both["amelding"], persist=False) as a,
        open_projection(both["jsonl"], persist=False) as j,
    ):
        for day in month_ends(*both["years"]):
            got = a.roster(day).sort("employment_id")
            want = j.roster(day).sort("employment_id")
            assert want.height > 0
            assert_frame_equal(got, want)


def test_the_workforce_kpis_are_the_same_every_month(both: dict[str, Any]) -> None:
    first, last = both["years"]
    span = (date(first, 1, 1), date(last, 12, 31))
    with (
        open_projection(both["amelding"], persist=False) as a,
        open_projection(both["jsonl"], persist=False) as j,
    ):
        got, want = a.kpi(*span, "month").select(KPIS), j.kpi(*span, "month").select(KPIS)
    assert want.height == 12 * (last - first + 1)
    assert_frame_equal(got, want)


def test_no_national_identity_number_is_in_the_ledger_file(both: dict[str, Any]) -> None:
    numbers = {n for f in both["files"].glob("*.xml") for n in NATIONAL_ID.findall(f.read_bytes())}
    db = Path(both["amelding"].removeprefix("sqlite:///"))
    stored = b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*"))

    assert len(numbers) > 40  # every person has one in the files
    assert [n for n in numbers if n in stored] == []


def test_the_command_line_generates_and_imports_a_municipality_as_a_melding(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder, url = tmp_path / "utsira", f"sqlite:///{tmp_path}/ledger.sqlite"
    assert (
        main(
            [
                "generate",
                "--preset",
                "utsira",
                "--from",
                "2022",
                "--to",
                "2022",
                "--format",
                "amelding",
                "--out",
                str(folder),
            ]
        )
        == 0
    )
    assert capsys.readouterr().out == f"wrote 12 a-melding files and mapping.json to {folder}\n"

    code = main(
        ["--db", url, "import-amelding", str(folder), "--mapping", str(folder / "mapping.json")]
    )

    out = capsys.readouterr().out
    assert code == 0 and out.startswith("read 12 a-melding file(s), 2022-01 to 2022-12; stored ")
    assert (
        main(
            ["--db", url, "import-amelding", str(folder), "--mapping", str(folder / "mapping.json")]
        )
        == 0
    )
    assert "stored 0 events (" in capsys.readouterr().out
    with open_projection(url, persist=False) as p:
        roster = p.roster(date(2022, 12, 31))
    assert roster.height > 30 and set(roster["sector"]) == {
        "Administrasjon",
        "Oppvekst",
        "Helse og omsorg",
        "Teknisk",
    }
    assert pl.Series(roster["employee_id"]).str.starts_with("UTS").all()
