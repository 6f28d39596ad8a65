"""What a row adds to a subject the register holds (or that an earlier row of the same file
will create): empty fields filled, new e-mail addresses, phone numbers, addresses and roles
added, and a value that differs from the one held reported as a conflict - never written
over. Pure: `Held` is what is known of the subject, and collects the rows to write."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from dataskydd.crypto import BlindIndexer
from dataskydd.register import lookup
from dataskydd.register.enums import ContactKind, RoleKind, SubjectKind
from dataskydd.register.schemas import SubjectCreate

NAME_FIELDS = ("given_name", "family_name", "organisation_name", "organisationsnummer")
ADDRESS_FIELDS = ("care_of", "street", "postal_code", "city", "country")
# The columns of the rows a merge adds, after their subject_id.
CONTACT_COLUMNS = ("kind", "value", "lookup_index", "is_primary")
ADDRESS_COLUMNS = (*ADDRESS_FIELDS, "is_primary")
ROLE_COLUMNS = ("role", "started_on", "ended_on")


def address_key(street: str, postal_code: str, city: str) -> tuple[str, str, str]:
    return (" ".join(street.split()).casefold(), postal_code, city.strip().casefold())


@dataclass(slots=True)
class Held:
    """A subject as the register holds it (subject_id set) or as this import will create it."""

    subject_id: int | None
    kind: SubjectKind
    names: dict[str, str | None]
    personnummer_index: str | None
    contacts: set[tuple[ContactKind, str]] = field(default_factory=set)
    addresses: set[tuple[str, str, str]] = field(default_factory=set)
    roles: set[RoleKind] = field(default_factory=set)
    # What this import writes: the personnummer (new, or filled in), the fields filled on a
    # subject that exists, and new rows of contact_point, postal_address and subject_role
    # (without their subject_id, which a new subject gets when it is written): tuples in the
    # order of CONTACT_COLUMNS, ADDRESS_COLUMNS and ROLE_COLUMNS.
    personnummer: str | None = None
    filled: list[str] = field(default_factory=list)
    contact_rows: list[tuple[Any, ...]] = field(default_factory=list)
    address_rows: list[tuple[Any, ...]] = field(default_factory=list)
    role_rows: list[tuple[Any, ...]] = field(default_factory=list)

    @classmethod
    def new(cls, kind: SubjectKind) -> Held:
        return cls(None, kind, dict.fromkeys(NAME_FIELDS), None)

    @property
    def is_new(self) -> bool:
        return self.subject_id is None


Address = tuple[str | None, str, str, str, str]  # ADDRESS_FIELDS
# An identifier a subject is found by: ("personnummer" | "organisationsnummer" | "email", the
# blind index or, for an organisationsnummer, the number).
Key = tuple[str, str]
Keys = tuple[Key, ...]


@dataclass(slots=True)
class Incoming:
    """A valid row as the merge and the writes use it: plain values with their blind indexes,
    made where the row was validated. A worker process sends this back instead of the
    pydantic model, which cost the importing process 17 µs a row to unpickle (this: 1.4)."""

    kind: SubjectKind
    names: tuple[str | None, ...]  # NAME_FIELDS
    personnummer: str | None
    personnummer_index: str | None
    emails: tuple[tuple[str, str], ...]  # (address, blind index)
    phones: tuple[tuple[str, str], ...]  # (E.164, blind index)
    addresses: tuple[Address, ...]
    roles: tuple[RoleKind, ...]
    keys: Keys  # what finds the subject again

    @classmethod
    def of(cls, data: SubjectCreate, indexer: BlindIndexer | None) -> Incoming:
        """`indexer` None (a dry run, which matches nothing): no blind indexes, no keys."""

        def index(kind: ContactKind, value: str) -> str:
            return lookup.contact_index(kind, value, indexer) if indexer else ""

        personnummer_index = (
            lookup.personnummer_index(data.personnummer, indexer)
            if data.personnummer and indexer
            else None
        )
        emails = tuple((email, index(ContactKind.EMAIL, email)) for email in data.emails)
        keys: list[Key] = []
        if indexer:
            if personnummer_index:
                keys.append(("personnummer", personnummer_index))
            if data.organisationsnummer:
                keys.append(("organisationsnummer", data.organisationsnummer))
            keys.extend(("email", email_index) for _, email_index in emails)
        return cls(
            data.kind,
            tuple(getattr(data, name) for name in NAME_FIELDS),
            data.personnummer,
            personnummer_index,
            emails,
            tuple((phone, index(ContactKind.PHONE, phone)) for phone in data.phones),
            tuple((a.care_of, a.street, a.postal_code, a.city, a.country) for a in data.addresses),
            tuple(data.roles),
            tuple(keys),
        )


def _same(held: str | None, given: str) -> bool:
    return held is not None and held.strip().casefold() == given.strip().casefold()


def merge(held: Held, data: Incoming, started_on: date) -> tuple[bool, list[str]]:
    """Adds what `data` has and `held` lacks; returns whether anything was added and the
    fields whose values differ from the held ones (kept as held)."""
    changed = False
    conflicts: list[str] = []
    if held.kind is not data.kind:
        return False, ["kind"]
    for name, given in zip(NAME_FIELDS, data.names, strict=True):
        if given is None:
            continue
        if held.names[name] is None:
            held.names[name] = given
            held.filled.append(name)
            changed = True
        elif not _same(held.names[name], given):
            conflicts.append(name)
    if data.personnummer_index is not None:
        if held.personnummer_index is None:
            held.personnummer_index = data.personnummer_index
            held.personnummer = data.personnummer
            held.filled.append("personnummer")
            changed = True
        elif held.personnummer_index != data.personnummer_index:
            conflicts.append("personnummer")
    for kind, found in ((ContactKind.EMAIL, data.emails), (ContactKind.PHONE, data.phones)):
        for value, index in found:
            if (kind, index) in held.contacts:
                continue
            primary = not any(k is kind for k, _ in held.contacts)
            held.contacts.add((kind, index))
            held.contact_rows.append((kind, value, index, primary))
            changed = True
    for address in data.addresses:
        key = address_key(address[1], address[2], address[3])
        if key in held.addresses:
            continue
        primary = not held.addresses
        held.addresses.add(key)
        held.address_rows.append((*address, primary))
        changed = True
    for role in data.roles:
        if role not in held.roles:
            held.roles.add(role)
            held.role_rows.append((role, started_on, None))
            changed = True
    return changed, conflicts
