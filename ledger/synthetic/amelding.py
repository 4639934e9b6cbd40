"""A generated municipality written as the a-melding files its payroll would have filed.

One file per calendar month (`a-melding-YYYY-MM.xml`, namespace v2_3) with
every employment active in the month as it stood at the month's end, its
leave over 14 days (the a-melding's threshold) and its fixed pay as one pay
line per stretch of constant salary and position size; and `mapping.json`,
the municipality's mapping (sub-units, occupation codes, pay rule). Built
from the JSON Lines events, so any interchange file converts.

Identity numbers are synthetic (month + 80, `ledger.amelding.identity`), so
no real person's number can occur; employee ids travel as `ansattnummer`.
"""

from __future__ import annotations

import json
from calendar import monthrange
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from ledger.amelding.codes import NAMESPACE
from ledger.amelding.identity import synthetic_number
from ledger.amelding.mapping import Mapping, PayRule, Place, mapping_to_dict

REPORTING_THRESHOLD_DAYS = 14
"""The a-melding reports leave (permisjon) longer than 14 days."""

TERMINATION_CODES = {
    "resignation": "arbeidstakerHarSagtOppSelv",
    "retirement": "arbeidstakerHarSagtOppSelv",
    "dismissal": "arbeidsgiverHarSagtOppArbeidstaker",
    "end_of_contract": "kontraktEngasjementEllerVikariatErUtloept",
    "other": "endringIOrganisasjonsstrukturEllerByttetJobbInternt",
}
LEAVE_CODES = {
    "parental": "permisjonMedForeldrepenger",
    "education": "utdanningspermisjonIkkeLovfestet",
    "care": "velferdspermisjon",
    "welfare": "velferdspermisjon",
    "unpaid": "andreIkkeLovfestedePermisjoner",
    "public_office": "andreLovfestedePermisjoner",
    "union": "andreLovfestedePermisjoner",
    "other": "andreLovfestedePermisjoner",
}
FORMS = {"permanent": "fast", "temporary": "midlertidig", "apprentice": "midlertidig"}

STYRK_GROUPS = {
    "Sykepleier": "2223",
    "Sjukepleiar": "2223",
    "Helsesykepleier": "2223",
    "Helsefagarbeider": "5321",
    "Helsefagarbeidar": "5321",
    "Assistent helse": "5329",
    "Vernepleier": "3412",
    "Lege": "2211",
    "Kommunelege": "2211",
    "Fysioterapeut": "2264",
    "Sosionom": "2635",
    "Lærer": "2341",
    "Lærar": "2341",
    "Lektor": "2330",
    "Barnehagelærer": "2342",
    "Barnehagelærar": "2342",
    "Barne- og ungdomsarbeider": "5311",
    "Assistent oppvekst": "5312",
    "Assistent": "5312",
    "SFO-assistent": "5312",
    "Spesialpedagog": "2352",
    "Ingeniør": "2142",
    "Fagarbeider teknisk": "7119",
    "Driftsoperatør": "7119",
    "Renholder": "9112",
    "Reinhaldar": "9112",
    "Arealplanlegger": "2164",
    "Bibliotekar": "2622",
    "Kulturskolelærer": "2354",
    "Konsulent kultur": "3435",
    "Rådgiver": "2422",
    "Konsulent": "4110",
    "IT-konsulent": "2511",
    "Økonomirådgiver": "2411",
    "Lønnskonsulent": "4313",
    "Enhetsleder": "1342",
    "Einingsleiar": "1342",
    "Rektor/styrer": "1345",
    "Styrar/rektor": "1345",
    "Avdelingsleder": "1219",
    "Driftsleiar": "1219",
    "Virksomhetsleder": "1431",
    "Rådmann": "1112",
    "Lærling helsearbeiderfaget": "5321",
    "Lærling helsearbeidarfaget": "5321",
    "Lærling barne- og ungdomsarbeiderfaget": "5311",
    "Lærling IKT-servicefaget": "3512",
    "Lærling anleggsgartnerfaget": "6113",
}
"""STYRK-08 unit groups (SSB) of the generated job titles; the last three of the seven
digits the a-melding's `yrke` has are numbered here, one code per title."""


