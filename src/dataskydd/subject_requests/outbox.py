"""The outbox as staff see it: what was (or, without SMTP, would have been) mailed to
subjects. Reading it is reading correspondence, so it is permission-checked and audited."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from dataskydd.audit import service as audit_service
from dataskydd.auth.access import AccessContext, Permission
from dataskydd.mail import service as mail_service
from dataskydd.mail.models import OutboxMail
from dataskydd.policy.schema import Policy


def show_outbox(
    session: Session, ctx: AccessContext, *, policy: Policy, limit: int = 100
) -> Sequence[OutboxMail]:
    ctx.require(Permission.REQUESTS_HANDLE)
    mails = mail_service.list_outbox(session, limit=limit)
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
    sent = mail_service.send_pending(session, smtp_url=smtp_url, sender=sender)
    audit_service.record(session, actor=ctx.actor, action="outbox.send", detail={"sent": sent})
    return sent
