"""One row per choice made in the banner: the evidence that consent was given or refused.

The visitor id is random and made by the visitor's browser; it is not linked to any subject
in the register, which is why the table is outside the data map (datamap.entries.INTERNAL_TABLES).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from dataskydd.clock import utc_now
from dataskydd.db.base import Base, IdMixin
from dataskydd.db.types import UtcDateTime


class ConsentRecord(IdMixin, Base):
    __tablename__ = "consent_record"
    __table_args__ = (Index("ix_consent_record_visitor_recorded", "visitor_id", "recorded_at"),)

    visitor_id: Mapped[str] = mapped_column(String(32))
    # Banner purpose keys, comma-separated and sorted: "analytics,marketing".
    granted: Mapped[str] = mapped_column(String(100), default="")
    refused: Mapped[str] = mapped_column(String(100), default="")
    text_version: Mapped[str] = mapped_column(String(32))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    user_agent: Mapped[str] = mapped_column(String(120), default="")
    gpc: Mapped[bool] = mapped_column(Boolean, default=False)

    @property
    def granted_purposes(self) -> frozenset[str]:
        return frozenset(filter(None, self.granted.split(",")))
