"""Keys for personal fields: one data key per person, one for the ledger, a master key outside.

Why this shape: the log is immutable and hash-chained, yet a person may be
erased (GDPR art. 17). Each person's sensitive fields are sealed with that
person's own data key; destroying the key makes them unreadable without
touching a stored byte, so the chain still verifies. Data keys live in the
ledger (table ``ledger_person_keys``) wrapped by a master key that never
does: it comes from ``HRLEDGER_MASTER_KEY`` or the file named by
``HRLEDGER_MASTER_KEY_FILE`` (a secret store, a systemd credential).
Rotating the master key re-wraps the data keys; it never rewrites events.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ledger.security.master_key import (
    ENV_KEY,
    ENV_KEY_FILE,
    HOW_TO_MAKE,
    KeyProblem,
    MasterKeySource,
    master_key,
    parse_master_key,
    require_master_key,
)

__all__ = [
    "ENV_KEY",
    "ENV_KEY_FILE",
    "HOW_TO_MAKE",
    "KEY_COLUMNS",
    "LEDGER_KEY_ID",
    "KeyProblem",
    "KeyRow",
    "KeySource",
    "Keyring",
    "MasterKeySource",
    "key_row",
    "master_key",
    "parse_master_key",
    "require_master_key",
]

CIPHERS = 8192
"""Ciphers kept ready (``Keyring._ciphers``, in two generations of half this each): a file
runs forward in time, so the persons sick this week seal their next days while their
cipher is still kept."""
MAX_CIPHERS = 40_000
"""The most keys a long read keeps a cipher for each (``Keyring.keep_ciphers``): 100 MB of
OpenSSL state."""
LEDGER_KEY_ID = "ledger"
"""The data key for the frozen statistics, and for birth date and pay in events written
before they got per-person keys of their own kind (``KEY_KINDS``)."""
KEY_KINDS = ("pay", "birth_date")
"""Kinds of field with a per-person key of their own, so retention can destroy one kind
(pay after the bookkeeping period) and keep the others."""
KIND_SEPARATOR = "\x1f"
"""Between employee id and kind in a kind key's owner: ids are printable, so a kind
key's owner never equals an employee id."""


def kind_owner(employee_id: str, kind: str) -> str:
    """The owner recorded for a person's key of one kind (``employee_id`` column)."""
    return f"{employee_id}{KIND_SEPARATOR}{kind}"


def person_of(owner: str) -> str:
    """The employee id of a key owner (a person's key or one of their kind keys)."""
    return owner.split(KIND_SEPARATOR, 1)[0]


NONCE = 12


@dataclass(frozen=True, slots=True)
class KeyRow:
    key_id: str
    employee_id: str | None
    wrapped: bytes | None
    """None once the person is erased."""
    created_at: str
    erased_at: str | None = None


KEY_COLUMNS = "key_id, employee_id, wrapped, created_at, erased_at"
"""The columns of ``ledger_person_keys``, in ``KeyRow`` order."""


def key_row(db_row: tuple[Any, ...]) -> KeyRow:
    kid, employee_id, wrapped, created_at, erased_at = db_row
    return KeyRow(kid, employee_id, None if wrapped is None else bytes(wrapped), created_at,
                  erased_at)  # fmt: skip


class KeySource(Protocol):
    def key_rows(self, employee_ids: Iterable[str] | None = None) -> list[KeyRow]:
        """The keys of these employees and the ledger key (all keys for None)."""
        ...

    def key_rows_by_id(self, key_ids: Iterable[str]) -> list[KeyRow]: ...


SEALED_KEY_ID = re.compile(rb'"sealed(?:_l|_p|_b|_stats)?":"([0-9a-f]{32}|ledger):')
"""The key id of a sealed value, found in stored bytes without decoding them."""


def _b64(raw: bytes) -> str:
    return binascii.b2a_base64(raw, newline=False).decode("ascii")


