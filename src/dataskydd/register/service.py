"""Create, rectify and find subjects. Writes keep rectification history (GDPR art. 16); every
call is audited. Services flush, never commit: the entry point owns the transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from dataskydd.audit import service as audit_service
from dataskydd.clock import today_in_sweden, utc_now
from dataskydd.errors import Conflict, InvalidInput, NotFound
from dataskydd.messages_i18n import Msg
from dataskydd.register import identifiers, lookup, repository
from dataskydd.register.enums import ContactKind, SubjectKind
from dataskydd.register.models import (
    ContactPoint,
    PostalAddress,
    Rectification,
    Subject,
    SubjectRole,
)
from dataskydd.register.schemas import SubjectCreate, SubjectMatch, SubjectUpdate
from dataskydd.validation import validate_model


def get_subject(session: Session, subject_id: int) -> Subject:
    subject = repository.find_subject(session, subject_id)
    if subject is None:
        raise NotFound(Msg("subject {subject_id} does not exist", subject_id=subject_id))
    return subject


def require_subject(session: Session, subject_id: int) -> None:
    """NotFound unless the subject exists; reads its id only, so no decision is needed."""
    if not repository.subject_exists(session, subject_id):
        raise NotFound(Msg("subject {subject_id} does not exist", subject_id=subject_id))


def _refuse_taken_personnummer(session: Session, index: str, own_id: int | None) -> None:
    holder = repository.id_by_personnummer_index(session, index)
    if holder is not None and holder != own_id:
        raise Conflict(Msg("personnummer: already registered for another subject"))


def create_subject(
    session: Session, *, actor: str, data: SubjectCreate | dict[str, Any]
) -> Subject:
    data = data if isinstance(data, SubjectCreate) else validate_model(SubjectCreate, data)
    pnr_index = lookup.personnummer_index(data.personnummer) if data.personnummer else None
    if pnr_index:
        _refuse_taken_personnummer(session, pnr_index, None)
    subject = Subject(
        kind=data.kind,
        given_name=data.given_name,
        family_name=data.family_name,
        organisation_name=data.organisation_name,
        organisationsnummer=data.organisationsnummer,
        personnummer=data.personnummer,
        personnummer_index=pnr_index,
        search_name=lookup.search_name(data.given_name, data.family_name, data.organisation_name),
    )
    session.add(subject)
    session.flush()
    today = today_in_sweden()
    session.add_all(
        SubjectRole(subject_id=subject.id, role=r, started_on=today) for r in data.roles
    )
    for kind, values in ((ContactKind.EMAIL, data.emails), (ContactKind.PHONE, data.phones)):
        for position, value in enumerate(values):
            session.add(_contact_point(subject.id, kind, value, is_primary=position == 0))
    for position, address in enumerate(data.addresses):
        session.add(
            PostalAddress(subject_id=subject.id, is_primary=position == 0, **address.model_dump())
        )
    session.flush()
    audit_service.record(session, actor=actor, action="subject.create", subject_id=subject.id)
    return subject


def _contact_point(
    subject_id: int, kind: ContactKind, value: str, *, is_primary: bool
) -> ContactPoint:
    return ContactPoint(
        subject_id=subject_id,
        kind=kind,
        value=value,
        lookup_index=lookup.contact_index(kind, value),
        is_primary=is_primary,
    )


class _History:
    def __init__(self, session: Session, subject_id: int, actor: str, reason: str) -> None:
        self.session, self.subject_id, self.actor, self.reason = session, subject_id, actor, reason
        self.changed: list[str] = []

    def set(self, row: Any, field: str, new: Any) -> None:
        old = getattr(row, field)
        if old == new:
            return
        setattr(row, field, new)
        self.changed.append(f"{row.__tablename__}.{field}")
        self.session.add(
            Rectification(
                subject_id=self.subject_id,
                table_name=row.__tablename__,
                row_id=row.id,
                field=field,
                old_value=None if old in (None, "") else str(old),
                new_value=None if new is None else str(new),
                changed_by=self.actor,
                changed_at=utc_now(),
                reason=self.reason,
            )
        )


def update_subject(
    session: Session, *, actor: str, subject_id: int, changes: SubjectUpdate | dict[str, Any]
) -> list[str]:
    """Rectify a subject; returns the changed `table.field` names (empty when nothing changed)."""
    changes = (
        changes if isinstance(changes, SubjectUpdate) else validate_model(SubjectUpdate, changes)
    )
    subject = get_subject(session, subject_id)
    _refuse_fields_of_other_kind(subject, changes)
    history = _History(session, subject.id, actor, changes.reason)
    for field in ("given_name", "family_name", "organisation_name", "organisationsnummer"):
        value = getattr(changes, field)
        if value is not None:
            history.set(subject, field, value)
    if changes.personnummer is not None:
        index = lookup.personnummer_index(changes.personnummer)
        _refuse_taken_personnummer(session, index, subject.id)
        history.set(subject, "personnummer", changes.personnummer)
        subject.personnummer_index = index
    subject.search_name = lookup.search_name(
        subject.given_name, subject.family_name, subject.organisation_name
    )
    for kind, value in ((ContactKind.EMAIL, changes.email), (ContactKind.PHONE, changes.phone)):
        if value is None:
            continue
        point = repository.primary_contact(session, subject.id, kind)
        if point is None:
            point = _contact_point(subject.id, kind, "", is_primary=True)
            session.add(point)
            session.flush()
        history.set(point, "value", value)
        point.lookup_index = lookup.contact_index(kind, value)
    if changes.address is not None:
        address = repository.primary_address(session, subject.id)
        if address is None:
            address = PostalAddress(
                subject_id=subject.id, is_primary=True, street="", postal_code="", city=""
            )
            session.add(address)
            session.flush()
        for field, value in changes.address.model_dump().items():
            history.set(address, field, value)
    session.flush()
    audit_service.record(
        session,
        actor=actor,
        action="subject.update",
        subject_id=subject.id,
        detail={"fields": history.changed},
    )
    return history.changed


def _refuse_fields_of_other_kind(subject: Subject, changes: SubjectUpdate) -> None:
    if subject.kind is SubjectKind.ORGANISATION and (
        changes.given_name or changes.family_name or changes.personnummer
    ):
        raise InvalidInput(
            "kind", Msg("an organisation has no given_name, family_name or personnummer")
        )
    if subject.kind is SubjectKind.PERSON and changes.organisation_name:
        raise InvalidInput("kind", Msg("a person has no organisation_name"))


def _classify(query: str) -> tuple[str, str]:
    """Which identifier the query is, in its canonical form; falls back to name search."""
    text = query.strip()
    for kind, normalise in (
        ("personnummer", identifiers.normalise_personnummer),
        ("organisationsnummer", identifiers.normalise_organisationsnummer),
    ):
        try:
            return kind, normalise(text)
        except ValueError:
            pass
    if "@" in text:
        try:
            return "email", identifiers.normalise_email(text)
        except ValueError:
            return "name", text
    if sum(ch.isdigit() for ch in text) >= 6:
        try:
            return "phone", identifiers.normalise_phone(text)
        except ValueError:
            pass
    return "name", text


def classify_query(query: str) -> tuple[str, str]:
    if not query.strip():
        raise InvalidInput("query", Msg("is empty"))
    return _classify(query)


def lookup_subject_ids(session: Session, kind: str, value: str, limit: int = 20) -> list[int]:
    """Ids of the subjects matching a classified query, reading only the column looked up in;
    the caller decides what to show and audits (datamap.search)."""
    if kind == "personnummer":
        found = repository.id_by_personnummer_index(session, lookup.personnummer_index(value))
        return [found] if found is not None else []
    if kind == "organisationsnummer":
        return repository.ids_by_organisationsnummer(session, value, limit)
    if kind in ("email", "phone"):
        contact = ContactKind(kind)
        index = lookup.contact_index(contact, value)
        return repository.ids_by_contact_index(session, contact, index, limit)
    tokens = [token.casefold() for token in value.split() if token]
    return repository.ids_by_name_tokens(session, tokens, limit)


def match_rows(
    session: Session, subject_ids: list[int], *, shown: dict[int, set[str]]
) -> list[SubjectMatch]:
    """Search results with only the fields named in `shown[subject id]` (the others None):
    name, organisationsnummer, personnummer_masked, email, city."""
    subjects = repository.subjects_by_ids(session, subject_ids)

    def showing(field: str) -> list[int]:
        """Only the subjects that may show `field` have it read at all."""
        return [s.id for s in subjects if field in shown.get(s.id, set())]

    numbers = repository.personnummer_of(session, showing("personnummer_masked"))
    with_email = showing("email")
    emails = (
        repository.primary_contacts_for(session, with_email, ContactKind.EMAIL)
        if with_email
        else {}
    )
    with_city = showing("city")
    cities = repository.primary_cities_for(session, with_city) if with_city else {}
    rows = []
    for subject in subjects:
        fields = shown.get(subject.id, set())
        number = numbers.get(subject.id)
        rows.append(
            SubjectMatch(
                id=subject.id,
                kind=subject.kind,
                name=subject.display_name if "name" in fields else None,
                personnummer_masked=(
                    identifiers.mask_personnummer(number)
                    if number and "personnummer_masked" in fields
                    else None
                ),
                organisationsnummer=(
                    subject.organisationsnummer if "organisationsnummer" in fields else None
                ),
                email=emails.get(subject.id) if "email" in fields else None,
                city=cities.get(subject.id) if "city" in fields else None,
            )
        )
    return rows
