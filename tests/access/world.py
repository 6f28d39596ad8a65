"""A customer with data in every table of the data map, for the access tests.

Built with the register's own create/rectify services (so blind indexes and the change history
are real) and the factories of tests/factories.py for the rest. Call `bind_factories(session)`
first (the `factories` fixture does).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from stdnum import luhn

from dataskydd.clock import today_in_sweden, utc_now
from dataskydd.datamap import entries, queries
from dataskydd.mail import service as mail_service
from dataskydd.register import service as register_service
from dataskydd.register.enums import ActivityKind, Direction, ServiceKind
from dataskydd.register.models import (
    Activity,
    NewsletterSubscription,
    Participation,
    Service,
    SubjectRelation,
    Subscription,
    SupportMessage,
)
from dataskydd.subject_requests.models import (
    RequestChannel,
    RequestKind,
    RequestStatus,
    SubjectRequest,
)
from tests import factories

_numbers = itertools.count(1)


def personnummer(n: int) -> str:
    """A valid personnummer, distinct for each n (born 1950 + n days, serial by n)."""
    born = date(1950, 1, 1) + timedelta(days=n % 20000)
    ten = f"{born:%y%m%d}{n % 1000:03d}"
    return f"{born:%Y%m%d}{n % 1000:03d}{luhn.calc_check_digit(ten)}"


@dataclass(frozen=True)
class Customer:
    id: int
    email: str
    phone: str
    personnummer: str
    request_id: int
    connection_id: int
    invoice_id: int
    activity_code: str
    contract_id: int


def build_customer(session: Session, *, label: str = "kund") -> Customer:
    """A person with rows in every mapped table and an open access request (a case)."""
    n = next(_numbers)
    email = f"{label}.{n}@example.se"
    phone = f"+4670{n % 10_000_000:07d}"
    pnr = personnummer(n)
    subject = register_service.create_subject(
        session,
        actor="test",
        data={
            "kind": "person",
            "given_name": "Anna",
            "family_name": f"Svensson{n}",
            "personnummer": pnr,
            "emails": [email],
            "phones": [phone],
            "addresses": [{"street": "Storgatan 1", "postal_code": "47321", "city": "Henån"}],
        },
    )
    subject_id = subject.id
    # change_history: a real rectification through the register.
    register_service.update_subject(
        session,
        actor="test",
        subject_id=subject_id,
        changes={
            "address": {"street": "Storgatan 2", "postal_code": "47321", "city": "Henån"},
            "reason": "moved",
        },
    )
    organisation = register_service.create_subject(
        session,
        actor="test",
        data={
            "kind": "organisation",
            "organisation_name": f"Bolaget {n} AB",
            "emails": [f"info.{n}@bolaget.example.se"],
        },
    )
    session.add(SubjectRelation(organisation_id=organisation.id, person_id=subject_id, title="VD"))
    contract = factories.ContractFactory(subject_id=subject_id)
    service = Service(
        code=f"bredband-{n}",
        name="Bredband 1000",
        kind=ServiceKind.CONNECTIVITY,
        monthly_price=399,
    )
    session.add(service)
    session.flush()
    session.add(
        Subscription(contract_id=contract.id, service_id=service.id, starts_on=date(2023, 3, 15))
    )
    factories.EquipmentFactory(subject_id=subject_id)
    connection = factories.ConnectionFactory(subject_id=subject_id)
    factories.IpAssignmentFactory(connection_id=connection.id)
    # Recent enough that bookkeeping keeps it (bokföringslagen: seven years).
    invoice = factories.InvoiceFactory(
        subject_id=subject_id, issued_on=today_in_sweden() - timedelta(days=40)
    )
    factories.PaymentFactory(invoice_id=invoice.id, paid_on=today_in_sweden() - timedelta(days=20))
    factories.CorrespondenceFactory(subject_id=subject_id)
    case = factories.SupportCaseFactory(subject_id=subject_id)
    session.add(
        SupportMessage(
            case_id=case.id,
            sent_at=datetime(2024, 6, 1, 8, 5, tzinfo=UTC),
            direction=Direction.INBOUND,
            body="Routern blinkar rött.",
        )
    )
    activity = Activity(
        code=f"panel-{n}",
        kind=ActivityKind.PANEL,
        title="Kundpanelen",
        starts_on=date(2020, 1, 1),
    )
    session.add(activity)
    session.flush()
    session.add(
        Participation(
            subject_id=subject_id,
            activity_id=activity.id,
            consented_at=utc_now() - timedelta(days=30),
            answers='{"age": "35-44"}',
        )
    )
    session.add(
        NewsletterSubscription(
            subject_id=subject_id,
            list_code="nyheter",
            subscribed_at=utc_now() - timedelta(days=30),
            consent_text_version="v1",
        )
    )
    factories.UsageEventFactory(subject_id=subject_id)
    mail_service.queue_mail(
        session, to=email, subject_line="Välkommen", body="Hej!", subject_id=subject_id
    )
    request = SubjectRequest(
        kind=RequestKind.ACCESS,
        status=RequestStatus.OPEN,
        channel=RequestChannel.LETTER,
        subject_id=subject_id,
        identity_check="ID card checked at the counter",
        received_at=utc_now(),
        due_on=today_in_sweden() + timedelta(days=30),
    )
    session.add(request)
    session.flush()
    return Customer(
        subject_id,
        email,
        phone,
        pnr,
        request.id,
        connection.id,
        invoice.id,
        activity.code,
        contract.id,
    )


def mapped_tables_with_rows(session: Session, subject_id: int) -> set[str]:
    """The data map's tables holding a row of this subject (to check the builder covers all)."""
    found = set()
    for entry in entries.register_tables():
        table = queries.table_of(entry)
        statement = select(func.count()).select_from(table)
        if session.scalar(statement.where(queries.subject_condition(entry, subject_id))):
            found.add(entry.table)
    return found
