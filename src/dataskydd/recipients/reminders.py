"""Review reminders: the DPO is mailed when a recipient's agreement review comes within the
notice period, and again when it has passed, once each per review date (the job runs daily;
what was sent is remembered in `recipient_reminder`, so a retry or a second worker sends
nothing twice). A new agreement with a new review date starts afresh.

The mail names the recipient (a company) and the date, in the staff's language
(`catalogues.STAFF_LANGUAGE`, through `recipients.po`); no one's personal data.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dataskydd.audit import service as audit_service
from dataskydd.catalogues import STAFF_LANGUAGE, translations
from dataskydd.clock import utc_now
from dataskydd.formatting import format_moment
from dataskydd.mail import service as mail_service
from dataskydd.policy.schema import Lang, Policy
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


def review_mail(name: str, day: date, threshold: str, link: str, lang: Lang) -> tuple[str, str]:
    """Subject line and body of the reminder about the agreement with `name`, in `lang`."""
    _ = translations(lang).gettext
    values = {"recipient": name, "day": format_moment(day)}
    if threshold == OVERDUE:
        subject = _("dataskydd: the review of the agreement with %(recipient)s is overdue")
        lead = _("The review of the agreement with %(recipient)s was due on %(day)s.")
    else:
        subject = _("dataskydd: the agreement with %(recipient)s is due for review")
        lead = _("The agreement with %(recipient)s is due for review on %(day)s.")
    record = _("Record the reviewed or new agreement with its document:")
    return subject % values, f"{lead % values}\n\n{record}\n\n{link}\n"


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
        subject, body = review_mail(
            state.recipient.name,
            review_on,
            threshold,
            f"{link_base}/recipients/{state.key}",
            STAFF_LANGUAGE,
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
