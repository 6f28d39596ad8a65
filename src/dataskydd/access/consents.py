"""Recording a subject's consent to a purpose, and its withdrawal (GDPR art. 7). One row per
grant: what it was given through (`via`), so that withdrawing one newsletter leaves a consent
given through another standing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dataskydd.access.models import SubjectConsent
from dataskydd.clock import utc_now


def give_consent(
    session: Session,
    *,
    subject_id: int,
    purpose: str,
    channel: str,
    via: str | None = None,
    text_version: str | None = None,
    given_at: datetime | None = None,
) -> SubjectConsent:
    standing = _standing(session, subject_id, purpose, via)
    if standing:
        return standing[0]
    row = SubjectConsent(
        subject_id=subject_id,
        purpose=purpose,
        given_at=given_at or utc_now(),
        channel=channel,
        via=via,
        text_version=text_version,
    )
    session.add(row)
    session.flush()
    return row


def withdraw_consent(
    session: Session, *, subject_id: int, purpose: str, via: str | None = None
) -> int:
    """Withdraws the grants given through `via` (all grants for the purpose when None)."""
    rows = _standing(session, subject_id, purpose, via, any_via=via is None)
    now = utc_now()
    for row in rows:
        row.withdrawn_at = now
    session.flush()
    return len(rows)


def _standing(
    session: Session, subject_id: int, purpose: str, via: str | None, *, any_via: bool = False
) -> list[SubjectConsent]:
    statement = select(SubjectConsent).where(
        SubjectConsent.subject_id == subject_id,
        SubjectConsent.purpose == purpose,
        SubjectConsent.withdrawn_at.is_(None),
    )
    if not any_via:
        statement = statement.where(
            SubjectConsent.via.is_(None) if via is None else SubjectConsent.via == via
        )
    return list(session.scalars(statement.order_by(SubjectConsent.id)))


def withdraw_all(session: Session, *, subject_id: int) -> int:
    """Erasure ends every consent: nothing may be used on a consent given before it."""
    rows = list(
        session.scalars(
            select(SubjectConsent).where(
                SubjectConsent.subject_id == subject_id, SubjectConsent.withdrawn_at.is_(None)
            )
        )
    )
    now = utc_now()
    for row in rows:
        row.withdrawn_at = now
    session.flush()
    return len(rows)
