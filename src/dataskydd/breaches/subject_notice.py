"""Telling the affected subjects (art. 34): a plain mail in Swedish and English through the
outbox, to each subject the selection finds (affected.py), once per breach and subject.

Art. 34.2 asks for the nature of the breach in clear and plain language and at least the
contact point, the likely consequences and the measures (art. 33.3 b-d); the mail holds
those, from the record, and nothing about the subject beyond being addressed to them. The
address is read under the policy's subject-rights purpose, one audited decision per subject;
a subject whose address may not be read (restricted) or who has none is counted, not mailed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dataskydd.auth.access import AccessContext, Permission
from dataskydd.breaches import affected
from dataskydd.breaches.models import Breach, BreachSubjectNotice, SubjectDecision
from dataskydd.breaches.notification_imy import nature_text
from dataskydd.breaches.records import add_event, audit, for_change, split
from dataskydd.catalogues import translations
from dataskydd.clock import utc_now
from dataskydd.errors import AccessRefused, Conflict
from dataskydd.mail import service as mail_service
from dataskydd.messages_i18n import Msg
from dataskydd.policy.schema import Lang, Policy
from dataskydd.subject_requests.messages import Mail
from dataskydd.subject_requests.requests import email_on_file

DEFAULT_BATCH = 200
# One run tells at most this many; run it again for the rest (each is told once).
MAX_PER_RUN = 50_000


@dataclass
class NoticeResult:
    selected: int = 0
    queued: int = 0
    already: int = 0
    no_address: int = 0
    refused: int = 0
    subject_ids: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        return {
            "selected": self.selected,
            "queued": self.queued,
            "already_notified": self.already,
            "no_address": self.no_address,
            "refused": self.refused,
        }


def notice_mail(breach: Breach, controller: str, contact: str, lang: Lang) -> Mail:
    """The mail in one language, through the catalogue (`breaches.po`)."""
    _ = translations(lang).gettext
    values = {
        "controller": controller,
        "contact": contact,
        "kinds": ", ".join(nature_text(n, lang).lower() for n in split(breach.nature)),
        "description": breach.description,
        "consequences": breach.consequences,
        "measures_taken": breach.measures_taken,
        "measures_planned": breach.measures_planned,
    }
    return Mail(
        _("Important information about your personal data (%(controller)s)") % values,
        _(
            "Hello,\n\nWe at %(controller)s have had a personal data breach that may affect "
            "your data. We are telling you about it, as the General Data Protection "
            "Regulation requires (article 34).\n\nWhat happened (%(kinds)s):\n"
            "%(description)s\n\nWhat it may mean for you:\n%(consequences)s\n\n"
            "What we have done:\n%(measures_taken)s\n\nWhat we will do:\n"
            "%(measures_planned)s\n\nIf you have questions, contact our data protection "
            "officer: %(contact)s. You also have the right to complain to the Swedish "
            "Authority for Privacy Protection (IMY).\n\n%(controller)s"
        )
        % values,
    )


def compose(policy: Policy, breach: Breach) -> Mail:
    """The mail, Swedish first then English: the register keeps no language per subject, so
    each gets both, each language whole from the catalogue."""
    controller = policy.controller.name
    dpo = policy.dpo
    contact = ", ".join(
        v
        for v in (
            dpo.name if dpo else controller,
            (dpo.email if dpo else None) or policy.controller.email,
            (dpo.phone if dpo else None) or policy.controller.phone,
        )
        if v
    )
    sv, en = (notice_mail(breach, controller, contact, lang) for lang in ("sv", "en"))
    return Mail(
        f"{sv.subject_line} / {en.subject_line}",
        f"{sv.body}\n\n— In English —\n\n{en.body}",
    )


def _address(
    session: Session, policy: Policy, ctx: AccessContext, breach: Breach, subject_id: int
) -> str | None:
    return email_on_file(
        session,
        policy,
        subject_id,
        caller=ctx,
        audit_detail={"view": "breach_notice", "breach": breach.id},
    )


def preview(
    session: Session, policy: Policy, ctx: AccessContext, breach_id: int, chosen: affected.Selection
) -> dict[str, int]:
    """How many the selection finds and how many of them were told already."""
    ctx.require(Permission.BREACHES_MANAGE)
    told = set(
        session.scalars(
            select(BreachSubjectNotice.subject_id).where(BreachSubjectNotice.breach_id == breach_id)
        )
    )
    total = affected.count(session, chosen)
    already = 0
    if told:
        for batch in affected.batches(session, chosen, size=affected.MAX_BATCH):
            already += len(told.intersection(batch))
    return {"selected": total, "already_notified": already, "to_notify": total - already}


def notify_subjects(
    session: Session,
    policy: Policy,
    ctx: AccessContext,
    breach_id: int,
    chosen: affected.Selection,
    *,
    batch_size: int = DEFAULT_BATCH,
    now: datetime | None = None,
) -> NoticeResult:
    """Queue the mail to every selected subject not told of this breach yet. Needs the
    decision to notify recorded first (decisions.decide_subjects)."""
    breach = for_change(session, ctx, breach_id)
    if breach.subject_decision is not SubjectDecision.NOTIFY:
        raise Conflict(
            Msg(
                "record the decision to notify the subjects of breach {breach_id} first (art. 34)",
                breach_id=breach_id,
            )
        )
    now = now or utc_now()
    mail = compose(policy, breach)
    result = NoticeResult()
    for batch in affected.batches(session, chosen, size=batch_size):
        result.selected += len(batch)
        told = set(
            session.scalars(
                select(BreachSubjectNotice.subject_id).where(
                    BreachSubjectNotice.breach_id == breach.id,
                    BreachSubjectNotice.subject_id.in_(batch),
                )
            )
        )
        for subject_id in batch:
            if subject_id in told:
                result.already += 1
                continue
            if result.queued + result.no_address >= MAX_PER_RUN:
                break
            try:
                address = _address(session, policy, ctx, breach, subject_id)
            except AccessRefused:
                result.refused += 1
                continue
            mail_id = None
            if address is None:
                result.no_address += 1
            else:
                queued = mail_service.queue_mail(
                    session,
                    to=address,
                    subject_line=mail.subject_line,
                    body=mail.body,
                    subject_id=subject_id,
                )
                mail_id = queued.id
                result.queued += 1
                result.subject_ids.append(subject_id)
            session.add(
                BreachSubjectNotice(
                    breach_id=breach.id,
                    subject_id=subject_id,
                    mail_id=mail_id,
                    queued_at=now,
                    by=ctx.actor[:100],
                )
            )
        session.flush()
    add_event(
        session,
        breach,
        by=ctx.actor,
        kind="subjects_notified",
        detail={"selection": chosen.as_dict(), **result.as_dict()},
    )
    audit(session, ctx, "breach.subjects_notified", breach, **result.as_dict())
    return result


def notified_count(session: Session, breach_id: int) -> int:
    statement = select(func.count()).where(
        BreachSubjectNotice.breach_id == breach_id, BreachSubjectNotice.mail_id.is_not(None)
    )
    return session.scalar(statement) or 0
