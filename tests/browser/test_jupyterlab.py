"""The six notebooks, run through JupyterLab's own UI in a real headless Chromium, offline.

JupyterLab is started the way ``make lab`` starts it (``projections.lab.command``)
on a free local port, against a small generated ledger (Sandnes at 3 %,
2019–2023, recorded in three batches like the demo) and a copy of the
notebooks (JupyterLab autosaves: the repository's notebooks stay clean).
Chromium (Debian's ``chromium`` and ``chromium-driver``, installed by the
Makefile / ``.ci/run``) is driven by Selenium; every outside address is
routed to a dead proxy, so a chart that needed a CDN would not draw.

For each notebook: Run > Run All Cells from the menu bar, then assert no
error output, one drawn Vega view (an SVG inside the chart's element) per
chart, a tooltip on hovering a mark, and no request to anything but
127.0.0.1 (Chromium's performance log). A screenshot of the whole notebook
is saved to the test's tmp dir as ``<notebook>.png``.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from ledger.synthetic.history import build_ledger
from projections import lab
from projections import notebooks as runner

pytestmark = [
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
]

CHROMIUM = Path(os.environ.get("HRLEDGER_CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("HRLEDGER_CHROMEDRIVER", "/usr/bin/chromedriver"))
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1400,1000",
    # Nothing outside loopback is reachable: a CDN request fails (and is logged).
    "--proxy-server=http://127.0.0.1:9",
)
NOTEBOOK_TIMEOUT = 300
CHART_TIMEOUT = 60
LOCAL_HOSTS = {"127.0.0.1"}
NON_NETWORK_SCHEMES = {"data", "blob", "about", "chrome"}
"""Chromium's own pages (its start tab) and inline data: never leave the machine."""


def _require_chromium() -> None:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if not missing:
        return
    msg = f"{', '.join(missing)} not installed (apt-get install chromium chromium-driver)"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"the browser test must run in CI: {msg}")
    pytest.skip(msg)


