"""Mail the DPO about a breach's 72-hour deadline: once when it is recorded, again when 24 and
when 6 hours are left, each once (remembered in `breach.reminded`), while IMY's question is
unanswered. The job runner calls `send_deadline_mails` every few minutes (jobs/tasks.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dataskydd.audit import service as audit_service
from dataskydd.breaches import deadlines
from dataskydd.breaches.models import Breach, BreachStatus, ImyDecision
from dataskydd.breaches.records import split
from dataskydd.errors import ConfigurationError
from dataskydd.mail import service as mail_service
from dataskydd.messages_i18n import Msg
from dataskydd.policy.schema import Policy


def deadline_mail(breach: Breach, now: datetime, link: str) -> tuple[str, str]:
    """Subject line and body, Swedish then English; the breach by number and title only."""
    clock = deadlines.countdown(breach.aware_at, now)
    due = clock.deadline_local.strftime("%Y-%m-%d %H:%M")
    if clock.passed:
        left_sv = f"Tidsfristen gick ut {due} (för {clock.hours_over} timmar sedan)."
        left_en = f"The deadline passed at {due} ({clock.hours_over} hours ago)."
    else:
        left_sv = f"Kvar: {clock.hours_left} h {clock.minutes_left} min, till {due}."
        left_en = f"Left: {clock.hours_left} h {clock.minutes_left} min, until {due}."
    subject_line = (
        f"Personuppgiftsincident {breach.id}: anmälan till IMY senast {due} / "
        f"Breach {breach.id}: notify IMY by {due}"
    )
    body = (
        f"Incident {breach.id}: {breach.title}\n{left_sv}\n\n"
        "Anmäl incidenten till IMY inom 72 timmar från att vi fick kännedom om den "
        "(artikel 33.1), eller registrera beslutet att inte anmäla och varför (artikel 33.5).\n"
        f"{link}\n\n— In English —\n\n"
        f"Breach {breach.id}: {breach.title}\n{left_en}\n\n"
        "Notify IMY within 72 hours of becoming aware of the breach (article 33.1), or record "
        "the decision not to notify and why (article 33.5).\n"
        f"{link}\n"
    )
    return subject_line, body


def send_deadline_mails(
    session: Session, policy: Policy, *, now: datetime, link_base: str, actor: str
) -> list[int]:
    """Queue the due deadline mails; returns the breaches mailed about."""
    pending = session.scalars(
        select(Breach)
        .where(Breach.status == BreachStatus.OPEN, Breach.imy_decision == ImyDecision.PENDING)
        .order_by(Breach.id)
        .with_for_update(skip_locked=True)
    ).all()
    mailed: list[int] = []
    for breach in pending:
        sent = frozenset(split(breach.reminded))
        due = deadlines.due_stages(breach.aware_at, now, sent)
        if not due:
            continue
        if policy.dpo is None or not policy.dpo.email:
            raise ConfigurationError(Msg("the policy names no DPO e-mail address to remind"))
        subject_line, body = deadline_mail(breach, now, f"{link_base}/breaches/{breach.id}")
        mail_service.queue_mail(session, to=policy.dpo.email, subject_line=subject_line, body=body)
        # All due stages at once: a breach recorded with 5 hours left gets one mail, not three.
        breach.reminded = ",".join([*split(breach.reminded), *due])
        mailed.append(breach.id)
        audit_service.record(
            session,
            actor=actor,
            action="breach.deadline_mail",
            detail={"breach": breach.id, "stages": due},
        )
    session.flush()
    return mailed
