"""From a pile of messages to one state per reporting entity and calendar month.

A month may have several messages (one per payroll run or sub-unit); a
message that names another in `erstatterMeldingsId` replaces it. The
month's state is the union of the messages nobody replaced. Months must
follow each other without a gap, because the events are the differences
between one month and the next.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from ledger.amelding.message import Finding, Job, Message, PayLine, Recipient, Source


@dataclass(frozen=True)
class JobMonth:
    """One employment as one month reports it, with what the ledger needs around it."""

    month: str
    employee_id: str
    recipient: Recipient
    unit: str
    """The sub-unit's organisation number."""
    job: Job
    pay: tuple[PayLine, ...]
    message: Message


Key = tuple[str, str, str]
"""(reporter, employee id, arbeidsforholdId)."""


@dataclass
class History:
    months: dict[str, list[str]]
    """Reporter → its months in order (no gaps)."""
    jobs: dict[Key, dict[str, JobMonth]]
    """Employment key → month → the job as reported."""
    replacements: dict[str, Message]
    """Reporter → its latest replacement message (for naming the source of retractions)."""


def effective(
    messages: list[Message],
) -> tuple[dict[tuple[str, str], list[Message]], list[Finding]]:
    """(reporter, month) → the messages nobody replaced; findings for broken chains."""
    findings: list[Finding] = []
    by_id: dict[str, Message] = {}
    for m in messages:
        first = by_id.setdefault(m.message_id, m)
        if first is not m:
            findings.append(
                Finding(
                    m.file,
                    "melding/Leveranse/meldingsId",
                    f"meldingsId {m.message_id} is also the id of {first.file}; "
                    "every message has its own id",
                )
            )
    replaced: dict[str, Message] = {}
    for m in messages:
        if m.replaces is None:
            continue
        where = "melding/Leveranse/erstatterMeldingsId"
        target = by_id.get(m.replaces)
        if target is None:
            findings.append(
                Finding(
                    m.file,
                    where,
                    f"replaces message {m.replaces}, which is not among the "
                    "files; give the import the replaced message too (a "
                    "replacement for an unknown message)",
                )
            )
            continue
        if (target.reporter, target.month) != (m.reporter, m.month):
            findings.append(
                Finding(
                    m.file,
                    where,
                    f"replaces message {m.replaces} of {target.month} from "
                    f"{target.reporter}, but is itself for {m.month} from "
                    f"{m.reporter}; a replacement is for the same month and "
                    "reporter",
                )
            )
            continue
        other = replaced.setdefault(m.replaces, m)
        if other is not m:
            findings.append(
                Finding(
                    m.file,
                    where,
                    f"replaces message {m.replaces}, which {other.file} "
                    "already replaces; replace the latest message instead",
                )
            )
    groups: dict[tuple[str, str], list[Message]] = defaultdict(list)
    for m in messages:
        if m.message_id not in replaced:
            groups[(m.reporter, m.month)].append(m)
    return dict(groups), findings


def _next_month(month: str) -> str:
    y, m = int(month[:4]), int(month[5:7])
    return f"{y + m // 12}-{m % 12 + 1:02d}"


