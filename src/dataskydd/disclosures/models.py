"""Tables of disclosures to authorities: the log itself, the subjects each one concerned, and
the evidence that a registerutdrag left a confidential one out. Subjects are referred to by id
only; what was handed over is named by policy category, never copied here."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from dataskydd.clock import utc_now
from dataskydd.db.base import Base, IdMixin
from dataskydd.db.types import UtcDateTime, str_enum


class AuthorityKind(StrEnum):
    COURT = "court"
    POLICE = "police"  # the police or a prosecutor
    TAX_AGENCY = "tax_agency"
    OTHER = "other"


class Disclosure(IdMixin, Base):
    """One disclosure to an authority: who asked, on which legal ground, under which of their
    references, what was handed over and when (SPEC 5). Never deleted; confidentiality may end."""

    __tablename__ = "disclosure"

    authority: Mapped[str] = mapped_column(String(200))
    authority_kind: Mapped[AuthorityKind] = mapped_column(str_enum(AuthorityKind, length=20))
    legal_ground: Mapped[str] = mapped_column(String(300))
    reference: Mapped[str] = mapped_column(String(120))
    # Policy category keys, comma-separated, in the policy's order.
    categories: Mapped[str] = mapped_column(String(1000))
    description: Mapped[str] = mapped_column(String(2000))
    requested_on: Mapped[date] = mapped_column(Date)
    handed_over_on: Mapped[date] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    # Confidential by law (e.g. förundersökningssekretess): left out of the subjects'
    # registerutdrag while it stands, i.e. until lifted or past `confidential_until`.
    confidential: Mapped[bool] = mapped_column(Boolean, default=False)
    confidential_ground: Mapped[str | None] = mapped_column(String(300))
    confidential_until: Mapped[date | None] = mapped_column(Date)
    confidentiality_lifted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    confidentiality_lifted_by: Mapped[str | None] = mapped_column(String(100))
    confidentiality_lift_reason: Mapped[str | None] = mapped_column(String(300))


class DisclosureSubject(Base):
    """A subject whose data a disclosure handed over."""

    __tablename__ = "disclosure_subject"

    disclosure_id: Mapped[int] = mapped_column(ForeignKey("disclosure.id"), primary_key=True)
    subject_id: Mapped[int] = mapped_column(Integer, primary_key=True, index=True)


class DisclosureWithheld(IdMixin, Base):
    """Evidence that a registerutdrag made for a subject left a confidential disclosure out,
    and on which ground (kept for the DPO and a supervisory authority, never shown to the
    subject)."""

    __tablename__ = "disclosure_withheld"

    disclosure_id: Mapped[int] = mapped_column(ForeignKey("disclosure.id"), index=True)
    subject_id: Mapped[int] = mapped_column(Integer, index=True)
    withheld_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    ground: Mapped[str] = mapped_column(String(300))
    until: Mapped[date | None] = mapped_column(Date)
