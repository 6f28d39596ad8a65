"""The log of exports to recipients: what went to whom, when, by whom, and per subject which
categories. Ids, keys, counts and the file's hash only, never a value: the log outlives the
data it describes, so subjects are referred to by id (like legal_hold)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dataskydd.clock import utc_now
from dataskydd.db.base import Base, IdMixin
from dataskydd.db.types import UtcDateTime, str_enum


class ExportFormat(StrEnum):
    CSV = "csv"
    JSON = "json"


class RecipientExport(IdMixin, Base):
    """One file handed to a recipient of the policy."""

    __tablename__ = "recipient_export"

    recipient: Mapped[str] = mapped_column(String(40), index=True)  # the policy's key
    purpose: Mapped[str] = mapped_column(String(40))
    # The policy's category keys the file holds, comma-separated in the policy's order.
    categories: Mapped[str] = mapped_column(String(1000))
    format: Mapped[ExportFormat] = mapped_column(str_enum(ExportFormat, length=10))
    subjects: Mapped[int] = mapped_column(Integer, default=0)
    rows: Mapped[int] = mapped_column(Integer, default=0)
    sha256: Mapped[str] = mapped_column(String(64), default="")
    size_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)

    @property
    def category_keys(self) -> list[str]:
        return [key for key in self.categories.split(",") if key]


class RecipientExportSubject(IdMixin, Base):
    """A subject in an export, with the categories of theirs that went (those they had data
    in): what the subject's registerutdrag lists as received by the recipient (art. 15.1 c)."""

    __tablename__ = "recipient_export_subject"
    __table_args__ = (UniqueConstraint("export_id", "subject_id"),)

    export_id: Mapped[int] = mapped_column(ForeignKey("recipient_export.id"))
    subject_id: Mapped[int] = mapped_column(Integer, index=True)
    categories: Mapped[str] = mapped_column(String(1000))
    rows: Mapped[int] = mapped_column(Integer, default=0)

    @property
    def category_keys(self) -> list[str]:
        return [key for key in self.categories.split(",") if key]