def build(
    messages: list[Message], employee_id_of: Callable[[Recipient], str | None]
) -> tuple[History, list[Finding]]:
    groups, findings = effective(messages)
    months: dict[str, list[str]] = defaultdict(list)
    for reporter, month in sorted(groups):
        months[reporter].append(month)
    for reporter, seen in months.items():
        expected = seen[0]
        for month in seen:
            while expected < month:
                m = groups[(reporter, month)][0]
                findings.append(
                    Finding(
                        m.file,
                        "melding/Leveranse/kalendermaaned",
                        f"no a-melding from {reporter} for {expected}, between "
                        f"{seen[0]} and {month}; every month of the history "
                        "is needed",
                    )
                )
                expected = _next_month(expected)
            expected = _next_month(month)
        months[reporter] = [m for m in seen]
    jobs: dict[Key, dict[str, JobMonth]] = defaultdict(dict)
    for (reporter, month), group in sorted(groups.items()):
        for message in group:
            for unit in message.units:
                for recipient in unit.recipients:
                    employee_id = employee_id_of(recipient)
                    if employee_id is None:
                        continue  # its finding is already listed
                    for job in recipient.jobs:
                        if not job.job_id:
                            continue  # not an employment (no arbeidsforholdId needed)
                        key = (reporter, employee_id, job.job_id)
                        jm = JobMonth(
                            month,
                            employee_id,
                            recipient,
                            unit.orgnr,
                            job,
                            _pay_of(job, recipient),
                            message,
                        )
                        first = jobs[key].setdefault(month, jm)
                        if first is not jm:
                            findings.append(
                                Finding(
                                    job.source.file,
                                    job.source.path,
                                    f"arbeidsforhold {job.job_id} of employee {employee_id} is "
                                    f"reported twice for {month} (also {first.job.source.file}: "
                                    f"{first.job.source.path})",
                                )
                            )
    latest: dict[str, Message] = {}
    for m in messages:
        if m.replaces is not None:
            latest[m.reporter] = m
    return History(dict(months), dict(jobs), latest), findings


def _pay_of(job: Job, recipient: Recipient) -> tuple[PayLine, ...]:
    """The pay lines of a job: those naming it, or all unnamed ones of a recipient's only job."""
    own = tuple(p for p in recipient.pay if p.job_id == job.job_id)
    if own:
        return own
    jobs = [j for j in recipient.jobs if j.job_id]
    if len(jobs) == 1:
        return tuple(p for p in recipient.pay if p.job_id is None)
    return ()


def identities(
    messages: list[Message],
    mapping_employee_id: str,
    pseudonym: Callable[[str], str],
) -> tuple[Callable[[Recipient], str | None], list[Finding]]:
    """A function from a recipient to their employee id, and the findings that block one.

    One person is one employee id through the whole history: an identity
    number takes the `ansattnummer` given with it in any month (two different
    ones are refused), or else its keyed pseudonym. A recipient without an
    identity number needs an `ansattnummer`.
    """
    findings: list[Finding] = []
    numbers: dict[str, tuple[str, Source]] = {}
    owners: dict[str, str] = {}
    for m in messages:
        for unit in m.units:
            for r in unit.recipients:
                if r.national_id is None or r.employee_number is None:
                    continue
                first = numbers.setdefault(r.national_id, (r.employee_number, r.source))
                if first[0] != r.employee_number:
                    findings.append(
                        Finding(
                            r.source.file,
                            f"{r.source.path}/identifiserendeInformasjon/ansattnummer",
                            f"ansattnummer {r.employee_number} differs from "
                            f"{first[0]} given for the same person in "
                            f"{first[1].file}: {first[1].path}",
                        )
                    )
                owner = owners.setdefault(r.employee_number, r.national_id)
                if owner != r.national_id:
                    findings.append(
                        Finding(
                            r.source.file,
                            f"{r.source.path}/identifiserendeInformasjon/ansattnummer",
                            f"ansattnummer {r.employee_number} is given to two different persons",
                        )
                    )
    use_numbers = mapping_employee_id == "ansattnummer"
    cache: dict[str, str] = {}

    def employee_id_of(r: Recipient) -> str | None:
        if r.national_id is None:
            return r.employee_number
        if use_numbers and r.national_id in numbers:
            return numbers[r.national_id][0]
        found = cache.get(r.national_id)
        if found is None:
            found = cache[r.national_id] = pseudonym(r.national_id)
        return found

    for m in messages:
        for unit in m.units:
            for r in unit.recipients:
                if r.national_id is None and r.employee_number is None:
                    findings.append(
                        Finding(
                            r.source.file,
                            r.source.path,
                            "has neither norskIdentifikator nor ansattnummer; "
                            "the ledger needs one to know the person",
                        )
                    )
    return employee_id_of, findings
