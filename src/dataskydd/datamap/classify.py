"""What a column of another system probably holds, from its name, its SQL type and a bounded
sample of its non-null values (`discover.py` samples; docs/discovery.md).

Pure functions. A value kind (e-mail, phone, personnummer, ...) is proposed when at least
`THRESHOLD` of the sampled values validate as that kind, with the same validators the register
uses (`register/identifiers.py`: python-stdnum, phonenumbers, email-validator, ipaddress).
Names and free text cannot be validated; they need the column's name (names) or the values'
shape (free text). A column without values is judged by its name alone.

The values passed in are looked at and dropped: a `Classification` holds counts and the basis
of the guess, never a value, so nothing returned here can print personal data.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum

from dataskydd.register.identifiers import (
    MAC_PATTERN,
    is_coordination_number,
    normalise_email,
    normalise_ip,
    normalise_mac,
    normalise_organisationsnummer,
    normalise_personnummer,
    normalise_phone,
)

THRESHOLD = 0.8  # the share of sampled values that must match a kind
DEFAULT_REGION = "SE"  # phone numbers without a country code


class Kind(StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    PERSONNUMMER = "personnummer"  # or samordningsnummer
    ORGANISATIONSNUMMER = "organisationsnummer"
    IP_ADDRESS = "ip_address"
    MAC_ADDRESS = "mac_address"
    PERSON_NAME = "person_name"
    FREE_TEXT = "free_text"
    DATE_TIME = "date_time"
    CUSTOMER_NUMBER = "customer_number"
    NOT_PERSONAL = "not_personal"


LABELS: dict[Kind, str] = {
    Kind.EMAIL: "e-mail",
    Kind.PHONE: "phone number",
    Kind.PERSONNUMMER: "personnummer",
    Kind.ORGANISATIONSNUMMER: "organisationsnummer",
    Kind.IP_ADDRESS: "IP address",
    Kind.MAC_ADDRESS: "MAC address",
    Kind.PERSON_NAME: "person name",
    Kind.FREE_TEXT: "free text",
    Kind.DATE_TIME: "date/time",
    Kind.CUSTOMER_NUMBER: "customer number",
    Kind.NOT_PERSONAL: "not personal",
}

# Kinds that hold personal data by themselves (date/time and the rest do not).
PERSONAL_KINDS = frozenset(
    {
        Kind.EMAIL,
        Kind.PHONE,
        Kind.PERSONNUMMER,
        Kind.ORGANISATIONSNUMMER,
        Kind.IP_ADDRESS,
        Kind.MAC_ADDRESS,
        Kind.PERSON_NAME,
        Kind.FREE_TEXT,
        Kind.CUSTOMER_NUMBER,
    }
)


class TypeFamily(StrEnum):
    """The SQL type of a column, as far as classification cares."""

    TEXT = "text"
    INTEGER = "integer"
    NUMERIC = "numeric"  # decimals and floats: amounts, measures
    DATE_TIME = "date_time"
    BOOLEAN = "boolean"
    NETWORK = "network"  # PostgreSQL inet, cidr, macaddr
    BINARY = "binary"  # not sampled: photos and documents need a human look
    OTHER = "other"  # JSON, arrays, geometry, ...: not sampled


class Basis(StrEnum):
    VALUES = "values"
    NAME = "column name"  # nothing to sample
    NAME_AND_VALUES = "column name and values"
    PRIMARY_KEY = "primary key"
    TYPE = "SQL type"
    NOTHING = "nothing matched"


@dataclass(frozen=True)
class Classification:
    kind: Kind
    basis: Basis
    matched: int = 0  # sampled values of the kind
    sampled: int = 0  # non-null values looked at
    coordination: int = 0  # of the personnummer matched, how many were samordningsnummer

    @property
    def share(self) -> float | None:
        return self.matched / self.sampled if self.sampled else None

    @property
    def personal(self) -> bool:
        return self.kind in PERSONAL_KINDS

    def describe(self) -> str:
        """E.g. `e-mail, 100 % of 200 sampled`; never a value."""
        label = LABELS[self.kind]
        if self.kind is Kind.PERSONNUMMER and self.coordination:
            label += f" ({self.coordination} samordningsnummer)"
        if self.basis is Basis.NAME:
            return f"{label}, by column name only (no values to sample)"
        if self.basis in (Basis.PRIMARY_KEY, Basis.TYPE):
            return f"{label} ({self.basis.value})"
        if self.kind is Kind.NOT_PERSONAL:
            return f"nothing personal in {self.sampled} sampled"
        percent = 100 * self.matched // self.sampled if self.sampled else 0
        return f"{label}, {percent} % of {self.sampled} sampled"


# --- column names ----------------------------------------------------------------------------


def _words(name: str) -> tuple[str, ...]:
    """`KundE_postAdress` → (kund, e, post, adress); å, ä, ö folded to a, a, o."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)
    folded = unicodedata.normalize("NFKD", spaced).encode("ascii", "ignore").decode().lower()
    return tuple(word for word in re.split(r"[^a-z0-9]+", folded) if word)


