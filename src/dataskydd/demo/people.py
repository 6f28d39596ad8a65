"""Demo subjects: private customers, business customers with a contact person, suppliers.

Rows carry canonical identifier forms (what register.identifiers returns), blind indexes and
search_name, exactly as the register service would have written them.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from dataskydd.demo import identities
from dataskydd.demo.places import PRIVATE_MAIL_DOMAINS, Town
from dataskydd.demo.records import Batch, Customer, Row
from dataskydd.demo.texts import RELATION_TITLES, SUPPLIER_SUFFIXES
from dataskydd.register import lookup
from dataskydd.register.enums import ContactKind, RoleKind, SubjectKind

if TYPE_CHECKING:
    from dataskydd.demo.builder import DemoBuilder

_BRANCHES = (
    "Bygg",
    "Redovisning",
    "Fastigheter",
    "Konsult",
    "Transport",
    "Måleri",
    "Tandvård",
    "El & VVS",
    "Design",
    "Data",
    "Frisör",
    "Café",
    "Juristbyrå",
    "Städ",
    "Bilverkstad",
)
_HOUSEHOLD_SIZES, _HOUSEHOLD_WEIGHTS = (1, 2, 3, 4, 5), (35, 33, 13, 13, 6)


def add_private(b: DemoBuilder, batch: Batch) -> Customer:
    rng = b.rng
    female = rng.random() < 0.5
    given = rng.choice(b.names.female if female else b.names.male)
    family = rng.choice(b.names.family)
    born = b.reference_date - timedelta(days=int(rng.triangular(18.1, 92, 45) * 365.25))
    coordination = rng.random() < 0.02
    while True:  # a birthday-paradox duplicate is rare but would break the unique index
        number = identities.personnummer(rng, born, female=female, coordination=coordination)
        index = lookup.personnummer_index(number)
        if index not in b.personnummer_indexes:
            b.personnummer_indexes.add(index)
            break
    since, ended = _tenure(b)
    subject_id = b.new_id("subject")
    _subject(b, batch, subject_id, since, given=given, family=family, pnr=(number, index))
    _role(batch, subject_id, RoleKind.CUSTOMER, since, ended)
    email = _unique_email(b, f"{rng.choice(PRIVATE_MAIL_DOMAINS)}", given, family)
    _contact(b, batch, subject_id, ContactKind.EMAIL, email, since)
    if rng.random() < 0.92:
        _contact(b, batch, subject_id, ContactKind.PHONE, identities.mobile(rng), since)
    town, street, postcode = _address(b, batch, subject_id, since)
    return Customer(
        subject_id=subject_id,
        is_business=False,
        given_name=given,
        email=email,
        town=town,
        street=street,
        postal_code=postcode,
        since=since,
        ended=ended,
        born=born,
        household_size=rng.choices(_HOUSEHOLD_SIZES, weights=_HOUSEHOLD_WEIGHTS)[0],
    )


def add_business(b: DemoBuilder, batch: Batch) -> Customer:
    since, ended = _tenure(b)
    org_id, town, street, postcode, name = _organisation(b, batch, since, _company_name(b))
    _role(batch, org_id, RoleKind.CUSTOMER, since, ended)
    given, contact_email = _contact_person(b, batch, org_id, name, since)
    return Customer(
        subject_id=org_id,
        is_business=True,
        given_name=given,
        email=contact_email,
        town=town,
        street=street,
        postal_code=postcode,
        since=since,
        ended=ended,
    )


def add_supplier(b: DemoBuilder, batch: Batch) -> None:
    since = b.day_between(b.first_day - timedelta(days=3 * 365), b.reference_date)
    name = f"{b.rng.choice(b.names.family)}s {b.rng.choice(SUPPLIER_SUFFIXES)} AB"
    org_id, *_ = _organisation(b, batch, since, name)
    ended = None
    if b.rng.random() < 0.1 and since < b.reference_date - timedelta(days=60):
        ended = b.day_between(since + timedelta(days=30), b.reference_date)
    _role(batch, org_id, RoleKind.SUPPLIER, since, ended)
    _contact_person(b, batch, org_id, name, since)


def _tenure(b: DemoBuilder) -> tuple[date, date | None]:
    last_start = b.reference_date - timedelta(days=7)
    since = b.day_between(b.first_day, last_start)
    ended = None
    if b.rng.random() < 0.15 and (b.reference_date - since).days > 120:
        ended = b.day_between(since + timedelta(days=90), b.reference_date - timedelta(days=1))
    return since, ended


def _company_name(b: DemoBuilder) -> str:
    rng = b.rng
    branch = rng.choice(_BRANCHES)
    style = rng.random()
    if style < 0.5:
        return f"{rng.choice(b.names.family)}s {branch} AB"
    if style < 0.8:
        return f"{rng.choice(b.names.family)} & {rng.choice(b.names.family)} {branch} AB"
    return f"{b.town().name} {branch} AB"


def _organisation(
    b: DemoBuilder, batch: Batch, since: date, name: str
) -> tuple[int, Town, str, str, str]:
    org_id = b.new_id("subject")
    batch.add(
        "subject",
        _subject_row(
            b,
            org_id,
            since,
            kind=SubjectKind.ORGANISATION,
            organisation_name=name,
            organisationsnummer=identities.organisationsnummer(b.rng),
        ),
    )
    domain = f"{identities.slug(name)}.example.com"
    _contact(b, batch, org_id, ContactKind.EMAIL, _unique_email(b, domain, "info"), since)
    town, street, postcode = _address(b, batch, org_id, since)
    _contact(b, batch, org_id, ContactKind.PHONE, identities.landline(b.rng, town), since)
    return org_id, town, street, postcode, name


def _contact_person(
    b: DemoBuilder, batch: Batch, org_id: int, org_name: str, since: date
) -> tuple[str, str]:
    """A person acting for the organisation; no personnummer, since nothing justifies one."""
    rng = b.rng
    given = rng.choice(b.names.female if rng.random() < 0.5 else b.names.male)
    family = rng.choice(b.names.family)
    person_id = b.new_id("subject")
    _subject(b, batch, person_id, since, given=given, family=family, pnr=None)
    email = _unique_email(b, f"{identities.slug(org_name)}.example.com", given, family)
    _contact(b, batch, person_id, ContactKind.EMAIL, email, since)
    _contact(b, batch, person_id, ContactKind.PHONE, identities.mobile(rng), since)
    batch.add(
        "subject_relation",
        {"organisation_id": org_id, "person_id": person_id, "title": rng.choice(RELATION_TITLES)},
    )
    return given, email


def _subject(
    b: DemoBuilder,
    batch: Batch,
    subject_id: int,
    since: date,
    *,
    given: str,
    family: str,
    pnr: tuple[str, str] | None,
) -> None:
    row = _subject_row(
        b, subject_id, since, kind=SubjectKind.PERSON, given_name=given, family_name=family
    )
    if pnr is not None:
        row["personnummer"], row["personnummer_index"] = pnr
    batch.add("subject", row)


def _subject_row(
    b: DemoBuilder,
    subject_id: int,
    since: date,
    *,
    kind: SubjectKind,
    given_name: str | None = None,
    family_name: str | None = None,
    organisation_name: str | None = None,
    organisationsnummer: str | None = None,
) -> Row:
    created = b.moment(since - timedelta(days=b.rng.randrange(1, 15)))
    return {
        "id": subject_id,
        "kind": kind,
        "given_name": given_name,
        "family_name": family_name,
        "organisation_name": organisation_name,
        "organisationsnummer": organisationsnummer,
        "personnummer": None,
        "personnummer_index": None,
        "search_name": lookup.search_name(given_name, family_name, organisation_name),
        "created_at": created,
        "updated_at": created,
    }


def _role(batch: Batch, subject_id: int, role: RoleKind, since: date, ended: date | None) -> None:
    batch.add(
        "subject_role",
        {"subject_id": subject_id, "role": role, "started_on": since, "ended_on": ended},
    )


def _contact(
    b: DemoBuilder, batch: Batch, subject_id: int, kind: ContactKind, value: str, since: date
) -> None:
    created = b.moment(since)
    batch.add(
        "contact_point",
        {
            "subject_id": subject_id,
            "kind": kind,
            "value": value,
            "lookup_index": lookup.contact_index(kind, value),
            "is_primary": True,
            "created_at": created,
            "updated_at": created,
        },
    )


def _address(b: DemoBuilder, batch: Batch, subject_id: int, since: date) -> tuple[Town, str, str]:
    rng = b.rng
    town = b.town()
    street = f"{rng.choice(b.names.streets)} {rng.randrange(1, 80)}"
    if rng.random() < 0.3:
        street += rng.choice(("A", "B", " lgh 1102", " lgh 1201", " lgh 1003"))
    postcode = identities.postal_code(rng, town)
    created = b.moment(since)
    care_of = f"{rng.choice(b.names.family)}" if rng.random() < 0.02 else None
    batch.add(
        "postal_address",
        {
            "subject_id": subject_id,
            "care_of": care_of,
            "street": street,
            "postal_code": postcode,
            "city": town.name,
            "country": "SE",
            "is_primary": True,
            "created_at": created,
            "updated_at": created,
        },
    )
    return town, street, postcode


def _unique_email(b: DemoBuilder, domain: str, *names: str) -> str:
    local = identities.mail_local_part(*names)
    email, n = f"{local}@{domain}", 1
    while email in b.emails:
        n += 1
        email = f"{local}{n}@{domain}"
    b.emails.add(email)
    return email
