"""The subject's identifiers as the company's other systems may hold them.

Another system knows a customer by what it was given: an e-mail address typed in a web shop,
a phone number in a newsletter tool, a personnummer on an invoice. The register holds each in
one canonical form; `spellings` lists the forms another system may have stored instead, so a
match by identifier (datamap/external.py) finds the rows however they were written.

Reading these values is a read of the subject's identity, national id and contact data: the
caller works for a subject's rights request and holds the access decision for it.
"""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers
from sqlalchemy import select
from sqlalchemy.orm import Session

from dataskydd.clock import today_in_sweden
from dataskydd.datamap.map_schema import Identifier
from dataskydd.errors import NotFound
from dataskydd.messages_i18n import Msg
from dataskydd.register import identifiers as register_identifiers
from dataskydd.register.enums import ContactKind
from dataskydd.register.models import ContactPoint, Subject

__all__ = ["SubjectIdentifiers", "spellings", "subject_identifiers"]

# A personnummer's separator turns from '-' to '+' in the year its holder turns 100
# (folkbokföringslagen 18 §); the ten-digit form needs it to tell the centuries apart.
_CENTENARIAN_YEARS = 100
# Organisationsnummer in twelve digits carry this prefix (Skatteverket's "16-nummer").
_ORGNR_PREFIX = "16"


@dataclass(frozen=True)
class SubjectIdentifiers:
    """Per kind of identifier, the subject's values in the register's canonical form."""

    email: tuple[str, ...] = ()
    phone: tuple[str, ...] = ()
    personnummer: tuple[str, ...] = ()
    organisationsnummer: tuple[str, ...] = ()
    customer_number: tuple[str, ...] = ()

    def of(self, identifier: Identifier) -> tuple[str, ...]:
        values: tuple[str, ...] = getattr(self, identifier.value)
        return values

    def spellings(self, identifier: Identifier) -> tuple[str, ...]:
        """Every spelling of every value of this kind, each once, in a stable order."""
        found: dict[str, None] = {}
        for value in self.of(identifier):
            found.update(dict.fromkeys(spellings(identifier, value)))
        return tuple(found)

    @property
    def empty(self) -> bool:
        return not any(self.of(identifier) for identifier in Identifier)


def subject_identifiers(session: Session, subject_id: int) -> SubjectIdentifiers:
    """What the register knows to identify the subject by, read in two statements."""
    row = session.execute(
        select(Subject.personnummer, Subject.organisationsnummer).where(Subject.id == subject_id)
    ).one_or_none()
    if row is None:
        raise NotFound(Msg("subject {subject_id} does not exist", subject_id=subject_id))
    contacts: dict[ContactKind, list[str]] = {ContactKind.EMAIL: [], ContactKind.PHONE: []}
    points = session.execute(
        select(ContactPoint.kind, ContactPoint.value)
        .where(ContactPoint.subject_id == subject_id)
        .order_by(ContactPoint.id)
    )
    for kind, value in points:
        contacts[kind].append(value)
    return SubjectIdentifiers(
        email=tuple(dict.fromkeys(contacts[ContactKind.EMAIL])),
        phone=tuple(dict.fromkeys(contacts[ContactKind.PHONE])),
        personnummer=(row.personnummer,) if row.personnummer else (),
        organisationsnummer=(row.organisationsnummer,) if row.organisationsnummer else (),
        customer_number=(str(subject_id),),
    )


def spellings(identifier: Identifier, value: str) -> tuple[str, ...]:
    """The forms another system may have stored `value` in (canonical, as the register holds
    it). E-mail addresses come lower-cased: the caller compares them with lower(column)."""
    if identifier is Identifier.EMAIL:
        return (value.strip().lower(),)
    if identifier is Identifier.PHONE:
        return _phone_spellings(value)
    if identifier is Identifier.PERSONNUMMER:
        return _personnummer_spellings(value)
    if identifier is Identifier.ORGANISATIONSNUMMER:
        return _organisationsnummer_spellings(value)
    return (str(int(value)),) if value.strip().isdigit() else (value,)


def _phone_spellings(value: str) -> tuple[str, ...]:
    try:
        e164 = register_identifiers.normalise_phone(value)
    except ValueError:
        # Not a number phonenumbers accepts (an old register row): compare it as written.
        return (value,)
    number = phonenumbers.parse(e164, None)
    national = register_identifiers.format_phone_national(e164)
    international = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    national_digits = "".join(ch for ch in national if ch.isdigit())
    return tuple(dict.fromkeys((e164, national_digits, national, str(international))))


def _personnummer_spellings(value: str) -> tuple[str, ...]:
    try:
        canonical = register_identifiers.normalise_personnummer(value)
    except ValueError:
        return (value,)
    date_part, number = canonical[:8], canonical[8:]
    short = date_part[2:]
    forms = [canonical, f"{date_part}-{number}", f"{short}{number}", f"{short}-{number}"]
    born = register_identifiers.birth_date(canonical)
    if today_in_sweden().year - born.year >= _CENTENARIAN_YEARS:
        # Records written before the 100th year still carry '-': both forms are the person's.
        forms.append(f"{short}+{number}")
    return tuple(dict.fromkeys(forms))


def _organisationsnummer_spellings(value: str) -> tuple[str, ...]:
    digits = "".join(ch for ch in value if ch.isdigit())
    if len(digits) == len(_ORGNR_PREFIX) + 10 and digits.startswith(_ORGNR_PREFIX):
        digits = digits[len(_ORGNR_PREFIX) :]
    if len(digits) != 10:
        return (value,)
    hyphenated = f"{digits[:6]}-{digits[6:]}"
    prefixed = [f"{_ORGNR_PREFIX}{digits}", f"{_ORGNR_PREFIX}{hyphenated}"]
    return tuple(dict.fromkeys([digits, hyphenated, *prefixed]))
