"""Mail the DPO about a breach's 72-hour deadline: once when it is recorded, again when 24 and
when 6 hours are left, each once (remembered in `breach.reminded`), while IMY's question is
unanswered. The job runner calls `send_deadline_mails` every few minutes (jobs/tasks.py).

The mail is in the staff's language (`catalogues.STAFF_LANGUAGE`), through the catalogues
(`breaches.po`), and names the breach by number and title only."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dataskydd.audit import service as audit_service
from dataskydd.breaches import deadlines
from dataskydd.breaches.models import Breach, BreachStatus, ImyDecision
from dataskydd.breaches.records import split
from dataskydd.catalogues import STAFF_LANGUAGE, translations
from dataskydd.errors import ConfigurationError
from dataskydd.formatting import format_count, format_moment
from dataskydd.mail import service as mail_service
from dataskydd.messages_i18n import Msg
from dataskydd.policy.schema import Lang, Policy


def deadline_mail(breach: Breach, now: datetime, link: str, lang: Lang) -> tuple[str, str]:
    """Subject line and body in `lang`; the deadline in Swedish time."""
    catalogue = translations(lang)
    _, ngettext = catalogue.gettext, catalogue.ngettext
    clock = deadlines.countdown(breach.aware_at, now)
    values: dict[str, object] = {
        "number": breach.id,
        "title": breach.title,
        "due": format_moment(clock.deadline_utc),
        "hours": format_count(clock.hours_over if clock.passed else clock.hours_left, lang),
        "minutes": clock.minutes_left,
        "link": link,
    }
    if clock.passed:
        left = ngettext(
            "The deadline passed at %(due)s (Swedish time), %(hours)s hour ago.",
            "The deadline passed at %(due)s (Swedish time), %(hours)s hours ago.",
            clock.hours_over,
        )
    else:
        left = _("Time left: %(hours)s h %(minutes)s min, until %(due)s (Swedish time).")
    values["time"] = left % values
    subject_line = _("Personal data breach %(number)s: notify IMY by %(due)s") % values
    body = _(
        "Personal data breach %(number)s: %(title)s\n%(time)s\n\n"
        "Notify the Swedish Authority for Privacy Protection (IMY) within 72 hours of becoming "
        "aware of the breach (GDPR article 33.1), or record the decision not to notify and why "
        "(article 33.5):\n%(link)s\n\n"
        "The data protection officer is reminded when a breach is recorded and when 24 and 6 "
        "hours of the deadline are left, until IMY has been notified or the decision not to "
        "notify has been recorded.\n"
    )
    return subject_line, body % values


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
        subject_line, body = deadline_mail(
            breach, now, f"{link_base}/breaches/{breach.id}", STAFF_LANGUAGE
        )
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
