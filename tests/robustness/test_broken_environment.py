"""A broken environment gives one line on stderr that says what to do, never a traceback.

Corrupted or missing ledger files, folders that do not exist, unreachable or
misnamed PostgreSQL servers, a read-only filesystem and a full disk: every
command exits non-zero with `error: …` naming the problem and the remedy,
and a failed write leaves the ledger as it was.
"""

from __future__ import annotations

import os
import random
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from cli.main import main
from tests.robustness.helpers import assert_clean_failure, run_cli, stored_count
from tests.robustness.lines import valid_lines, write_jsonl

READ_COMMANDS = [
    ["verify"],
    ["export", "events"],
    ["history", "E1"],
]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    capsys.readouterr()
    rc = main(list(argv))
    return rc, capsys.readouterr().err


def one_clear_line(rc: int, err: str, *fragments: str) -> None:
    assert_clean_failure(rc, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: "), err
    for fragment in fragments:
        assert fragment in err, err


@pytest.fixture
def small_file(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "small.jsonl", valid_lines(3))


@pytest.mark.parametrize("size", [0, 100, 4096, 100_000])
def test_a_corrupted_sqlite_file_is_reported_with_the_way_to_recover(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], small_file: Path, size: int
) -> None:
    db = tmp_path / "ledger.sqlite"
    db.write_bytes(random.Random(size).randbytes(size) if size else b"")
    url = f"sqlite:///{db}"
    for command in ([*READ_COMMANDS[0]], ["import", str(small_file)]):
        rc, err = run(capsys, "--db", url, *command)
        if size == 0:
            # an empty file is a valid, empty SQLite database: it becomes a new ledger
            assert rc == 0, err
            continue
        one_clear_line(rc, err, "is not a readable ledger", "restore it from a backup")


@pytest.mark.parametrize("command", [["verify"], ["export", "events"]], ids=["verify", "export"])
def test_a_damaged_page_in_a_real_ledger_is_reported_not_crashed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], small_file: Path, command: list[str]
) -> None:
    db = tmp_path / "ledger.sqlite"
    url = f"sqlite:///{db}"
    assert run(capsys, "--db", url, "import", str(small_file))[0] == 0
    data = bytearray(db.read_bytes())
    data[4096:8192] = random.Random(3).randbytes(4096)  # scribble over the second page
    db.write_bytes(bytes(data))
    result = run_cli("--db", url, *command)
    assert_clean_failure(result.returncode, result.stderr)
    assert "restore it from a backup" in result.stderr


@pytest.mark.parametrize("command", READ_COMMANDS, ids=lambda c: c[0])
def test_a_read_command_on_a_missing_ledger_says_to_import_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    db = tmp_path / "missing.sqlite"
    rc, err = run(capsys, "--db", f"sqlite:///{db}", *command)
    one_clear_line(rc, err, "no ledger at", "import into it first")
    assert not db.exists(), "a read command created a ledger"


@pytest.mark.parametrize("command", [["verify"], ["import", "FILE"]], ids=["verify", "import"])
def test_a_folder_that_does_not_exist_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], small_file: Path, command: list[str]
) -> None:
    url = f"sqlite:///{tmp_path}/no/such/folder/ledger.sqlite"
    argv = [str(small_file) if a == "FILE" else a for a in command]
    rc, err = run(capsys, "--db", url, *argv)
    one_clear_line(rc, err)
    assert "no/such/folder" in err


def test_an_import_file_that_does_not_exist_is_named(
    sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc, err = run(capsys, "--db", sqlite_url, "import", str(tmp_path / "nope.jsonl"))
    one_clear_line(rc, err, "cannot read", "nope.jsonl")


def test_an_import_file_that_is_a_folder_is_named(
    sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc, err = run(capsys, "--db", sqlite_url, "import", str(tmp_path))
    one_clear_line(rc, err, "cannot read")


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://postgres@127.0.0.1:1/test",
        "postgresql://postgres@127.0.0.1:5432/no_such_database",
        "postgresql://no_such_user@127.0.0.1:5432/test",
        "postgresql://postgres@no-such-host.invalid:5432/test",
        "mysql://root@127.0.0.1/ledger",
        "sqlite://",
    ],
    ids=["bad-port", "bad-db", "bad-user", "bad-host", "unknown-scheme", "no-file"],
)
@pytest.mark.parametrize("command", [["verify"], ["import", "FILE"]], ids=["verify", "import"])
def test_a_wrong_database_url_is_one_clear_line(
    capsys: pytest.CaptureFixture[str], small_file: Path, url: str, command: list[str]
) -> None:
    argv = [str(small_file) if a == "FILE" else a for a in command]
    rc, err = run(capsys, "--db", url, *argv)
    one_clear_line(rc, err)
    if url.startswith("postgresql"):
        assert "cannot connect to PostgreSQL" in err and "check the URL" in err


def test_a_wrong_url_through_the_console_script_prints_no_traceback(small_file: Path) -> None:
    result = run_cli("--db", "postgresql://postgres@127.0.0.1:1/test", "import", str(small_file))
    assert_clean_failure(result.returncode, result.stderr)
    assert result.stderr.count("\n") == 1


# --- a filesystem that fills up or turns read-only (needs root to mount a tmpfs) -------------


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=200k", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_refuses_the_import_and_keeps_what_was_stored(
    tiny_disk: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tiny_disk}/ledger.sqlite"
    first = write_jsonl(tmp_path / "first.jsonl", valid_lines(3, prefix="a"))
    assert run(capsys, "--db", url, "import", str(first))[0] == 0
    before = stored_count(url)
    big = write_jsonl(tmp_path / "big.jsonl", valid_lines(600, prefix="b"))

    rc, err = run(capsys, "--db", url, "import", str(big))

    one_clear_line(rc, err, "full", "free disk space")
    assert "nothing from the file was stored" in err
    assert stored_count(url) == before
    assert run(capsys, "--db", url, "verify")[0] == 0


def test_a_read_only_ledger_refuses_an_import_in_one_line_and_keeps_its_events(
    tiny_disk: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tiny_disk}/ledger.sqlite"
    first = write_jsonl(tmp_path / "first.jsonl", valid_lines(3, prefix="a"))
    assert run(capsys, "--db", url, "import", str(first))[0] == 0
    subprocess.run(["mount", "-o", "remount,ro", str(tiny_disk)], check=True)
    more = write_jsonl(tmp_path / "more.jsonl", valid_lines(3, prefix="b"))

    rc, err = run(capsys, "--db", url, "import", str(more))

    one_clear_line(rc, err, "ledger.sqlite")
    subprocess.run(["mount", "-o", "remount,rw", str(tiny_disk)], check=True)
    assert stored_count(url) == len(valid_lines(3))


def test_a_read_only_ledger_still_verifies_and_the_import_error_says_read_only(
    tiny_disk: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tiny_disk}/ledger.sqlite"
    first = write_jsonl(tmp_path / "first.jsonl", valid_lines(3, prefix="a"))
    assert run(capsys, "--db", url, "import", str(first))[0] == 0
    subprocess.run(["mount", "-o", "remount,ro", str(tiny_disk)], check=True)

    rc, err = run(capsys, "--db", url, "verify")
    assert rc == 0, err
    rc, err = run(capsys, "--db", url, "import", str(first))
    one_clear_line(rc, err, "read-only")
    assert "restore it from a backup" not in err