class _RandomBytes:
    """Random bytes (nonces, new data keys and their ids), drawn from the operating
    system 48 kB at a time.

    One ``os.urandom`` per sealed value was a quarter of the cost of sealing, and an
    import makes three keys per new person (id, key, wrapping nonce); bulk draws give
    the same randomness. A lock keeps two threads from taking the same bytes, and a
    forked child throws away its parent's unused ones.
    """

    BATCH = 49_152
    NONCES = 4096

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buf = b""
        self._at = 0
        self._nonces: Iterator[bytes] = iter(())
        os.register_at_fork(after_in_child=self._discard)

    def _discard(self) -> None:
        self._lock = threading.Lock()
        self._buf, self._at = b"", 0
        self._nonces = iter(())

    def take(self, n: int) -> bytes:
        with self._lock:
            at = self._at
            if at + n > len(self._buf):
                self._buf, at = os.urandom(max(n, self.BATCH)), 0
            self._at = at + n
            return self._buf[at : at + n]

    def nonce(self) -> bytes:
        """One per sealed value, so without the lock: ``next`` on a list's iterator is
        atomic under the GIL, and each nonce in the list is handed out once."""
        for nonce in self._nonces:
            return nonce
        with self._lock:
            buf = os.urandom(NONCE * self.NONCES)
            self._nonces = iter([buf[i : i + NONCE] for i in range(0, len(buf), NONCE)])
        return self.nonce()


_RANDOM = _RandomBytes()


def seal_with(prefix: str, aes: AESGCM, plain: bytes, aad: bytes) -> str:
    """``prefix`` (the key id and ``:``) + base64(nonce ‖ AES-256-GCM(plain)), bound to ``aad``."""
    nonce = _RANDOM.nonce()
    return prefix + binascii.b2a_base64(
        nonce + aes.encrypt(nonce, plain, aad), newline=False
    ).decode("ascii")


