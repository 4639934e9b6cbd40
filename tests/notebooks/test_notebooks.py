"""Every analyst notebook runs headless against a small generated ledger and makes its charts.

The ledger is Sandnes at 5 % scale, 2021–2023, recorded in two batches
(``ledger.synthetic.history.build_ledger``) so the audit notebook has late sick notes and
retractions to find.
"""

from __future__ import annotations

import html
import json
import re
import sys
from datetime import date
from pathlib import Path

import nbformat
import pytest

from ledger.synthetic.history import build_ledger
from projections import notebooks as runner

pytestmark = [
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
]

NOTEBOOKS = runner.notebooks()
EXPECTED = {
    "01_sykefravaer",
    "02_heltid_og_stillingsstorrelse",
    "03_laerlinger_og_rekruttering",
    "04_hms_avvik",
    "05_likestilling",
    "06_revisjon_tidsreise",
}


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, runner.Result]:
    base = tmp_path_factory.mktemp("notebooks")
    url = build_ledger(
        base / "sandnes.sqlite", preset="sandnes", year_from=2021, year_to=2023, scale=0.05, seed=1
    )
    results = runner.run_all(
        base / "out",
        ledger=url,
        period_from=date(2021, 1, 1),
        period_to=date(2023, 12, 31),
        municipality="sandnes",
        jobs=3,
        timeout=300,
    )
    return {r.notebook.stem: r for r in results}


def test_the_six_notebooks_exist_with_a_parameters_cell() -> None:
    assert {p.stem for p in NOTEBOOKS} == EXPECTED
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1, path.name
        src = tagged[0].source
        for name in ("LEDGER_URL", "PERIOD_FROM", "PERIOD_TO", "MUNICIPALITY"):
            assert re.search(rf"^{name} = ", src, re.M), (path.name, name)
        assert 'os.environ.get("HRLEDGER_DB"' in src
        assert not any(c.get("outputs") for c in nb.cells if c.cell_type == "code"), (
            f"{path.name} is stored with outputs; clear them"
        )


def test_no_logic_in_notebooks() -> None:
    """Code cells only call projections.api / projections.charts: no defs, loops or imports
    of other analysis libraries."""
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            for line in cell.source.splitlines():
                stripped = line.strip()
                assert not stripped.startswith(("def ", "for ", "while ", "class ", "lambda")), (
                    path.name,
                    line,
                )
                if stripped.startswith(("import ", "from ")):
                    assert re.match(
                        r"(import os|from datetime import date|"
                        r"from projections(\.api)? import)",
                        stripped,
                    ), (path.name, line)


def test_inject_parameters_replaces_earlier_injection() -> None:
    nb = nbformat.read(NOTEBOOKS[0], as_version=4)
    once = runner.inject_parameters(nb, {"PERIOD_FROM": "2021-01-01"})
    twice = runner.inject_parameters(once, {"PERIOD_FROM": "2022-01-01"})
    tags = [c.metadata.get("tags", []) for c in twice.cells]
    at = next(i for i, t in enumerate(tags) if "parameters" in t)
    assert runner.INJECTED_TAG in tags[at + 1]
    assert sum(runner.INJECTED_TAG in t for t in tags) == 1
    assert twice.cells[at + 1].source.endswith("PERIOD_FROM = '2022-01-01'")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_notebook_runs_and_makes_its_charts(executed: dict[str, runner.Result], name: str) -> None:
    r = executed[name]
    assert r.ok, f"{name} failed: {r.error}"
    source = r.notebook.read_text(encoding="utf-8")
    expected = len(re.findall(r"charts\.save_png\(", source))
    assert expected >= 3
    assert len(r.charts) == expected, [p.name for p in r.charts]
    for png in r.charts:
        data = png.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000, png
    html = r.html.read_text(encoding="utf-8")
    assert "data:image/png;base64" in html
    assert "Traceback" not in html


def _outputs(r: runner.Result, mime: str) -> str:
    executed_nb = nbformat.read(r.html.with_suffix(".ipynb"), as_version=4)
    return "\n".join(
        str(o.get("data", {}).get(mime, ""))
        + (str(o.get("text", "")) if mime == "text/plain" else "")
        for c in executed_nb.cells
        if c.cell_type == "code"
        for o in c.outputs
    )


def _table_rows(html_text: str) -> list[str]:
    """The rows of the tables in ``html_text`` as ``cell | cell`` text."""
    rows = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", html_text, re.S):
        texts = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)
        rows.append(" | ".join(html.unescape(re.sub(r"<[^>]+>", "", t)).strip() for t in texts))
    return rows


