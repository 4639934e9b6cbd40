"""Health data protected: small cells suppressed, analysts see pseudonyms, roles enforced."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from urllib.parse import urlparse

import polars as pl
import psycopg
import pytest
from psycopg import sql

from cli.main import main
from ledger.domain.errors import LedgerError
from ledger.services.recording import Ledger
from projections.reports.privacy import (
    KEY_ENV,
    analyst_view,
    pseudonym,
    pseudonym_key,
    small_cells,
    suppress_small_cells,
)
from tests.builders import hired, sick, terminated

KEY = b"k" * 32


def kpi_rows() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "period_start": [date(2022, 1, 1)] * 3,
            "period_end": [date(2022, 12, 31)] * 3,
            "unit": ["Sjukeheimen", "Utsira skule", "Rådhuset"],
            "headcount": [40, 12, 3],
            "sickness_rate_pct": [9.1, 5.0, 30.0],
            "women": [35, 7, 2],
            "men": [5, 5, 1],
            "women_pay_pct_of_men": [93.0, 101.0, 80.0],
        }
    )


def test_a_cell_of_fewer_than_five_persons_is_nulled_and_flagged() -> None:
    out = suppress_small_cells(kpi_rows())

    small = out.filter(pl.col("unit") == "Rådhuset").row(0, named=True)
    assert small["headcount"] is None and small["sickness_rate_pct"] is None
    assert small["suppressed"] is True
    assert set(small["suppressed_cells"]) == {
        "headcount",
        "sickness_rate_pct",
        "women",
        "men",
        "women_pay_pct_of_men",
    }
    big = out.filter(pl.col("unit") == "Sjukeheimen").row(0, named=True)
    assert big["suppressed"] is False and big["sickness_rate_pct"] == 9.1
    assert out.columns[:8] == kpi_rows().columns, "contracted columns keep their order"


def test_a_subgroup_under_five_is_suppressed_even_in_a_large_cell() -> None:
    out = suppress_small_cells(kpi_rows().with_columns(men=pl.Series([5, 4, 1])))

    school = out.filter(pl.col("unit") == "Utsira skule").row(0, named=True)
    assert school["men"] is None and school["women_pay_pct_of_men"] is None
    assert school["headcount"] == 12 and school["women"] == 7
    assert school["suppressed_cells"] == ["men", "women_pay_pct_of_men"]


def test_the_threshold_is_configurable() -> None:
    out = suppress_small_cells(kpi_rows(), threshold=13)
    assert out["headcount"].to_list() == [40, None, None]
    with pytest.raises(ValueError, match="at least 1"):
        suppress_small_cells(kpi_rows(), threshold=0)


def test_an_empty_cell_is_small_in_published_tables_only() -> None:
    counts = pl.DataFrame({"n": [0, None, 4, 5], "m": [9, 9, 9, 2]})

    published = counts.select(small_cells("n", threshold=5))
    report = counts.select(small_cells("n", threshold=5, empty_is_small=False))
    either = counts.select(small_cells("n", "m", threshold=3, empty_is_small=False))

    assert published.to_series().to_list() == [True, True, True, False]
    assert report.to_series().to_list() == [False, False, True, False]
    assert either.to_series().to_list() == [False, False, False, True]


def test_the_pseudonym_is_a_keyed_hash_stable_per_key() -> None:
    a = pseudonym("E1", KEY)
    assert a == pseudonym("E1", KEY) and a != pseudonym("E2", KEY)
    assert a != pseudonym("E1", b"x" * 32), "another key gives unlinkable ids"
    assert "E1" not in a and len(a) == 34


def test_the_key_comes_from_the_environment_and_must_be_long(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    with pytest.raises(LedgerError, match=f"{KEY_ENV} is not set"):
        pseudonym_key()
    monkeypatch.setenv(KEY_ENV, "short")
    with pytest.raises(LedgerError, match="shorter than 32"):
        pseudonym_key()
    monkeypatch.setenv(KEY_ENV, "s" * 40)
    assert pseudonym_key() == b"s" * 40


def test_the_analyst_view_hides_ids_birth_dates_and_free_text(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(KEY_ENV, "s" * 40)
    roster = pl.DataFrame(
        {
            "employee_id": ["E1", "E2"],
            "employment_id": ["A1", "A2"],
            "birth_date": [date(1980, 5, 5), date(1990, 1, 2)],
            "unit": ["x", "y"],
            "note": ["ring Kari", None],
        }
    )
    view = analyst_view(roster)

    assert view["employee_id"].to_list() == [pseudonym("E1", b"s" * 40), pseudonym("E2", b"s" * 40)]
    assert "A1" not in view["employment_id"].to_list()
    assert view["birth_year"].to_list() == [1980, 1990]
    assert "birth_date" not in view.columns and "note" not in view.columns


def test_the_analyst_view_refuses_person_level_sick_days() -> None:
    sick_days = pl.DataFrame({"employee_id": ["E1"], "certificate": ["doctor"]})
    with pytest.raises(LedgerError, match="health data"):
        analyst_view(sick_days, key=KEY)
    assert analyst_view(sick_days, key=KEY, allow_health_data=True).height == 1


# --- PostgreSQL roles ------------------------------------------------------------------------


@pytest.fixture
def roles(postgres_url: str) -> Iterator[tuple[str, str]]:
    suffix = uuid.uuid4().hex[:8]
    names = (f"analyst_{suffix}", f"hr_{suffix}")
    yield names
    base = postgres_url.split("?")[0]
    with psycopg.connect(base, autocommit=True) as conn:
        for name in names:
            conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(name)))
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))


def connect_as(postgres_url: str, role: str) -> psycopg.Connection[tuple[object, ...]]:
    p = urlparse(postgres_url)
    return psycopg.connect(
        host=p.hostname,
        port=p.port or 5432,
        dbname=p.path.lstrip("/"),
        user=role,
        autocommit=True,
    )


def test_the_analyst_role_cannot_read_events_but_the_hr_role_can(
    postgres_url: str, roles: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    with Ledger(postgres_url) as ledger:
        ledger.record([hired(), sick("2021-03-01")])
    analyst, hr = roles
    schema = postgres_url.split("schema=")[1]
    table = sql.SQL("SELECT count(*) FROM {}.stored_events").format(sql.Identifier(schema))

    rc = main(
        [
            "--db",
            postgres_url,
            "roles",
            "setup",
            "--analyst-role",
            analyst,
            "--hr-role",
            hr,
            "--login",
        ]
    )
    assert rc == 0, capsys.readouterr().err

    with (
        connect_as(postgres_url, analyst) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied"),
    ):
        conn.execute(table)
    with connect_as(postgres_url, hr) as conn:
        assert conn.execute(table).fetchone() == (2,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(sql.SQL("DELETE FROM {}.stored_events").format(sql.Identifier(schema)))


def test_roles_setup_twice_is_harmless(
    postgres_url: str, roles: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    analyst, hr = roles
    argv = ["--db", postgres_url, "roles", "setup", "--analyst-role", analyst, "--hr-role", hr]
    assert main(argv) == 0
    assert main(argv) == 0


def test_roles_setup_on_sqlite_says_roles_need_postgresql(
    sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    rc = main(["--db", sqlite_url, "roles", "setup", "--analyst-role", "a", "--hr-role", "h"])
    err = capsys.readouterr().err
    assert rc == 1 and "only on PostgreSQL" in err and "Traceback" not in err


def test_the_hr_role_records_and_erases_and_the_analyst_cannot_read_keys(
    postgres_url: str, roles: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    with Ledger(postgres_url) as ledger:
        ledger.record([hired(), sick("2021-03-01")])  # the owner makes the tables
    analyst, hr = roles
    setup = ["--db", postgres_url, "roles", "setup", "--analyst-role", analyst, "--hr-role", hr]
    assert main([*setup, "--login"]) == 0
    schema = postgres_url.split("schema=")[1]
    p = urlparse(postgres_url)
    as_hr = f"postgresql://{hr}@{p.hostname}:{p.port or 5432}{p.path}?schema={schema}"

    with Ledger(as_hr) as ledger:  # a new person gets a key: INSERT on the key table
        ledger.record([hired("E2", "A2"), terminated("2021-06-30", "A2")])
    capsys.readouterr()
    assert main(["--db", as_hr, "erase", "E2", "--reason", "request 7"]) == 0, (
        capsys.readouterr().err
    )
    assert "erased E2" in capsys.readouterr().out

    keys = sql.SQL("SELECT count(*) FROM {}.ledger_person_keys").format(sql.Identifier(schema))
    with (
        connect_as(postgres_url, analyst) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied"),
    ):
        conn.execute(keys)
