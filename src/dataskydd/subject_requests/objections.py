"""Objections to processing (GDPR art. 21): to profiling for recommendations and, always
honoured, to direct marketing (art. 21.2–3). Other parts ask `objects_to` before using a
purpose for a subject."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from dataskydd.audit import service as audit_service
from dataskydd.clock import utc_now
from dataskydd.subject_requests.models import Objection


def _standing(session: Session, subject_id: int) -> list[Objection]:
    statement = select(Objection).where(
        Objection.subject_id == subject_id, Objection.withdrawn_at.is_(None)
    )
    return list(session.scalars(statement.order_by(Objection.id)))


def current_objections(session: Session, subject_id: int) -> set[str]:
    return {row.purpose for row in _standing(session, subject_id)}


def objects_to(session: Session, subject_id: int, purpose: str) -> bool:
    return purpose in current_objections(session, subject_id)


def record_objections(
    session: Session,
    *,
    actor: str,
    subject_id: int,
    purposes: Sequence[str],
    case: int | None = None,
) -> list[str]:
    """Objections to the purposes not already objected to; returns those added."""
    standing = current_objections(session, subject_id)
    added = [purpose for purpose in dict.fromkeys(purposes) if purpose not in standing]
    for purpose in added:
        session.add(
            Objection(
                subject_id=subject_id, purpose=purpose, objected_at=utc_now(), request_id=case
            )
        )
    session.flush()
    if added:
        audit_service.record(
            session,
            actor=actor,
            action="subject.object",
            subject_id=subject_id,
            purpose="data_subject_rights",
            detail={"purposes": added, "request": case},
        )
    return added


def withdraw_objection(session: Session, *, actor: str, subject_id: int, purpose: str) -> bool:
    rows = [row for row in _standing(session, subject_id) if row.purpose == purpose]
    for row in rows:
        row.withdrawn_at = utc_now()
    session.flush()
    if rows:
        audit_service.record(
            session,
            actor=actor,
            action="subject.object.withdraw",
            subject_id=subject_id,
            purpose="data_subject_rights",
            detail={"purposes": [purpose]},
        )
    return bool(rows)
