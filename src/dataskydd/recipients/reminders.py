"""Review reminders: the DPO is mailed when a recipient's agreement review comes within the
notice period, and again when it has passed, once each per review date (the job runs daily;
what was sent is remembered in `recipient_reminder`, so a retry or a second worker sends
nothing twice). A new agreement with a new review date starts afresh.

The mail names the recipient (a company) and the date, in Swedish and English; no one's
personal data.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dataskydd.audit import service as audit_service
from dataskydd.clock import utc_now
from dataskydd.mail import service as mail_service
from dataskydd.policy.schema import Policy
from dataskydd.recipients import overview
from dataskydd.recipients.findings import Thresholds
from dataskydd.recipients.models import RecipientReminder

logger = logging.getLogger(__name__)

SOON = "soon"
OVERDUE = "overdue"


@dataclass(frozen=True)
class Reminder:
    recipient: str
    threshold: str
    review_on: str


def _already_sent(session: Session, key: str, review_on: object, threshold: str) -> bool:
    return (
        session.scalar(
            select(RecipientReminder.id).where(
                RecipientReminder.recipient_key == key,
                RecipientReminder.review_on == review_on,
                RecipientReminder.threshold == threshold,
            )
        )
        is not None
    )


def _claim(session: Session, reminder: RecipientReminder) -> bool:
    """Insert the reminder's row in a savepoint; another worker that got there first wins."""
    try:
        with session.begin_nested():
            session.add(reminder)
            session.flush()
    except IntegrityError:
        return False
    return True


def _body(name: str, day: str, threshold: str, link: str) -> tuple[str, str]:
    if threshold == OVERDUE:
        subject = f"dataskydd: avtalet med {name} skulle ha granskats / review overdue"
        lead = (
            f"Granskningen av avtalet med {name} skulle ha gjorts senast {day}.\n"
            f"The review of the agreement with {name} was due on {day}.\n"
        )
    else:
        subject = f"dataskydd: avtalet med {name} ska granskas / review due"
        lead = (
            f"Avtalet med {name} ska granskas senast {day}.\n"
            f"The agreement with {name} is due for review on {day}.\n"
        )
    body = (
        f"{lead}\n"
        "Registrera det granskade eller nya avtalet med dess dokument:\n"
        "Record the reviewed or new agreement with its document:\n\n"
        f"{link}\n"
    )
    return subject, body


def send_review_reminders(
    session: Session,
    *,
    policy: Policy,
    limits: Thresholds,
    link_base: str,
    actor: str,
) -> list[Reminder]:
    """Queue the reminders due today for the policy's recipients; returns what was queued."""
    if policy.dpo is None or not policy.dpo.email:
        logger.warning("agreement reviews are due, but the policy names no DPO e-mail")
        return []
    sent = []
    for state in overview.recipient_states(session, policy, limits):
        review_on = state.review_on
        if state.recipient is None or review_on is None:
            continue
        days_left = (review_on - limits.today).days
        if days_left < 0:
            threshold = OVERDUE
        elif days_left <= limits.notice_days:
            threshold = SOON
        else:
            continue
        if _already_sent(session, state.key, review_on, threshold):
            continue
        row = RecipientReminder(
            recipient_key=state.key, review_on=review_on, threshold=threshold, sent_at=utc_now()
        )
        if not _claim(session, row):
            continue
        subject, body = _body(
            state.recipient.name,
            review_on.isoformat(),
            threshold,
            f"{link_base}/recipients/{state.key}",
        )
        mail_service.queue_mail(session, to=policy.dpo.email, subject_line=subject, body=body)
        audit_service.record(
            session,
            actor=actor,
            action="recipient.review.remind",
            detail={"recipient": state.key, "threshold": threshold, "reminder": row.id},
        )
        sent.append(Reminder(state.key, threshold, review_on.isoformat()))
    return sent
