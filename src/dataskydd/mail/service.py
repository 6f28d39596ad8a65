"""Queue mail in the outbox and deliver it over SMTP (smtplib), or keep it when no server is
configured, so the demo and the staff UI can show what would have been sent."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Sequence
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from dataskydd.clock import utc_now
from dataskydd.errors import ConfigurationError
from dataskydd.mail.models import OutboxMail
from dataskydd.messages_i18n import Msg


def queue_mail(
    session: Session, *, to: str, subject_line: str, body: str, subject_id: int | None = None
) -> OutboxMail:
    mail = OutboxMail(
        subject_id=subject_id,
        to_address=to,
        subject_line=subject_line,
        body=body,
        created_at=utc_now(),
    )
    session.add(mail)
    session.flush()
    return mail


def outbox_heads(session: Session, *, limit: int = 100) -> list[tuple[int, int | None]]:
    """(mail id, subject id) of the newest mails: which subjects a listing would show, read
    without their content so that it can be decided first."""
    statement = select(OutboxMail.id, OutboxMail.subject_id).order_by(OutboxMail.id.desc())
    return [(row.id, row.subject_id) for row in session.execute(statement.limit(limit))]


def list_outbox(
    session: Session, *, limit: int = 100, ids: Sequence[int] | None = None
) -> Sequence[OutboxMail]:
    statement = select(OutboxMail).order_by(OutboxMail.id.desc()).limit(limit)
    if ids is not None:
        statement = statement.where(OutboxMail.id.in_(ids))
    return session.scalars(statement).all()


def _connect(url: str) -> smtplib.SMTP:
    """smtp://host:port (plain), smtp+starttls://… or smtps://…; user:password@ for login."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtp+starttls", "smtps") or not parts.hostname:
        raise ConfigurationError(
            Msg(
                "DATASKYDD_SMTP_URL must look like smtp://host:25, "
                "smtp+starttls://host:587 or smtps://host:465"
            )
        )
    if parts.scheme == "smtps":
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            parts.hostname, parts.port or 465, context=ssl.create_default_context(), timeout=30
        )
    else:
        client = smtplib.SMTP(parts.hostname, parts.port or 25, timeout=30)
        if parts.scheme == "smtp+starttls":
            client.starttls(context=ssl.create_default_context())
    if parts.username:
        client.login(unquote(parts.username), unquote(parts.password or ""))
    return client


def send_pending(session: Session, *, smtp_url: str | None, sender: str, limit: int = 100) -> int:
    """Deliver unsent mail; returns how many went out. Without smtp_url nothing is sent."""
    if not smtp_url:
        return 0
    # Every web worker and `outbox --send` may deliver at once: on PostgreSQL each takes the
    # rows no one else holds (SQLite's write lock already lets one at a time), so no mail goes
    # out twice.
    pending = session.scalars(
        select(OutboxMail)
        .where(OutboxMail.sent_at.is_(None))
        .order_by(OutboxMail.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    if not pending:
        return 0
    sent = 0
    with _connect(smtp_url) as client:
        for mail in pending:
            message = EmailMessage()
            message["From"] = sender
            message["To"] = mail.to_address
            message["Subject"] = mail.subject_line
            message.set_content(mail.body)
            try:
                client.send_message(message)
            except smtplib.SMTPException as error:
                mail.error = f"{type(error).__name__}: SMTP refused the message"[:300]
                continue
            mail.sent_at = utc_now()
            mail.error = None
            sent += 1
    session.flush()
    return sent