def organisation_numbers(count: int, first: int = 1000) -> list[str]:
    """`count` distinct 9-digit numbers with a valid modulus-11 check digit (synthetic
    sub-units); bodies whose check digit would be 10 are skipped, as Brønnøysund does."""
    weights = (3, 2, 7, 6, 5, 4, 3, 2)
    numbers: list[str] = []
    n = first
    while len(numbers) < count:
        body = f"9{n:07d}"
        k = 11 - sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11
        if k != 10:
            numbers.append(body + str(0 if k == 11 else k))
        n += 1
    return numbers


@dataclass
class _Employment:
    employment_id: str
    employee_id: str
    start: str
    kind: str
    pcts: list[tuple[str, float]]
    salaries: list[tuple[str, float]]
    places: list[tuple[str, tuple[str, str, str, bool]]]
    end: str | None = None
    reason: str | None = None

    def value_on(self, timeline: list[tuple[str, Any]], day: str) -> Any:
        found = timeline[0][1]
        for since, value in timeline:
            if since <= day:
                found = value
        return found

    def last_change(self, timeline: list[tuple[str, Any]], day: str) -> str | None:
        days = [since for since, _ in timeline[1:] if since <= day]
        return max(days) if days else None


@dataclass
class _Person:
    employee_id: str
    birth: str
    gender: str
    national_id: str = ""
    leaves: list[dict[str, Any]] = field(default_factory=list)


class _Municipality:
    """The JSON Lines events folded into employments and leave, ready to report monthly."""

    def __init__(self, lines: Iterable[dict[str, Any]]) -> None:
        self.persons: dict[str, _Person] = {}
        self.employments: dict[str, _Employment] = {}
        for ln in lines:
            t = ln["type"]
            if t == "hired":
                place = (ln["sector"], ln["unit"], ln["position"], bool(ln.get("is_leader")))
                day = ln["effective_date"]
                self.persons.setdefault(
                    ln["employee_id"], _Person(ln["employee_id"], ln["birth_date"], ln["gender"])
                )
                self.employments[ln["employment_id"]] = _Employment(
                    ln["employment_id"],
                    ln["employee_id"],
                    day,
                    ln["employment_type"],
                    [(day, ln["position_pct"])],
                    [(day, ln["annual_salary"])],
                    [(day, place)],
                )
            elif t == "position_changed":
                emp = self.employments[ln["employment_id"]]
                emp.pcts.append((ln["effective_date"], ln["position_pct"]))
            elif t == "salary_changed":
                emp = self.employments[ln["employment_id"]]
                emp.salaries.append((ln["effective_date"], ln["annual_salary"]))
            elif t == "transferred":
                emp = self.employments[ln["employment_id"]]
                _, (_, _, title, leader) = emp.places[-1]
                place = (
                    ln["sector"],
                    ln["unit"],
                    ln.get("position") or title,
                    ln["is_leader"] if ln.get("is_leader") is not None else leader,
                )
                emp.places.append((ln["effective_date"], place))
            elif t == "terminated":
                emp = self.employments[ln["employment_id"]]
                emp.end, emp.reason = ln["effective_date"], ln["reason"]
            elif t == "leave":
                self.persons[ln["employee_id"]].leaves.append(ln)
        for emp in self.employments.values():
            for timeline in (emp.pcts, emp.salaries, emp.places):
                timeline.sort(key=lambda entry: entry[0])
        used: set[str] = set()
        for serial, person in enumerate(sorted(self.persons.values(), key=lambda p: p.employee_id)):
            number = synthetic_number(date.fromisoformat(person.birth), person.gender, serial)
            step = 0
            while number in used:
                step += 1
                number = synthetic_number(
                    date.fromisoformat(person.birth), person.gender, serial + 7919 * step
                )
            used.add(number)
            person.national_id = number

    def mapping(self, name: str) -> tuple[Mapping, dict[tuple[str, str], str], dict[Any, str]]:
        """The municipality's mapping, sub-unit numbers by (sector, unit), codes by job."""
        places = sorted({p[:2] for e in self.employments.values() for _, p in e.places})
        orgnr = dict(zip(places, organisation_numbers(len(places)), strict=True))
        jobs = sorted(
            {
                (p[2], p[3], e.kind == "apprentice")
                for e in self.employments.values()
                for _, p in e.places
            }
        )
        codes: dict[tuple[str, bool, bool], str] = {}
        taken: dict[str, int] = {}
        for title, leader, apprentice in jobs:
            group = STYRK_GROUPS.get(title, "1219" if leader else "9629")
            if leader and not group.startswith("1"):
                group = "1219"
            if not leader and group.startswith("1"):
                group = "9629"
            taken[group] = taken.get(group, 100) + 1
            codes[(title, leader, apprentice)] = f"{group}{taken[group]:03d}"
        mapping = Mapping(
            name=name,
            units={orgnr[p]: Place(p[1], p[0]) for p in places},
            positions={code: key[0] for key, code in codes.items()},
            apprentice_occupations=frozenset(c for k, c in codes.items() if k[2]),
            leader_occupations=frozenset(c for k, c in codes.items() if k[1]),
            leader_occupation_prefixes=(),
            pay=PayRule(income=("fastloenn",), round_to=100, settlement_dates=("05-01",)),
            employee_id="ansattnummer",
        )
        return mapping, orgnr, dict(codes)


