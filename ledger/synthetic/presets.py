"""The two synthetic municipalities and every number that calibrates them.

All knobs live here as data so that `docs/synthetic-data.md` can say which
parameter produces which published figure, and so that tuning never means
hunting for constants inside the simulation code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Position:
    """A job title within a sector, with the facts that drive gender, pay and position size."""

    title: str
    base_salary: int
    """Full-time-equivalent annual salary (NOK) at the level after the 2022 settlement."""
    women_share: float
    fulltime_prob: float
    """Probability that a permanent hire into this position is 100 %."""
    weight: float


@dataclass(frozen=True)
class Sector:
    name: str
    weight: float
    """Share of the workforce hired into this sector."""
    units: tuple[str, ...]
    positions: tuple[Position, ...]
    leader_title: str


@dataclass(frozen=True)
class Preset:
    name: str
    code: str
    """Prefix of employee ids, so two presets never collide in one ledger."""
    reference_year: int
    persons: int
    """Persons with an active employment on 31 December of the reference year."""
    growth: float
    """Yearly growth of the workforce; other years are scaled from the reference year."""
    sectors: tuple[Sector, ...]
    leaders: int
    leader_women_share: float
    leader_salary: int
    apprentices: int
    """Apprentices on 31 December of the reference year (two-year terms, hired in August)."""
    apprentice_positions: tuple[str, ...]
    apprentice_salary: int
    apprentice_hired_on_share: float
    """Share of apprentices offered a permanent employment the day after their term."""
    temporary_share: float
    """Share of persons at the start who hold only a temporary employment."""
    temporary_hire_share: float
    """Share of new (non-leader, non-apprentice) hires that are temporary."""
    temporary_converted_share: float
    temporary_renewed_share: float
    second_employment_share: float
    """Probability that a permanent person holds a second, concurrent employment."""
    age_beta: tuple[float, float]
    """Initial workforce age = 20 + 46 × Beta(a, b) years."""
    hire_age_beta: tuple[float, float]
    """Age of new hires = 20 + 42 × Beta(a, b) years."""
    resignation_by_age: tuple[tuple[int, float], ...]
    """(upper age bound, yearly resignation probability) of permanent staff."""
    upgrade_rate: float
    """Yearly probability that a permanent part-time employment grows (heltidskultur)."""
    initial_fulltime_offset: float
    """Points added to `Position.fulltime_prob` for the workforce on 1 January of
    `reference_year`: people who have been there for years have had time to grow
    from part time, so they are more often full-time than new hires."""
    fulltime_drift: float
    """Points per year by which the initial workforce's full-time probability is lower
    for each year the file starts before `reference_year` (higher for each year after),
    so that a longer run's extra years of part-timers growing land on the same level."""
    downgrade_rate: float
    men_pay_factor: float
    """Multiplier on men's salaries within a position (with the position mix: likelønn)."""
    local_negotiation_rate: float
    transfer_rate: float
    sickness_pct: Mapping[int, tuple[float, float]]
    """Year → (self-certified, doctor-certified) target sickness rate in percent."""
    hms: Mapping[int, tuple[int, int]]
    """Year → (HMS deviations, of which personal injuries), at scale 1."""
    leave_rate_factor: float = 1.0
    sickness_by_position: Mapping[str, float] = field(default_factory=dict)
    """Job title → relative doctor-certified sickness (1 = the municipality's level before
    normalisation; docs/synthetic-data.md, "Sickness by sector and position")."""
    sickness_by_unit: Mapping[str, float] = field(default_factory=dict)
    """Unit → extra factor (kindergartens: children's infections)."""
    part_time_pcts: tuple[tuple[float, float], ...] = field(
        default=(
            (20, 0.08),
            (30, 0.08),
            (40, 0.12),
            (50, 0.18),
            (60, 0.14),
            (70, 0.11),
            (75, 0.07),
            (80, 0.12),
            (90, 0.10),
        )
    )
    """(position %, weight) of part-time permanent positions."""

    def target_persons(self, year: int, scale: float) -> int:
        return round(self.persons * scale * (1 + self.growth) ** (year - self.reference_year))

    def target_leaders(self, year: int, scale: float) -> int:
        return round(self.leaders * scale * (1 + self.growth) ** (year - self.reference_year))

    def target_apprentices(self, year: int, scale: float) -> int:
        return round(self.apprentices * scale * (1 + self.growth) ** (year - self.reference_year))

    def initial_fulltime_prob(self, position: Position, year_from: int) -> float:
        """Full-time probability of a permanent employment in the workforce on 1 January."""
        years_before = self.reference_year - year_from
        shift = self.initial_fulltime_offset - self.fulltime_drift * years_before
        return min(max(position.fulltime_prob + shift / 100, 0.0), 1.0)

    def sickness_for(self, year: int) -> tuple[float, float]:
        return self.sickness_pct[_nearest(self.sickness_pct, year)]

    def hms_for(self, year: int, scale: float) -> tuple[int, int]:
        """Yearly HMS counts; years outside the table follow the workforce growth."""
        known = _nearest(self.hms, year)
        deviations, injuries = self.hms[known]
        factor = scale * (1 + self.growth) ** (year - known)
        return round(deviations * factor), round(injuries * factor)