def _stop(proc: subprocess.Popen[Any]) -> None:
    """Stop JupyterLab: politely, then for good."""
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Lab:
    port: int
    token: str
    process: subprocess.Popen[bytes]
    log: Path

    def url(self, path: str) -> str:
        # reset: a fresh workspace, so the previous notebook is not reopened alongside
        return f"http://127.0.0.1:{self.port}/{path}?reset&token={self.token}"

    def api(self, path: str, method: str = "GET") -> Any:
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/api/{path}",
            method=method,
            headers={"Authorization": f"token {self.token}"},
        )
        with urllib.request.urlopen(req, timeout=10) as r:
            body = r.read()
        return json.loads(body) if body else None


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    _require_chromium()
    base = tmp_path_factory.mktemp("lab")
    url = build_ledger(
        base / "sandnes.sqlite", preset="sandnes", year_from=2019, year_to=2023, scale=0.03, seed=1
    )
    books = base / "notebooks"
    books.mkdir()
    for nb in runner.notebooks():
        shutil.copy(nb, books / nb.name)
    settings = base / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    # No "would you like news?" toast over the screenshots (the server fetches none anyway).
    (settings / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )
    env = {
        **os.environ,
        "HRLEDGER_DB": url,
        "JUPYTERLAB_SETTINGS_DIR": str(base / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(base / "workspaces"),
        "JUPYTER_RUNTIME_DIR": str(base / "runtime"),
        "JUPYTER_CONFIG_DIR": str(base / "config"),
    }
    env.pop(runner.CHART_DIR_ENV, None)
    server = _start_lab(env, books, base / "jupyterlab.log")
    try:
        yield server
    finally:
        _stop(server.process)


def _start_lab(env: dict[str, str], books: Path, log: Path, tries: int = 3) -> Lab:
    """JupyterLab on a free port, or on another one if that was taken before it bound it
    (``make lab`` says ``port_retries=0``: the URL it prints must be the one that works)."""
    token = secrets.token_hex(16)
    for _ in range(tries):
        port = _free_port()
        with log.open("wb") as out:
            proc = subprocess.Popen(
                lab.command(port=port, token=token, notebooks=books, open_browser=False),
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        server = Lab(port, token, proc, log)
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                server.api("status")
                return server
            except OSError:
                time.sleep(0.3)
        _stop(proc)
        if "already in use" not in log.read_text():
            break
    pytest.fail(f"JupyterLab did not start:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def browser(jupyterlab: Lab, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        opts.add_argument(flag)
    opts.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    opts.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(options=opts, service=Service(str(CHROMEDRIVER)))
    try:
        yield driver
    finally:
        driver.quit()


@dataclass
class Outcome:
    notebook: str
    problems: list[str] = field(default_factory=list)
    charts: int = 0
    seconds: float = 0.0
    phases: tuple[float, float] = (0.0, 0.0)
    screenshot: Path | None = None


def _outside_requests(driver: Any) -> list[str]:
    """Every URL the browser asked for (HTTP or WebSocket) that is not on 127.0.0.1."""
    urls = []
    for entry in driver.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        params = msg.get("params", {})
        if msg["method"] == "Network.requestWillBeSent":
            urls.append(params["request"]["url"])
        elif msg["method"] == "Network.webSocketCreated":
            urls.append(params["url"])
    outside = []
    for u in urls:
        parts = urlsplit(u)
        if parts.scheme in NON_NETWORK_SCHEMES:
            continue
        if parts.hostname not in LOCAL_HOSTS:
            outside.append(u[:200])
    return sorted(set(outside))


def _click_menu(driver: Any, menu: str, item: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(driver, 30)
    xpath = f"//div[contains(@class,'lm-MenuBar-itemLabel') and text()='{menu}']"
    wait.until(ec.element_to_be_clickable((By.XPATH, xpath))).click()
    xpath = f"//div[contains(@class,'lm-Menu-itemLabel') and text()='{item}']"
    wait.until(ec.element_to_be_clickable((By.XPATH, xpath))).click()


_STATE_JS = """
const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
if (!panel) return null;
const cells = [...panel.querySelectorAll('.jp-CodeCell')];
return {
  prompts: cells.map(c => (c.querySelector('.jp-InputPrompt') || {}).textContent || ''),
  errors: [...panel.querySelectorAll(
      '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')]
      .map(e => e.textContent.slice(0, 500)),
  status: (document.querySelector('#jp-main-statusbar') || {}).textContent || '',
};
"""

_CHARTS_JS = """
const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
return [...panel.querySelectorAll('.jp-OutputArea-output')]
  .filter(o => o.querySelector('.vega-embed') || /widget|JavaScript Error/i.test(o.textContent))
  .map(o => {
    const embed = o.querySelector('.vega-embed');
    const view = embed && embed.querySelector('svg.marks, canvas.marks');
    return {
      embed: !!embed,
      drawn: !!view && view.getBoundingClientRect().width > 100
             && view.querySelectorAll('path, text, line, rect').length > 5,
      text: o.textContent.slice(0, 300),
    };
  });
"""


def _run_notebook(driver: Any, server: Lab, name: str, out: Path) -> Outcome:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    result = Outcome(name)
    driver.get_log("performance")  # what the previous notebook asked for is counted there
    t0 = time.monotonic()
    driver.get(server.url(f"lab/tree/{name}.ipynb"))
    deadline = t0 + NOTEBOOK_TIMEOUT
    # The kernel is up when the notebook's status says Idle.
    while True:
        state = driver.execute_script(_STATE_JS)
        if state and state["prompts"] and "Idle" in state["status"]:
            break
        if time.monotonic() > deadline:
            result.problems.append("the notebook never opened with an idle kernel")
            return result
        time.sleep(0.5)
    opened = time.monotonic() - t0
    _click_menu(driver, "Run", "Run All Cells")
    while True:
        state = driver.execute_script(_STATE_JS)
        done = all(re.fullmatch(r"\[\d+\]:", p.strip()) for p in state["prompts"])
        if state["errors"]:
            result.problems += [f"error output: {e}" for e in state["errors"]]
            break
        if done:
            break
        if time.monotonic() > deadline:
            result.problems.append(f"cells still running after {NOTEBOOK_TIMEOUT}s: {state}")
            break
        time.sleep(0.5)
    ran = time.monotonic() - t0
    # Charts: as many Vega views as the notebook displays charts, each drawn.
    source = (runner.NOTEBOOK_DIR / f"{name}.ipynb").read_text(encoding="utf-8")
    expected = len(re.findall(r"charts\.save_png\(", source))
    views: list[dict[str, Any]] = driver.execute_script(_CHARTS_JS)
    # Cells done: a chart draws within seconds (a failed run does not wait for it).
    charts_deadline = time.monotonic() + (0 if result.problems else CHART_TIMEOUT)
    while time.monotonic() < charts_deadline:
        if len(views) >= expected and all(v["drawn"] for v in views):
            break
        time.sleep(0.5)
        views = driver.execute_script(_CHARTS_JS)
    result.charts = sum(v["drawn"] for v in views)
    if len(views) != expected or not all(v["drawn"] for v in views):
        result.problems.append(
            f"{expected} charts expected, {result.charts} drawn: "
            + "; ".join(v["text"] for v in views if not v["drawn"])
        )
    # Interactive: hovering a mark of the first chart shows its tooltip.
    marks = driver.find_elements(
        By.CSS_SELECTOR,
        ".jp-NotebookPanel:not(.lm-mod-hidden) .vega-embed svg.marks "
        "g.mark-symbol path, .jp-NotebookPanel:not(.lm-mod-hidden) .vega-embed svg.marks "
        "g.mark-rect path",
    )
    tip = ""
    for mark in marks[:10]:
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", mark)
        ActionChains(driver).move_to_element(mark).perform()
        shown_by = time.monotonic() + 2
        while not tip and time.monotonic() < shown_by:
            time.sleep(0.1)
            tip = driver.execute_script(
                "const t = document.querySelector('#vg-tooltip-element.visible');"
                "return t ? t.textContent : '';"
            )
        if tip:
            break
    if not tip:
        result.problems.append("no tooltip on hovering a chart mark")
    result.seconds = time.monotonic() - t0
    result.phases = (opened, ran)
    result.screenshot = _screenshot(driver, out / f"{name}.png")
    outside = _outside_requests(driver)
    if outside:
        result.problems.append(f"requests outside 127.0.0.1: {outside}")
    _shut_down_kernels(server)
    return result


def _screenshot(driver: Any, path: Path) -> Path:
    """The whole notebook in one picture: the viewport is made as tall as the notebook."""
    height = driver.execute_script(
        "const p = document.querySelector("
        "  '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-WindowedPanel-outer');"
        "return p ? p.scrollHeight : 1000;"
    )
    metrics = {"width": 1400, "height": min(int(height) + 150, 20000)}
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride", {**metrics, "deviceScaleFactor": 1, "mobile": False}
    )
    time.sleep(1.0)  # JupyterLab lays out again for the new size
    driver.execute_script(
        "const p = document.querySelector("
        "  '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-WindowedPanel-outer');"
        "if (p) p.scrollTop = 0;"
    )
    time.sleep(0.5)
    driver.save_screenshot(str(path))
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    return path


def _shut_down_kernels(server: Lab) -> None:
    for k in server.api("kernels"):
        server.api(f"kernels/{k['id']}", method="DELETE")


def test_notebooks_run_in_jupyterlab_with_charts_drawn_offline(
    jupyterlab: Lab, browser: Any, tmp_path: Path
) -> None:
    outcomes = [_run_notebook(browser, jupyterlab, p.stem, tmp_path) for p in runner.notebooks()]
    report = "\n".join(
        f"{o.notebook}: {o.charts} charts drawn; open {o.phases[0]:.0f}s, cells done "
        f"{o.phases[1]:.0f}s, all {o.seconds:.0f}s; screenshot {o.screenshot}"
        + "".join(f"\n    {p}" for p in o.problems)
        for o in outcomes
    )
    print(report)
    assert len(outcomes) == 6
    assert not any(o.problems for o in outcomes), report


def test_lab_command_prints_the_url_and_keeps_serving(tmp_path: Path) -> None:
    """What ``make lab`` runs: the printed URL answers, and the server stays up (as root too)."""
    port = _free_port()
    env = {
        **os.environ,
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces"),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "projections.lab", "--no-browser", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(2)]
        opened = next(line for line in lines if line.startswith("open: "))
        url = opened.removeprefix("open: ").strip()
        assert url.startswith(f"http://127.0.0.1:{port}/lab?token=")
        token = url.rsplit("=", 1)[1]
        deadline = time.monotonic() + 60
        status = None
        while status is None:
            assert proc.poll() is None, "JupyterLab exited at once"
            try:
                req = urllib.request.Request(
                    f"http://127.0.0.1:{port}/api/status",
                    headers={"Authorization": f"token {token}"},
                )
                with urllib.request.urlopen(req, timeout=5) as r:
                    status = r.status
            except OSError:
                assert time.monotonic() < deadline, "JupyterLab never answered"
                time.sleep(0.3)
        assert status == 200
        with urllib.request.urlopen(url, timeout=10) as r:
            assert r.status == 200 and b"JupyterLab" in r.read()
        time.sleep(1)
        assert proc.poll() is None
    finally:
        _stop(proc)
        if proc.stdout is not None:
            proc.stdout.close()