def _month_days(month: str) -> tuple[str, str, int]:
    y, m = int(month[:4]), int(month[5:7])
    days = monthrange(y, m)[1]
    return f"{month}-01", f"{month}-{days:02d}", days


def _months(first: str, last: str) -> list[str]:
    out, y, m = [], int(first[:4]), int(first[5:7])
    while f"{y}-{m:02d}" <= last:
        out.append(f"{y}-{m:02d}")
        y, m = y + m // 12, m % 12 + 1
    return out


def _day_after(day: str) -> str:
    return (date.fromisoformat(day) + timedelta(days=1)).isoformat()


def _days(a: str, b: str) -> int:
    return (date.fromisoformat(b) - date.fromisoformat(a)).days + 1


def _el(name: str, value: object) -> str:
    text = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return f"<{name}>{escape(text)}</{name}>"


def _number(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))


def write_amelding(
    lines: Iterable[dict[str, Any]],
    out: Path,
    *,
    first_month: str,
    last_month: str,
    reporter: str | None = None,
    name: str = "",
    tag: str = "synthetic",
) -> int:
    """Write the months [first_month, last_month] as a-melding files; returns the file count."""
    town = _Municipality(lines)
    mapping, orgnr, codes = town.mapping(name)
    reporter = reporter or organisation_numbers(1, first=1)[0]
    out.mkdir(parents=True, exist_ok=True)
    (out / "mapping.json").write_text(
        json.dumps(mapping_to_dict(mapping), ensure_ascii=False, indent=2) + "\n", "utf-8"
    )
    months = _months(first_month, last_month)
    for month in months:
        text = _message(town, month, reporter, orgnr, codes, tag)
        (out / f"a-melding-{month}.xml").write_text(text, "utf-8")
    return len(months)


def _message(
    town: _Municipality,
    month: str,
    reporter: str,
    orgnr: dict[tuple[str, str], str],
    codes: dict[Any, str],
    tag: str,
) -> str:
    first, last, _ = _month_days(month)
    by_unit: dict[str, dict[str, list[_Employment]]] = {}
    for emp in town.employments.values():
        if emp.start > last or (emp.end is not None and emp.end < first):
            continue
        sector, unit, _, _ = emp.value_on(emp.places, min(last, emp.end or last))
        by_unit.setdefault(orgnr[(sector, unit)], {}).setdefault(emp.employee_id, []).append(emp)
    y, m = int(month[:4]), int(month[5:7])
    delivered = f"{y + m // 12}-{m % 12 + 1:02d}-05T10:00:00"
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<melding xmlns="{NAMESPACE}"><Leveranse>',
        _el("leveringstidspunkt", delivered),
        _el("kalendermaaned", month),
        _el("kildesystem", "hrledger synthetic"),
        _el("meldingsId", f"{tag}-{month}"),
        f"<opplysningspliktig>{_el('norskIdentifikator', reporter)}</opplysningspliktig>",
        "<oppgave>",
    ]
    for unit_orgnr in sorted(by_unit):
        parts.append(f"<virksomhet>{_el('norskIdentifikator', unit_orgnr)}")
        for employee_id in sorted(by_unit[unit_orgnr]):
            parts.append(
                _recipient(
                    town.persons[employee_id], by_unit[unit_orgnr][employee_id], month, codes
                )
            )
        parts.append("</virksomhet>")
    parts.append("</oppgave></Leveranse></melding>\n")
    return "".join(parts)


