"""Reads and writes of consent records."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dataskydd.consent.models import ConsentRecord


def add(session: Session, record: ConsentRecord) -> ConsentRecord:
    session.add(record)
    session.flush()
    return record


def latest_granted(session: Session, visitor_ids: Collection[str]) -> dict[str, frozenset[str]]:
    """Each visitor's purposes from their most recent choice; absent visitors chose nothing."""
    if not visitor_ids:
        return {}
    newest = (
        select(ConsentRecord.visitor_id, func.max(ConsentRecord.id).label("last_id"))
        .where(ConsentRecord.visitor_id.in_(set(visitor_ids)))
        .group_by(ConsentRecord.visitor_id)
        .subquery()
    )
    rows = session.execute(
        select(ConsentRecord.visitor_id, ConsentRecord.granted).join(
            newest, ConsentRecord.id == newest.c.last_id
        )
    )
    return {visitor: frozenset(filter(None, granted.split(","))) for visitor, granted in rows}


def list_for_visitor(session: Session, visitor_id: str) -> list[ConsentRecord]:
    statement = (
        select(ConsentRecord)
        .where(ConsentRecord.visitor_id == visitor_id)
        .order_by(ConsentRecord.id)
    )
    return list(session.scalars(statement))
