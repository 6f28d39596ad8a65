"""Rectification history of one subject (GDPR art. 16): what changed, from what, to what, by
whom and why. Reading it is a purpose-checked read of category change_history, audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dataskydd.audit import service as audit_service
from dataskydd.errors import AccessRefused
from dataskydd.policy.schema import Policy
from dataskydd.register import service
from dataskydd.register.models import ContactPoint, Rectification

CATEGORY = "change_history"


@dataclass(frozen=True)
class RectificationRow:
    changed_at: datetime
    # `table.field`; contact points say which kind: `contact_point.email`.
    field: str
    old_value: str | None
    new_value: str | None
    changed_by: str
    reason: str


def list_rectifications(
    session: Session,
    *,
    actor: str,
    policy: Policy,
    subject_id: int,
    purpose: str = "customer_relationship",
) -> list[RectificationRow]:
    """Newest first."""
    stated = policy.purpose(purpose)
    service.get_subject(session, subject_id)
    if stated.aggregates_only or CATEGORY not in stated.categories:
        why = f"purpose {purpose} may not use category {CATEGORY}"
        audit_service.record(
            session,
            actor=actor,
            action="subject.show.refused",
            subject_id=subject_id,
            purpose=purpose,
            detail={"reason": why},
        )
        raise AccessRefused(why)
    statement = (
        select(Rectification, ContactPoint.kind)
        .outerjoin(
            ContactPoint,
            (Rectification.table_name == ContactPoint.__tablename__)
            & (ContactPoint.id == Rectification.row_id),
        )
        .where(Rectification.subject_id == subject_id)
        .order_by(Rectification.changed_at.desc(), Rectification.id.desc())
    )
    rows = [
        RectificationRow(
            changed_at=item.changed_at,
            field=f"{item.table_name}.{kind.value if kind is not None else item.field}",
            old_value=item.old_value,
            new_value=item.new_value,
            changed_by=item.changed_by,
            reason=item.reason,
        )
        for item, kind in session.execute(statement)
    ]
    audit_service.record(
        session,
        actor=actor,
        action="subject.show",
        subject_id=subject_id,
        purpose=purpose,
        detail={"categories": [CATEGORY], "entries": len(rows)},
    )
    return rows
