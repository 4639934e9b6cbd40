"""Which stored fields are sealed, with whose key, and how they are opened again.

Two classes of personal field, because the law treats them differently:

- **shreddable** (the person's own key): health data and free text that may
  name people or diagnoses — a sick day's date, certificate and grade, a
  welfare leave's reason, notes, a retraction's reason. `hrledger erase`
  destroys the key, and these become unreadable everywhere.
- **retained** (the ledger key): birth date and pay. Employers must keep pay
  records for years (bokføringsloven, arkivlova), so erasure does not reach
  them (GDPR art. 17(3)(b)); they are still encrypted at rest.

Everything else stays clear: it carries the KPIs and the rule checks and is
not personal on its own (dates of employment, unit, position percentage,
gender). A stored event keeps the clear fields and gains ``sealed`` and/or
``sealed_l``: ``key_id:base64(nonce ‖ ciphertext)``, bound to the event id.
Which field is which is a property of the field in the event catalogue
(``Field.sealed`` in ``ledger.domain.catalogue``).
"""

from __future__ import annotations

from typing import Any

import orjson

from ledger.domain.catalogue import STORED_TYPES, sealed_fields
from ledger.security.keys import Keyring

PERSON = "sealed"
LEDGER = "sealed_l"
ERASED = "[erased]"
"""What a reader sees in place of a field whose key was destroyed."""

SHREDDABLE_FIELDS: dict[str, tuple[str, ...]] = {
    t: sealed_fields(t, "person") for t in STORED_TYPES
}
"""Per stored type, the fields sealed with the person's key (its own, then ``note``)."""
RETAINED_FIELDS: dict[str, tuple[str, ...]] = {t: sealed_fields(t, "ledger") for t in STORED_TYPES}
"""Per stored type, the fields sealed with the ledger key."""
_COMMON_SHREDDABLE = sealed_fields("", "person")


def shreddable_fields(event_type: str) -> tuple[str, ...]:
    return SHREDDABLE_FIELDS.get(event_type, _COMMON_SHREDDABLE)


def retained_fields(event_type: str) -> tuple[str, ...]:
    return RETAINED_FIELDS.get(event_type, ())


def seal_event(ev: dict[str, Any], ring: Keyring, owner: str | None) -> dict[str, Any]:
    """The dict to store: ``ev`` minus its personal fields, plus their sealed form.

    ``owner`` is the employee whose key seals the shreddable fields (None: an
    HMS deviation without a person, or a retraction in a deviation's stream —
    then they stay clear).
    """
    t = ev["type"]
    out = dict(ev)
    aad = ev["event_id"]
    if owner is not None:
        kid = ring.key_for(owner)  # every person gets a key with their first event
        own = {f: out.pop(f) for f in shreddable_fields(t) if out.get(f) is not None}
        if own:
            out[PERSON] = ring.seal(kid, own, aad)
    kept = {f: out.pop(f) for f in retained_fields(t) if out.get(f) is not None}
    if kept:
        out[LEDGER] = ring.seal(ring.key_for(None), kept, aad)
    return out


def masked_after_erasure(event_type: str) -> tuple[str, ...]:
    """The fields an erased person's event shows as ``[erased]`` though a key still opens
    them or they are stored in clear: birth date and pay (the ledger key) and the unit
    and job title that would single the person out in a small unit."""
    return (*retained_fields(event_type), *IDENTIFYING_FIELDS.get(event_type, ()))


IDENTIFYING_FIELDS: dict[str, tuple[str, ...]] = {
    "hired": ("unit", "position"),
    "transferred": ("unit", "position"),
}
"""Clear fields that name a small group of people (docs/privacy.md, after an erasure)."""


def open_event(stored: dict[str, Any], ring: Keyring, *, mark_erased: bool = False) -> bool:
    """Put the sealed fields back into ``stored`` (in place); False if any key is destroyed.

    With ``mark_erased`` the fields of a destroyed key read ``[erased]`` (for
    history and export), and so do an erased person's birth date, pay, unit
    and job title (``masked_after_erasure``); otherwise they stay absent.
    """
    intact = True
    owner = stored.get("employee_id")
    if mark_erased and isinstance(owner, str) and ring.erased(owner):
        stored.pop(LEDGER, None)  # opened or not, it is shown as erased
        for name in masked_after_erasure(stored["type"]):
            if name in retained_fields(stored["type"]) or stored.get(name) is not None:
                stored[name] = ERASED
    for slot in (PERSON, LEDGER):
        token = stored.pop(slot, None)
        if token is None:
            continue
        fields = ring.open(token, stored["event_id"])
        if fields is None:
            intact = False
            if mark_erased:
                t = stored["type"]
                names = shreddable_fields(t) if slot == PERSON else retained_fields(t)
                for name in names:
                    stored.setdefault(name, ERASED)
            continue
        stored.update(fields)
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
