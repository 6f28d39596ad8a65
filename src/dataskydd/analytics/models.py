"""Website events from consenting visitors, and anonymous page totals.

PageEvent rows exist only for visitors whose latest banner choice granted analytics (or, for
pixel rows, marketing). They carry the browser-made visitor id, never a name or a whole IP
address, and are not linked to register subjects (datamap.entries.INTERNAL_TABLES). Kept for the
retention of the policy's `web_analytics` category (13 months in the bundled policy).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dataskydd.clock import utc_now
from dataskydd.db.base import Base, IdMixin
from dataskydd.db.types import UtcDateTime


class EventKind(StrEnum):
    VIEW = "view"
    LEAVE = "leave"  # the page was hidden or closed; carries the seconds spent on it
    PIXEL = "pixel"  # the tracking pixel (marketing consent)


class PageEvent(IdMixin, Base):
    __tablename__ = "page_event"
    __table_args__ = (Index("ix_page_event_occurred_visitor", "occurred_at", "visitor_id"),)

    visitor_id: Mapped[str] = mapped_column(String(32))
    visit_id: Mapped[str | None] = mapped_column(String(32))
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    kind: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(300))
    # The previous page of the same site, for navigation paths; None for an entry page.
    referrer_path: Mapped[str | None] = mapped_column(String(300))
    seconds_on_page: Mapped[int | None] = mapped_column(Integer)
    utm_source: Mapped[str | None] = mapped_column(String(100))
    utm_medium: Mapped[str | None] = mapped_column(String(100))
    utm_campaign: Mapped[str | None] = mapped_column(String(100))
    utm_term: Mapped[str | None] = mapped_column(String(100))
    utm_content: Mapped[str | None] = mapped_column(String(100))
    # The other site the visitor came from, its host name only ("google.se"); None for an entry
    # without a referrer and for a page reached from the same site (see referrer_path).
    referrer_site: Mapped[str | None] = mapped_column(String(100))
    # IPv4 /24 or IPv6 /48 network, e.g. "192.0.2.0/24": the whole address is never stored.
    ip_network: Mapped[str | None] = mapped_column(String(50))
    # Classes of the User-Agent header (analytics.user_agents), never the header itself.
    device: Mapped[str] = mapped_column(String(10))
    browser: Mapped[str | None] = mapped_column(String(20))  # None: stored before 0018


class PageTotal(IdMixin, Base):
    """Views per day and path with no identifier at all: counted with or without consent."""

    __tablename__ = "page_total"
    __table_args__ = (UniqueConstraint("day", "path"),)

    day: Mapped[date] = mapped_column(Date)
    path: Mapped[str] = mapped_column(String(300))
    count: Mapped[int] = mapped_column(Integer, default=0)
