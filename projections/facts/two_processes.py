"""A long read in two processes: the first half of the positions is read by a child.

Why: opening a sealed value is one AES call from Python, and it holds the
GIL. In one process the two decoding threads of ``read_facts`` then used
about 1.5 of the 2 cores of a ten-year rebuild, and the rebuild took twice
the raw read and decode of the same rows. A second process has a GIL of
its own, so the halves open their values at the same time.

The child is a plain ``python -m projections.facts.two_processes``, not
``multiprocessing``: its ``spawn`` imports the caller's ``__main__`` again,
and an analyst's script without an ``if __name__ == "__main__":`` guard would
run again in the child. The child gets the ledger's URL and where its master
key comes from on stdin, reads its half with its own connection and keys,
and sends its facts back pickled (polars pickles a frame as Arrow IPC) on
stdout. Nothing goes through the disk: the facts hold opened personal data.

A child that cannot start or read for any other reason than the ledger's
own (a ``LedgerError``, e.g. a missing key, which the parent would meet too)
is not fatal: the parent then reads that half itself.
"""

from __future__ import annotations

import os
import pickle
import resource
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from subprocess import PIPE
from typing import Any

from ledger.domain.errors import LedgerError
from ledger.storage.urls import is_postgres, scheme
from projections.facts.source import (
    Facts,
    RowSource,
    concat,
    forget_delta,
    page_size_for,
    read_facts,
)

SPLIT_FROM = 1_000_000
"""A read of more rows than this is split in two processes. Below it the child's start
(an interpreter, polars, the keys: about half a second) costs more than it saves."""

CHILD_PEAK_MB = 0.0
"""The highest peak memory of a child so far, in this process (MB): the benchmarks add it
to this process's own, since both hold facts at the same time."""
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
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="facts-child") as pool:
        child = pool.submit(_run_child, request)
        second, last = read_facts(store, mid, upto=upto, page_size=page_size)
        first = child.result()
    if first is None:  # the child could not do it: this process reads that half
        first, _ = read_facts(store, after, upto=mid, page_size=page_size)
    facts = concat([first, second])
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


def _run_child(request: bytes) -> Facts | None:
    """The child's facts; None when it failed for a reason of its own (not the ledger's).

    Its answer is unpickled as it arrives: one frame's bytes at a time are held
    here beside the facts, not the whole answer.
    """
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[2])  # the child imports this checkout
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    command = [sys.executable, "-m", "projections.facts.two_processes"]
    try:
        with (
            tempfile.TemporaryFile() as errors,
            subprocess.Popen(command, stdin=PIPE, stdout=PIPE, stderr=errors, env=env) as child,
        ):
            assert child.stdin is not None and child.stdout is not None
            child.stdin.write(request)
            child.stdin.close()
            kind, value = pickle.load(child.stdout)
            peak_mb = pickle.load(child.stdout)
    except Exception:  # could not start, or died without a whole answer
        return None
    global CHILD_PEAK_MB
    CHILD_PEAK_MB = max(CHILD_PEAK_MB, peak_mb)
    if kind == "error" and isinstance(value, LedgerError):
        raise value
    return value if kind == "facts" else None


def _child() -> None:
    """Read the part asked for on stdin; answer ``("facts", Facts)`` or ``("error", e)``,
    then its peak memory (MB), pickled one after the other on stdout."""
    from ledger.storage.store import open_store

    answer = os.fdopen(os.dup(1), "wb")
    sys.stdout = sys.stderr  # nothing printed may corrupt the answer
    url, master, after, upto, page_size = pickle.load(sys.stdin.buffer)
    result: tuple[str, Any]
    try:
        store = open_store(url, create=False, master_key=master)
        try:
            result = ("facts", read_facts(store, after, upto=upto, page_size=page_size)[0])
        finally:
            store.close()
    except LedgerError as e:  # the parent raises it: it would meet it too
        result = ("error", e)
    except Exception:  # the parent reads this part itself
        result = ("error", None)
    with answer:
        # written as it is pickled (no second copy of the facts); a failure half-way
        # leaves an answer the parent cannot read, and it then reads the part itself
        pickle.dump(result, answer, protocol=pickle.HIGHEST_PROTOCOL)
        pickle.dump(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, answer)


if __name__ == "__main__":
    _child()