def _nearest(table: Mapping[int, object], year: int) -> int:
    return min(sorted(table), key=lambda y: abs(y - year))


CENTRAL_SETTLEMENT: Mapping[int, float] = {
    2015: 0.027,
    2016: 0.024,
    2017: 0.024,
    2018: 0.028,
    2019: 0.032,
    2020: 0.030,
    2021: 0.031,
    2022: 0.037,
    2023: 0.052,
    2024: 0.050,
    2025: 0.044,
}
"""Yearly central settlement (HTA), effective 1 May; other years use 3.5 %."""
DEFAULT_SETTLEMENT = 0.035


def _p(title: str, salary: int, women: float, fulltime: float, weight: float) -> Position:
    return Position(title, salary, women, fulltime, weight)


SANDNES = Preset(
    name="sandnes",
    code="SAN",
    reference_year=2022,
    persons=6280,
    growth=0.012,
    sectors=(
        Sector(
            "Helse og velferd",
            0.43,
            (
                "Sandnes legevakt",
                "Lunde bo- og aktivitetssenter",
                "Rovik bo- og aktivitetssenter",
                "Riska bo- og aktivitetssenter",
                "Hjemmebaserte tjenester sentrum",
                "Bofellesskap for funksjonshemmede",
                "Sandnes helsestasjon",
                "NAV Sandnes (kommunal del)",
            ),
            (
                _p("Sykepleier", 575_000, 0.91, 0.275, 0.26),
                _p("Helsefagarbeider", 500_000, 0.91, 0.203, 0.30),
                _p("Assistent helse", 440_000, 0.83, 0.092, 0.14),
                _p("Vernepleier", 570_000, 0.82, 0.366, 0.10),
                _p("Lege", 1_050_000, 0.62, 0.723, 0.04),
                _p("Fysioterapeut", 590_000, 0.79, 0.57, 0.04),
                _p("Helsesykepleier", 620_000, 0.98, 0.489, 0.04),
                _p("Sosionom", 575_000, 0.88, 0.682, 0.08),
            ),
            "Enhetsleder",
        ),
        Sector(
            "Oppvekst",
            0.41,
            (
                "Austrått skole",
                "Bogafjell skole",
                "Ganddal skole",
                "Sandved skole",
                "Figgjo skole",
                "Bogafjell barnehage",
                "Trones barnehage",
                "Hana barnehage",
                "PPT Sandnes",
            ),
            (
                _p("Lærer", 610_000, 0.80, 0.652, 0.28),
                _p("Lektor", 680_000, 0.69, 0.682, 0.10),
                _p("Barnehagelærer", 560_000, 0.94, 0.611, 0.16),
                _p("Barne- og ungdomsarbeider", 490_000, 0.88, 0.366, 0.18),
                _p("Assistent oppvekst", 440_000, 0.83, 0.122, 0.18),
                _p("Spesialpedagog", 640_000, 0.88, 0.611, 0.06),
                _p("SFO-assistent", 430_000, 0.79, 0.04, 0.04),
            ),
            "Rektor/styrer",
        ),
        Sector(
            "Byutvikling og teknisk",
            0.07,
            ("Vei og park", "Byggesak", "Eiendomsdrift", "Vann og avløp", "Renhold"),
            (
                _p("Ingeniør", 680_000, 0.42, 0.784, 0.25),
                _p("Fagarbeider teknisk", 520_000, 0.24, 0.774, 0.30),
                _p("Renholder", 460_000, 0.82, 0.316, 0.30),
                _p("Arealplanlegger", 690_000, 0.64, 0.784, 0.15),
            ),
            "Avdelingsleder",
        ),
        Sector(
            "Kultur og næring",
            0.04,
            ("Sandnes bibliotek", "Sandnes kulturskole", "Idrett og friluftsliv"),
            (
                _p("Bibliotekar", 580_000, 0.79, 0.611, 0.35),
                _p("Kulturskolelærer", 600_000, 0.68, 0.275, 0.45),
                _p("Konsulent kultur", 580_000, 0.68, 0.682, 0.20),
            ),
            "Virksomhetsleder",
        ),
        Sector(
            "Organisasjon",
            0.03,
            ("HR og personal", "IT-tjenesten", "Servicetorget", "Politisk sekretariat"),
            (
                _p("Rådgiver", 690_000, 0.76, 0.774, 0.45),
                _p("Konsulent", 540_000, 0.83, 0.682, 0.35),
                _p("IT-konsulent", 700_000, 0.42, 0.784, 0.20),
            ),
            "Avdelingsleder",
        ),
        Sector(
            "Økonomi",
            0.02,
            ("Regnskap og lønn", "Innkjøp", "Økonomi og analyse"),
            (
                _p("Økonomirådgiver", 700_000, 0.71, 0.774, 0.50),
                _p("Lønnskonsulent", 560_000, 0.88, 0.723, 0.50),
            ),
            "Avdelingsleder",
        ),
    ),
    leaders=320,
    leader_women_share=0.71,
    leader_salary=860_000,
    apprentices=86,
    apprentice_positions=(
        "Lærling helsearbeiderfaget",
        "Lærling barne- og ungdomsarbeiderfaget",
        "Lærling IKT-servicefaget",
        "Lærling anleggsgartnerfaget",
    ),
    apprentice_salary=260_000,
    apprentice_hired_on_share=0.35,
    temporary_share=0.085,
    temporary_hire_share=0.40,
    temporary_converted_share=0.25,
    temporary_renewed_share=0.30,
    second_employment_share=0.24,
    age_beta=(2.3, 2.3),
    hire_age_beta=(1.7, 2.6),
    resignation_by_age=((30, 0.10), (50, 0.055), (99, 0.03)),
    upgrade_rate=0.05,
    initial_fulltime_offset=1.9,
    fulltime_drift=0.9,
    downgrade_rate=0.012,
    men_pay_factor=1.011,
    local_negotiation_rate=0.25,
    transfer_rate=0.03,
    sickness_pct={
        2019: (1.2, 6.8),
        2020: (1.5, 6.9),
        2021: (1.5, 7.4),
        2022: (2.1, 6.95),
        2023: (1.6, 7.5),
        2024: (1.5, 7.3),
    },
    sickness_by_position={
        # health and care: the highest (KS, SSB); physicians and therapists lower
        "Sykepleier": 1.2,
        "Helsefagarbeider": 1.35,
        "Assistent helse": 1.35,
        "Vernepleier": 1.2,
        "Lege": 0.6,
        "Fysioterapeut": 0.8,
        "Helsesykepleier": 0.9,
        "Sosionom": 0.95,
        # kindergartens as high as health and care; schools below the municipality
        "Barnehagelærer": 1.3,
        "Barne- og ungdomsarbeider": 1.35,
        "Assistent oppvekst": 1.15,
        "Lærer": 0.8,
        "Lektor": 0.7,
        "Spesialpedagog": 0.8,
        "SFO-assistent": 1.1,
        # technical: cleaning high, engineers and planners low
        "Ingeniør": 0.55,
        "Fagarbeider teknisk": 0.9,
        "Renholder": 1.3,
        "Arealplanlegger": 0.55,
        "Bibliotekar": 0.8,
        "Kulturskolelærer": 0.7,
        "Konsulent kultur": 0.7,
        # administration: the lowest
        "Rådgiver": 0.5,
        "Konsulent": 0.65,
        "IT-konsulent": 0.45,
        "Økonomirådgiver": 0.5,
        "Lønnskonsulent": 0.65,
        "Enhetsleder": 0.7,
        "Rektor/styrer": 0.7,
        "Avdelingsleder": 0.7,
        "Virksomhetsleder": 0.7,
    },
    sickness_by_unit={"Bogafjell barnehage": 1.2, "Trones barnehage": 1.2, "Hana barnehage": 1.2},
    hms={
        2019: (3300, 232),
        2020: (3450, 238),
        2021: (3822, 246),
        2022: (5000, 252),
        2023: (5150, 256),
        2024: (5250, 260),
    },
)


