"""Turns the sorted events into interchange lines with deterministic event ids.

Event ids are numbered in file order under a run tag (preset, seed, years,
scale), so importing the same file twice is a no-op, while files generated
with other parameters never collide with it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson

from ledger.synthetic.model import iso
from ledger.synthetic.sink import Payload, SickPayload, day_of

RECORDED_BY = "synthetic"


def run_tag(preset: str, seed: int, year_from: int, year_to: int, scale: float) -> str:
    tag = f"{preset}-s{seed}-{year_from}-{year_to}"
    return tag if scale == 1 else f"{tag}-x{scale:g}"


def lines(events: list[tuple[int, Payload]], tag: str) -> Iterator[dict[str, Any]]:
    for n, (key, payload) in enumerate(events, start=1):
        event_id = f"{tag}-{n:09d}"
        if isinstance(payload, tuple):
            employee_id, certificate, grade = payload
            line: dict[str, Any] = {
                "type": "sick_day",
                "event_id": event_id,
                "employee_id": employee_id,
                "effective_date": iso(day_of(key)),
                "certificate": certificate,
            }
            if certificate != "self":
                line["grade_pct"] = grade
            line["recorded_by"] = RECORDED_BY
            yield line
        else:
            yield {
                "type": payload["type"],
                "event_id": event_id,
                **payload,
                "recorded_by": RECORDED_BY,
            }


def encoded_lines(events: list[tuple[int, Payload]], tag: str) -> Iterator[bytes]:
    """The same lines as `lines`, serialised; sick days (90 % of a file) take a fast path.

    A sick day's bytes are assembled from cached fragments instead of building
    and serialising a dict; the result is identical to `orjson.dumps(line)`
    (a unit test holds the two paths to that).
    """
    dumps = orjson.dumps
    fragments: dict[SickPayload, tuple[bytes, bytes]] = {}
    prefix = b'{"type":"sick_day","event_id":"'
    suffix = b',"recorded_by":' + dumps(RECORDED_BY) + b"}"
    tag_bytes = tag.encode()
    for n, (key, payload) in enumerate(events, start=1):
        if isinstance(payload, tuple):
            parts = fragments.get(payload)
            if parts is None:
                employee_id, certificate, grade = payload
                middle = b',"certificate":' + dumps(certificate)
                if certificate != "self":
                    middle += b',"grade_pct":' + dumps(grade)
                parts = (b'","employee_id":' + dumps(employee_id) + b',"effective_date":"', middle)
                fragments[payload] = parts
            yield b"".join(
                (prefix, tag_bytes, b"-%09d" % n, parts[0], iso(day_of(key)).encode(), b'"',
                 parts[1], suffix)
            )  # fmt: skip
        else:
            yield dumps(
                {"type": payload["type"], "event_id": f"{tag}-{n:09d}", **payload,
                 "recorded_by": RECORDED_BY}
            )  # fmt: skip
