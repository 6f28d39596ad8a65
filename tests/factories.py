"""factory-boy factories for register rows, bound to the test session by `bind_factories`."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import factory
from factory.alchemy import SQLAlchemyModelFactory
from sqlalchemy.orm import Session

from dataskydd.register import lookup, models
from dataskydd.register.enums import (
    AccessKind,
    ContactKind,
    ContractStatus,
    CorrespondenceKind,
    Direction,
    EquipmentKind,
    InvoiceStatus,
    PaymentMethod,
    SubjectKind,
    SupportChannel,
    UsageKind,
)


class _Base(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_persistence = "flush"


class SubjectFactory(_Base):
    class Meta:
        model = models.Subject

    kind = SubjectKind.PERSON
    given_name = factory.Faker("first_name", locale="sv_SE")
    family_name = factory.Faker("last_name", locale="sv_SE")
    search_name = factory.LazyAttribute(
        lambda o: lookup.search_name(o.given_name, o.family_name, None)
    )


class EmailFactory(_Base):
    class Meta:
        model = models.ContactPoint

    subject_id = factory.LazyAttribute(lambda o: SubjectFactory().id)
    kind = ContactKind.EMAIL
    value = factory.Sequence(lambda n: f"kund{n}@example.se")
    lookup_index = factory.LazyAttribute(lambda o: lookup.contact_index(o.kind, o.value))


class ContractFactory(_Base):
    class Meta:
        model = models.Contract

    subject_id = factory.LazyAttribute(lambda o: SubjectFactory().id)
    contract_number = factory.Sequence(lambda n: f"AV-{n:06d}")
    signed_on = date(2023, 3, 1)
    starts_on = date(2023, 3, 15)
    status = ContractStatus.ACTIVE


class ConnectionFactory(_Base):
    class Meta:
        model = models.Connection

    subject_id = factory.LazyAttribute(lambda o: SubjectFactory().id)
    access_kind = AccessKind.FIBRE
    street = "Storgatan 1"
    postal_code = "473 21"
    city = "Henån"
    activated_on = date(2023, 3, 15)


class IpAssignmentFactory(_Base):
    class Meta:
        model = models.IpAssignment

    connection_id = factory.LazyAttribute(lambda o: ConnectionFactory().id)
    ip_address = factory.Sequence(lambda n: f"198.51.100.{n % 250 + 1}")
    assigned_at = datetime(2024, 1, 1, tzinfo=UTC)


class EquipmentFactory(_Base):
    class Meta:
        model = models.Equipment

    subject_id = factory.LazyAttribute(lambda o: SubjectFactory().id)
    kind = EquipmentKind.ROUTER
    model = "Omilon Router AX3000"
    serial_number = factory.Sequence(lambda n: f"SN{n:08d}")
    mac_address = "00:1a:2b:3c:4d:5e"
    installed_on = date(2023, 3, 15)


class InvoiceFactory(_Base):
    class Meta:
        model = models.Invoice

    subject_id = factory.LazyAttribute(lambda o: SubjectFactory().id)
    invoice_number = factory.Sequence(lambda n: f"F{n:08d}")
    issued_on = date(2024, 1, 31)
    due_on = factory.LazyAttribute(lambda o: o.issued_on + timedelta(days=30))
    amount = Decimal("499.00")
    vat_amount = Decimal("99.80")
    status = InvoiceStatus.PAID


class PaymentFactory(_Base):
    class Meta:
        model = models.Payment

    invoice_id = factory.LazyAttribute(lambda o: InvoiceFactory().id)
    paid_on = date(2024, 2, 20)
    amount = Decimal("499.00")
    method = PaymentMethod.AUTOGIRO


class CorrespondenceFactory(_Base):
    class Meta:
        model = models.Correspondence

    subject_id = factory.LazyAttribute(lambda o: SubjectFactory().id)
    kind = CorrespondenceKind.EMAIL
    direction = Direction.INBOUND
    received_at = datetime(2024, 5, 2, 9, 30, tzinfo=UTC)
    subject_line = "Fråga om faktura"
    body = "Hej! Jag undrar över min senaste faktura. Mvh"


class SupportCaseFactory(_Base):
    class Meta:
        model = models.SupportCase

    subject_id = factory.LazyAttribute(lambda o: SubjectFactory().id)
    channel = SupportChannel.PHONE
    topic = "Ingen anslutning"
    opened_at = datetime(2024, 6, 1, 8, 0, tzinfo=UTC)


class UsageEventFactory(_Base):
    class Meta:
        model = models.UsageEvent

    subject_id = factory.LazyAttribute(lambda o: SubjectFactory().id)
    occurred_at = factory.Sequence(lambda n: datetime(2024, 1, 1, tzinfo=UTC) + timedelta(hours=n))
    kind = UsageKind.VIEW
    device_type = "tv"
    item = "Rapport 19:30"


ALL_FACTORIES: tuple[type[_Base], ...] = (
    SubjectFactory,
    EmailFactory,
    ContractFactory,
    ConnectionFactory,
    IpAssignmentFactory,
    EquipmentFactory,
    InvoiceFactory,
    PaymentFactory,
    CorrespondenceFactory,
    SupportCaseFactory,
    UsageEventFactory,
)


def bind_factories(session: Session | None) -> None:
    for factory_class in ALL_FACTORIES:
        factory_class._meta.sqlalchemy_session = session