UTSIRA = Preset(
    name="utsira",
    code="UTS",
    reference_year=2022,
    persons=41,
    growth=0.0,
    sectors=(
        Sector(
            "Administrasjon",
            0.15,
            ("Rådmann/økonomi",),
            (
                _p("Rådgiver", 660_000, 0.65, 0.95, 0.6),
                _p("Konsulent", 540_000, 0.85, 0.80, 0.4),
            ),
            "Rådmann",
        ),
        Sector(
            "Oppvekst",
            0.32,
            ("Utsira skule/bibliotek", "Utsira barnehage"),
            (
                _p("Lærar", 610_000, 0.70, 0.75, 0.5),
                _p("Barnehagelærar", 560_000, 0.95, 0.70, 0.25),
                _p("Assistent", 440_000, 0.85, 0.30, 0.25),
            ),
            "Styrar/rektor",
        ),
        Sector(
            "Helse og omsorg",
            0.38,
            ("Siratun sykestue/helse",),
            (
                _p("Sjukepleiar", 575_000, 0.90, 0.40, 0.45),
                _p("Helsefagarbeidar", 500_000, 0.90, 0.30, 0.45),
                _p("Kommunelege", 1_050_000, 0.50, 0.90, 0.10),
            ),
            "Einingsleiar",
        ),
        Sector(
            "Teknisk",
            0.15,
            ("Driftsavdeling/renhold",),
            (
                _p("Driftsoperatør", 520_000, 0.10, 0.95, 0.5),
                _p("Reinhaldar", 460_000, 0.85, 0.40, 0.5),
            ),
            "Driftsleiar",
        ),
    ),
    leaders=5,
    leader_women_share=0.6,
    leader_salary=820_000,
    apprentices=1,
    apprentice_positions=("Lærling helsearbeidarfaget",),
    apprentice_salary=260_000,
    apprentice_hired_on_share=0.5,
    temporary_share=0.07,
    temporary_hire_share=0.25,
    temporary_converted_share=0.3,
    temporary_renewed_share=0.3,
    second_employment_share=0.08,
    age_beta=(3.4, 1.9),
    hire_age_beta=(2.2, 2.0),
    resignation_by_age=((30, 0.09), (50, 0.05), (99, 0.025)),
    upgrade_rate=0.04,
    initial_fulltime_offset=0.0,
    fulltime_drift=0.0,
    downgrade_rate=0.01,
    men_pay_factor=1.0,
    local_negotiation_rate=0.2,
    transfer_rate=0.01,
    sickness_pct={2019: (1.1, 5.0), 2021: (1.3, 5.5), 2022: (1.8, 5.7), 2023: (1.4, 5.5)},
    hms={2019: (8, 1), 2021: (10, 1), 2022: (12, 1), 2023: (12, 1)},
    sickness_by_position={
        "Rådgiver": 0.5,
        "Konsulent": 0.65,
        "Rådmann": 0.7,
        "Lærar": 0.8,
        "Barnehagelærar": 1.3,
        "Assistent": 1.25,
        "Styrar/rektor": 0.7,
        "Sjukepleiar": 1.2,
        "Helsefagarbeidar": 1.35,
        "Kommunelege": 0.6,
        "Einingsleiar": 0.7,
        "Driftsoperatør": 0.9,
        "Reinhaldar": 1.3,
        "Driftsleiar": 0.7,
    },
    sickness_by_unit={"Utsira barnehage": 1.2},
)


PRESETS: Mapping[str, Preset] = {p.name: p for p in (SANDNES, UTSIRA)}


def get_preset(name: str) -> Preset:
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}") from None
