"""Rectification history of one subject (GDPR art. 16): what changed, from what, to what, by
whom and why. Reading it is a purpose-checked read of category change_history, audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dataskydd.access import service as access_service
from dataskydd.access.rules import Action
from dataskydd.auth.access import AccessContext
from dataskydd.datamap.entries import category_of, contact_category
from dataskydd.policy.schema import Policy
from dataskydd.register import service
from dataskydd.register.models import ContactPoint, Rectification


def history_category() -> str:
    """The category of the change history, as the installed data map names it."""
    return category_of("rectification", "old_value")


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
    caller: AccessContext,
    policy: Policy,
    subject_id: int,
    purpose: str | None = None,
) -> list[RectificationRow]:
    """Newest first. Without a purpose, the policy's rectification purpose.

    Needs contact besides change_history: a changed contact point is named by its kind
    (e-mail, phone), read from contact_point, and its old and new values are contact data."""
    purpose = purpose or policy.system_purpose("rectification")
    service.require_subject(session, subject_id)
    access_service.decide(
        session,
        policy,
        caller,
        action=Action.READ,
        purpose=purpose,
        subject_id=subject_id,
        categories=[history_category(), contact_category()],
        audit_action="subject.show",
        audit_detail={"view": "rectification_history"},
    )
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
    return [
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
