"""Every query on the register's subject tables."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from dataskydd.register.enums import ContactKind
from dataskydd.register.models import ContactPoint, PostalAddress, Restriction, Subject


def find_subject(session: Session, subject_id: int) -> Subject | None:
    return session.get(Subject, subject_id)


def subject_exists(session: Session, subject_id: int) -> bool:
    """Reads the id only: no personal data."""
    return session.scalar(select(Subject.id).where(Subject.id == subject_id)) is not None


def subjects_by_ids(session: Session, subject_ids: Sequence[int]) -> list[Subject]:
    """The subjects in the order of `subject_ids` (personnummer left deferred)."""
    if not subject_ids:
        return []
    found = {s.id: s for s in session.scalars(select(Subject).where(Subject.id.in_(subject_ids)))}
    return [found[i] for i in subject_ids if i in found]


def personnummer_of(session: Session, subject_ids: Sequence[int]) -> dict[int, str]:
    if not subject_ids:
        return {}
    statement = select(Subject.id, Subject.personnummer).where(
        Subject.id.in_(subject_ids), Subject.personnummer.is_not(None)
    )
    return {row.id: row.personnummer for row in session.execute(statement)}


# The lookups return ids only, so that finding who matches reads nothing but the column
# looked up in; what is shown of a match is read after the access decision.


def id_by_personnummer_index(session: Session, index: str) -> int | None:
    return session.scalars(select(Subject.id).where(Subject.personnummer_index == index)).first()


def ids_by_organisationsnummer(session: Session, number: str, limit: int) -> list[int]:
    statement = select(Subject.id).where(Subject.organisationsnummer == number).limit(limit)
    return list(session.scalars(statement.order_by(Subject.id)))


def ids_by_contact_index(session: Session, kind: ContactKind, index: str, limit: int) -> list[int]:
    statement = (
        select(ContactPoint.subject_id)
        .where(ContactPoint.kind == kind, ContactPoint.lookup_index == index)
        .distinct()
        .order_by(ContactPoint.subject_id)
        .limit(limit)
    )
    return list(session.scalars(statement))


def ids_by_name_tokens(session: Session, tokens: list[str], limit: int) -> list[int]:
    conditions = [Subject.search_name.contains(token, autoescape=True) for token in tokens]
    statement = select(Subject.id).where(and_(*conditions)).order_by(Subject.id).limit(limit)
    return list(session.scalars(statement))


def primary_contact(session: Session, subject_id: int, kind: ContactKind) -> ContactPoint | None:
    statement = (
        select(ContactPoint)
        .where(ContactPoint.subject_id == subject_id, ContactPoint.kind == kind)
        .order_by(ContactPoint.is_primary.desc(), ContactPoint.id)
    )
    return session.scalars(statement).first()


def primary_address(session: Session, subject_id: int) -> PostalAddress | None:
    statement = (
        select(PostalAddress)
        .where(PostalAddress.subject_id == subject_id)
        .order_by(PostalAddress.is_primary.desc(), PostalAddress.id)
    )
    return session.scalars(statement).first()


def primary_contacts_for(
    session: Session, subject_ids: list[int], kind: ContactKind
) -> dict[int, str]:
    statement = (
        select(ContactPoint.subject_id, ContactPoint.value)
        .where(ContactPoint.subject_id.in_(subject_ids), ContactPoint.kind == kind)
        .order_by(ContactPoint.is_primary, ContactPoint.id.desc())
    )
    # Ordered so the primary (or first) value is written last and wins.
    return dict(session.execute(statement).all())


def primary_cities_for(session: Session, subject_ids: list[int]) -> dict[int, str]:
    statement = (
        select(PostalAddress.subject_id, PostalAddress.city)
        .where(PostalAddress.subject_id.in_(subject_ids))
        .order_by(PostalAddress.is_primary, PostalAddress.id.desc())
    )
    return dict(session.execute(statement).all())


def restricted_categories(session: Session, subject_id: int) -> set[str]:
    statement = select(Restriction.category).where(
        Restriction.subject_id == subject_id, Restriction.lifted_at.is_(None)
    )
    return set(session.scalars(statement))
