"""Per-municipality targets: data (``<name>.json`` here, or any JSON file), not code.

A targets file holds ``sickness_rate_pct`` and ``apprentices`` (either may be
null). ``load_targets(None)`` reads ``HRLEDGER_TARGETS`` (a name or a path),
else the Sandnes file.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

ENV_TARGETS = "HRLEDGER_TARGETS"
DEFAULT = "sandnes"


@dataclass(frozen=True)
class Targets:
    municipality: str
    sickness_rate_pct: float | None
    apprentices: float | None


def available() -> list[str]:
    return sorted(
        p.name.removesuffix(".json")
        for p in resources.files(__name__).iterdir()
        if p.name.endswith(".json")
    )


def load_targets(name_or_path: str | None = None) -> Targets:
    """Targets by municipality name (``sandnes``, ``utsira``) or by path to a JSON file."""
    key = name_or_path or os.environ.get(ENV_TARGETS) or DEFAULT
    if key.endswith(".json") or os.sep in key:
        path = Path(key)
        if not path.exists():
            raise ValueError(f"targets file {key} does not exist")
        text = path.read_text(encoding="utf-8")
    else:
        res = resources.files(__name__) / f"{key.lower()}.json"
        if not res.is_file():
            raise ValueError(
                f"no targets for {key!r}; choose one of {', '.join(available())} or a JSON file"
            )
        text = res.read_text(encoding="utf-8")
    data = json.loads(text)

    def num(field: str) -> float | None:
        v = data.get(field)
        return None if v is None else float(v)

    return Targets(
        municipality=str(data.get("municipality", key)),
        sickness_rate_pct=num("sickness_rate_pct"),
        apprentices=num("apprentices"),
    )
