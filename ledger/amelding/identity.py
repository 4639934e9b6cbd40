"""The national identity number (fødselsnummer): read once, never stored.

The import reads the gender (the individual number's parity, the number's
own rule) and, where `foedselsdato` is missing, the birth date from it; the
ledger gets an employee id instead (the `ansattnummer` or a keyed pseudonym).
The synthetic generator writes Skatteetaten-style *synthetic* numbers (month
+ 80), which cannot belong to a real person.
"""

from __future__ import annotations

from datetime import date

from ledger.amelding.codes import SYNTHETIC_MONTH_OFFSET

_W1 = (3, 7, 6, 1, 8, 9, 4, 5, 2)
_W2 = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


def _check_digit(digits: str, weights: tuple[int, ...]) -> int | None:
    k = 11 - sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11
    return 0 if k == 11 else (None if k == 10 else k)


def is_valid(number: str) -> bool:
    """Eleven digits whose two check digits (modulus 11) are right."""
    if len(number) != 11 or not number.isdigit():
        return False
    return _check_digit(number[:9], _W1) == int(number[9]) and _check_digit(
        number[:10], _W2
    ) == int(number[10])


def gender(number: str) -> str:
    """F or M from the individual number: the ninth digit is odd for men, even for women."""
    return "M" if int(number[8]) % 2 else "F"


def birth_date(number: str) -> date | None:
    """The birth date an identity number encodes (D-numbers and synthetic numbers too)."""
    day, month, yy, individual = (
        int(number[0:2]),
        int(number[2:4]),
        int(number[4:6]),
        int(number[6:9]),
    )
    if day > 40:
        day -= 40  # D-number
    if month > SYNTHETIC_MONTH_OFFSET:
        month -= SYNTHETIC_MONTH_OFFSET
    elif month > 40:
        month -= 40  # NAV's H-numbers
    if individual < 500:
        century = 1900
    elif individual < 750 and yy >= 54:
        century = 1800
    elif yy < 40:
        century = 2000
    elif individual >= 900:
        century = 1900
    else:
        return None
    try:
        return date(century + yy, month, day)
    except ValueError:
        return None


def synthetic_number(born: date, gender_code: str, serial: int) -> str:
    """A valid synthetic identity number for a generated person (month + 80).

    `serial` picks the individual number, so distinct serials give distinct
    numbers for one birth date; the parity follows `gender_code`.
    """
    if born.year >= 2000:
        low, high = 500, 999
    elif born.year >= 1900:
        low, high = 0, 499
    else:
        raise ValueError(f"no synthetic number for a birth in {born.year}")
    base = f"{born.day:02d}{born.month + SYNTHETIC_MONTH_OFFSET:02d}{born.year % 100:02d}"
    span = (high - low + 1) // 2
    for step in range(span):
        individual = low + 2 * ((serial + step) % span) + (1 if gender_code == "M" else 0)
        digits = f"{base}{individual:03d}"
        k1 = _check_digit(digits, _W1)
        if k1 is None:
            continue
        k2 = _check_digit(digits + str(k1), _W2)
        if k2 is None:
            continue
        return f"{digits}{k1}{k2}"
    raise ValueError(f"no free synthetic number for {born}")
