"""Whole files sealed with a key derived from the master key: what opens them and what does not."""

from __future__ import annotations

import pytest

import ledger.security.sealed_files as sealed_files
from ledger.security.sealed_files import FileSealer, SealedFileError, derive_key

MASTER = bytes(range(32))
PLAIN = b"2021-03-01 sick, 550000 kr, born 1980-05-05 " * 100  # 4,400 bytes


def _sealed(sealer: FileSealer, data: bytes, name: str = "sick-1.parquet.sealed") -> bytes:
    return b"".join(sealer.seal(data, name))


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sealed_files, "CHUNK", 1000)  # PLAIN is 5 chunks


def test_a_sealed_file_opens_with_the_same_master_key_and_hides_the_text(small_chunks: None):
    sealer = FileSealer(MASTER, "cache")
    blob = _sealed(sealer, PLAIN)

    assert b"1980-05-05" not in blob and b"550000" not in blob
    assert sealer.open(blob, "sick-1.parquet.sealed") == PLAIN
    assert FileSealer(MASTER, "cache").open(blob, "sick-1.parquet.sealed") == PLAIN  # no state
    assert sealer.open(_sealed(sealer, b""), "sick-1.parquet.sealed") == b""


def test_two_seals_of_the_same_bytes_differ() -> None:
    sealer = FileSealer(MASTER, "cache")
    assert _sealed(sealer, PLAIN) != _sealed(sealer, PLAIN)  # a fresh salt, so a fresh key


@pytest.mark.parametrize(
    "opener",
    [FileSealer(bytes(32), "cache"), FileSealer(MASTER, "another purpose")],
    ids=["another master key", "another purpose"],
)
def test_another_key_does_not_open_it(opener: FileSealer) -> None:
    blob = _sealed(FileSealer(MASTER, "cache"), PLAIN)
    with pytest.raises(SealedFileError, match="does not open with this master key"):
        opener.open(blob, "sick-1.parquet.sealed")


def _chunks(blob: bytes) -> tuple[bytes, list[bytes]]:
    head, rest, chunks = blob[:40], blob[40:], []
    while rest:
        size = int.from_bytes(rest[:4], "big")
        chunks.append(rest[: 4 + size])
        rest = rest[4 + size :]
    return head, chunks


def test_renamed_cut_short_reordered_or_flipped_files_are_refused(small_chunks: None) -> None:
    sealer = FileSealer(MASTER, "cache")
    blob = _sealed(sealer, PLAIN)
    head, chunks = _chunks(blob)
    assert len(chunks) == 5
    flipped = bytearray(blob)
    flipped[-1] ^= 1
    broken = {
        "renamed": (blob, "employment-1.parquet.sealed"),
        "last chunk dropped": (head + b"".join(chunks[:-1]), "sick-1.parquet.sealed"),
        "chunks swapped": (head + chunks[1] + chunks[0] + b"".join(chunks[2:]), None),
        "a byte flipped": (bytes(flipped), None),
        "a chunk appended": (blob + chunks[0], None),
    }
    for why, (data, name) in broken.items():
        with pytest.raises(SealedFileError, match="does not open"):
            sealer.open(data, name or "sick-1.parquet.sealed")
            pytest.fail(why)


def test_a_file_that_is_not_sealed_is_named() -> None:
    with pytest.raises(SealedFileError, match=r"sick-1\.parquet is not a sealed file"):
        FileSealer(MASTER, "cache").open(b"PAR1" + PLAIN, "sick-1.parquet")


def test_derived_keys_are_separated_by_purpose_and_salt() -> None:
    keys = {
        derive_key(MASTER, "cache"),
        derive_key(MASTER, "other"),
        derive_key(MASTER, "cache", b"salt"),
        MASTER,
    }
    assert len(keys) == 4
    assert FileSealer(MASTER, "a").key_check() != FileSealer(MASTER, "b").key_check()
    assert FileSealer(MASTER, "a").key_check() == FileSealer(MASTER, "a").key_check()
