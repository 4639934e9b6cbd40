"""A municipality's a-melding history into the ledger: all or nothing, idempotent.

Every run reads the whole history (all months, replaced messages too) and
derives the facts it implies (`ledger.amelding.derive`). Facts already
stored are skipped by their deterministic ids; a fact stored by an earlier
run that the history no longer implies (a replacement message corrected its
month) is retracted. So a folder that grew by a month stores that month's
facts, and the auditor's known-at view shows a corrected month both as first
reported and as corrected.

Nothing is stored unless every file reads, every month follows the one
before, and every derived fact passes the rules; each refusal names the file,
the element path and the rule.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ledger.amelding.derive import ID_PREFIX, RECORDED_BY, derive
from ledger.amelding.history import History, build, identities
from ledger.amelding.mapping import Mapping
from ledger.amelding.message import Finding, Message, Source, read_message
from ledger.domain.errors import ImportRefused, LedgerError
from ledger.domain.person import PersonState
from ledger.security.keys import Keyring
from ledger.security.pseudonyms import pseudonym, pseudonym_key
from ledger.services.recording import Ledger, RecordResult

RETRACTION_ORDER = {"terminated": 0, "leave": 1, "hired": 3}
"""Dependants before the hire they depend on (the retraction rule asks for it)."""


class AmeldingRefused(ImportRefused):
    """Nothing was stored; every problem names its file and element path."""

    def __init__(self, findings: list[Finding]):
        self.findings = findings
        self.problems = []
        LedgerError.__init__(
            self,
            f"a-melding import refused, nothing stored: {len(findings)} problem(s)\n"
            + "\n".join(str(f) for f in findings),
        )


@dataclass(frozen=True)
class AmeldingResult:
    files: int
    months: tuple[str, str]
    retracted: int
    recorded: RecordResult


def xml_files(paths: Iterable[Path]) -> list[Path]:
    """The files given, and the `*.xml` files of each folder given, in name order."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.iterdir() if p.suffix.lower() == ".xml")
        elif path.is_file():
            files.append(path)
        else:
            raise LedgerError(f"{path} is neither an a-melding file nor a folder")
    if not files:
        raise LedgerError("no a-melding files (*.xml) among " + ", ".join(map(str, paths)))
    return files


def read_all(files: list[Path]) -> list[Message]:
    messages: list[Message] = []
    findings: list[Finding] = []
    for f in files:
        message, found = read_message(f, str(f))
        findings += found
        if message is not None:
            messages.append(message)
    if findings:
        raise AmeldingRefused(findings)
    return messages


def _pseudonyms() -> Callable[[str], str]:
    key: list[bytes] = []

    def of(national_id: str) -> str:
        if not key:
            key.append(pseudonym_key())
        return pseudonym(national_id, key[0])

    return of


def import_amelding(
    ledger: Ledger, paths: Iterable[Path], mapping: Mapping, *, progress: bool = False
) -> AmeldingResult:
    files = xml_files(list(paths))
    messages = read_all(files)
    employee_id_of, findings = identities(messages, mapping.employee_id, _pseudonyms())
    history, more = build(messages, employee_id_of)
    if findings or more:
        raise AmeldingRefused(findings + more)
    states = _stored_states(ledger, sorted({key[1] for key in history.jobs}))
    retracted = {eid for s in states.values() for eid in s.retracted}
    derived, findings = derive(history, mapping, retracted.__contains__)
    if findings:
        raise AmeldingRefused(findings)
    keep = {d.line["event_id"] for d in derived}
    retractions = _retractions(states, keep, _retraction_source(history))
    lines = [line for line, _ in retractions] + [d.line for d in derived]
    sources = [source for _, source in retractions] + [d.source for d in derived]
    try:
        recorded = ledger.record_numbered(enumerate(lines, start=1), progress=progress)
    except AmeldingRefused:
        raise
    except ImportRefused as e:
        located = [_located(p.line, p.field, p.message, sources) for p in e.problems]
        raise AmeldingRefused(located) from None
    months = sorted(m for ms in history.months.values() for m in ms)
    return AmeldingResult(len(files), (months[0], months[-1]), len(retractions), recorded)


def _located(n: int, field: str | None, message: str, sources: list[Source]) -> Finding:
    source = sources[n - 1] if 0 < n <= len(sources) else Source("(input)", "")
    return Finding(source.file, source.path, f"{field}: {message}" if field else message)


def _stored_states(ledger: Ledger, employee_ids: list[str]) -> dict[str, PersonState]:
    """Each person's rule state as stored; nothing to read in an empty ledger."""
    if not employee_ids or ledger.store.max_position() == 0:
        return {}
    ring = Keyring.load(ledger.store, employee_ids)
    ring.check_master()
    return {e: ledger.person_state(e, ring) for e in employee_ids}


def _retraction_source(history: History) -> Source:
    latest = max(history.replacements.values(), key=lambda m: (m.month, m.file), default=None)
    if latest is None:
        return Source("(a-melding history)", "")
    return Source(latest.file, "melding/Leveranse/erstatterMeldingsId")


def _retractions(
    states: dict[str, PersonState], keep: set[str], source: Source
) -> list[tuple[dict[str, Any], Source]]:
    """Retract the stored a-melding facts the history no longer implies, dependants first."""
    stale = sorted(
        (RETRACTION_ORDER.get(kind, 2), eid)
        for state in states.values()
        for eid, kind in state.live_facts()
        if eid.startswith(ID_PREFIX) and eid not in keep
    )
    return [
        (
            {
                "type": "retracted",
                "event_id": f"{ID_PREFIX}r-{eid}",
                "target_event_id": eid,
                "reason": "no longer in the a-melding as now reported (a replacement message "
                "corrected its month)",
                "recorded_by": RECORDED_BY,
            },
            source,
        )
        for _, eid in stale
    ]
