"""Which stored fields are sealed, with whose key, and how they are opened again.

Three kinds of personal field, because the law treats them differently:

- **shreddable** (the person's own key): health data and free text that may
  name people or diagnoses — a sick day's date, certificate and grade, a
  welfare leave's reason, notes, a retraction's reason.
- **pay** (the person's pay key): annual salaries. Kept as long as the
  bookkeeping rules require (bokføringsloven § 13: 5 years), then destroyed
  by `hrledger retention --apply`.
- **birth date** (the person's birth-date key): kept while the age
  statistics need it, then destroyed by retention.

`hrledger erase` destroys all three keys of the person. Events written
before the kind keys existed sealed pay and birth date with the ledger key
(slot ``sealed_l``); it still opens them, so the readers show them as
``[erased]`` for an erased person instead (``masked_after_erasure``) and the
read side drops them (docs/privacy.md, "Ledgers written before per-kind keys").

Everything else stays clear: it carries the KPIs and the rule checks
(dates of employment, sector, unit, position percentage, gender); an
erased person's unit and job title are masked by the readers. A stored
event keeps the clear fields and gains ``sealed``, ``sealed_p``,
``sealed_b`` (or the older ``sealed_l``): ``key_id:base64(nonce ‖
ciphertext)``, bound to the event id. Which field is which is a property of
the field in the event catalogue (``Field.sealed`` in ``ledger.domain.catalogue``).
"""

from __future__ import annotations

from typing import Any

import orjson

from ledger.domain.catalogue import STORED_TYPES, sealed_fields
from ledger.security.keys import Keyring, kind_owner, seal_with

PERSON = "sealed"
LEDGER = "sealed_l"
KIND_SLOTS = {"pay": "sealed_p", "birth_date": "sealed_b"}
"""The stored slot of each field kind with per-person keys of its own (``KEY_KINDS``)."""
SLOTS = (PERSON, LEDGER, *KIND_SLOTS.values())
ERASED = "[erased]"
"""What a reader sees in place of a field whose key was destroyed."""

SHREDDABLE_FIELDS: dict[str, tuple[str, ...]] = {
    t: sealed_fields(t, "person") for t in STORED_TYPES
}
"""Per stored type, the fields sealed with the person's key (its own, then ``note``)."""
KIND_FIELDS: dict[str, dict[str, tuple[str, ...]]] = {
    kind: {t: sealed_fields(t, kind) for t in STORED_TYPES}  # type: ignore[arg-type]
    for kind in KIND_SLOTS
}
"""Per kind, per stored type, the fields sealed with the person's key of that kind."""
RETAINED_FIELDS: dict[str, tuple[str, ...]] = {
    t: tuple(f.name for f in spec.stored_fields if f.sealed in KIND_SLOTS)
    for t, spec in STORED_TYPES.items()
}
"""Per stored type, the fields that outlive an erasure in the law's eyes (birth date,
pay); in events written before the kind keys, sealed with the ledger key."""
_COMMON_SHREDDABLE = sealed_fields("", "person")


def shreddable_fields(event_type: str) -> tuple[str, ...]:
    return SHREDDABLE_FIELDS.get(event_type, _COMMON_SHREDDABLE)


def retained_fields(event_type: str) -> tuple[str, ...]:
    return RETAINED_FIELDS.get(event_type, ())


def kind_fields(kind: str, event_type: str) -> tuple[str, ...]:
    return KIND_FIELDS[kind].get(event_type, ())


def _slot_fields(slot: str, event_type: str) -> tuple[str, ...]:
    if slot == PERSON:
        return shreddable_fields(event_type)
    if slot == LEDGER:
        return retained_fields(event_type)
    kind = next(k for k, s in KIND_SLOTS.items() if s == slot)
    return kind_fields(kind, event_type)


_Plan = tuple[tuple[str, ...], tuple[tuple[str, str, tuple[str, ...]], ...]]
_PLANS: dict[str, _Plan] = {}
"""Per stored type: its shreddable fields, and (kind, slot, fields) of each kind it has."""


def _plan(event_type: str) -> _Plan:
    plan = _PLANS.get(event_type)
    if plan is None:
        kinds = tuple(
            (kind, slot, kind_fields(kind, event_type))
            for kind, slot in KIND_SLOTS.items()
            if kind_fields(kind, event_type)
        )
        plan = _PLANS[event_type] = (shreddable_fields(event_type), kinds)
    return plan


