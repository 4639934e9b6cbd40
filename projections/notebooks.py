"""Run the analyst notebooks headless: executed HTML and every chart as PNG.

    python -m projections.notebooks --out DIR [--ledger URL] [--from DATE --to DATE]
                                    [--municipality NAME] [--only 01,05]

Each notebook in ``notebooks/`` is executed top to bottom with nbclient. The
parameters given here are injected as a cell tagged ``injected-parameters``
right after the cell tagged ``parameters`` (papermill's convention), so the
notebook's own defaults stay untouched. Charts are written by
``projections.charts.save_png`` into ``DIR/<notebook>/`` (through
``$HRLEDGER_CHART_DIR`` in the kernel's environment); the executed notebook
goes to ``DIR/<notebook>.html`` and ``DIR/<notebook>.ipynb``. Exits non-zero
if any notebook failed.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import nbformat

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"
PARAMETERS_TAG = "parameters"
INJECTED_TAG = "injected-parameters"
CHART_DIR_ENV = "HRLEDGER_CHART_DIR"  # projections.charts.CHART_DIR_ENV (not imported: slow)
DEFAULT_TIMEOUT = 600
DEFAULT_JOBS = 2
START_ATTEMPTS = 3  # a kernel that dies before it runs a cell is started again
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass(frozen=True)
class Result:
    notebook: Path
    html: Path
    charts: tuple[Path, ...]
    seconds: float
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def notebooks(directory: Path = NOTEBOOK_DIR, only: Sequence[str] = ()) -> list[Path]:
    """The numbered notebooks in ``directory`` (``only``: name prefixes, e.g. ``01``)."""
    found = sorted(p for p in directory.glob("[0-9]*.ipynb") if p.is_file())
    if only:
        found = [p for p in found if any(p.name.startswith(o) for o in only)]
    return found


def _tags(cell: Any) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def inject_parameters(nb: Any, params: dict[str, Any]) -> Any:
    """Put ``params`` in a cell after the ``parameters`` cell (replacing an earlier injection).

    Without a ``parameters`` cell the injected cell goes first.
    """
    cells = [c for c in nb.cells if INJECTED_TAG not in _tags(c)]
    if params:
        lines = ["# Injected by python -m projections.notebooks"]
        lines += [f"{k} = {v!r}" for k, v in params.items()]
        cell = nbformat.v4.new_code_cell("\n".join(lines))  # type: ignore[no-untyped-call]
        cell.metadata["tags"] = [INJECTED_TAG]
        at = next((i + 1 for i, c in enumerate(cells) if PARAMETERS_TAG in _tags(c)), 0)
        cells.insert(at, cell)
    nb.cells = cells
    return nb


def _write_html(nb: Any, path: Path) -> None:
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter(template_name="lab").from_notebook_node(nb)  # type: ignore[no-untyped-call]
    path.write_text(body, encoding="utf-8")


def _start_failed(error: RuntimeError) -> bool:
    """A kernel that died (or never answered) before it ran anything: safe to start again."""
    return str(error).startswith(("Kernel died before replying", "Kernel didn't respond"))


def run_notebook(
    path: Path, out: Path, params: dict[str, Any], timeout: int = DEFAULT_TIMEOUT
) -> Result:
    """Execute one notebook; write its HTML, executed .ipynb and charts under ``out``."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
    from traitlets.config import Config

    chart_dir = out / path.stem
    chart_dir.mkdir(parents=True, exist_ok=True)
    for old in chart_dir.glob("*.png"):
        old.unlink()
    env = {**os.environ, CHART_DIR_ENV: str(chart_dir.resolve())}
    if "LEDGER_URL" in params:
        env["HRLEDGER_DB"] = str(params["LEDGER_URL"])
    # The kernel talks to us over Unix sockets, not loopback TCP: a TCP port picked as
    # free can be taken by another process before the kernel binds it, and the kernel
    # then dies at start (seen in CI, with several kernels and database clients at once).
    # The sockets' path is absolute (the kernel runs in the notebook's folder, we do not)
    # and in a folder of this run's own, so kernels running at once never share one.
    sockets = tempfile.mkdtemp(prefix="hrledger-kernel-")
    config = Config({"KernelManager": {"transport": "ipc", "ip": os.path.join(sockets, "k")}})
    error: str | None = None
    t0 = time.monotonic()
    try:
        for attempt in range(1, START_ATTEMPTS + 1):
            nb = inject_parameters(nbformat.read(path, as_version=4), params)  # type: ignore[no-untyped-call]
            client = NotebookClient(
                nb,
                config=config,
                # The kernel's "connection without encryption" warning is noise here.
                extra_arguments=["--IPKernelApp.log_level=ERROR"],
                timeout=timeout,
                kernel_name="python3",
                resources={"metadata": {"path": str(path.parent)}},
            )
            try:
                client.execute(env=env)
            except (CellExecutionError, CellTimeoutError, DeadKernelError) as e:
                text = ANSI.sub("", str(e)).strip()
                error = text.splitlines()[-1] if text else type(e).__name__
            except RuntimeError as e:
                if not _start_failed(e) or attempt == START_ATTEMPTS:
                    raise
                continue
            break
    finally:
        shutil.rmtree(sockets, ignore_errors=True)
    seconds = time.monotonic() - t0
    html = out / f"{path.stem}.html"
    nbformat.write(nb, out / f"{path.stem}.ipynb")  # type: ignore[no-untyped-call]
    _write_html(nb, html)
    charts = tuple(sorted(chart_dir.glob("*.png")))
    return Result(path, html, charts, seconds, error)