def _recipient(person: _Person, emps: list[_Employment], month: str, codes: dict[Any, str]) -> str:
    parts = [
        "<inntektsmottaker>",
        _el("norskIdentifikator", person.national_id),
        "<identifiserendeInformasjon>",
        _el("navn", f"Syntetisk ansatt {person.employee_id}"),
        _el("foedselsdato", person.birth),
        _el("ansattnummer", person.employee_id),
        "</identifiserendeInformasjon>",
    ]
    pay: list[str] = []
    for emp in sorted(emps, key=lambda e: e.employment_id):
        parts.append(_job(person, emp, month, codes))
        pay += _pay(emp, month)
    parts += pay
    parts.append("</inntektsmottaker>")
    return "".join(parts)


def _job_id(emp: _Employment) -> str:
    return emp.employment_id.removeprefix(emp.employee_id + "-")


def _job(person: _Person, emp: _Employment, month: str, codes: dict[Any, str]) -> str:
    first, last, _ = _month_days(month)
    at = min(last, emp.end) if emp.end is not None else last
    _, _, title, leader = emp.value_on(emp.places, at)
    parts = [
        "<arbeidsforhold>",
        _el("arbeidsforholdId", _job_id(emp)),
        _el("typeArbeidsforhold", "ordinaertArbeidsforhold"),
        _el("startdato", emp.start),
    ]
    ended = emp.end is not None and emp.end <= last
    if ended:
        parts.append(_el("sluttdato", emp.end))
    parts.append(_el("antallTimerPerUkeSomEnFullStillingTilsvarer", "37.5"))
    parts.append(_el("yrke", codes[(title, leader, emp.kind == "apprentice")]))
    parts.append(_el("arbeidstidsordning", "ikkeSkift"))
    parts.append(_el("stillingsprosent", _number(emp.value_on(emp.pcts, at))))
    pay_change = emp.last_change(emp.salaries, at)
    if pay_change is not None:
        parts.append(_el("sisteLoennsendringsdato", pay_change))
    for n, leave in enumerate(person.leaves, start=1):
        if leave["start_date"] > at or leave["end_date"] < max(first, emp.start):
            continue
        if _days(leave["start_date"], leave["end_date"]) <= REPORTING_THRESHOLD_DAYS:
            continue
        parts.append(
            "<permisjon>"
            + _el("startdato", leave["start_date"])
            + _el("sluttdato", leave["end_date"])
            + _el("permisjonsprosent", _number(leave.get("leave_pct", 100)))
            + _el("permisjonId", f"P{n}")
            + _el("beskrivelse", LEAVE_CODES[leave["kind"]])
            + _el("loennet", bool(leave["paid"]))
            + "</permisjon>"
        )
    pct_change = emp.last_change(emp.pcts, at)
    if pct_change is not None:
        parts.append(_el("sisteDatoForStillingsprosentendring", pct_change))
    if ended and emp.reason is not None:
        parts.append(_el("aarsakTilSluttdato", TERMINATION_CODES[emp.reason]))
    parts.append(_el("formForAnsettelse", FORMS[emp.kind]))
    parts.append("</arbeidsforhold>")
    return "".join(parts)


def _pay(emp: _Employment, month: str) -> list[str]:
    """Fixed pay (fastloenn), one line per stretch of constant salary and position size."""
    first, last, month_days = _month_days(month)
    lo = max(first, emp.start)
    hi = min(last, emp.end) if emp.end is not None else last
    cuts = sorted({lo, *(d for d, _ in emp.pcts + emp.salaries if lo < d <= hi)})
    lines = []
    for i, start in enumerate(cuts):
        end = (
            (date.fromisoformat(cuts[i + 1]) - timedelta(days=1)).isoformat()
            if i + 1 < len(cuts)
            else hi
        )
        amount = (
            emp.value_on(emp.salaries, start)
            * emp.value_on(emp.pcts, start)
            / 100
            / 12
            * _days(start, end)
            / month_days
        )
        lines.append(
            "<inntekt>"
            + _el("startdatoOpptjeningsperiode", start)
            + _el("sluttdatoOpptjeningsperiode", end)
            + _el("fordel", "kontantytelse")
            + _el("utloeserArbeidsgiveravgift", True)
            + _el("inngaarIGrunnlagForTrekk", True)
            + _el("beloep", f"{amount:.2f}")
            + _el("arbeidsforholdId", _job_id(emp))
            + "<loennsinntekt>"
            + _el("beskrivelse", "fastloenn")
            + "</loennsinntekt></inntekt>"
        )
    return lines