def seal_event(ev: dict[str, Any], ring: Keyring, owner: str | None) -> dict[str, Any]:
    """The dict to store: ``ev`` minus its personal fields, plus their sealed form.

    ``owner`` is the employee whose keys seal the personal fields: the
    shreddable ones with their own key, pay and birth date each with their
    key of that kind (made with the first such field, in the same
    transaction as the events). None (an HMS deviation without a person, or a
    retraction in a deviation's stream): shreddable fields stay clear.

    This runs once per imported line, so it keeps to one dict copy, cached
    field lists and ciphers, and nonces drawn in bulk (``keys.seal_with``);
    the AES itself is the smaller part of its cost.
    """
    own_fields, kinds = _plan(ev["type"])
    out = dict(ev)
    aad = ev["event_id"].encode()
    if owner is not None:
        prefix, aes = ring.sealing_key(owner)  # every person gets a key with their first event
        own = {f: out.pop(f) for f in own_fields if out.get(f) is not None}
        if own:
            out[PERSON] = seal_with(prefix, aes, orjson.dumps(own), aad)
    for kind, slot, names in kinds:
        kept = {f: out.pop(f) for f in names if out.get(f) is not None}
        if kept:
            prefix, aes = ring.sealing_key(None if owner is None else kind_owner(owner, kind))
            out[LEDGER if owner is None else slot] = seal_with(prefix, aes, orjson.dumps(kept), aad)
    return out


IDENTIFYING_FIELDS: dict[str, tuple[str, ...]] = {
    "hired": ("unit", "position"),
    "transferred": ("unit", "position"),
    "hms_deviation": ("unit",),
}
"""Clear fields that name a small group of people (docs/privacy.md, after an erasure)."""


def masked_after_erasure(event_type: str) -> tuple[str, ...]:
    """The fields an erased person's event shows as ``[erased]`` though a key still opens
    them or they are stored in clear: birth date and pay (sealed with the ledger key in
    older events) and the unit and job title that would single the person out in a small
    unit."""
    return (*retained_fields(event_type), *IDENTIFYING_FIELDS.get(event_type, ()))


def open_event(stored: dict[str, Any], ring: Keyring, *, mark_erased: bool = False) -> bool:
    """Put the sealed fields back into ``stored`` (in place); False if any key is destroyed.

    With ``mark_erased`` the fields of a destroyed key read ``[erased]`` (for
    history and export), and so do a kind retention shredded though the ledger
    key opens it (older events), and an erased person's birth date, pay, unit
    and job title (``masked_after_erasure``); otherwise they stay absent.
    """
    intact = True
    owner = stored.get("employee_id")
    t = stored["type"]
    hidden: tuple[str, ...] = ()
    if mark_erased and isinstance(owner, str) and masked_after_erasure(t):
        gone = ring.gone_kinds(owner)
        hidden = tuple(f for k in sorted(gone) for f in kind_fields(k, t))
        if ring.erased(owner) and gone == set(KIND_SLOTS):
            hidden = masked_after_erasure(t)
        for slot in (LEDGER, *(KIND_SLOTS[k] for k in gone)):
            if slot != LEDGER or set(retained_fields(t)) <= set(hidden):
                stored.pop(slot, None)  # opened or not, what it holds is not shown
    for slot in SLOTS:
        token = stored.pop(slot, None)
        if token is None:
            continue
        fields = ring.open(token, stored["event_id"])
        if fields is None:
            intact = False
            if mark_erased:
                for name in _slot_fields(slot, stored["type"]):
                    stored.setdefault(name, ERASED)
            continue
        stored.update(fields)
    for name in hidden:
        if name in retained_fields(t) or stored.get(name) is not None:
            stored[name] = ERASED
    return intact


def seal_snapshot(state: dict[str, Any], ring: Keyring, employee_id: str, stream: str) -> bytes:
    """Snapshots hold decrypted rule state (sick days): sealed whole with the person's key."""
    token = ring.seal(ring.key_for(employee_id), {"state": state}, stream)
    return orjson.dumps({PERSON: token})


def open_snapshot(stored: bytes, ring: Keyring, stream: str) -> dict[str, Any] | None:
    """The snapshot's state, or None when it cannot be used (key destroyed)."""
    data: dict[str, Any] = orjson.loads(stored)
    token = data.get(PERSON)
    if token is None:
        return data  # written before sealing existed
    fields = ring.open(token, stream)
    return None if fields is None else fields["state"]
