"""Requests from subjects (GDPR art. 12–22) and the one-time codes that verify who asks.

A request refers to its subject by id only, without a foreign key: the request and its outcome
are evidence that must outlive an erasure of the subject's data.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

# The owner's table (staff_user) must be in the metadata wherever a request is written, also
# in a process that never imports the staff accounts otherwise (the erase command).
import dataskydd.auth.models  # noqa: F401
from dataskydd.clock import utc_now
from dataskydd.db.base import Base, IdMixin
from dataskydd.db.types import UtcDateTime, str_enum


class RequestKind(StrEnum):
    ACCESS = "access"  # art. 15, registerutdrag
    RECTIFICATION = "rectification"  # art. 16
    ERASURE = "erasure"  # art. 17
    RESTRICTION = "restriction"  # art. 18
    PORTABILITY = "portability"  # art. 20
    OBJECTION = "objection"  # art. 21


class RequestStatus(StrEnum):
    AWAITING_VERIFICATION = "awaiting_verification"
    OPEN = "open"
    EXTENDED = "extended"
    COMPLETED = "completed"
    REFUSED = "refused"


class RequestChannel(StrEnum):
    WEB = "web"
    LETTER = "letter"
    PHONE = "phone"
    EMAIL = "email"
    IN_PERSON = "in_person"


class SubjectRequest(IdMixin, Base):
    __tablename__ = "subject_request"
    __table_args__ = (Index("ix_subject_request_status_due_on", "status", "due_on"),)

    kind: Mapped[RequestKind] = mapped_column(str_enum(RequestKind, length=30))
    status: Mapped[RequestStatus] = mapped_column(str_enum(RequestStatus, length=30))
    channel: Mapped[RequestChannel] = mapped_column(str_enum(RequestChannel, length=30))
    subject_id: Mapped[int | None] = mapped_column(Integer, index=True)
    # How identity was established: "code to e-mail on file", "ID card checked at the counter".
    identity_check: Mapped[str | None] = mapped_column(String(300))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    due_on: Mapped[date | None] = mapped_column(Date)
    extension_reason: Mapped[str | None] = mapped_column(String(500))
    reminder_sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    handled_by: Mapped[str | None] = mapped_column(String(100))
    # What was done, in counts and category names: never the data itself.
    outcome: Mapped[str | None] = mapped_column(Text)
    # The language the subject asked in ("sv" or "en"): the outcome, the reasons it stores and
    # the mails about the request are written in it (stored as told: they are evidence).
    lang: Mapped[str] = mapped_column(String(2), default="sv", server_default="sv")
    # The staff account handling the request (assignment.py); None until someone takes it.
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL"), index=True
    )


class CodePurpose(StrEnum):
    REQUEST = "request"  # confirm a request made on the public page
    SIGN_IN = "sign_in"  # Mina sidor
    DOWNLOAD = "download"  # fetch a finished registerutdrag
    # A signed-in Mina sidor session: code_hash holds the HMAC of the session token,
    # expires_at slides with activity (the inactivity timeout), used_at is when it ended.
    SESSION = "session"


class VerificationCode(IdMixin, Base):
    """A one-time code sent to a contact point on file. Only a keyed hash of the code is kept."""

    __tablename__ = "verification_code"
    # Tickets carry the row id: a purged code's id must never be handed out again (SQLite).
    __table_args__ = ({"sqlite_autoincrement": True},)

    purpose: Mapped[CodePurpose] = mapped_column(str_enum(CodePurpose, length=30))
    subject_id: Mapped[int] = mapped_column(Integer, index=True)
    request_id: Mapped[int | None] = mapped_column(Integer)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class ReceiptAction(StrEnum):
    EXTRACT = "extract"  # a registerutdrag read the system
    ERASURE = "erasure"


class ReceiptStatus(StrEnum):
    DONE = "done"
    UNREACHABLE = "unreachable"  # nothing changed there; the request waits and is retried


class SystemReceiptRecord(IdMixin, Base):
    """One system's part of a subject's request, kept as evidence (art. 5(2)): what was found,
    erased, blanked or kept there and why, or that the system could not be reached. Counts,
    table names and category keys only, never the data."""

    __tablename__ = "system_receipt"

    request_id: Mapped[int | None] = mapped_column(Integer, index=True)
    subject_id: Mapped[int] = mapped_column(Integer, index=True)
    system: Mapped[str] = mapped_column(String(63), index=True)
    action: Mapped[ReceiptAction] = mapped_column(str_enum(ReceiptAction, length=20))
    status: Mapped[ReceiptStatus] = mapped_column(str_enum(ReceiptStatus, length=20))
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    by: Mapped[str] = mapped_column(String(100))
    rows_found: Mapped[int] = mapped_column(Integer, default=0)
    rows_deleted: Mapped[int] = mapped_column(Integer, default=0)
    rows_blanked: Mapped[int] = mapped_column(Integer, default=0)
    # {"tables": {table: {"found": n, "deleted": n, "blanked": n}}, "kept": {category: reason}}
    detail: Mapped[str] = mapped_column(Text, default="{}")
    # Why the system could not be reached: the error's kind, never a URL or a value.
    problem: Mapped[str | None] = mapped_column(String(300))
