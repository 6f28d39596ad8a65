"""The log of bulk imports: which file (by its SHA-256), which mapping (by its hash), by whom,
when, and what came of its rows. Hashes and counts only: no value of any row is kept here."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from dataskydd.clock import utc_now
from dataskydd.db.base import Base, IdMixin
from dataskydd.db.types import UtcDateTime, str_enum


class ImportStatus(StrEnum):
    FINISHED = "finished"
    # Invalid rows and no --skip-invalid: nothing was written; the log keeps the attempt.
    REJECTED = "rejected"


class SubjectImport(IdMixin, Base):
    __tablename__ = "subject_import"

    file_sha256: Mapped[str] = mapped_column(String(64), index=True)
    mapping_sha256: Mapped[str] = mapped_column(String(64))
    file_format: Mapped[str] = mapped_column(String(10))
    status: Mapped[ImportStatus] = mapped_column(str_enum(ImportStatus, length=20))
    rows_total: Mapped[int] = mapped_column(Integer, default=0)
    imported: Mapped[int] = mapped_column(Integer, default=0)
    merged: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    conflicts: Mapped[int] = mapped_column(Integer, default=0)
    imported_by: Mapped[str] = mapped_column(String(100))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    finished_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
