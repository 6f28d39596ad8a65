"""The audit_entry table: append-only, MAC-chained (see chain.py and ddl.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dataskydd.audit import chain
from dataskydd.db.base import Base
from dataskydd.db.types import UtcDateTime

# SQLite only treats INTEGER (not BIGINT) primary keys as the rowid.
_ID_TYPE = BigInteger().with_variant(Integer(), "sqlite")


class AuditEntry(Base):
    __tablename__ = "audit_entry"
    __table_args__ = (
        Index("ix_audit_entry_subject_id_at", "subject_id", "at"),
        # `dataskydd promises` counts decisions per purpose over time.
        Index("ix_audit_entry_purpose_at", "purpose", "at"),
    )

    # Not IdMixin: the id is part of the MAC'd content, so service.record assigns it as
    # last id + 1 under the chain lock instead of letting a sequence hand out ids with gaps.
    id: Mapped[int] = mapped_column(_ID_TYPE, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(100))
    # No foreign key: the record of what was done must outlive the erased subject.
    subject_id: Mapped[int | None] = mapped_column(BigInteger)
    purpose: Mapped[str | None] = mapped_column(String(100))
    # Canonical JSON text (chain.canonical_detail), so the stored bytes are the MAC'd bytes.
    detail_json: Mapped[str] = mapped_column("detail", Text, default="{}")
    # Named when entries were plain SHA-256 (format 1); since migration 0008 both hold
    # HMAC-SHA256 hex (chain.FORMAT_VERSION 2): the previous entry's MAC and this entry's.
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    @property
    def detail(self) -> dict[str, Any]:
        return chain.json_detail(self.detail_json)

    def __repr__(self) -> str:
        return f"<AuditEntry #{self.id} {self.action} by {self.actor}>"
