"""Peak memory of this process and its children together, sampled.

Why: a long rebuild reads its first part in a child process
(``projections.facts.two_processes``). Each process's own peak
(``getrusage``) is exact, but their sum overstates what the machine needed:
the child has exited before this process reaches its own peak (joining the
facts, saving them, the KPIs). Sampling the resident memory of both every
10 ms gives the peak they reached together; a peak shorter than that can be
missed, so the figure is never less than this process's own exact peak.
Linux only (``/proc``), as the benchmarks are.
"""

from __future__ import annotations

import os
import resource
import threading
from pathlib import Path
from types import TracebackType


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass  # it has just exited
    return 0


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            text = (task / "children").read_text()
            found += [int(c) for c in text.split()]
    except OSError:
        pass
    return found


def tree_rss_kb(pid: int | None = None) -> int:
    """Resident memory of ``pid`` (this process) and all its descendants now, kB."""
    todo, total = [pid or os.getpid()], 0
    while todo:
        p = todo.pop()
        total += _rss_kb(p)
        todo += _children(p)
    return total


class TreePeak:
    """``with TreePeak() as peak: ...`` then ``peak.gb``: the sampled peak of the tree."""

    def __init__(self, interval: float = 0.01):
        self.interval = interval
        self._peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="tree-peak", daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self._peak_kb = max(self._peak_kb, tree_rss_kb())
            self._stop.wait(self.interval)

    def __enter__(self) -> TreePeak:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def gb(self) -> float:
        own_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return max(self._peak_kb, own_kb) / 1024 / 1024
