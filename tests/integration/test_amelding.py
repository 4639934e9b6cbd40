"""The a-melding import: monthly states in, the ledger's events out, all or nothing.

Hand-written messages for the rules of the derivation and for bad input;
a generated municipality for the whole path (files → ledger → the same
roster and KPIs as its JSON Lines import).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from ledger.amelding.mapping import Mapping, load_mapping
from ledger.services.amelding import AmeldingRefused, import_amelding
from ledger.services.recording import Ledger
from projections.api import open_projection
from tests.amelding_builder import KARI, job, melding, recipient, write

MAR, APR = (datetime(2024, m, 5, 9, 0, tzinfo=UTC) for m in (3, 4))


def ledger_at(url: str, ts: datetime) -> Ledger:
    return Ledger(url, clock=lambda: ts)


def months(folder: Path, *texts: tuple[str, str]) -> Path:
    for name, text in texts:
        write(folder, name, text)
    return folder


def refused(url: str, folder: Path, mapping: Mapping | None = None) -> list[str]:
    """The problems of a refused import, one line each; asserts that nothing was stored."""
    with Ledger(url) as ledger:
        before = ledger.store.max_position()
        with pytest.raises(AmeldingRefused) as exc:
            import_amelding(ledger, [folder], mapping or Mapping())
        assert ledger.store.max_position() == before, "a refused import stored something"
    lines = str(exc.value).splitlines()
    assert lines[0].startswith("a-melding import refused, nothing stored")
    return lines[1:]


# -- deriving events from monthly states -----------------------------------------------


def test_a_new_arbeidsforhold_is_a_hire_with_the_months_state(
    ledger_url: str, tmp_path: Path
) -> None:
    folder = months(tmp_path, ("jan.xml", melding("2024-01", [recipient()])))

    with Ledger(ledger_url) as ledger:
        result = import_amelding(ledger, [folder], Mapping())

    assert result.recorded.stored == 1
    with open_projection(ledger_url, persist=False) as p:
        row = p.roster(date(2024, 1, 31)).row(0, named=True)
    assert row["employee_id"] == "E1" and row["employment_id"] == "E1-1"
    assert row["birth_date"] == date(1980, 5, 17) and row["gender"] == "F"
    assert row["unit"] == "virksomhet 910000022" and row["position"] == "yrke 2223101"
    assert row["position_pct"] == 100 and row["annual_salary"] == 600_000  # 50,000 × 12


def test_changes_are_dated_by_the_a_meldings_own_dates(ledger_url: str, tmp_path: Path) -> None:
    changed = job(pct=80, pct_date="2024-02-10", pay_date="2024-02-01")
    folder = months(
        tmp_path,
        ("jan.xml", melding("2024-01", [recipient()])),
        ("feb.xml", melding("2024-02", [recipient([changed], pay=40_800)])),
        (
            "mar.xml",
            melding(
                "2024-03",
                [
                    recipient(
                        [job(pct=80, end="2024-03-15", reason="arbeidstakerHarSagtOppSelv")],
                        pay=40_800,
                    )
                ],
            ),
        ),
    )

    with Ledger(ledger_url) as ledger:
        import_amelding(ledger, [folder], Mapping())

    with open_projection(ledger_url, persist=False) as p:
        feb = p.roster(date(2024, 2, 9))
        after = p.roster(date(2024, 2, 10))
        assert feb["position_pct"].to_list() == [100]
        assert after["position_pct"].to_list() == [80]
        assert after["annual_salary"].to_list() == [612_000]  # 40,800 × 12 / 0.8
        assert p.roster(date(2024, 3, 15)).height == 1
        assert p.roster(date(2024, 3, 16)).height == 0


def test_importing_the_same_folder_again_stores_nothing(ledger_url: str, tmp_path: Path) -> None:
    folder = months(
        tmp_path,
        ("jan.xml", melding("2024-01", [recipient()])),
        ("feb.xml", melding("2024-02", [recipient([job(pct=50, pct_date="2024-02-01")])])),
    )
    with Ledger(ledger_url) as ledger:
        first = import_amelding(ledger, [folder], Mapping())

        again = import_amelding(ledger, [folder], Mapping())

    assert first.recorded.stored == 3  # hire, 50 %, and pay: 50,000 a month at 50 % is 1.2 M
    assert (again.recorded.stored, again.recorded.already_stored) == (0, 3)


def test_a_replacement_message_retracts_what_no_longer_holds_and_known_at_shows_both(
    ledger_url: str, tmp_path: Path
) -> None:
    jan = melding("2024-01", [recipient()])
    feb = melding("2024-02", [recipient([job(pct=80, pct_date="2024-02-10")], pay=40_000)])
    months(tmp_path, ("jan.xml", jan), ("feb.xml", feb))
    with ledger_at(ledger_url, MAR) as ledger:
        import_amelding(ledger, [tmp_path], Mapping())
    corrected = melding(
        "2024-02",
        [recipient([job(pct=60, pct_date="2024-02-10")], pay=30_000)],
        message_id="m-2024-02-b",
        replaces="m-2024-02",
    )
    write(tmp_path, "feb-corrected.xml", corrected)

    with ledger_at(ledger_url, APR) as ledger:
        result = import_amelding(ledger, [tmp_path], Mapping())

    assert result.retracted == 1  # the 80 % change; the salary is still 600,000 FTE
    with open_projection(ledger_url, persist=False) as p:
        as_reported = p.roster(date(2024, 2, 29), known_at=MAR)
        as_corrected = p.roster(date(2024, 2, 29))
    assert as_reported["position_pct"].to_list() == [80]
    assert as_corrected["position_pct"].to_list() == [60]


def test_a_leave_over_months_is_one_leave_of_its_person(ledger_url: str, tmp_path: Path) -> None:
    leave = {
        "startdato": "2024-01-20",
        "sluttdato": "2024-06-30",
        "permisjonsprosent": 100,
        "permisjonId": "P1",
        "beskrivelse": "permisjonMedForeldrepenger",
    }
    with_leave = recipient([job(leaves=[leave])])
    folder = months(
        tmp_path,
        ("jan.xml", melding("2024-01", [with_leave])),
        ("feb.xml", melding("2024-02", [with_leave])),
    )

    with Ledger(ledger_url) as ledger:
        import_amelding(ledger, [folder], Mapping())

    with open_projection(ledger_url, persist=False) as p:
        leaves = p.facts().leave
    assert leaves.select("kind", "start_date", "end_date", "paid").rows() == [
        ("parental", date(2024, 1, 20), date(2024, 6, 30), True)
    ]


# -- bad input: one clear line per problem, nothing stored -------------------------------


def test_a_message_in_another_namespace_is_refused(ledger_url: str, tmp_path: Path) -> None:
    old = "urn:ske:fastsetting:innsamling:a-meldingen:v2_0"
    write(tmp_path, "jan.xml", melding("2024-01", [recipient()], namespace=old))

    problems = refused(ledger_url, tmp_path)

    assert problems == [
        f"{tmp_path / 'jan.xml'}: melding: the root element is 'melding' in namespace {old}; "
        'an a-melding is <melding xmlns="urn:ske:fastsetting:innsamling:a-meldingen:v2_3"> '
        "(version 2.3)"
    ]


def test_missing_elements_are_named_by_their_path(ledger_url: str, tmp_path: Path) -> None:
    no_pct = recipient([job(pct=None)])
    write(tmp_path, "jan.xml", melding("2024-01", [no_pct], omit=("kalendermaaned",)))

    problems = refused(ledger_url, tmp_path)

    jan = tmp_path / "jan.xml"
    assert problems == [
        f"{jan}: melding/Leveranse/oppgave/virksomhet[1]/inntektsmottaker[1]/arbeidsforhold[1]"
        "/stillingsprosent: is required and missing",
        f"{jan}: melding/Leveranse/kalendermaaned: is required and missing",
    ]


def test_an_arbeidsforhold_that_vanishes_without_sluttdato_is_refused(
    ledger_url: str, tmp_path: Path
) -> None:
    other = recipient([job(job_id="7")], national_id=None, number="E2", birth="1990-01-01")
    months(
        tmp_path,
        ("jan.xml", melding("2024-01", [recipient(), other])),
        ("feb.xml", melding("2024-02", [other])),
    )

    problems = refused(ledger_url, tmp_path, Mapping(genders={"E2": "M"}))

    assert problems == [
        f"{tmp_path / 'jan.xml'}: melding/Leveranse/oppgave/virksomhet[1]/inntektsmottaker[1]/"
        "arbeidsforhold[1]: arbeidsforhold 1 of employee E1 is in 2024-01 but missing from "
        "2024-02 without a sluttdato; an arbeidsforhold is reported every month until its "
        "sluttdato"
    ]


def test_a_replacement_for_an_unknown_message_is_refused(ledger_url: str, tmp_path: Path) -> None:
    write(tmp_path, "jan.xml", melding("2024-01", [recipient()], message_id="b", replaces="a"))

    problems = refused(ledger_url, tmp_path)

    assert problems == [
        f"{tmp_path / 'jan.xml'}: melding/Leveranse/erstatterMeldingsId: replaces message a, "
        "which is not among the files; give the import the replaced message too (a "
        "replacement for an unknown message)"
    ]


def test_a_missing_month_is_refused(ledger_url: str, tmp_path: Path) -> None:
    months(
        tmp_path,
        ("jan.xml", melding("2024-01", [recipient()])),
        ("mar.xml", melding("2024-03", [recipient()])),
    )

    problems = refused(ledger_url, tmp_path)

    assert problems == [
        f"{tmp_path / 'mar.xml'}: melding/Leveranse/kalendermaaned: no a-melding from 910000011 "
        "for 2024-02, between 2024-01 and 2024-03; every month of the history is needed"
    ]


def test_a_rule_break_names_the_element_it_came_from(ledger_url: str, tmp_path: Path) -> None:
    long_unpaid = {
        "startdato": "2024-01-01",
        "sluttdato": "2025-06-30",
        "permisjonsprosent": 100,
        "permisjonId": "P1",
        "beskrivelse": "andreIkkeLovfestedePermisjoner",
    }
    write(tmp_path, "jan.xml", melding("2024-01", [recipient([job(leaves=[long_unpaid])])]))

    problems = refused(ledger_url, tmp_path)

    assert problems == [
        f"{tmp_path / 'jan.xml'}: melding/Leveranse/oppgave/virksomhet[1]/inntektsmottaker[1]/"
        "arbeidsforhold[1]/permisjon[1]: end_date: unpaid leave 2024-01-01 to 2025-06-30 is "
        "longer than 12 months (ends at the latest 2024-12-31) (Personalhåndbok §8.7)"
    ]


def test_a_sub_unit_missing_from_the_mapping_is_refused(ledger_url: str, tmp_path: Path) -> None:
    write(tmp_path, "jan.xml", melding("2024-01", [recipient()]))
    mapping = load_mapping(
        write(
            tmp_path / "m", "mapping.json", '{"units": {"999999999": {"unit": "U", "sector": "S"}}}'
        )
    )

    problems = refused(ledger_url, tmp_path, mapping)

    assert problems == [
        f"{tmp_path / 'jan.xml'}: melding/Leveranse/oppgave/virksomhet[1]/norskIdentifikator: "
        "virksomhet 910000022 is not in the mapping's units; add it with its unit and sector"
    ]


# -- the identity number never reaches the ledger ---------------------------------------


def test_without_ansattnummer_the_employee_id_is_a_keyed_pseudonym(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HRLEDGER_PSEUDONYM_KEY", "k" * 40)
    write(tmp_path, "jan.xml", melding("2024-01", [recipient(number=None)]))

    with Ledger(sqlite_url) as ledger:
        import_amelding(ledger, [tmp_path], Mapping())

    with open_projection(sqlite_url, persist=False) as p:
        ids = p.roster(date(2024, 1, 31))["employee_id"].to_list()
    assert len(ids) == 1 and ids[0].startswith("p_") and KARI not in ids[0]
    assert KARI.encode() not in Path(sqlite_url.removeprefix("sqlite:///")).read_bytes()
