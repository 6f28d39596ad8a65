"""Register tables. Which columns hold personal data, and in which policy category, is
declared in dataskydd.datamap; a test keeps the two in step."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    ColumnElement,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    and_,
    or_,
)
from sqlalchemy.orm import Mapped, mapped_column

from dataskydd.clock import utc_now
from dataskydd.db.base import Base, IdMixin, TimestampMixin
from dataskydd.db.types import EncryptedString, UtcDateTime, str_enum
from dataskydd.register.enums import (
    AccessKind,
    ActivityKind,
    ContactKind,
    ContractStatus,
    CorrespondenceKind,
    Direction,
    EquipmentKind,
    InvoiceStatus,
    PaymentMethod,
    RoleKind,
    ServiceKind,
    SubjectKind,
    SupportChannel,
    UsageKind,
)

# usage_event grows by millions of rows; SQLite only auto-increments INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer(), "sqlite")


def _subject_fk() -> Mapped[int]:
    return mapped_column(ForeignKey("subject.id", ondelete="CASCADE"), index=True)


class Subject(IdMixin, TimestampMixin, Base):
    """A person or organisation the register holds data about (the GDPR data subject, or an
    organisation whose sole trader or contact persons are)."""

    __tablename__ = "subject"
    # Requests, objections, consents and audit entries outlive an erasure and refer to the
    # subject by id only; SQLite would hand the id of an erased highest subject to the next
    # new one, who would inherit them. AUTOINCREMENT never reuses an id (PostgreSQL's
    # sequence never does). Migration 0009 converts existing databases.
    __table_args__ = ({"sqlite_autoincrement": True},)

    kind: Mapped[SubjectKind] = mapped_column(str_enum(SubjectKind, length=20))
    given_name: Mapped[str | None] = mapped_column(String(100))
    family_name: Mapped[str | None] = mapped_column(String(100))
    organisation_name: Mapped[str | None] = mapped_column(String(200))
    organisationsnummer: Mapped[str | None] = mapped_column(String(11), index=True)
    # Deferred, as is its index: loading a subject (for its name, or to check it exists) reads
    # no personnummer; it is read (and decrypted) only where a decision granted national_id.
    personnummer: Mapped[str | None] = mapped_column(
        EncryptedString("subject.personnummer"), deferred=True
    )
    # Keyed hash of the canonical personnummer: exact lookup without storing the number.
    personnummer_index: Mapped[str | None] = mapped_column(String(64), unique=True, deferred=True)
    # Lower-cased name for substring search; derived from the name columns on every write.
    search_name: Mapped[str] = mapped_column(String(300), index=True)

    @property
    def display_name(self) -> str:
        if self.kind is SubjectKind.ORGANISATION:
            return self.organisation_name or ""
        return f"{self.given_name or ''} {self.family_name or ''}".strip()


class SubjectRole(IdMixin, Base):
    __tablename__ = "subject_role"

    subject_id: Mapped[int] = _subject_fk()
    role: Mapped[RoleKind] = mapped_column(str_enum(RoleKind, length=20))
    started_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)


class ContactPoint(IdMixin, TimestampMixin, Base):
    __tablename__ = "contact_point"

    subject_id: Mapped[int] = _subject_fk()
    kind: Mapped[ContactKind] = mapped_column(str_enum(ContactKind, length=20))
    value: Mapped[str] = mapped_column(String(320))
    # Keyed hash of the normalised value, so lookups by e-mail or phone need no plain index.
    lookup_index: Mapped[str] = mapped_column(String(64), index=True)
    is_primary: Mapped[bool] = mapped_column(Boolean, default=True)


class PostalAddress(IdMixin, TimestampMixin, Base):
    __tablename__ = "postal_address"

    subject_id: Mapped[int] = _subject_fk()
    care_of: Mapped[str | None] = mapped_column(String(100))
    street: Mapped[str] = mapped_column(String(200))
    postal_code: Mapped[str] = mapped_column(String(6))
    city: Mapped[str] = mapped_column(String(100))
    country: Mapped[str] = mapped_column(String(2), default="SE")
    is_primary: Mapped[bool] = mapped_column(Boolean, default=True)


class SubjectRelation(IdMixin, Base):
    """A person acting for an organisation (contact person, signatory)."""

    __tablename__ = "subject_relation"
    __table_args__ = (UniqueConstraint("organisation_id", "person_id"),)

    organisation_id: Mapped[int] = mapped_column(ForeignKey("subject.id", ondelete="CASCADE"))
    person_id: Mapped[int] = _subject_fk()
    title: Mapped[str] = mapped_column(String(100))


class Contract(IdMixin, TimestampMixin, Base):
    __tablename__ = "contract"

    subject_id: Mapped[int] = _subject_fk()
    contract_number: Mapped[str] = mapped_column(String(20), unique=True)
    signed_on: Mapped[date] = mapped_column(Date)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[ContractStatus] = mapped_column(str_enum(ContractStatus, length=20))


class Service(IdMixin, Base):
    """The catalogue of services and add-ons; holds no personal data."""

    __tablename__ = "service"

    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[ServiceKind] = mapped_column(str_enum(ServiceKind, length=20))
    is_addon: Mapped[bool] = mapped_column(Boolean, default=False)
    monthly_price: Mapped[Decimal] = mapped_column(Numeric(10, 2))


class Subscription(IdMixin, Base):
    __tablename__ = "subscription"

    contract_id: Mapped[int] = mapped_column(
        ForeignKey("contract.id", ondelete="CASCADE"), index=True
    )
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id"))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)


class Equipment(IdMixin, Base):
    __tablename__ = "equipment"

    subject_id: Mapped[int] = _subject_fk()
    kind: Mapped[EquipmentKind] = mapped_column(str_enum(EquipmentKind, length=20))
    model: Mapped[str] = mapped_column(String(100))
    serial_number: Mapped[str] = mapped_column(String(60))
    mac_address: Mapped[str | None] = mapped_column(String(17))
    installed_on: Mapped[date] = mapped_column(Date)
    returned_on: Mapped[date | None] = mapped_column(Date)


class Connection(IdMixin, Base):
    __tablename__ = "connection"

    subject_id: Mapped[int] = _subject_fk()
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contract.id", ondelete="SET NULL"))
    access_kind: Mapped[AccessKind] = mapped_column(str_enum(AccessKind, length=20))
    street: Mapped[str] = mapped_column(String(200))
    postal_code: Mapped[str] = mapped_column(String(6))
    city: Mapped[str] = mapped_column(String(100))
    activated_on: Mapped[date] = mapped_column(Date)
    deactivated_on: Mapped[date | None] = mapped_column(Date)


class IpAssignment(IdMixin, Base):
    __tablename__ = "ip_assignment"
    # Abuse reports name an address and a time; this index answers "who had it then".
    __table_args__ = (
        Index("ix_ip_assignment_ip_address_assigned_at", "ip_address", "assigned_at"),
    )

    connection_id: Mapped[int] = mapped_column(
        ForeignKey("connection.id", ondelete="CASCADE"), index=True
    )
    ip_address: Mapped[str] = mapped_column(String(45))
    assigned_at: Mapped[datetime] = mapped_column(UtcDateTime)
    released_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Invoice(IdMixin, Base):
    __tablename__ = "invoice"

    subject_id: Mapped[int] = _subject_fk()
    invoice_number: Mapped[str] = mapped_column(String(20), unique=True)
    issued_on: Mapped[date] = mapped_column(Date, index=True)
    due_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    vat_amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    currency: Mapped[str] = mapped_column(String(3), default="SEK")
    status: Mapped[InvoiceStatus] = mapped_column(str_enum(InvoiceStatus, length=20))


class Payment(IdMixin, Base):
    __tablename__ = "payment"

    invoice_id: Mapped[int] = mapped_column(
        ForeignKey("invoice.id", ondelete="CASCADE"), index=True
    )
    paid_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    method: Mapped[PaymentMethod] = mapped_column(str_enum(PaymentMethod, length=20))
    reference: Mapped[str | None] = mapped_column(String(40))


class Correspondence(IdMixin, Base):
    __tablename__ = "correspondence"

    subject_id: Mapped[int] = _subject_fk()
    kind: Mapped[CorrespondenceKind] = mapped_column(str_enum(CorrespondenceKind, length=20))
    direction: Mapped[Direction] = mapped_column(str_enum(Direction, length=20))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    sender_address: Mapped[str | None] = mapped_column(String(320))
    subject_line: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)


class SupportCase(IdMixin, Base):
    __tablename__ = "support_case"

    subject_id: Mapped[int] = _subject_fk()
    channel: Mapped[SupportChannel] = mapped_column(str_enum(SupportChannel, length=20))
    topic: Mapped[str] = mapped_column(String(200))
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class SupportMessage(IdMixin, Base):
    __tablename__ = "support_message"

    case_id: Mapped[int] = mapped_column(
        ForeignKey("support_case.id", ondelete="CASCADE"), index=True
    )
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime)
    direction: Mapped[Direction] = mapped_column(str_enum(Direction, length=20))
    body: Mapped[str] = mapped_column(Text)


class Activity(IdMixin, Base):
    """A survey, customer panel or offer that subjects can take part in; no personal data."""

    __tablename__ = "activity"

    code: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[ActivityKind] = mapped_column(str_enum(ActivityKind, length=20))
    title: Mapped[str] = mapped_column(String(200))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)


class Participation(IdMixin, Base):
    __tablename__ = "participation"

    subject_id: Mapped[int] = _subject_fk()
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id"))
    consented_at: Mapped[datetime] = mapped_column(UtcDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Demographics and answers as the subject gave them (JSON object).
    answers: Mapped[str | None] = mapped_column(Text)


class NewsletterSubscription(IdMixin, Base):
    __tablename__ = "newsletter_subscription"

    subject_id: Mapped[int] = _subject_fk()
    list_code: Mapped[str] = mapped_column(String(40))
    subscribed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    consent_text_version: Mapped[str] = mapped_column(String(40))
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class UsageEvent(Base):
    __tablename__ = "usage_event"
    __table_args__ = (Index("ix_usage_event_subject_id_occurred_at", "subject_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id", ondelete="CASCADE"))
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    kind: Mapped[UsageKind] = mapped_column(str_enum(UsageKind, length=20))
    device_type: Mapped[str | None] = mapped_column(String(40))
    item: Mapped[str | None] = mapped_column(String(200))
    duration_seconds: Mapped[int | None] = mapped_column(Integer)


class Rectification(IdMixin, Base):
    """Rectification history (GDPR art. 16): what changed, from what, to what, by whom, why.

    Old and new values are encrypted because they may be personnummer or other identifiers.
    """

    __tablename__ = "rectification"

    subject_id: Mapped[int] = _subject_fk()
    table_name: Mapped[str] = mapped_column(String(60))
    row_id: Mapped[int] = mapped_column(Integer)
    field: Mapped[str] = mapped_column(String(60))
    old_value: Mapped[str | None] = mapped_column(EncryptedString("rectification.old_value", 2000))
    new_value: Mapped[str | None] = mapped_column(EncryptedString("rectification.new_value", 2000))
    changed_by: Mapped[str] = mapped_column(String(100))
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    reason: Mapped[str] = mapped_column(String(500))


class Restriction(IdMixin, Base):
    """A category of one subject's data that may only be stored and used for the purposes
    the policy marks `allowed_on_restricted` (GDPR art. 18): after an erasure request that a
    legal duty stopped, or on the subject's request."""

    __tablename__ = "restriction"

    subject_id: Mapped[int] = _subject_fk()
    category: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(String(300))
    restricted_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    until: Mapped[date | None] = mapped_column(Date)
    lifted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class LegalHold(IdMixin, Base):
    """A subject's data (or one category of it) that no retention run and no erasure may touch
    while the hold stands: an authority's request, a dispute (GDPR art. 17.3 e)."""

    __tablename__ = "legal_hold"

    subject_id: Mapped[int] = mapped_column(Integer, index=True)
    category: Mapped[str | None] = mapped_column(String(40))  # None: every category
    reason: Mapped[str] = mapped_column(String(300))
    reference: Mapped[str] = mapped_column(String(120))
    placed_by: Mapped[str] = mapped_column(String(100))
    placed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    lifted_by: Mapped[str | None] = mapped_column(String(100))
    lifted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    lift_reason: Mapped[str | None] = mapped_column(String(300))

    @classmethod
    def standing_over(cls, categories: Sequence[str]) -> ColumnElement[bool]:
        """Holds that stand and cover any of `categories` (a hold without a category covers
        every one): what erasure keeps and retention spares."""
        return and_(
            cls.lifted_at.is_(None), or_(cls.category.is_(None), cls.category.in_(categories))
        )
