"""A long read in two processes: a child reads the first part of the positions.

Why: opening a sealed value is one AES call from Python, and it holds the
GIL. In one process the two decoding threads of ``read_facts`` then used
about 1.5 of the 2 cores of a ten-year rebuild, and the rebuild took twice
the raw read and decode of the same rows. A second process has a GIL of
its own, so the halves open their values at the same time.

The child is a plain ``python -m projections.facts.two_processes``, not
``multiprocessing``: its ``spawn`` imports the caller's ``__main__`` again,
and an analyst's script without an ``if __name__ == "__main__":`` guard would
run again in the child. The child gets the ledger's URL and where its master
key comes from on stdin, reads its part with its own connection and keys,
and sends the facts of each page back as soon as they are decoded, pickled
(polars pickles a frame as Arrow IPC) on stdout, so it holds one page's
facts at a time and the facts are held once, here: an Oslo-size rebuild
whose child sent its facts at the end peaked at 2.9 GB here and 1.9 GB in
the child. Nothing goes through the disk: the facts hold opened personal data.

A child that cannot start or read for any other reason than the ledger's
own (a ``LedgerError``, e.g. a missing key, which the parent would meet too)
is not fatal: the parent then reads that part itself.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from subprocess import PIPE
from typing import Any

from ledger.domain.errors import LedgerError
from ledger.storage.urls import is_postgres, scheme
from projections.facts.source import (
    Facts,
    Reading,
    RowSource,
    concat,
    forget_delta,
    page_size_for,
    read_facts,
    read_parts,
)

SPLIT_FROM = 1_000_000
"""A read of more rows than this is split in two processes. Below it the child's start
(an interpreter, polars, the keys: about half a second) costs more than it saves."""

CHILD_SHARE = 0.45
"""The child's part of the positions: a little less than half, for its start."""


def read_long(
    store: RowSource, after: int = 0, *, upto: int | None = None, split_from: int = SPLIT_FROM
) -> tuple[Facts, int]:
    """``read_facts``, its first part in a child process when the read is long.

    A store that another process cannot open (in memory) is read in this one.
    Returns the facts and the last position read.
    """
    head = store.max_position()
    end = min(head, upto or head)
    url = _child_url(store)
    master = getattr(store, "master_key", None)
    if end - after <= split_from or url is None or master is None:
        return read_facts(store, after, upto=upto)
    mid = after + int((end - after) * CHILD_SHARE)
    page_size = page_size_for(end - after)
    request = pickle.dumps((url, master, after, mid, page_size))
    child = _Child()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="facts-child") as pool:
        answer = pool.submit(_run_child, request, child)
        reading = Reading(mid)
        try:
            second = list(read_parts(store, reading, upto=upto, page_size=page_size))
            first = answer.result()
        except BaseException:  # e.g. a notebook's interrupt: do not wait for the child
            child.stop()
            raise
    if first is None:  # the child could not do it: this process reads that part
        first = list(read_parts(store, Reading(after), upto=mid, page_size=page_size))
    facts, last = concat([*first, *second]), reading.last
    # an erasure in the second half also takes the person's facts out of the first
    return forget_delta(facts, facts)[0], last


def _child_url(store: RowSource) -> str | None:
    """A URL another process opens the same ledger with: a PostgreSQL one as it is, an
    SQLite file's by its absolute path (the working directory may have changed since);
    None for a ledger only this process can see (in memory)."""
    url = getattr(store, "url", None)
    if not isinstance(url, str):
        return None
    if is_postgres(url):
        return url
    path = getattr(store, "path", None)
    if scheme(url) == "sqlite" and isinstance(path, str) and os.path.isfile(path):
        return f"sqlite:///{os.path.abspath(path)}"
    return None


class _Child:
    """The child process, so that a read that fails or is interrupted here can stop it
    (Jupyter interrupts the kernel alone: its child would read on)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._stopped = False

    def start(self, command: list[str], **options: Any) -> subprocess.Popen[bytes] | None:
        with self._lock:
            if not self._stopped:
                self._process = subprocess.Popen(command, **options)
            return self._process

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            if self._process is not None:
                self._process.kill()


def _run_child(request: bytes, handle: _Child) -> list[Facts] | None:
    """The facts of the child's pages; None when it failed for a reason of its own (not
    the ledger's), or was stopped. Each page is unpickled as it arrives, so the child
    never holds more."""
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[2])  # the child imports this checkout
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    command = [sys.executable, "-m", "projections.facts.two_processes"]
    parts: list[Facts] = []
    try:
        with tempfile.TemporaryFile() as errors:  # its warnings stay out of the user's output
            child = handle.start(command, stdin=PIPE, stdout=PIPE, stderr=errors, env=env)
            if child is None:
                return None
            with child:
                assert child.stdin is not None and child.stdout is not None
                child.stdin.write(request)
                child.stdin.close()
                while (message := pickle.load(child.stdout))[0] == "page":
                    parts.append(message[1])
                kind, value = message
    except Exception:  # could not start, or died without a whole answer
        return None
    if kind == "error" and isinstance(value, LedgerError):
        raise value
    return parts if kind == "done" else None


def _child() -> None:
    """Read the part asked for on stdin; answer ``("page", Facts)`` for each page, then
    ``("done", None)`` or ``("error", e or None)``, pickled on stdout."""
    from ledger.storage.store import open_store

    # the answer keeps stdout's pipe; anything printed, by Python or by a library's C
    # code, goes to stderr instead and cannot corrupt it
    answer = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    url, master, after, upto, page_size = pickle.load(sys.stdin.buffer)
    end: tuple[str, LedgerError | None]
    with answer:
        try:
            store = open_store(url, create=False, master_key=master)
            try:
                for part in read_parts(store, Reading(after), upto=upto, page_size=page_size):
                    # a failure half-way leaves an answer the parent cannot read: it
                    # then reads the part itself
                    pickle.dump(("page", part), answer, protocol=pickle.HIGHEST_PROTOCOL)
            finally:
                store.close()
            end = ("done", None)
        except LedgerError as e:  # the parent raises it: it would meet it too
            end = ("error", e)
        except Exception:  # the parent reads this part itself
            end = ("error", None)
        pickle.dump(end, answer)


if __name__ == "__main__":
    _child()
