"""The subject's standing choices that the access decision reads: consents given for a purpose
(art. 6(1)(a), 7) and objections to a purpose (art. 21). Both refer to the subject by id only
and outlive erasure: they are the evidence that a purpose was, or was not, allowed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from dataskydd.clock import utc_now
from dataskydd.db.base import Base, IdMixin
from dataskydd.db.types import UtcDateTime


class SubjectConsent(IdMixin, Base):
    """Consent to one policy purpose. While it stands (withdrawn_at is null) purposes on the
    legal basis consent may use the subject's data; withdrawing is as easy as giving (art. 7.3)."""

    __tablename__ = "subject_consent"
    __table_args__ = (Index("ix_subject_consent_subject_id_purpose", "subject_id", "purpose"),)

    subject_id: Mapped[int] = mapped_column(Integer)
    purpose: Mapped[str] = mapped_column(String(60))
    given_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Where and under which text the consent was given: "mina_sidor", "staff", "api", "import".
    channel: Mapped[str] = mapped_column(String(30))
    text_version: Mapped[str | None] = mapped_column(String(40))
    # What the consent was given through, e.g. "newsletter:nyheter" or "activity:12".
    via: Mapped[str | None] = mapped_column(String(60))


class Objection(IdMixin, Base):
    """An objection to processing for one purpose (GDPR art. 21). While it stands (withdrawn_at
    is null) the purpose is not used for the subject, unless the controller has recorded
    compelling legitimate grounds (art. 21.1) — never for direct marketing (art. 21.3)."""

    __tablename__ = "objection"
    __table_args__ = (Index("ix_objection_subject_id_purpose", "subject_id", "purpose"),)

    subject_id: Mapped[int] = mapped_column(Integer)
    purpose: Mapped[str] = mapped_column(String(60))
    objected_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    request_id: Mapped[int | None] = mapped_column(Integer)
    # Art. 21.1: the DPO's recorded compelling grounds, which let processing continue.
    overridden_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    overridden_by: Mapped[str | None] = mapped_column(String(100))
    override_reason: Mapped[str | None] = mapped_column(String(500))
