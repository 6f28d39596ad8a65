"""Tables of the breach register (GDPR art. 33-34).

A breach's texts describe an incident, not a person: the forms ask for kinds and numbers, and
the subjects notified are kept by id only (`breach_subject_notice`). Every change leaves a
`breach_event` with the fields it changed and their earlier values, so the record's history
can be shown to IMY (art. 33.5: "document any personal data breaches")."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dataskydd.clock import utc_now
from dataskydd.db.base import Base, IdMixin
from dataskydd.db.types import UtcDateTime, str_enum


class Nature(StrEnum):
    """What the breach did to the data (the three kinds of the EDPB guidelines 9/2022)."""

    CONFIDENTIALITY = "confidentiality"
    INTEGRITY = "integrity"
    AVAILABILITY = "availability"


class BreachStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class ImyDecision(StrEnum):
    PENDING = "pending"
    NOTIFIED = "notified"  # at least one notification sent (art. 33.4 allows phases)
    NOT_NOTIFIED = "not_notified"  # unlikely to result in a risk (art. 33.5 records why)


class SubjectDecision(StrEnum):
    PENDING = "pending"
    NOTIFY = "notify"
    # Art. 34.3: (a) protected by e.g. encryption, (b) later measures remove the high risk,
    # (c) disproportionate effort (then a public communication instead), or no high risk.
    NOT_NOTIFY = "not_notify"


class Breach(IdMixin, Base):
    __tablename__ = "breach"

    title: Mapped[str] = mapped_column(String(200))
    # When it happened; unknown (None) or approximate is allowed, awareness is not.
    occurred_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    occurred_approximate: Mapped[bool] = mapped_column(Boolean, default=False)
    # Art. 33.1: the 72 hours run from here.
    aware_at: Mapped[datetime] = mapped_column(UtcDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    recorded_by: Mapped[str] = mapped_column(String(100))
    nature: Mapped[str] = mapped_column(String(60))  # Nature values, comma-separated
    description: Mapped[str] = mapped_column(Text)
    categories: Mapped[str] = mapped_column(String(800))  # policy category keys, comma-separated
    subject_kinds: Mapped[str] = mapped_column(String(400))  # policy subject kinds, ditto
    subjects_approx: Mapped[int] = mapped_column(Integer)
    records_approx: Mapped[int] = mapped_column(Integer)
    consequences: Mapped[str] = mapped_column(Text)
    measures_taken: Mapped[str] = mapped_column(Text)
    measures_planned: Mapped[str] = mapped_column(Text)
    status: Mapped[BreachStatus] = mapped_column(str_enum(BreachStatus, length=20))
    imy_decision: Mapped[ImyDecision] = mapped_column(str_enum(ImyDecision, length=20))
    # Art. 33.5 (decision not to notify) or art. 33.1 (reasons for a late notification).
    imy_reason: Mapped[str | None] = mapped_column(Text)
    imy_decided_by: Mapped[str | None] = mapped_column(String(100))
    imy_decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    subject_decision: Mapped[SubjectDecision] = mapped_column(str_enum(SubjectDecision, length=20))
    subject_reason: Mapped[str | None] = mapped_column(Text)
    subject_decided_by: Mapped[str | None] = mapped_column(String(100))
    subject_decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The deadline mails sent (jobs): at recording, and when 24 h and 6 h remain; once each.
    reminded: Mapped[str] = mapped_column(String(60), default="")


class BreachEvent(IdMixin, Base):
    """One step in a breach's history: recorded, updated (fields and earlier values), a
    notification or decision, closed."""

    __tablename__ = "breach_event"

    breach_id: Mapped[int] = mapped_column(ForeignKey("breach.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    by: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(40))
    # JSON: {field: earlier value} for an update; what was decided for the others.
    detail: Mapped[str] = mapped_column(Text, default="{}")


class BreachImyNotice(IdMixin, Base):
    """A notification sent to IMY: the first, then any further phases (art. 33.4)."""

    __tablename__ = "breach_imy_notice"
    __table_args__ = (UniqueConstraint("breach_id", "phase"),)

    breach_id: Mapped[int] = mapped_column(ForeignKey("breach.id"), index=True)
    phase: Mapped[int] = mapped_column(Integer)
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime)
    reference: Mapped[str] = mapped_column(String(120))
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)


class BreachSubjectNotice(IdMixin, Base):
    """A subject told of the breach (art. 34): once per breach and subject."""

    __tablename__ = "breach_subject_notice"
    __table_args__ = (UniqueConstraint("breach_id", "subject_id"),)

    breach_id: Mapped[int] = mapped_column(ForeignKey("breach.id"), index=True)
    subject_id: Mapped[int] = mapped_column(Integer, index=True)
    # None: the subject has no e-mail address on file; kept so the count says who was missed.
    mail_id: Mapped[int | None] = mapped_column(Integer)
    queued_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    by: Mapped[str] = mapped_column(String(100))
