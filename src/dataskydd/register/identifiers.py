"""Swedish identifiers and contact data, validated and normalised with the field's libraries.

Each function returns the canonical form or raises ValueError with a message that names the
rule broken but never repeats the value (messages reach logs).
"""

from __future__ import annotations

import ipaddress
from datetime import date
from functools import lru_cache

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from stdnum import luhn
from stdnum import mac as stdnum_mac
from stdnum.exceptions import ValidationError
from stdnum.se import orgnr, personnummer, postnummer

_COORDINATION_DAY_OFFSET = 60


def _twelve_digit(compact: str, born: date) -> str:
    """YYYYMMDDNNNN from stdnum's compact form and the date of birth stdnum read from it (the
    century from its +/- rule). Each stdnum call cleans its input again, so the bulk import's
    validation asks it once for each (issue 16)."""
    if len(compact) == 13:
        return compact.replace("-", "").replace("+", "")
    return f"{born.year // 100:02d}{compact[:6]}{compact[-4:]}"


def normalise_personnummer(value: str) -> str:
    """Personnummer or samordningsnummer (day of birth + 60), as YYYYMMDDNNNN."""
    try:
        compact = personnummer.compact(value)
    except ValidationError:
        raise ValueError("is not a personnummer (expected YYYYMMDD-NNNN)") from None
    digits = compact.replace("-", "").replace("+", "")
    if len(compact) not in (11, 13) or not digits.isdigit():
        raise ValueError("is not a personnummer (expected YYYYMMDD-NNNN)")
    day_at = -7  # DD sits just before the separator and the four last digits
    day = int(compact[day_at : day_at + 2])
    coordination = day > _COORDINATION_DAY_OFFSET
    if coordination:
        as_birth = f"{compact[:day_at]}{day - _COORDINATION_DAY_OFFSET:02d}{compact[day_at + 2 :]}"
    else:
        as_birth = compact
    try:
        born = personnummer.get_birth_date(as_birth)
    except ValidationError:
        if coordination:
            raise ValueError("samordningsnummer has an impossible date of birth") from None
        raise ValueError("personnummer has an impossible date of birth") from None
    if not luhn.is_valid(digits[-10:]):
        if coordination:
            raise ValueError("samordningsnummer has a wrong check digit")
        raise ValueError("personnummer has a wrong check digit")
    twelve = _twelve_digit(as_birth, born)
    return twelve[:6] + compact[day_at : day_at + 2] + compact[-4:] if coordination else twelve


def is_coordination_number(canonical: str) -> bool:
    return int(canonical[6:8]) > _COORDINATION_DAY_OFFSET


def birth_date(canonical: str) -> date:
    day = int(canonical[6:8]) % _COORDINATION_DAY_OFFSET
    return date(int(canonical[:4]), int(canonical[4:6]), day)


def format_personnummer(canonical: str) -> str:
    return f"{canonical[:8]}-{canonical[8:]}"


def mask_personnummer(canonical: str) -> str:
    """YYYYMMDD-XXXX: enough to tell people apart on screen without showing the number."""
    return f"{canonical[:8]}-XXXX"


def normalise_organisationsnummer(value: str) -> str:
    try:
        return str(orgnr.format(orgnr.validate(value)))
    except ValidationError as error:
        raise ValueError(f"is not a valid organisationsnummer ({error})") from None


def normalise_phone(value: str, region: str = "SE") -> str:
    """E.164; numbers without a country code are read as Swedish."""
    try:
        parsed = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        raise ValueError("is not a phone number") from None
    if not phonenumbers.is_valid_number(parsed):
        raise ValueError("is not a valid phone number for its country")
    return str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))


def format_phone_national(e164: str) -> str:
    parsed = phonenumbers.parse(e164, None)
    return str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL))


def normalise_email(value: str) -> str:
    try:
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        raise ValueError("is not a valid e-mail address") from None
    # Domains are case-insensitive; the local part is kept as given except for case, which
    # every mail provider we deal with ignores, so lookups match however it was typed.
    return str(result.normalized).lower()


# What normalise_postal_code and normalise_mac accept, as JSON Schema (ECMA-262) patterns for
# /openapi.json; tests/register/test_identifiers.py holds each to its function.
POSTAL_CODE_PATTERN = r"^[ -]*(?:[Ss][ -]*[Ee][ -]*)?[1-9](?:[ -]*[0-9]){4}[ -]*$"
_HEX = "[0-9A-Fa-f]"
MAC_PATTERN = rf"^ *{_HEX}(?: *{_HEX})? *(?:[:-] *{_HEX}(?: *{_HEX})? *){{5}}$"


@lru_cache(maxsize=20_000)  # Sweden has ~17,000 postal codes; an import's rows repeat them
def normalise_postal_code(value: str) -> str:
    """Swedish postnummer as `NNN NN`: five digits, the first not 0, written with spaces or
    hyphens anywhere and an optional SE prefix (python-stdnum's reading)."""
    try:
        return str(postnummer.format(postnummer.validate(value)))
    except ValidationError:
        raise ValueError("is not a Swedish postal code (expected NNN NN)") from None


def normalise_mac(value: str) -> str:
    """Lower case, colon-separated. Any well-formed address: whether its maker is in the
    IEEE registry is not asked (a copy of the registry ages; the address is what it is)."""
    try:
        return str(stdnum_mac.validate(value, validate_manufacturer=False))
    except ValidationError:
        raise ValueError("is not a MAC address") from None


def normalise_ip(value: str) -> str:
    """An IPv4 or IPv6 address in its compressed form. An IPv6 zone (`fe80::1%eth0`) names an
    interface of one host, nothing a register can use: refused, as JSON Schema's ipv6 does."""
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        raise ValueError("is not an IP address") from None
    if isinstance(address, ipaddress.IPv6Address) and address.scope_id is not None:
        raise ValueError("is not an IP address (an IPv6 zone is not part of one)")
    return str(address)
