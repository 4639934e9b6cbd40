"""Tiny builders for a-melding XML, so tests read like a payroll clerk's month."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ledger.amelding.codes import NAMESPACE

REPORTER = "910000011"
UNIT = "910000022"
KARI = "17858000661"
"""A synthetic identity number (month + 80): born 1980-05-17, a woman."""


def job(
    job_id: str = "1",
    start: str = "2020-01-01",
    pct: float = 100,
    yrke: str = "2223101",
    **extra: Any,
) -> dict[str, Any]:
    return {"job_id": job_id, "start": start, "pct": pct, "yrke": yrke, **extra}


def recipient(
    jobs: list[dict[str, Any]] | None = None,
    national_id: str | None = KARI,
    number: str | None = "E1",
    birth: str | None = "1980-05-17",
    pay: float | None = 50_000,
) -> dict[str, Any]:
    return {
        "national_id": national_id,
        "number": number,
        "birth": birth,
        "jobs": jobs if jobs is not None else [job()],
        "pay": pay,
    }


def _el(name: str, value: object) -> str:
    return f"<{name}>{value}</{name}>"


def _job_xml(j: dict[str, Any]) -> str:
    parts = ["<arbeidsforhold>"]
    if j.get("job_id") is not None:
        parts.append(_el("arbeidsforholdId", j["job_id"]))
    parts.append(_el("typeArbeidsforhold", j.get("kind", "ordinaertArbeidsforhold")))
    parts.append(_el("startdato", j["start"]))
    if j.get("end"):
        parts.append(_el("sluttdato", j["end"]))
    parts.append(_el("yrke", j["yrke"]))
    if j.get("pct") is not None:
        parts.append(_el("stillingsprosent", j["pct"]))
    if j.get("pay_date"):
        parts.append(_el("sisteLoennsendringsdato", j["pay_date"]))
    for leave in j.get("leaves", []):
        parts.append("<permisjon>" + "".join(_el(k, v) for k, v in leave.items()) + "</permisjon>")
    if j.get("pct_date"):
        parts.append(_el("sisteDatoForStillingsprosentendring", j["pct_date"]))
    if j.get("reason"):
        parts.append(_el("aarsakTilSluttdato", j["reason"]))
    parts.append(_el("formForAnsettelse", j.get("form", "fast")))
    parts.append("</arbeidsforhold>")
    return "".join(parts)


def melding(
    month: str,
    recipients: list[dict[str, Any]],
    message_id: str | None = None,
    replaces: str | None = None,
    namespace: str = NAMESPACE,
    unit: str = UNIT,
    omit: tuple[str, ...] = (),
) -> str:
    """One month's message; `omit` leaves out header elements (to test what is missing)."""
    header = {"kalendermaaned": month, "meldingsId": message_id or f"m-{month}"}
    parts = [
        f'<?xml version="1.0" encoding="UTF-8"?><melding xmlns="{namespace}"><Leveranse>',
        _el("leveringstidspunkt", f"{month}-28T10:00:00"),
    ]
    if "kalendermaaned" not in omit:
        parts.append(_el("kalendermaaned", header["kalendermaaned"]))
    parts.append(_el("kildesystem", "test"))
    if replaces:
        parts.append(_el("erstatterMeldingsId", replaces))
    if "meldingsId" not in omit:
        parts.append(_el("meldingsId", header["meldingsId"]))
    parts.append(f"<opplysningspliktig>{_el('norskIdentifikator', REPORTER)}</opplysningspliktig>")
    parts.append(f"<oppgave><virksomhet>{_el('norskIdentifikator', unit)}")
    for r in recipients:
        parts.append("<inntektsmottaker>")
        if r["national_id"]:
            parts.append(_el("norskIdentifikator", r["national_id"]))
        if r["number"] or r["birth"]:
            parts.append("<identifiserendeInformasjon>" + _el("navn", "Test Testesen"))
            if r["birth"]:
                parts.append(_el("foedselsdato", r["birth"]))
            if r["number"]:
                parts.append(_el("ansattnummer", r["number"]))
            parts.append("</identifiserendeInformasjon>")
        parts += [_job_xml(j) for j in r["jobs"]]
        if r["pay"] is not None:
            parts.append(
                "<inntekt><fordel>kontantytelse</fordel>"
                "<utloeserArbeidsgiveravgift>true</utloeserArbeidsgiveravgift>"
                "<inngaarIGrunnlagForTrekk>true</inngaarIGrunnlagForTrekk>"
                f"{_el('beloep', r['pay'])}<loennsinntekt>{_el('beskrivelse', 'fastloenn')}"
                "</loennsinntekt></inntekt>"
            )
        parts.append("</inntektsmottaker>")
    parts.append("</virksomhet></oppgave></Leveranse></melding>")
    return "".join(parts)


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, "utf-8")
    return path
