"""The demo's consents: every newsletter subscription and every participation in a survey or
panel is consent to the purpose the policy names for it (`system_purposes`), recorded as the
access decision reads it. Set-based and idempotent, so `demo` can run again."""

from __future__ import annotations

from sqlalchemy import (
    ColumnElement,
    Exists,
    SQLColumnExpression,
    and_,
    exists,
    func,
    insert,
    literal,
    select,
)
from sqlalchemy.orm import Session

from dataskydd.access import guard
from dataskydd.access.models import SubjectConsent
from dataskydd.policy.schema import Policy
from dataskydd.register.models import NewsletterSubscription, Participation


def record_demo_consents(session: Session, *, policy: Policy) -> int:
    newsletters = NewsletterSubscription
    via_list = literal("newsletter:") + newsletters.list_code
    from_newsletters = select(
        newsletters.subject_id,
        literal(policy.system_purpose("newsletters")),
        newsletters.subscribed_at,
        newsletters.unsubscribed_at,
        literal("demo"),
        newsletters.consent_text_version,
        via_list,
    ).where(~_recorded(newsletters.subject_id, via_list))
    via_activity = literal("activity:") + Participation.activity_id.cast(SubjectConsent.via.type)
    from_activities = select(
        Participation.subject_id,
        literal(policy.system_purpose("activities")),
        Participation.consented_at,
        Participation.withdrawn_at,
        literal("demo"),
        literal(None),
        via_activity,
    ).where(~_recorded(Participation.subject_id, via_activity))
    columns = [
        *("subject_id", "purpose", "given_at", "withdrawn_at"),
        *("channel", "text_version", "via"),
    ]
    before = session.scalar(select(func.count()).select_from(SubjectConsent)) or 0
    for source in (from_newsletters, from_activities):
        # The operator writing demo data: the demo's own subscriptions and participations
        # become the consents they stand for; nothing is read for a purpose (access.guard).
        with guard.internal():
            session.execute(insert(SubjectConsent).from_select(columns, source))
    session.flush()
    return (session.scalar(select(func.count()).select_from(SubjectConsent)) or 0) - before


def _recorded(subject_id: SQLColumnExpression[int], via: ColumnElement[str]) -> Exists:
    return exists().where(and_(SubjectConsent.subject_id == subject_id, SubjectConsent.via == via))
