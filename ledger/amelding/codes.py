"""The a-melding's namespace and code lists, and what each code means to the ledger.

Confirmed against the published schema (version 2.3, namespace below) and
Skatteetaten's code lists: six codes for `aarsakTilSluttdato`, the leave
descriptions (`permisjon/beskrivelse`) and `formForAnsettelse`. The
meanings are defaults a municipality's mapping file may override
(docs/import-amelding.md).
"""

from __future__ import annotations

NAMESPACE = "urn:ske:fastsetting:innsamling:a-meldingen:v2_3"

EMPLOYMENT_KINDS = ("ordinaertArbeidsforhold", "maritimtArbeidsforhold")
"""`typeArbeidsforhold` values that are employments; freelancers, fees and pensions are not."""

NEVER_REPORTED = "arbeidsforholdetSkulleAldriVaertRapportert"
"""An arbeidsforhold that should never have been reported: no events at all."""

TERMINATION_REASONS: dict[str, str] = {
    "arbeidstakerHarSagtOppSelv": "resignation",
    "arbeidsgiverHarSagtOppArbeidstaker": "dismissal",
    "kontraktEngasjementEllerVikariatErUtloept": "end_of_contract",
    "endringIOrganisasjonsstrukturEllerByttetJobbInternt": "other",
    "byttetLoenssystemEllerRegnskapsfoerer": "other",
    "": "other",
}
"""`aarsakTilSluttdato` → the ledger's termination reason; "" is a sluttdato without a reason
(optional before 2024). There is no code for retirement: it is reported as the employee's
own resignation."""

LEAVE_KINDS: dict[str, tuple[str, bool]] = {
    "permisjonMedForeldrepenger": ("parental", True),
    "utdanningspermisjonLovfestet": ("education", False),
    "utdanningspermisjonIkkeLovfestet": ("education", False),
    "utdanningspermisjon": ("education", False),
    "velferdspermisjon": ("care", False),
    "andreLovfestedePermisjoner": ("other", False),
    "andreIkkeLovfestedePermisjoner": ("unpaid", False),
    "permisjonVedMilitaertjeneste": ("other", False),
    "permittering": ("other", False),
    "permisjon": ("other", False),
}
"""`permisjon/beskrivelse` → (leave kind, paid when `loennet` is absent).

The a-melding reports only leave over 14 days, so welfare leave (a few days per
case, with a reason the a-melding does not carry) arrives as `velferdspermisjon`
only when it is long, which in practice is care of a close relative."""

EMPLOYMENT_FORMS: dict[str, str] = {"fast": "permanent", "midlertidig": "temporary"}
"""`formForAnsettelse` → employment type; apprentices are told by their `yrke` (mapping)."""

SYNTHETIC_MONTH_OFFSET = 80
"""Skatteetaten's synthetic test identity numbers add 80 to the month."""