def test_audit_notebook_finds_the_late_events(executed: dict[str, runner.Result]) -> None:
    r = executed["06_revisjon_tidsreise"]
    executed_nb = nbformat.read(r.html.with_suffix(".ipynb"), as_version=4)
    assert "PERIOD_FROM = '2021-01-01'" in "\n".join(c.source for c in executed_nb.cells)
    rows = _table_rows(_outputs(r, "text/html"))
    assert "Som rapportert: 20. januar 2023 kl. 09:00 (UTC)" in rows
    late = [row for row in rows if "| registrert senere |" in row]
    retracted = [row for row in rows if "| trukket tilbake |" in row]
    assert late and retracted
    # A retraction shows when it was recorded (the 15 February batch), not when the
    # retracted sick day was (the 20 January report).
    for row in retracted:
        assert row.endswith("15. februar 2023 kl. 09:00 | 15. februar 2023 kl. 09:00"), row
    # No change is 0, never -0.0.
    assert not any(re.search(r"(^|\| )[-\u2212]0(,0+)?( |$)", row) for row in rows), rows


def test_tables_read_like_the_charts(executed: dict[str, runner.Result]) -> None:
    """Norwegian numbers, no dtype row, and the "top 15" table shows 15 rows."""
    for name, r in executed.items():
        out = _outputs(r, "text/html")
        assert "shape: (" not in out and ">i64<" not in out and ">f64<" not in out, name
        assert not re.search(r">\s*-?\d+\.\d+\s*<", out), f"{name}: a number with a point"
    rows = _table_rows(_outputs(executed["01_sykefravaer"], "text/html"))
    units = [row for row in rows if row.startswith("2023 | ") and row.count("%") == 3]
    assert len(units) == 15, units
    rates = [float(row.split(" | ")[3].split("\u00a0")[0].replace(",", ".")) for row in units]
    assert rates == sorted(rates, reverse=True)


def test_failing_notebook_makes_the_command_fail(tmp_path: Path) -> None:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 / 0")])
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    src = tmp_path / "nb"
    src.mkdir()
    nbformat.write(nb, src / "01_broken.ipynb")
    code = runner.main(
        [
            "--out",
            str(tmp_path / "out"),
            "--notebooks",
            str(src),
            "--ledger",
            "sqlite:////nonexistent.sqlite",
        ]
    )
    assert code == 1
    assert (tmp_path / "out" / "01_broken.html").exists()


def _one_cell_notebook(folder: Path, source: str) -> Path:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    folder.mkdir()
    nbformat.write(nb, folder / "01_probe.ipynb")
    return folder


def _kernel_that_dies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, times: int) -> Path:
    """A ``python3`` kernel spec (found first through ``JUPYTER_PATH``) whose first
    ``times`` starts exit at once, as a kernel does when its port was taken; it counts
    its starts in ``starts``."""
    launcher = tmp_path / "launcher.py"
    starts = tmp_path / "starts"
    launcher.write_text(
        "import pathlib, runpy, sys\n"
        f"starts = pathlib.Path({str(starts)!r})\n"
        "n = len(starts.read_text()) if starts.exists() else 0\n"
        "starts.write_text('x' * (n + 1))\n"
        f"if n < {times}:\n"
        "    sys.exit(1)\n"
        "runpy.run_module('ipykernel_launcher', run_name='__main__')\n"
    )
    spec = tmp_path / "jupyter" / "kernels" / "python3"
    spec.mkdir(parents=True)
    argv = [sys.executable, str(launcher), "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "Python 3", "language": "python"})
    )
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    return starts


def _printed(out: Path) -> str:
    executed = nbformat.read(out / "01_probe.ipynb", as_version=4)
    return str(executed.cells[0].outputs[0]["text"])


def test_a_kernel_that_dies_at_start_is_started_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    starts = _kernel_that_dies(tmp_path, monkeypatch, times=1)
    src = _one_cell_notebook(tmp_path / "nb", "print(6 * 7)")

    [result] = runner.run_all(tmp_path / "out", directory=src, jobs=1, timeout=60)

    assert result.ok
    assert starts.read_text() == "xx"
    assert _printed(tmp_path / "out") == "42\n"


def test_a_kernel_that_never_starts_fails_after_three_tries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    starts = _kernel_that_dies(tmp_path, monkeypatch, times=99)
    src = _one_cell_notebook(tmp_path / "nb", "print(6 * 7)")

    with pytest.raises(RuntimeError, match="Kernel died before replying"):
        runner.run_all(tmp_path / "out", directory=src, jobs=1, timeout=60)
    assert starts.read_text() == "xxx"


def test_the_kernel_listens_on_unix_sockets_not_tcp_ports(tmp_path: Path) -> None:
    probe = (
        "import json, ipykernel.connect\n"
        "print(json.loads(ipykernel.connect.get_connection_info())['transport'])"
    )
    src = _one_cell_notebook(tmp_path / "nb", probe)

    [result] = runner.run_all(tmp_path / "out", directory=src, jobs=1, timeout=60)

    assert result.ok, result.error
    assert _printed(tmp_path / "out") == "ipc\n"
