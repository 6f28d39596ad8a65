"""Every query on the register's subject tables."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from dataskydd.register.enums import ContactKind
from dataskydd.register.models import ContactPoint, PostalAddress, Restriction, Subject


def find_subject(session: Session, subject_id: int) -> Subject | None:
    return session.get(Subject, subject_id)


def find_by_personnummer_index(session: Session, index: str) -> Subject | None:
    return session.scalars(select(Subject).where(Subject.personnummer_index == index)).first()


def list_by_organisationsnummer(session: Session, number: str, limit: int) -> Sequence[Subject]:
    statement = select(Subject).where(Subject.organisationsnummer == number).limit(limit)
    return session.scalars(statement.order_by(Subject.id)).all()


def list_by_contact_index(
    session: Session, kind: ContactKind, index: str, limit: int
) -> Sequence[Subject]:
    statement = (
        select(Subject)
        .join(ContactPoint, ContactPoint.subject_id == Subject.id)
        .where(ContactPoint.kind == kind, ContactPoint.lookup_index == index)
        .distinct()
        .order_by(Subject.id)
        .limit(limit)
    )
    return session.scalars(statement).all()


def list_by_name_tokens(session: Session, tokens: list[str], limit: int) -> Sequence[Subject]:
    conditions = [Subject.search_name.contains(token, autoescape=True) for token in tokens]
    statement = select(Subject).where(and_(*conditions)).order_by(Subject.id).limit(limit)
    return session.scalars(statement).all()


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
