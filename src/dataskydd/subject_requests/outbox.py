"""The outbox as staff see it: what was (or, without SMTP, would have been) mailed to
subjects. Reading it is reading correspondence, so it is permission-checked and audited."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from dataskydd.access import guard
from dataskydd.access import service as access_service
from dataskydd.audit import service as audit_service
from dataskydd.auth.access import AccessContext, Permission
from dataskydd.datamap.entries import category_of
from dataskydd.mail import service as mail_service
from dataskydd.mail.models import OutboxMail
from dataskydd.policy.schema import Policy


def show_outbox(
    session: Session, ctx: AccessContext, *, policy: Policy, limit: int = 100
) -> Sequence[OutboxMail]:
    ctx.require(Permission.REQUESTS_HANDLE)
    correspondence = category_of("outbox_mail", "to_address")
    # The outbox is searched like the register: a purpose the caller may search under must
    # use correspondence, and a mail is shown only when one may show its subject's
    # correspondence now (restriction, objection and consent applied).
    scope = access_service.decide_search(
        session, policy, ctx, looks_up=correspondence, query_kind="outbox"
    )
    heads = mail_service.outbox_heads(session, limit=limit)
    visible = access_service.visible_in_search(
        session, policy, ctx, scope, sorted({s for _id, s in heads if s is not None})
    )
    shown = [
        mail_id
        for mail_id, subject_id in heads
        if subject_id is None or correspondence in visible.get(subject_id, ())
    ]
    mails = mail_service.list_outbox(session, limit=limit, ids=shown)
    audit_service.record(
        session,
        actor=ctx.actor,
        action="outbox.show",
        purpose=policy.system_purpose("subject_rights"),
        detail={
            "mails": len(mails),
            "subjects": sorted({m.subject_id for m in mails if m.subject_id}),
        },
    )
    return mails


def send_outbox(session: Session, ctx: AccessContext, *, smtp_url: str | None, sender: str) -> int:
    ctx.require(Permission.REQUESTS_HANDLE)
    # Delivery only: each mail was written under its own decision (or carries a one-time code
    # for identity verification) when it was queued; sending reads it for no new purpose and
    # shows it to no one, so it is the machinery's own read (access.guard).
    with guard.internal():
        sent = mail_service.send_pending(session, smtp_url=smtp_url, sender=sender)
    audit_service.record(session, actor=ctx.actor, action="outbox.send", detail={"sent": sent})
    return sent
