"""One a-melding file, read into plain records; every problem names the file and the element.

Only what the ledger uses is kept: the message header, each sub-unit
(`virksomhet`), each income recipient's identity, their employments
(`arbeidsforhold`) with leave (`permisjon`), and their pay lines (`inntekt`
with a `loennsinntekt` description). The file is read with `iterparse`, and
each recipient's subtree is dropped once read, so a municipality's monthly
file of many megabytes is never held whole.

The identity number is kept in memory only as long as the import runs; it
never reaches a ledger line (see `ledger.amelding.identity`).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from ledger.amelding.codes import NAMESPACE

_NS = "{" + NAMESPACE + "}"
_DATE = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})(Z|[+-][0-9]{2}:[0-9]{2})?")
_MONTH = re.compile(r"([0-9]{4}-[0-9]{2})(Z|[+-][0-9]{2}:[0-9]{2})?")
ROOT = "melding"


@dataclass(frozen=True)
class Finding:
    """A problem of the input: the file, the element path and what is wrong."""

    file: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.path}: {self.message}"


@dataclass(frozen=True)
class Source:
    file: str
    path: str


@dataclass(frozen=True)
class Leave:
    leave_id: str
    start: str
    end: str | None
    pct: float
    description: str
    paid: bool | None
    source: Source


@dataclass(frozen=True)
class Job:
    """One `arbeidsforhold` as reported for the month (its state at the month's end)."""

    job_id: str
    kind: str
    start: str | None
    end: str | None
    end_reason: str | None
    pct: float | None
    pct_date: str | None
    pay_date: str | None
    occupation: str | None
    form: str | None
    leaves: tuple[Leave, ...]
    source: Source


@dataclass(frozen=True)
class PayLine:
    job_id: str | None
    description: str
    amount: float
    period_start: str | None
    period_end: str | None
    source: Source


@dataclass
class Recipient:
    """An `inntektsmottaker`; `national_id` is the identity number, held in memory only."""

    national_id: str | None
    birth_date: str | None
    employee_number: str | None
    jobs: list[Job]
    pay: list[PayLine]
    source: Source


@dataclass
class Unit:
    orgnr: str
    recipients: list[Recipient]
    source: Source


@dataclass
class Message:
    file: str
    message_id: str
    replaces: str | None
    month: str
    """YYYY-MM (kalendermaaned)."""
    reporter: str
    """The opplysningspliktig's organisation number."""
    units: list[Unit] = field(default_factory=list)

    @property
    def source(self) -> Source:
        return Source(self.file, "melding/Leveranse")


class _Reader:
    """Reads elements of one file, collecting findings instead of raising."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.findings: list[Finding] = []

    def bad(self, path: str, message: str) -> None:
        self.findings.append(Finding(self.file, path, message))

    def text(self, elem: ET.Element, name: str, path: str, *, required: bool) -> str | None:
        child = elem.find(_NS + name)
        value = child.text.strip() if child is not None and child.text else None
        if value is None and required:
            self.bad(f"{path}/{name}", "is required and missing")
        return value

    def day(self, elem: ET.Element, name: str, path: str, *, required: bool) -> str | None:
        value = self.text(elem, name, path, required=required)
        if value is None:
            return None
        m = _DATE.fullmatch(value)
        if m is None or not _real_date(m.group(1)):
            self.bad(f"{path}/{name}", f"{value!r} is not a date YYYY-MM-DD")
            return None
        return m.group(1)

    def number(self, elem: ET.Element, name: str, path: str, *, required: bool) -> float | None:
        value = self.text(elem, name, path, required=required)
        if value is None:
            return None
        try:
            number = float(value)
        except ValueError:
            self.bad(f"{path}/{name}", f"{value!r} is not a number")
            return None
        return int(number) if number.is_integer() else number  # 100, as the ledger writes it

    def flag(self, elem: ET.Element, name: str, path: str) -> bool | None:
        value = self.text(elem, name, path, required=False)
        if value is None:
            return None
        if value not in ("true", "false", "1", "0"):
            self.bad(f"{path}/{name}", f"{value!r} is not true or false")
            return None
        return value in ("true", "1")


def _real_date(text: str) -> bool:
    from datetime import date

    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def read_message(path: Path, name: str | None = None) -> tuple[Message | None, list[Finding]]:
    """Read one file; a message comes back only if the file has no finding."""
    file = name or path.name
    reader = _Reader(file)
    header: dict[str, str | None] = {}
    units: list[Unit] = []
    unit_counter = 0
    recipient_counter = 0
    try:
        events = ET.iterparse(str(path), events=("start", "end"))
        stack: list[str] = []
        for event, elem in events:
            local = _local(elem.tag)
            if event == "start":
                if not stack:
                    if elem.tag != _NS + ROOT:
                        found = elem.tag[1:].split("}")[0] if elem.tag.startswith("{") else ""
                        what = f"namespace {found}" if found else "no namespace"
                        reader.bad(
                            local,
                            f"the root element is {local!r} in {what}; an a-melding is "
                            f'<melding xmlns="{NAMESPACE}"> (version 2.3)',
                        )
                        return None, reader.findings
                elif elem.tag.startswith("{") and not elem.tag.startswith(_NS):
                    reader.bad(
                        "/".join([*stack, local]),
                        f"element in a foreign namespace; expected {NAMESPACE}",
                    )
                if local == "virksomhet" and stack[-1:] == ["oppgave"]:
                    unit_counter += 1
                    recipient_counter = 0
                    units.append(Unit("", [], Source(file, _unit_path(unit_counter))))
                if local == "inntektsmottaker" and stack[-1:] == ["virksomhet"]:
                    recipient_counter += 1
                stack.append(local)
                continue
            stack.pop()
            parent = stack[-1] if stack else ""
            if parent == "Leveranse" and local in (
                "kalendermaaned",
                "meldingsId",
                "erstatterMeldingsId",
            ):
                header[local] = elem.text.strip() if elem.text else None
            elif local == "norskIdentifikator" and parent == "opplysningspliktig":
                header["opplysningspliktig"] = elem.text.strip() if elem.text else None
            elif local == "norskIdentifikator" and parent == "virksomhet" and units:
                units[-1].orgnr = elem.text.strip() if elem.text else ""
            elif local == "inntektsmottaker" and parent == "virksomhet" and units:
                where = f"{_unit_path(unit_counter)}/inntektsmottaker[{recipient_counter}]"
                units[-1].recipients.append(_recipient(reader, elem, where))
                elem.clear()
            elif local == "Leveranse" and parent == ROOT:
                elem.clear()
    except ET.ParseError as e:
        reader.bad("(file)", f"is not well-formed XML ({e})")
        return None, reader.findings
    except OSError as e:
        reader.bad("(file)", f"cannot be read ({e.strerror})")
        return None, reader.findings
    message = _header(reader, header, units)
    return (message if not reader.findings else None), reader.findings


def _unit_path(n: int) -> str:
    return f"melding/Leveranse/oppgave/virksomhet[{n}]"


def _header(reader: _Reader, header: dict[str, str | None], units: list[Unit]) -> Message | None:
    base = "melding/Leveranse"
    for name in ("kalendermaaned", "meldingsId"):
        if not header.get(name):
            reader.bad(f"{base}/{name}", "is required and missing")
    if not header.get("opplysningspliktig"):
        reader.bad(f"{base}/opplysningspliktig/norskIdentifikator", "is required and missing")
    month = header.get("kalendermaaned") or ""
    m = _MONTH.fullmatch(month)
    if month and (m is None or not 1 <= int(m.group(1)[5:7]) <= 12):
        reader.bad(f"{base}/kalendermaaned", f"{month!r} is not a month YYYY-MM")
    for unit in units:
        if not unit.orgnr:
            reader.bad(f"{unit.source.path}/norskIdentifikator", "is required and missing")
    if reader.findings:
        return None
    assert m is not None
    return Message(
        file=reader.file,
        message_id=header["meldingsId"] or "",
        replaces=header.get("erstatterMeldingsId") or None,
        month=m.group(1),
        reporter=header["opplysningspliktig"] or "",
        units=units,
    )


def _recipient(reader: _Reader, elem: ET.Element, path: str) -> Recipient:
    national_id = reader.text(elem, "norskIdentifikator", path, required=False)
    info = elem.find(_NS + "identifiserendeInformasjon")
    birth = number = None
    if info is not None:
        ipath = f"{path}/identifiserendeInformasjon"
        birth = reader.day(info, "foedselsdato", ipath, required=national_id is None)
        number = reader.text(info, "ansattnummer", ipath, required=False)
    elif national_id is None:
        reader.bad(
            f"{path}/norskIdentifikator", "is required when identifiserendeInformasjon is missing"
        )
    jobs = [
        _job(reader, child, f"{path}/arbeidsforhold[{i}]")
        for i, child in enumerate(elem.findall(_NS + "arbeidsforhold"), start=1)
    ]
    pay: list[PayLine] = []
    for i, child in enumerate(elem.findall(_NS + "inntekt"), start=1):
        line = _pay_line(reader, child, f"{path}/inntekt[{i}]")
        if line is not None:
            pay.append(line)
    return Recipient(
        national_id,
        birth,
        number,
        [j for j in jobs if j is not None],
        pay,
        Source(reader.file, path),
    )


def _job(reader: _Reader, elem: ET.Element, path: str) -> Job | None:
    kind = reader.text(elem, "typeArbeidsforhold", path, required=True)
    employment = kind in ("ordinaertArbeidsforhold", "maritimtArbeidsforhold")
    job_id = reader.text(elem, "arbeidsforholdId", path, required=employment)
    start = reader.day(elem, "startdato", path, required=employment)
    pct = reader.number(elem, "stillingsprosent", path, required=employment)
    occupation = reader.text(elem, "yrke", path, required=employment)
    leaves = tuple(
        leave
        for i, child in enumerate(elem.findall(_NS + "permisjon"), start=1)
        if (leave := _leave(reader, child, f"{path}/permisjon[{i}]")) is not None
    )
    return Job(
        job_id=job_id or "",
        kind=kind or "",
        start=start,
        end=reader.day(elem, "sluttdato", path, required=False),
        end_reason=reader.text(elem, "aarsakTilSluttdato", path, required=False),
        pct=pct,
        pct_date=reader.day(elem, "sisteDatoForStillingsprosentendring", path, required=False),
        pay_date=reader.day(elem, "sisteLoennsendringsdato", path, required=False),
        occupation=occupation,
        form=reader.text(elem, "formForAnsettelse", path, required=False),
        leaves=leaves,
        source=Source(reader.file, path),
    )


def _leave(reader: _Reader, elem: ET.Element, path: str) -> Leave | None:
    leave_id = reader.text(elem, "permisjonId", path, required=True)
    start = reader.day(elem, "startdato", path, required=True)
    pct = reader.number(elem, "permisjonsprosent", path, required=True)
    description = reader.text(elem, "beskrivelse", path, required=True)
    end = reader.day(elem, "sluttdato", path, required=False)
    paid = reader.flag(elem, "loennet", path)
    if leave_id is None or start is None or pct is None or description is None:
        return None
    return Leave(leave_id, start, end, pct, description, paid, Source(reader.file, path))


def _pay_line(reader: _Reader, elem: ET.Element, path: str) -> PayLine | None:
    """A pay line (`loennsinntekt`); other income (benefits, pensions) is not pay."""
    salary = elem.find(_NS + "loennsinntekt")
    if salary is None:
        return None
    description = reader.text(salary, "beskrivelse", f"{path}/loennsinntekt", required=True)
    amount = reader.number(elem, "beloep", path, required=True)
    if description is None or amount is None:
        return None
    return PayLine(
        job_id=reader.text(elem, "arbeidsforholdId", path, required=False),
        description=description,
        amount=amount,
        period_start=reader.day(elem, "startdatoOpptjeningsperiode", path, required=False),
        period_end=reader.day(elem, "sluttdatoOpptjeningsperiode", path, required=False),
        source=Source(reader.file, path),
    )
