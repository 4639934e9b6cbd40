"""Configuration read once (settings, ledger URLs, the master key's source) and the
library's wire format: the small modules every entry point and writer goes through."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from ledger.domain.errors import StorageError
from ledger.security.master_key import KeyProblem, MasterKeySource
from ledger.services.settings import Settings
from ledger.storage.urls import postgres_schema, sqlite_path
from ledger.storage.wire import event_topics, pop_recorded_at, recorded_at, stamp

KEY = "ab" * 32


def test_flags_come_before_the_environment() -> None:
    env = {"HRLEDGER_DB": "sqlite:///env.sqlite", "HRLEDGER_TARGETS": "utsira"}

    s = Settings.from_environment(env, url="sqlite:///flag.sqlite", targets="sandnes")

    assert (s.url, s.targets) == ("sqlite:///flag.sqlite", "sandnes")


def test_the_environment_names_the_ledger_key_cache_and_targets() -> None:
    env = {
        "HRLEDGER_DB": "postgresql://hr@db/ledger?schema=utsira",
        "HRLEDGER_MASTER_KEY_FILE": "/run/credentials/hrledger.key",
        "HRLEDGER_PROJECTION_DIR": "/var/cache/hrledger",
        "HRLEDGER_TARGETS": "utsira",
    }

    s = Settings.from_environment(env, policy="statutory")

    assert s == Settings(
        url="postgresql://hr@db/ledger?schema=utsira",
        master_key=MasterKeySource(file="/run/credentials/hrledger.key"),
        projection_dir=Path("/var/cache/hrledger"),
        policy="statutory",
        targets="utsira",
    )


def test_without_configuration_the_ledger_is_a_file_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    s = Settings.from_environment({})

    assert s.url == f"sqlite:///{tmp_path}/hrledger.sqlite"
    assert s.master_key == MasterKeySource() and s.policy is None and s.targets is None
    assert s.projection_dir == Path.home() / ".cache" / "hrledger"


def test_the_key_file_is_preferred_to_the_key_value(tmp_path: Path) -> None:
    key_file = tmp_path / "hrledger.key"
    key_file.write_text("cd" * 32 + "\n")

    source = MasterKeySource(value=KEY, file=str(key_file))

    assert source.load() == bytes.fromhex("cd" * 32)


def test_no_configured_master_key_is_named_only_when_a_key_is_needed() -> None:
    source = MasterKeySource()

    assert source.load() is None
    with pytest.raises(KeyProblem, match="no master key configured"):
        source.require()


def test_an_unreadable_key_file_is_named(tmp_path: Path) -> None:
    source = MasterKeySource(file=str(tmp_path / "missing.key"))

    with pytest.raises(KeyProblem, match=r"HRLEDGER_MASTER_KEY_FILE=.*missing.key cannot be read"):
        source.load()


@pytest.mark.parametrize(
    ("url", "schema"),
    [
        ("postgresql://postgres@127.0.0.1:5432/test?schema=utsira", "utsira"),
        ("postgres://hr@db/ledger?schema=t_1&sslmode=require", "t_1"),
        ("postgresql://postgres@127.0.0.1:5432/test", "public"),
    ],
)
def test_the_schema_comes_from_the_url(url: str, schema: str) -> None:
    assert postgres_schema(url) == schema


def test_an_sqlite_path_is_absolute_or_relative_to_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    assert sqlite_path("sqlite:////srv/hr/ledger.sqlite") == "/srv/hr/ledger.sqlite"
    assert sqlite_path("sqlite:///ledger.sqlite") == f"{tmp_path}/ledger.sqlite"
    with pytest.raises(StorageError, match="no file in 'sqlite:///'"):
        sqlite_path("sqlite:///")


def test_a_recorded_time_is_stored_in_the_librarys_datetime_form() -> None:
    at = datetime(2026, 11, 23, 12, 0, 0, 123456, tzinfo=UTC)

    stored = {"type": "sick_day", "timestamp": stamp(at)}

    assert stored["timestamp"] == {
        "_type_": "datetime_iso",
        "_data_": "2026-11-23T12:00:00.123456+00:00",
    }
    assert recorded_at(stored) == "2026-11-23T12:00:00.123456+00:00"
    assert pop_recorded_at(stored) == "2026-11-23T12:00:00.123456+00:00"
    assert stored == {"type": "sick_day"}


def test_stored_topics_keep_the_module_name_of_the_first_ledgers() -> None:
    topics = event_topics()

    assert topics["sick_day"] == "ledger.domain_events:SickDayRecorded"
    assert topics["hired"] == "ledger.domain_events:Hired"
