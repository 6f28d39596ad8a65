"""The register of recipients' agreements (GDPR art. 28.3, chapter V): each agreement recorded
for a recipient of the policy, its document, and the review reminders already sent.

Recipients are named by the policy's key, not by a foreign key: the policy is a file, and a
recipient removed from it keeps its history here. Nothing in these tables is a subject's data.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dataskydd.clock import utc_now
from dataskydd.db.base import Base, IdMixin
from dataskydd.db.types import UtcDateTime, str_enum
from dataskydd.policy.schema import TransferMechanism


class RecipientDocument(IdMixin, Base):
    """An uploaded agreement document, kept in the database (the app runs as several
    instances, none of which owns a disk the others can read)."""

    __tablename__ = "recipient_document"

    file_name: Mapped[str] = mapped_column(String(120))  # sanitised; never a path
    content_type: Mapped[str] = mapped_column(String(60))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    # Deferred: lists and pages read the metadata; only a download loads the bytes.
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    uploaded_by: Mapped[str] = mapped_column(String(100))
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)


class RecipientAgreement(IdMixin, Base):
    """One agreement as recorded; a newer row for the same recipient supersedes it, and the
    older rows are its history."""

    __tablename__ = "recipient_agreement"

    recipient_key: Mapped[str] = mapped_column(String(40), index=True)
    signed_on: Mapped[date] = mapped_column(Date)
    review_on: Mapped[date] = mapped_column(Date)
    # Keys of the policy's categories the agreement covers.
    categories: Mapped[list[str]] = mapped_column(JSON)
    country: Mapped[str] = mapped_column(String(2))
    transfer_mechanism: Mapped[TransferMechanism] = mapped_column(
        str_enum(TransferMechanism, length=20)
    )
    # Evidence of the transfer mechanism (transfers.py says which each mechanism needs).
    dpf_checked_on: Mapped[date | None] = mapped_column(Date)
    scc_module: Mapped[int | None] = mapped_column(Integer)
    scc_signed_on: Mapped[date | None] = mapped_column(Date)
    tia_reference: Mapped[str | None] = mapped_column(String(120))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("recipient_document.id"))
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)


class RecipientReminder(IdMixin, Base):
    """A review reminder sent to the DPO: one per recipient, review date and threshold, so the
    daily job mails each once, and a new review date starts afresh."""

    __tablename__ = "recipient_reminder"
    __table_args__ = (UniqueConstraint("recipient_key", "review_on", "threshold"),)

    recipient_key: Mapped[str] = mapped_column(String(40))
    review_on: Mapped[date] = mapped_column(Date)
    threshold: Mapped[str] = mapped_column(String(20))  # "soon" or "overdue"
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
