"""What a row adds to a subject the register holds (or that an earlier row of the same file
will create): empty fields filled, new e-mail addresses, phone numbers, addresses and roles
added, and a value that differs from the one held reported as a conflict - never written
over. Pure: `Held` is what is known of the subject, and collects the rows to write."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from dataskydd.register import lookup
from dataskydd.register.enums import ContactKind, RoleKind, SubjectKind
from dataskydd.register.schemas import SubjectCreate

NAME_FIELDS = ("given_name", "family_name", "organisation_name", "organisationsnummer")


def address_key(street: str, postal_code: str, city: str) -> tuple[str, str, str]:
    return (" ".join(street.split()).casefold(), postal_code, city.strip().casefold())


@dataclass
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
    # subject that exists, and new rows of contact_point, postal_address and subject_role.
    personnummer: str | None = None
    filled: list[str] = field(default_factory=list)
    contact_rows: list[dict[str, Any]] = field(default_factory=list)
    address_rows: list[dict[str, Any]] = field(default_factory=list)
    role_rows: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def new(cls, kind: SubjectKind) -> Held:
        return cls(None, kind, dict.fromkeys(NAME_FIELDS), None)

    @property
    def is_new(self) -> bool:
        return self.subject_id is None


@dataclass(frozen=True)
class Keys:
    """The identifiers a row is matched by, as the register's blind indexes hold them."""

    personnummer_index: str | None
    organisationsnummer: str | None
    email_indexes: tuple[str, ...]

    @classmethod
    def of(cls, data: SubjectCreate) -> Keys:
        return cls(
            lookup.personnummer_index(data.personnummer) if data.personnummer else None,
            data.organisationsnummer,
            tuple(lookup.contact_index(ContactKind.EMAIL, email) for email in data.emails),
        )


def _same(held: str | None, given: str) -> bool:
    return held is not None and held.strip().casefold() == given.strip().casefold()


def merge(held: Held, data: SubjectCreate, keys: Keys, started_on: date) -> tuple[bool, list[str]]:
    """Adds what `data` has and `held` lacks; returns whether anything was added and the
    fields whose values differ from the held ones (kept as held)."""
    changed = False
    conflicts: list[str] = []
    if held.kind is not data.kind:
        return False, ["kind"]
    for name in NAME_FIELDS:
        given = getattr(data, name)
        if given is None:
            continue
        if held.names[name] is None:
            held.names[name] = given
            held.filled.append(name)
            changed = True
        elif not _same(held.names[name], given):
            conflicts.append(name)
    if keys.personnummer_index is not None:
        if held.personnummer_index is None:
            held.personnummer_index = keys.personnummer_index
            held.personnummer = data.personnummer
            held.filled.append("personnummer")
            changed = True
        elif held.personnummer_index != keys.personnummer_index:
            conflicts.append("personnummer")
    contacts = [
        *(
            (ContactKind.EMAIL, value, index)
            for value, index in zip(data.emails, keys.email_indexes, strict=True)
        ),
        *(
            (ContactKind.PHONE, value, lookup.contact_index(ContactKind.PHONE, value))
            for value in data.phones
        ),
    ]
    for kind, value, index in contacts:
        if (kind, index) in held.contacts:
            continue
        primary = not any(k is kind for k, _ in held.contacts)
        held.contacts.add((kind, index))
        held.contact_rows.append(
            {"kind": kind, "value": value, "lookup_index": index, "is_primary": primary}
        )
        changed = True
    for address in data.addresses:
        key = address_key(address.street, address.postal_code, address.city)
        if key in held.addresses:
            continue
        primary = not held.addresses
        held.addresses.add(key)
        held.address_rows.append({**address.model_dump(), "is_primary": primary})
        changed = True
    for role in data.roles:
        if role not in held.roles:
            held.roles.add(role)
            held.role_rows.append({"role": role, "started_on": started_on, "ended_on": None})
            changed = True
    return changed, conflicts
