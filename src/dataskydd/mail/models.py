"""The outbox. Rows to a subject are personal data (address, and codes in the text), mapped in
the data map as correspondence and erased with the subject."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dataskydd.clock import utc_now
from dataskydd.db.base import Base, IdMixin
from dataskydd.db.types import UtcDateTime


class OutboxMail(IdMixin, Base):
    __tablename__ = "outbox_mail"

    subject_id: Mapped[int | None] = mapped_column(
        ForeignKey("subject.id", ondelete="CASCADE"), index=True
    )
    to_address: Mapped[str] = mapped_column(String(320))
    subject_line: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Why the last attempt failed, in the SMTP server's words (no message content).
    error: Mapped[str | None] = mapped_column(String(300))