@dataclass
class Keyring:
    """The data keys one operation needs, unwrapped on first use.

    ``new_rows`` collects keys made for persons seen for the first time; the
    store writes them in the same transaction as the events they seal.
    """

    rows: dict[str, KeyRow]
    master: bytes | None
    source: KeySource | None = None
    """Where a key id not loaded yet is looked up (None: only what was loaded counts,
    e.g. on a worker thread that must not touch the database connection)."""
    by_employee: dict[str, str] = field(default_factory=dict)
    new_rows: list[KeyRow] = field(default_factory=list)
    unopened: set[str] = field(default_factory=set)
    """Employees with a sealed value whose key was not found (erased, or lost)."""
    erased_ids: set[str] = field(default_factory=set)
    """Employees known to be erased although their key row was not loaded (a reader that
    loads keys by the key ids it meets, ``fetch_for``)."""
    configured: MasterKeySource | None = None
    """Where ``master`` came from, to name it when a key is needed and none is set."""
    _deks: dict[str, bytes | None] = field(default_factory=dict)
    """Unwrapped data keys (None: destroyed); 32 bytes each."""
    _ciphers: dict[str, AESGCM] = field(default_factory=dict)
    """The keys in use lately as ciphers: at most ``CIPHERS`` // 2 here and as many in
    ``_older``. Not one per key: a cipher holds about 2.5 kB of OpenSSL state, 600 MB for
    the 240,000 keys of three years at Oslo's size.

    Two generations, not a first-in-first-out dict: removing a dict's oldest entry
    (``next(iter(d))``) skips every hole the removals before it left, 2 µs a removal at
    8,192 entries, 17 µs at 65,536; an Oslo-size rebuild spent 14 s in it. When this
    generation is full it becomes ``_older`` and the one before is dropped whole; a
    cipher met again in ``_older`` moves back here."""
    _older: dict[str, AESGCM] = field(default_factory=dict)
    cipher_room: int = CIPHERS
    """How many ciphers ``_ciphers`` and ``_older`` hold together (``keep_ciphers``)."""
    _made_at: str = ""
    _made_second: int = -1
    _wrapping: tuple[bytes, AESGCM] | None = None
    """The master key and its cipher, which wraps every key an import makes."""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _sealing: dict[str | None, tuple[str, str]] = field(default_factory=dict)
    """Owner → the id of the live key that seals their fields, and its token prefix."""

    @classmethod
    def load(
        cls,
        source: KeySource,
        employee_ids: Iterable[str] | None = None,
        master: MasterKeySource | None = None,
    ) -> Keyring:
        """The keys of these employees (all for None) and the ledger key.

        ``master``: the configured master key; by default the one the store
        was opened with (its ``master_key``), else the environment's.
        """
        configured = master or getattr(source, "master_key", None)
        if configured is None:
            configured = MasterKeySource.from_environment()
        wanted = None
        if employee_ids is not None:
            ids = set(employee_ids)
            wanted = sorted(ids | {kind_owner(e, k) for e in ids for k in KEY_KINDS})
        rows = source.key_rows(wanted)
        ring = cls({r.key_id: r for r in rows}, configured.load(), source, configured=configured)
        ring.by_employee = {r.employee_id: r.key_id for r in rows if r.employee_id is not None}
        return ring

    def load_persons(self, source: KeySource, employee_ids: Iterable[str]) -> None:
        """Load the keys (of every kind) of these employees too, those not known yet: a
        file read in chunks meets its persons chunk by chunk."""
        ids = {e for e in employee_ids if e not in self.by_employee}
        if not ids and LEDGER_KEY_ID in self.rows:
            return
        wanted = sorted(ids | {kind_owner(e, k) for e in ids for k in KEY_KINDS})
        for row in source.key_rows(wanted):
            self.rows.setdefault(row.key_id, row)
            if row.employee_id is not None:
                self.by_employee.setdefault(row.employee_id, row.key_id)

    def take_new_rows(self) -> list[KeyRow]:
        """The keys made since the last call: they go to the store with the events they seal."""
        rows, self.new_rows = self.new_rows, []
        return rows

    def _master(self) -> bytes:
        if self.master is None:
            self.master = (self.configured or MasterKeySource.from_environment()).require()
        return self.master

    def check_master(self) -> None:
        """Refuse a wrong master key before anything is written with it.

        New keys are wrapped with the configured master key; a wrong one would
        make them unreadable later, so one existing key must open first.
        """
        for kid, row in self.rows.items():
            if row.wrapped is not None:
                self._cipher(kid)
                return

    def fetch_for(self, source: KeySource, states: bytes) -> None:
        """Load the keys that the stored ``states`` are sealed with and are not loaded yet.

        Readers that follow the ledger load keys page by page instead of all
        at once: a catch-up of one event must not read thousands of keys.
        """
        wanted = {m.decode() for m in SEALED_KEY_ID.findall(states)} - self.rows.keys()
        self.include(source.key_rows_by_id(sorted(wanted)) if wanted else [])

    def include(self, rows: Iterable[KeyRow]) -> None:
        """Add key rows looked up later (by key id, or the kind keys of erased persons)."""
        for row in rows:
            self.rows[row.key_id] = row
            self._drop(row.key_id)
            if row.employee_id is not None:
                self.by_employee[row.employee_id] = row.key_id
                self._sealing.pop(row.employee_id, None)

    def forget(self, employee_id: str) -> None:
        """Drop a person's unwrapped key, so the next use looks it up again.

        A long-running reader calls it when it meets the person's erasure: the
        key row is a tombstone by then, and the fields read ``[erased]``.
        """
        for kid in [
            k for k, r in self.rows.items()
            if r.employee_id is not None and person_of(r.employee_id) == employee_id
        ]:  # fmt: skip
            del self.rows[kid]
            self._drop(kid)
        for owner in (employee_id, *(kind_owner(employee_id, k) for k in KEY_KINDS)):
            self.by_employee.pop(owner, None)
            self._sealing.pop(owner, None)
        self.erased_ids.add(employee_id)

    # ------------------------------------------------------------ writing
    def erased(self, employee_id: str) -> bool:
        if employee_id in self._sealing:  # the import's hot loop: a live key seals for them
            return False
        if employee_id in self.erased_ids:
            return True
        kid = self.by_employee.get(employee_id)
        return kid is not None and self.rows[kid].wrapped is None

    def live(self, owner: str) -> bool:
        """Does this owner (a person, or ``kind_owner``) have a key that opens?"""
        kid = self.by_employee.get(owner)
        return kid is not None and self.rows[kid].wrapped is not None

    def gone_kinds(self, employee_id: str) -> set[str]:
        """The person's kinds of field (``KEY_KINDS``) that may no longer be shown.

        A kind whose key was destroyed (retention, or an erasure); and, for an
        erased person, every kind without a key of its own: such values were
        sealed with the ledger key, before the kind keys existed.
        """
        erased = self.erased(employee_id)
        return {
            k
            for k in KEY_KINDS
            if self.erased(kind_owner(employee_id, k))
            or (erased and not self.live(kind_owner(employee_id, k)))
        }

    def key_for(self, employee_id: str | None) -> str:
        """The key id of this owner (a person, or ``kind_owner``; the ledger key for None);
        made if new."""
        if employee_id is None:
            kid = LEDGER_KEY_ID
            if kid in self.rows:
                return kid
        else:
            found = self.by_employee.get(employee_id)
            if found is not None:
                if self.rows[found].wrapped is None:
                    who, _, kind = employee_id.partition(KIND_SEPARATOR)
                    if kind:
                        raise KeyProblem(
                            f"employee {who}: the {kind} key was destroyed by retention; "
                            "nothing of that kind can be recorded for them"
                        )
                    raise KeyProblem(f"employee {employee_id} was erased; their key is destroyed")
                return found
            kid = _RANDOM.take(16).hex()
        master = self._master()
        if self._wrapping is None or self._wrapping[0] != master:
            self._wrapping = (master, AESGCM(master))
        dek = _RANDOM.take(32)  # as AESGCM.generate_key(256) makes it
        nonce = _RANDOM.take(NONCE)
        wrapped = nonce + self._wrapping[1].encrypt(nonce, dek, kid.encode())
        row = KeyRow(kid, employee_id, wrapped, self._now())
        self.rows[kid] = row
        if employee_id is not None:
            self.by_employee[employee_id] = kid
        self.new_rows.append(row)
        self._deks[kid] = dek
        return kid

    def seal(self, key_id: str, fields: dict[str, Any], aad: str) -> str:
        """``key_id:base64(nonce ‖ AES-256-GCM(fields as JSON))``, bound to ``aad``."""
        aes = self._cipher(key_id)
        assert aes is not None, "sealing with a destroyed key"
        return seal_with(f"{key_id}:", aes, orjson.dumps(fields), aad.encode())

    def sealing_key(self, employee_id: str | None) -> tuple[str, AESGCM]:
        """The token prefix (``key_id:``) and cipher sealing this person's fields, made if new.

        Cached per person for the import's hot loop: one dict look-up per
        event instead of the key row, its erasure mark and the cipher.
        """
        found = self._sealing.get(employee_id)
        if found is None:
            kid = self.key_for(employee_id)
            found = self._sealing[employee_id] = (kid, f"{kid}:")
        aes = self._ciphers.get(found[0]) or self._cipher(found[0])
        assert aes is not None, "sealing with a destroyed key"
        return found[1], aes

    # ------------------------------------------------------------ reading
    def open(self, token: str, aad: str) -> dict[str, Any] | None:
        """The sealed fields, or None when their key was destroyed (erased person)."""
        raw = self.open_bytes(token, aad)
        return None if raw is None else orjson.loads(raw)

    def open_bytes(self, token: str, aad: str) -> bytes | None:
        kid, _, body = token.partition(":")
        aes = self._cipher(kid)
        if aes is None:
            return None
        blob = base64.b64decode(body)
        try:
            return aes.decrypt(blob[:NONCE], blob[NONCE:], aad.encode())
        except InvalidTag:
            raise KeyProblem(
                f"a sealed field failed its integrity check (key {kid}, event {aad}): the "
                "stored bytes were changed; run `hrledger verify`"
            ) from None

    def open_many(
        self,
        kids: Sequence[str],
        codes: Sequence[int],
        nonces: Sequence[bytes],
        sealed: Sequence[bytes],
        aads: Sequence[bytes],
    ) -> list[bytes | None]:
        """Open a column of sealed values at once (the read side's hot loop).

        The caller splits the tokens column-wise (key id, nonce, ciphertext;
        base64 decoded in bulk) and names each value's key by its place in
        ``kids``, the distinct key ids (``codes``: integers, cheaper to hand
        over than a string per value). Here the decryptions run through
        ``map`` over the columns, with no Python bytecode per value: the AES
        then is most of the cost. None where the key was destroyed.
        """
        ciphers = [self._cipher(kid) for kid in kids]
        decrypt = AESGCM.decrypt
        per_value = map(ciphers.__getitem__, codes)
        try:
            if None not in ciphers:
                return list(map(decrypt, per_value, nonces, sealed, aads))  # type: ignore[arg-type]
            return [
                None if aes is None else decrypt(aes, nonce, body, aad)
                for aes, nonce, body, aad in zip(per_value, nonces, sealed, aads, strict=True)
            ]
        except InvalidTag:
            pass
        for code, nonce, body, aad in zip(codes, nonces, sealed, aads, strict=True):
            aes = ciphers[code]
            try:
                if aes is not None:
                    aes.decrypt(nonce, body, aad)
            except InvalidTag:
                raise KeyProblem(
                    f"a sealed field of event {aad.decode()} failed its integrity check: "
                    "the stored bytes were changed; run `hrledger verify`"
                ) from None
        raise AssertionError("a value failed to open, then opened")  # pragma: no cover

    def _now(self) -> str:
        """When a key is made, to the second; one string shared by the keys of that second
        (an import makes a key per person, and holds them until it commits)."""
        second = int(time.time())
        if second != self._made_second:  # a datetime's text costs more than the key itself
            self._made_second = second
            self._made_at = datetime.fromtimestamp(second, UTC).isoformat()
        return self._made_at

    def keep_ciphers(self, keys: int) -> None:
        """Room for a cipher per key, when ``keys`` keys fit in ``MAX_CIPHERS``.

        Why: a read of the whole ledger meets a person again pages later. A ten-year
        rebuild made 224,000 ciphers for its 34,000 keys with room for ``CIPHERS``
        (each costs 1.5 µs and the lock), and 34,000 with room for all. Each
        generation gets room for every key: a cipher taken back from ``_older``
        would otherwise fill the young one and push the rest out. More keys than
        fit (Oslo's 240,000) keep the usual room: a room for some of them would
        not stop the ciphers being made again, and would hold 2.5 kB each (an
        Oslo-size rebuild's peak grew by 0.6 GB so).
        """
        if keys <= MAX_CIPHERS:
            self.cipher_room = max(self.cipher_room, 2 * keys)

    def _drop(self, kid: str) -> None:
        self._deks.pop(kid, None)
        self._ciphers.pop(kid, None)
        self._older.pop(kid, None)

    def _cipher(self, kid: str) -> AESGCM | None:
        aes = self._ciphers.get(kid)
        if aes is not None:
            return aes
        with self._lock:  # the read side decodes pages in two threads with one ring
            aes = self._older.get(kid)
            if aes is None:
                dek = self._deks[kid] if kid in self._deks else self._unwrap(kid)
                if dek is None:
                    return None
                aes = AESGCM(dek)
            if len(self._ciphers) >= self.cipher_room // 2:
                self._older, self._ciphers = self._ciphers, {}
            self._ciphers[kid] = aes
            return aes

    def _unwrap(self, kid: str) -> bytes | None:
        """The data key ``kid`` (None when destroyed or unknown), remembered unwrapped."""
        row = self.rows.get(kid)
        if row is None and self.source is not None:
            # e.g. an HMS deviation's note, sealed with the key of the employee it names
            found = self.source.key_rows_by_id([kid])
            row = found[0] if found else None
            if row is not None:
                self.rows[kid] = row
        dek: bytes | None = None
        if row is not None and row.wrapped is not None:
            master = self._master()
            try:
                dek = AESGCM(master).decrypt(row.wrapped[:NONCE], row.wrapped[NONCE:], kid.encode())
            except InvalidTag:
                raise KeyProblem(
                    f"the master key does not open this ledger's keys: wrong {ENV_KEY} or "
                    f"{ENV_KEY_FILE}? (the key that was configured when the ledger was written "
                    "is needed)"
                ) from None
        self._deks[kid] = dek
        return dek


