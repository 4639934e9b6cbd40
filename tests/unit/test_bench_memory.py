"""The benchmarks' memory figure counts a child's memory while both are alive."""

from __future__ import annotations

import subprocess
import sys

from benchmarks.memory import TreePeak


def test_the_peak_of_a_process_and_its_child_counts_both() -> None:
    hold = "x = bytearray(200 * 1024 * 1024); import time; time.sleep(0.3)"
    with TreePeak() as tree:
        subprocess.run([sys.executable, "-c", hold], check=True)
    assert tree.gb > 0.2  # the child's 200 MB, which this process's own peak never saw
