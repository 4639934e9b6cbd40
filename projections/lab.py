"""Start JupyterLab on the analyst notebooks, the same way for a person and for the tests.

    python -m projections.lab [--ledger URL] [--port 8888] [--ip 127.0.0.1] [--no-browser]

``make lab`` runs this. It prints the URL to open (with its access token)
before JupyterLab starts, passes ``--allow-root`` when run as root (in a
container JupyterLab otherwise refuses and exits at once), and keeps
JupyterLab from calling out: no news feed, no update check. The charts need
no network either (``projections.charts.setup``). The browser test
(``tests/browser/test_jupyterlab.py``) starts JupyterLab through ``command``.
"""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import sys
from collections.abc import Sequence
from pathlib import Path

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"
DEFAULT_PORT = 8888
DEFAULT_IP = "127.0.0.1"


def url(ip: str, port: int, token: str) -> str:
    """Where the person opens JupyterLab."""
    return f"http://{ip}:{port}/lab?token={token}"


def command(
    *,
    port: int = DEFAULT_PORT,
    ip: str = DEFAULT_IP,
    token: str,
    notebooks: Path = NOTEBOOK_DIR,
    open_browser: bool = True,
    extra: Sequence[str] = (),
) -> list[str]:
    """The ``jupyter lab`` command line: this interpreter's JupyterLab, offline settings."""
    argv = [
        sys.executable,
        "-m",
        "jupyterlab",
        f"--ServerApp.root_dir={notebooks}",
        f"--ServerApp.ip={ip}",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",  # the printed URL must be the one that works
        f"--IdentityProvider.token={token}",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    if not open_browser:
        argv.append("--no-browser")
    if os.geteuid() == 0:
        argv.append("--allow-root")
    return [*argv, *extra]


def free_port(start: int, ip: str = DEFAULT_IP, tries: int = 50) -> int:
    """``start``, or the next port after it that nothing listens on (as JupyterLab would)."""
    host = "127.0.0.1" if ip in ("0.0.0.0", "") else ip
    for port in range(start, start + tries):
        with socket.socket() as s:
            try:
                s.bind((host, port))
            except OSError:
                continue
            return port
    raise SystemExit(f"no free port in {start}–{start + tries - 1}; give one with --port")


def _can_open_browser() -> bool:
    """A browser can be opened here: not on a Linux machine without a screen (a container)."""
    if sys.platform != "linux":
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m projections.lab",
        description="Open the analyst notebooks in JupyterLab (charts drawn offline).",
    )
    ap.add_argument("--ledger", help="ledger URL for the notebooks (default: $HRLEDGER_DB)")
    ap.add_argument(
        "--port", type=int, help=f"default {DEFAULT_PORT}, or the next free one after it"
    )
    ap.add_argument(
        "--ip",
        default=DEFAULT_IP,
        help="address to listen on (default %(default)s; 0.0.0.0 to reach a container)",
    )
    ap.add_argument("--no-browser", action="store_true", help="do not open a browser")
    ap.add_argument("--notebooks", type=Path, default=NOTEBOOK_DIR, help="default %(default)s")
    a = ap.parse_args(argv)
    env = dict(os.environ)
    if a.ledger:
        env["HRLEDGER_DB"] = a.ledger
    token = secrets.token_hex(24)
    host = "127.0.0.1" if a.ip in ("0.0.0.0", "") else a.ip
    port = a.port if a.port is not None else free_port(DEFAULT_PORT, a.ip)
    print(f"JupyterLab on {a.notebooks} with ledger {env.get('HRLEDGER_DB', '(notebook default)')}")
    print(f"open: {url(host, port, token)}", flush=True)
    print("stop with Ctrl-C (twice)", flush=True)
    argv_ = command(
        port=port,
        ip=a.ip,
        token=token,
        notebooks=a.notebooks.resolve(),
        open_browser=not a.no_browser and _can_open_browser(),
    )
    os.execve(argv_[0], argv_, env)
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main())
