"""What was decided about telling IMY (art. 33) and the subjects (art. 34), and when.

IMY: a notification sent (with IMY's reference; further phases may follow, art. 33.4), its
delay explained when it went after the 72 hours (art. 33.1), or a decision not to notify
because the breach is unlikely to result in a risk (art. 33.5 asks for the reason). Subjects:
notify, or not on one of art. 34.3's grounds, with the reason."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dataskydd.auth.access import AccessContext
from dataskydd.breaches import deadlines
from dataskydd.breaches.models import (
    Breach,
    BreachImyNotice,
    ImyDecision,
    SubjectDecision,
)
from dataskydd.breaches.records import MAX_TEXT, add_event, audit, clean_text, for_change
from dataskydd.clock import utc_now
from dataskydd.errors import Conflict, InvalidInput
from dataskydd.messages_i18n import Msg

MAX_REFERENCE = 120


class NoNoticeGround(StrEnum):
    """Art. 34.3: when the subjects need not be told."""

    NO_HIGH_RISK = "no_high_risk"  # art. 34.1 does not apply: no high risk
    PROTECTED = "protected"  # (a) the data unintelligible to others, e.g. encrypted
    MITIGATED = "mitigated"  # (b) later measures make the high risk unlikely
    DISPROPORTIONATE = "disproportionate"  # (c) a public communication instead


def record_imy_notification(
    session: Session,
    ctx: AccessContext,
    breach_id: int,
    *,
    sent_at: str,
    reference: str,
    delay_reason: str = "",
    now: datetime | None = None,
) -> BreachImyNotice:
    now = now or utc_now()
    breach = for_change(session, ctx, breach_id)
    sent = deadlines.parse_moment(sent_at, "sent_at")
    deadlines.check_sent(sent, breach.aware_at, now, "sent_at")
    ref = clean_text(reference, "reference", MAX_REFERENCE, multi_line=False)
    phase = (
        session.scalar(
            select(func.count())
            .select_from(BreachImyNotice)
            .where(BreachImyNotice.breach_id == breach.id)
        )
        or 0
    ) + 1
    late = phase == 1 and sent > deadlines.deadline(breach.aware_at)
    if late:
        if not delay_reason.strip():
            raise InvalidInput(
                "delay_reason", Msg("required: the notification went after 72 hours (art. 33.1)")
            )
        breach.imy_reason = clean_text(delay_reason, "delay_reason", MAX_TEXT)
    elif phase == 1:
        breach.imy_reason = None
    notice = BreachImyNotice(
        breach_id=breach.id,
        phase=phase,
        sent_at=sent,
        reference=ref,
        recorded_by=ctx.actor[:100],
        recorded_at=now,
    )
    session.add(notice)
    if phase == 1:
        breach.imy_decision = ImyDecision.NOTIFIED
        breach.imy_decided_by = ctx.actor[:100]
        breach.imy_decided_at = now
    session.flush()
    add_event(
        session,
        breach,
        by=ctx.actor,
        kind="imy_notified",
        detail={"phase": phase, "sent_at": sent.isoformat(), "reference": ref, "late": late},
    )
    audit(session, ctx, "breach.imy_notified", breach, phase=phase, late=late)
    return notice


def decide_not_to_notify(
    session: Session,
    ctx: AccessContext,
    breach_id: int,
    *,
    reason: str,
    now: datetime | None = None,
) -> Breach:
    breach = for_change(session, ctx, breach_id)
    if breach.imy_decision is ImyDecision.NOTIFIED:
        raise Conflict(Msg("breach {breach_id} was already notified to IMY", breach_id=breach_id))
    breach.imy_reason = clean_text(reason, "reason", MAX_TEXT)
    breach.imy_decision = ImyDecision.NOT_NOTIFIED
    breach.imy_decided_by = ctx.actor[:100]
    breach.imy_decided_at = now or utc_now()
    session.flush()
    add_event(session, breach, by=ctx.actor, kind="imy_not_notified", detail={})
    audit(session, ctx, "breach.imy_not_notified", breach)
    return breach


def decide_subjects(
    session: Session,
    ctx: AccessContext,
    breach_id: int,
    *,
    notify: bool,
    reason: str,
    ground: str | None = None,
    now: datetime | None = None,
) -> Breach:
    """Record whether the subjects are told (art. 34.1) or why not (art. 34.3)."""
    breach = for_change(session, ctx, breach_id)
    text = clean_text(reason, "reason", MAX_TEXT)
    if notify:
        breach.subject_decision = SubjectDecision.NOTIFY
        breach.subject_reason = text
    else:
        grounds = {g.value: g for g in NoNoticeGround}
        if ground not in grounds:
            raise InvalidInput("ground", Msg("choose one of: {values}", values=", ".join(grounds)))
        breach.subject_decision = SubjectDecision.NOT_NOTIFY
        breach.subject_reason = f"{ground}: {text}"
    breach.subject_decided_by = ctx.actor[:100]
    breach.subject_decided_at = now or utc_now()
    session.flush()
    decision = breach.subject_decision.value
    add_event(session, breach, by=ctx.actor, kind="subjects_decided", detail={"decision": decision})
    audit(session, ctx, "breach.subjects_decided", breach, decision=decision, ground=ground)
    return breach


def imy_notices(session: Session, breach_id: int) -> Sequence[BreachImyNotice]:
    return session.scalars(
        select(BreachImyNotice)
        .where(BreachImyNotice.breach_id == breach_id)
        .order_by(BreachImyNotice.phase)
    ).all()
