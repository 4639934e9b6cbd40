"""Where the master key comes from: named once, read when a key is needed.

The master key never lives in the ledger. The environment names it
(``HRLEDGER_MASTER_KEY``, or the file in ``HRLEDGER_MASTER_KEY_FILE``: a
secret store, a systemd credential); the entry point reads those names once
into a ``MasterKeySource``, and the key itself is read only by an operation
that opens or seals personal fields, so ``hrledger verify`` needs no key.
Standard library only: the command line builds one for every command.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ledger.domain.errors import LedgerError

ENV_KEY = "HRLEDGER_MASTER_KEY"
ENV_KEY_FILE = "HRLEDGER_MASTER_KEY_FILE"

HOW_TO_MAKE = (
    "make one with `python -c 'import secrets; print(secrets.token_hex(32))' > hrledger.key`, "
    f"keep it out of the repository (chmod 600) and set {ENV_KEY_FILE}=/path/to/hrledger.key "
    "(docs/privacy.md)"
)


class KeyProblem(LedgerError):
    """A key problem the user can fix: missing or wrong master key, erased person."""


def _parse_master(text: str, origin: str) -> bytes:
    text = text.strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        raise KeyProblem(f"{origin} is not 64 hexadecimal characters; {HOW_TO_MAKE}") from None
    if len(key) != 32:
        raise KeyProblem(f"{origin} must be 64 hexadecimal characters (256 bits); {HOW_TO_MAKE}")
    return key


def parse_master_key(text: str, origin: str = "the master key") -> bytes:
    """A master key given as 64 hexadecimal characters (as in the key file), checked."""
    return _parse_master(text, origin)


@dataclass(frozen=True, slots=True)
class MasterKeySource:
    """The configured key: a file (preferred when both are set) or a hex value."""

    value: str | None = None
    file: str | None = None

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> MasterKeySource:
        env = os.environ if environ is None else environ
        return cls(value=env.get(ENV_KEY) or None, file=env.get(ENV_KEY_FILE) or None)

    def load(self) -> bytes | None:
        """The master key, or None when none is configured."""
        if self.file:
            try:
                text = Path(self.file).read_text(encoding="ascii")
            except OSError as e:
                raise KeyProblem(
                    f"{ENV_KEY_FILE}={self.file} cannot be read ({e.strerror})"
                ) from None
            return _parse_master(text, f"{ENV_KEY_FILE}={self.file}")
        if self.value:
            return _parse_master(self.value, ENV_KEY)
        return None

    def require(self) -> bytes:
        key = self.load()
        if key is None:
            raise KeyProblem(
                f"no master key configured: personal fields are encrypted at rest; {HOW_TO_MAKE}"
            )
        return key


def master_key() -> bytes | None:
    """The master key the environment names now (the Python API's default)."""
    return MasterKeySource.from_environment().load()


def require_master_key() -> bytes:
    return MasterKeySource.from_environment().require()
