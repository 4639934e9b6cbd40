"""A deterministic synthetic municipality in the interchange import format.

`generate` writes a JSON Lines file that the ledger accepts as a whole
(every line passes the Utsira handbook rules) and whose KPIs land near the
published figures of the preset (see docs/synthetic-data.md). The same
arguments always give byte-identical output.
"""

from __future__ import annotations

import pathlib
import sys
from collections.abc import Iterator
from typing import Any

from tqdm import tqdm

from ledger.synthetic.absence import Absence
from ledger.synthetic.hms import simulate_hms
from ledger.synthetic.presets import PRESETS, Preset, get_preset
from ledger.synthetic.sampling import stream
from ledger.synthetic.sink import EventSink, Payload
from ledger.synthetic.workforce import Workforce
from ledger.synthetic.writer import encoded_lines, lines, run_tag

__all__ = ["PRESETS", "Preset", "generate", "generate_lines", "get_preset"]


def _simulate(
    preset_name: str, year_from: int, year_to: int, seed: int, scale: float
) -> list[tuple[int, Payload]]:
    preset = get_preset(preset_name)
    if year_from > year_to:
        raise ValueError(f"year_from {year_from} is after year_to {year_to}")
    if not 1900 < year_from <= 2100 or not 1900 < year_to <= 2100:
        raise ValueError("years must be between 1901 and 2100")
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
    sink = EventSink()
    workforce = Workforce(
        preset, year_from, year_to, scale, stream(preset.name, seed, "workforce"), sink
    )
    workforce.run()
    Absence(preset, year_from, year_to, stream(preset.name, seed, "absence"), sink).run(
        workforce.persons
    )
    simulate_hms(
        preset, workforce.employments, year_from, year_to, scale,
        stream(preset.name, seed, "hms"), sink,
    )  # fmt: skip
    return sink.sorted_events()


def generate_lines(
    preset: str, year_from: int, year_to: int, *, seed: int = 1, scale: float = 1.0
) -> Iterator[dict[str, Any]]:
    """The generated events as dicts, in file order."""
    events = _simulate(preset, year_from, year_to, seed, scale)
    return lines(events, run_tag(preset, seed, year_from, year_to, scale))


def generate(
    preset: str, year_from: int, year_to: int, *, seed: int = 1, scale: float = 1.0,
    out: pathlib.Path, progress: bool = False,
) -> int:  # fmt: skip
    """Write the synthetic municipality to `out` (JSON Lines); returns the number of lines."""
    events = _simulate(preset, year_from, year_to, seed, scale)
    tag = run_tag(preset, seed, year_from, year_to, scale)
    count = 0
    with (
        open(out, "wb") as fh,
        tqdm(total=len(events), disable=not progress, file=sys.stderr, unit="line",
             unit_scale=True, desc=f"{preset} {year_from}–{year_to}") as bar,
    ):  # fmt: skip
        chunk: list[bytes] = []
        for line in encoded_lines(events, tag):
            chunk.append(line)
            if len(chunk) == 50_000:
                fh.write(b"\n".join(chunk) + b"\n")
                count += len(chunk)
                bar.update(len(chunk))
                chunk = []
        if chunk:
            fh.write(b"\n".join(chunk) + b"\n")
            count += len(chunk)
            bar.update(len(chunk))
    return count