def _joined(name: str) -> str:
    return "_".join(_words(name))


def _has(name: str, *, words: Sequence[str] = (), parts: Sequence[str] = ()) -> bool:
    """Any of `words` as a whole word of the name, or any of `parts` anywhere in it."""
    found = _words(name)
    flat = "".join(found)
    return any(word in found for word in words) or any(part in flat for part in parts)


def _names_email(name: str) -> bool:
    return _has(name, words=("mail", "mejl"), parts=("email", "epost"))


def _names_phone(name: str) -> bool:
    return _has(
        name, words=("tel", "mobil", "mobile", "cell", "msisdn"), parts=("phone", "telefon")
    )


def _names_personnummer(name: str) -> bool:
    return _has(
        name,
        words=("pnr", "ssn", "personnr"),
        parts=("personnummer", "samordningsnummer", "nationalid", "personalnumber"),
    )


def _names_orgnr(name: str) -> bool:
    return _has(name, words=("orgnr",), parts=("organisationsnummer", "orgnumber", "orgno"))


def _names_ip(name: str) -> bool:
    return _has(name, words=("ip", "ipaddr", "ipv4", "ipv6"), parts=("ipaddress", "ipadress"))


def _names_mac(name: str) -> bool:
    return _has(name, words=("mac", "macaddr", "hwaddr"), parts=("macaddress", "macadress"))


_PERSON_NAME_COLUMNS = frozenset(
    {
        "first_name",
        "firstname",
        "given_name",
        "givenname",
        "fornamn",
        "tilltalsnamn",
        "last_name",
        "lastname",
        "surname",
        "family_name",
        "familyname",
        "efternamn",
        "full_name",
        "fullname",
        "contact_name",
        "customer_name",
        "person_name",
        "kontaktperson",
        "kundnamn",
        "middle_name",
        "mellannamn",
    }
)
# `name`/`namn` alone is a person's name only in a table about people.
_BARE_NAME_COLUMNS = frozenset({"name", "namn"})
_PEOPLE_TABLE_WORDS = (
    "customer",
    "kund",
    "person",
    "people",
    "user",
    "member",
    "medlem",
    "contact",
    "kontakt",
    "employee",
    "anstalld",
    "patient",
    "student",
    "client",
    "subscriber",
    "prenumerant",
    "owner",
    "agare",
    "recipient",
    "mottagare",
)


def _names_person(name: str, table: str) -> bool:
    joined = _joined(name)
    if joined in _PERSON_NAME_COLUMNS:
        return True
    return joined in _BARE_NAME_COLUMNS and _has(table, parts=_PEOPLE_TABLE_WORDS)


def _names_customer_number(name: str) -> bool:
    joined = _joined(name).replace("_", "")
    return joined in {
        "customerid",
        "customerno",
        "customernr",
        "customernumber",
        "customerref",
        "kundnummer",
        "kundnr",
        "kundid",
        "clientid",
        "clientnumber",
        "kundreferens",
    }


# --- values ------------------------------------------------------------------------------------