# ------------------------------------------------------------ rotating the master key
def master_key_from_file(path: str, origin: str) -> bytes:
    """A master key read from a file that only its owner may read.

    A key file others can read is refused rather than used: the new master
    key of a rotation would otherwise start its life already exposed.
    """
    file = Path(path)
    try:
        mode = file.stat().st_mode
        text = file.read_text(encoding="ascii")
    except OSError as e:
        raise KeyProblem(f"{origin} {path} cannot be read ({e.strerror})") from None
    except UnicodeDecodeError:
        raise KeyProblem(
            f"{origin} {path} is not 64 hexadecimal characters; {HOW_TO_MAKE}"
        ) from None
    if mode & 0o077:
        raise KeyProblem(
            f"{origin} {path} can be read by other users (mode {mode & 0o777:o}); "
            f"`chmod 600 {path}` first, and check who may have copied it"
        )
    return parse_master_key(text, f"{origin} {path}")


def wrap_data_key(master: bytes, key_id: str, dek: bytes) -> bytes:
    """``nonce ‖ AES-GCM(master, dek)`` with the key id as associated data (a fresh nonce)."""
    nonce = os.urandom(NONCE)
    return nonce + AESGCM(master).encrypt(nonce, dek, key_id.encode())


def unwrap_data_key(master: bytes, key_id: str, wrapped: bytes) -> bytes | None:
    """The data key, or None when this master key did not wrap it."""
    try:
        return AESGCM(master).decrypt(wrapped[:NONCE], wrapped[NONCE:], key_id.encode())
    except InvalidTag:
        return None