def run_all(
    out: Path,
    *,
    ledger: str | None = None,
    period_from: date | None = None,
    period_to: date | None = None,
    municipality: str | None = None,
    directory: Path = NOTEBOOK_DIR,
    only: Sequence[str] = (),
    timeout: int = DEFAULT_TIMEOUT,
    jobs: int = DEFAULT_JOBS,
    echo: bool = False,
) -> list[Result]:
    """Execute every notebook (or those in ``only``) with the given parameters.

    ``jobs`` notebooks run at once, each from its own process and kernel.
    """
    params: dict[str, Any] = {}
    url = ledger or os.environ.get("HRLEDGER_DB")
    if url:
        params["LEDGER_URL"] = url
    if period_from is not None:
        params["PERIOD_FROM"] = period_from.isoformat()
    if period_to is not None:
        params["PERIOD_TO"] = period_to.isoformat()
    if municipality:
        params["MUNICIPALITY"] = municipality
    out.mkdir(parents=True, exist_ok=True)
    found = notebooks(directory, only)
    if not found:
        raise FileNotFoundError(f"no numbered notebooks in {directory}")

    # Each notebook runs from its own worker process: the kernel clients' sockets and
    # event loops live and die there, not in the caller (a test session, say).
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=max(1, jobs), mp_context=ctx) as pool:
        futures = [pool.submit(run_notebook, path, out, params, timeout) for path in found]
        if echo:
            print(
                f"running {len(found)} notebooks, {max(1, jobs)} at a time …",
                file=sys.stderr,
                flush=True,
            )
        results = []
        for f in futures:
            r = f.result()
            results.append(r)
            if echo:
                status = "ok" if r.ok else f"FAILED: {r.error}"
                print(
                    f"  {r.notebook.name}: {status} in {r.seconds:.1f}s, {len(r.charts)} charts",
                    file=sys.stderr,
                    flush=True,
                )
    return results


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m projections.notebooks",
        description="Execute the analyst notebooks headless; write HTML and PNG charts.",
    )
    ap.add_argument("--out", type=Path, required=True, help="output directory")
    ap.add_argument("--ledger", help="ledger URL (default: $HRLEDGER_DB, else the notebook's)")
    ap.add_argument(
        "--from",
        dest="period_from",
        type=date.fromisoformat,
        help="first day of the period, YYYY-MM-DD",
    )
    ap.add_argument(
        "--to", dest="period_to", type=date.fromisoformat, help="last day of the period, YYYY-MM-DD"
    )
    ap.add_argument("--municipality", help="targets to use: sandnes, utsira or a JSON file")
    ap.add_argument(
        "--notebooks",
        type=Path,
        default=NOTEBOOK_DIR,
        help=f"where the notebooks are (default {NOTEBOOK_DIR})",
    )
    ap.add_argument("--only", default="", help="comma-separated name prefixes, e.g. 01,06")
    ap.add_argument(
        "--timeout",
        type=int,
        default=DEFAULT_TIMEOUT,
        help="seconds per cell (default %(default)s)",
    )
    ap.add_argument(
        "--jobs",
        type=int,
        default=DEFAULT_JOBS,
        help="notebooks run in parallel (default %(default)s)",
    )
    a = ap.parse_args(argv)
    only = [o.strip() for o in a.only.split(",") if o.strip()]
    try:
        results = run_all(
            a.out,
            ledger=a.ledger,
            period_from=a.period_from,
            period_to=a.period_to,
            municipality=a.municipality,
            directory=a.notebooks,
            only=only,
            timeout=a.timeout,
            jobs=a.jobs,
            echo=True,
        )
    except FileNotFoundError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    failed = [r for r in results if not r.ok]
    print(f"notebooks: {len(results) - len(failed)} ok, {len(failed)} failed")
    for r in results:
        mark = "ok    " if r.ok else "FAILED"
        print(f"  {mark} {r.html}  ({len(r.charts)} PNG in {r.html.with_suffix('')}/)")
        if r.error:
            print(f"         {r.error}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