def _text(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _validates(check: Callable[[str], object]) -> Callable[[object], bool]:
    def test(value: object) -> bool:
        text = _text(value)
        if text is None:
            return False
        try:
            check(text)
        except ValueError:
            return False
        return True

    return test


_is_orgnr = _validates(normalise_organisationsnummer)
_is_email_address = _validates(normalise_email)
_NUMBER_SHAPE = re.compile(r"^[0-9+ -]{10,15}$")


def _is_email(value: object) -> bool:
    return isinstance(value, str) and "@" in value and _is_email_address(value)


_PHONE_SHAPE = re.compile(r"^\+?[0-9 ()./-]{6,24}$")
_MAC_SHAPE = re.compile(MAC_PATTERN)
_NAME_SHAPE = re.compile(r"^[^\W\d_]+(?:(?:[ '.-]|\. )[^\W\d_]+){0,4}\.?$")


def _personnummer(value: object) -> str | None:
    """The canonical form, when the value is a personnummer or samordningsnummer."""
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else _text(value)
    if text is None or not 10 <= len(text) <= 13 or not _NUMBER_SHAPE.match(text):
        return None
    try:
        return normalise_personnummer(text)
    except ValueError:
        return None


def _is_personnummer(value: object) -> bool:
    return _personnummer(value) is not None


def _is_orgnr_value(value: object) -> bool:
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    return isinstance(text, str) and bool(_NUMBER_SHAPE.match(text.strip())) and _is_orgnr(text)


def _is_phone(value: object) -> bool:
    text = _text(value)
    if text is None or not _PHONE_SHAPE.match(text):
        return False
    try:
        normalise_phone(text, DEFAULT_REGION)
    except ValueError:
        return False
    return True


_is_ip_text = _validates(normalise_ip)


def _is_ip(value: object) -> bool:
    if isinstance(value, ipaddress.IPv4Address | ipaddress.IPv6Address):
        return True
    if isinstance(value, ipaddress.IPv4Interface | ipaddress.IPv6Interface):
        return True  # PostgreSQL inet with a netmask
    text = _text(value)
    return text is not None and ("." in text or ":" in text) and _is_ip_text(text)


def _is_mac(value: object) -> bool:
    text = _text(value)
    if text is None or not _MAC_SHAPE.match(text):
        return False
    try:
        normalise_mac(text)
    except ValueError:
        return False
    return True


def _is_date_time(value: object) -> bool:
    if isinstance(value, date | datetime | time):
        return True
    text = _text(value)
    if text is None or len(text) < 8 or not text[:4].isdigit():
        return False
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


def _is_name_shaped(value: object) -> bool:
    text = _text(value)
    if text is None or len(text) > 80 or not _NAME_SHAPE.match(text):
        return False
    return any(word[:1].isupper() for word in re.split(r"[ '.-]+", text))


def _is_free_text(value: object) -> bool:
    """Prose: several words, or a long string with spaces."""
    text = _text(value)
    if text is None:
        return False
    words = len(text.split())
    return words >= 4 or (words >= 2 and len(text) >= 40)


def _is_short_token(value: object) -> bool:
    if isinstance(value, int) and not isinstance(value, bool):
        return True
    text = _text(value)
    return text is not None and len(text) <= 40 and " " not in text


def _count(values: Sequence[object], test: Callable[[object], bool], threshold: float) -> int:
    """How many values pass `test`; stops early (with the count so far) once too many have
    failed for the share to reach `threshold`, so a column is rarely tested value by value
    for every kind."""
    allowed = len(values) - threshold * len(values)
    matched = failed = 0
    for value in values:
        if test(value):
            matched += 1
        else:
            failed += 1
            if failed > allowed:
                break
    return matched


# --- the decision ------------------------------------------------------------------------------


def _by_name(name: str, table: str, references: str | None) -> Kind | None:
    """The kind the column's name suggests; a foreign key to a customers table counts as a
    customer number."""
    if _names_personnummer(name):
        return Kind.PERSONNUMMER
    if _names_orgnr(name):
        return Kind.ORGANISATIONSNUMMER
    if _names_email(name):
        return Kind.EMAIL
    if _names_phone(name):
        return Kind.PHONE
    if _names_mac(name):
        return Kind.MAC_ADDRESS
    if _names_ip(name):
        return Kind.IP_ADDRESS
    if _names_customer_number(name) or (
        references is not None and _has(references, parts=("customer", "kund", "client"))
    ):
        return Kind.CUSTOMER_NUMBER
    if _names_person(name, table):
        return Kind.PERSON_NAME
    return None


def _share_reached(matched: int, sampled: int, threshold: float) -> bool:
    return sampled > 0 and matched >= threshold * sampled


def classify_column(
    name: str,
    family: TypeFamily,
    values: Sequence[object],
    *,
    table: str = "",
    is_primary_key: bool = False,
    references: str | None = None,
    threshold: float = THRESHOLD,
) -> Classification:
    """The kind of a column. `values` are its sampled non-null values (NULLs are ignored);
    `references` is the table a foreign key of the column points to, if any."""
    present = [value for value in values if value is not None]
    sampled = len(present)
    if is_primary_key:
        return Classification(Kind.NOT_PERSONAL, Basis.PRIMARY_KEY, sampled=sampled)
    if family in (TypeFamily.BINARY, TypeFamily.OTHER, TypeFamily.BOOLEAN):
        return Classification(Kind.NOT_PERSONAL, Basis.TYPE, sampled=sampled)
    hinted = _by_name(name, table, references)
    if sampled == 0:
        if hinted is not None:
            return Classification(hinted, Basis.NAME)
        if family is TypeFamily.DATE_TIME:
            return Classification(Kind.DATE_TIME, Basis.TYPE)
        return Classification(Kind.NOT_PERSONAL, Basis.NOTHING)

    def found(kind: Kind, matched: int, coordination: int = 0) -> Classification:
        basis = Basis.NAME_AND_VALUES if kind is hinted else Basis.VALUES
        return Classification(kind, basis, matched, sampled, coordination)

    if family is not TypeFamily.NUMERIC:
        if _share_reached(_count(present, _is_personnummer, threshold), sampled, threshold):
            numbers = [_personnummer(value) for value in present]
            valid = [number for number in numbers if number is not None]
            coordination = sum(1 for number in valid if is_coordination_number(number))
            return found(Kind.PERSONNUMMER, len(valid), coordination)
        value_kinds: tuple[tuple[Kind, Callable[[object], bool]], ...] = (
            (Kind.ORGANISATIONSNUMMER, _is_orgnr_value),
            (Kind.EMAIL, _is_email),
            (Kind.MAC_ADDRESS, _is_mac),
            (Kind.IP_ADDRESS, _is_ip),
            (Kind.DATE_TIME, _is_date_time),
        )
        for kind, test in value_kinds:
            matched = _count(present, test, threshold)
            if _share_reached(matched, sampled, threshold):
                return found(kind, matched)
    if hinted is Kind.CUSTOMER_NUMBER and family is not TypeFamily.NUMERIC:
        matched = _count(present, _is_short_token, threshold)
        if _share_reached(matched, sampled, threshold):
            return found(Kind.CUSTOMER_NUMBER, matched)
    if family is TypeFamily.TEXT:
        matched = _count(present, _is_phone, threshold)
        if _share_reached(matched, sampled, threshold):
            return found(Kind.PHONE, matched)
        if hinted is Kind.PERSON_NAME:
            matched = _count(present, _is_name_shaped, threshold)
            if _share_reached(matched, sampled, threshold):
                return found(Kind.PERSON_NAME, matched)
        matched = _count(present, _is_free_text, threshold)
        if _share_reached(matched, sampled, threshold):
            return found(Kind.FREE_TEXT, matched)
    if family is TypeFamily.DATE_TIME:
        return Classification(Kind.DATE_TIME, Basis.TYPE, sampled, sampled)
    return Classification(Kind.NOT_PERSONAL, Basis.NOTHING, sampled=sampled)
