"""Valid-looking Swedish identifiers drawn from a seeded Random.

Each value is built the way the real one is (birth date, serial, Luhn check digit), so the
register's validators accept it; no check digit is guessed and retried.
"""

from __future__ import annotations

import random
import unicodedata
from datetime import date

from stdnum import luhn

from dataskydd.demo.places import Town

_COORDINATION_DAY_OFFSET = 60
_MOBILE_PREFIXES = ("70", "72", "73", "76", "79")
# Universally administered unicast OUIs (first octet even, bit 1 clear), one per model line.
_OUIS = ("00:1e:80", "00:26:5a", "3c:37:86", "a0:63:91", "d8:58:d7", "f4:06:8d")


def personnummer(rng: random.Random, born: date, *, female: bool, coordination: bool) -> str:
    """Canonical YYYYMMDDNNNN; the ninth digit is even for women and odd for men.

    A samordningsnummer adds 60 to the day of birth (folkbokföringslagen 18 a §).
    """
    day = born.day + (_COORDINATION_DAY_OFFSET if coordination else 0)
    serial = rng.randrange(0, 100) * 10 + rng.choice((0, 2, 4, 6, 8) if female else (1, 3, 5, 7, 9))
    ten = f"{born:%y%m}{day:02d}{serial:03d}"
    return f"{born:%Y%m}{day:02d}{serial:03d}{luhn.calc_check_digit(ten)}"


def organisationsnummer(rng: random.Random) -> str:
    """NNNNNN-NNNN of an aktiebolag (556…/559…): the third digit of a legal person is ≥ 2."""
    body = "55" + rng.choice("69") + f"{rng.randrange(10**6):06d}"
    full = body + luhn.calc_check_digit(body)
    return f"{full[:6]}-{full[6:]}"


def mobile(rng: random.Random) -> str:
    return f"+46{rng.choice(_MOBILE_PREFIXES)}{rng.randrange(10**7):07d}"


def landline(rng: random.Random, town: Town) -> str:
    # Subscriber numbers never start with 0 or 1 (those would be read as prefixes).
    first = rng.randrange(2, 10)
    rest = rng.randrange(10 ** (town.local_digits - 1))
    return f"+46{town.area_code}{first}{rest:0{town.local_digits - 1}d}"


def postal_code(rng: random.Random, town: Town) -> str:
    return f"{rng.choice(town.postcode_prefixes)} {rng.randrange(100):02d}"


def mac_address(rng: random.Random) -> str:
    tail = rng.getrandbits(24).to_bytes(3, "big")
    return rng.choice(_OUIS) + "".join(f":{octet:02x}" for octet in tail)


def serial_number(rng: random.Random, prefix: str) -> str:
    alphabet = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
    return prefix + "".join(rng.choice(alphabet) for _ in range(10))


def ocr_reference(invoice_id: int) -> str:
    """Bankgiro OCR: the invoice id plus a Luhn check digit, as Swedish payers type it."""
    digits = str(invoice_id)
    return digits + luhn_check_digit(digits)


# Luhn's doubled digit d contributes the digit sum of 2d.
_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)


def luhn_check_digit(digits: str) -> str:
    """The Luhn check digit of `digits`, as stdnum's `luhn.calc_check_digit` (a test keeps the
    two equal): ocr_reference runs for nearly every demo invoice, and stdnum's generic
    version (any alphabet) was a tenth of the demo's build time."""
    total = 0
    # The check digit will stand rightmost, so the rightmost given digit is doubled.
    for position, char in enumerate(reversed(digits)):
        digit = ord(char) - 48
        total += _DOUBLED[digit] if position % 2 == 0 else digit
    return str(-total % 10)


def mail_local_part(*names: str) -> str:
    """ASCII mailbox name from Swedish names: Åsa Öberg → asa.oberg."""
    parts = []
    for name in names:
        folded = unicodedata.normalize("NFKD", name.casefold())
        ascii_only = "".join(ch for ch in folded if ch.isascii() and (ch.isalnum() or ch == "-"))
        if ascii_only:
            parts.append(ascii_only)
    return ".".join(parts) or "kund"


def slug(name: str) -> str:
    return mail_local_part(*name.replace("&", " ").split()).replace(".", "")
