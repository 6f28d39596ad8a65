"""Create a subject's register rows: contracts and subscriptions, equipment, connections and
IP assignments, invoices and payments, correspondence, support cases, participation,
newsletter subscriptions and usage events. Every row is validated first and audited."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from dataskydd.audit import service as audit_service
from dataskydd.db.base import Base
from dataskydd.errors import Conflict, InvalidInput, NotFound
from dataskydd.messages_i18n import Msg
from dataskydd.register import service as register_service
from dataskydd.register.models import (
    Activity,
    Connection,
    Contract,
    Correspondence,
    Equipment,
    Invoice,
    IpAssignment,
    NewsletterSubscription,
    Participation,
    Payment,
    Service,
    Subscription,
    SupportCase,
    SupportMessage,
    UsageEvent,
)
from dataskydd.register.record_schemas import (
    ConnectionCreate,
    ContractCreate,
    CorrespondenceCreate,
    EquipmentCreate,
    InvoiceCreate,
    IpAssignmentCreate,
    NewsletterSubscriptionCreate,
    ParticipationCreate,
    PaymentCreate,
    SupportCaseCreate,
    UsageEventCreate,
)
from dataskydd.validation import validate_model

M = TypeVar("M", bound=BaseModel)
R = TypeVar("R", bound=Base)


def _valid(model: type[M], data: M | dict[str, Any]) -> M:
    return data if isinstance(data, model) else validate_model(model, data)


def _save(session: Session, actor: str, subject_id: int, row: R) -> R:
    session.add(row)
    session.flush()
    _audit(session, actor, subject_id, row)
    return row


def _audit(session: Session, actor: str, subject_id: int, row: Any, **extra: Any) -> None:
    audit_service.record(
        session,
        actor=actor,
        action="register.create",
        subject_id=subject_id,
        detail={"table": row.__tablename__, "row_id": row.id, **extra},
    )


def _owned(
    session: Session,
    model: type[Contract] | type[Connection] | type[Invoice],
    row_id: int,
    subject_id: int,
    what: str,
) -> None:
    """NotFound unless the row of `model` belongs to the subject (no probing of others').
    Reads the row's subject id only: checking whom it belongs to reads none of its data."""
    owner = session.scalar(select(model.subject_id).where(model.id == row_id))
    if owner != subject_id:
        raise NotFound(
            Msg(
                "{what} {row_id} does not exist for subject {subject_id}",
                what=what,
                row_id=row_id,
                subject_id=subject_id,
            )
        )


def _refuse_taken(session: Session, column: Any, value: str, field: str) -> None:
    if session.scalar(select(column).where(column == value).limit(1)) is not None:
        raise Conflict(Msg("{field}: already registered", field=field))


def add_contract(
    session: Session, *, actor: str, subject_id: int, data: ContractCreate | dict[str, Any]
) -> Contract:
    data = _valid(ContractCreate, data)
    register_service.require_subject(session, subject_id)
    _refuse_taken(session, Contract.contract_number, data.contract_number, "contract_number")
    codes = [item.service_code for item in data.services]
    services = {s.code: s for s in session.scalars(select(Service).where(Service.code.in_(codes)))}
    unknown = [
        (f"services.{position}.service_code", Msg("is not a service of the catalogue"))
        for position, code in enumerate(codes)
        if code not in services
    ]
    if unknown:
        raise InvalidInput(*unknown[0], problems=unknown)
    contract = Contract(
        subject_id=subject_id,
        contract_number=data.contract_number,
        signed_on=data.signed_on,
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        status=data.status,
    )
    session.add(contract)
    session.flush()
    for item in data.services:
        session.add(
            Subscription(
                contract_id=contract.id,
                service_id=services[item.service_code].id,
                starts_on=item.starts_on or data.starts_on,
                ends_on=item.ends_on or data.ends_on,
            )
        )
    session.flush()
    _audit(session, actor, subject_id, contract, subscriptions=len(data.services))
    return contract


def add_equipment(
    session: Session, *, actor: str, subject_id: int, data: EquipmentCreate | dict[str, Any]
) -> Equipment:
    data = _valid(EquipmentCreate, data)
    register_service.require_subject(session, subject_id)
    row = Equipment(subject_id=subject_id, **data.model_dump())
    return _save(session, actor, subject_id, row)


def add_connection(
    session: Session, *, actor: str, subject_id: int, data: ConnectionCreate | dict[str, Any]
) -> Connection:
    data = _valid(ConnectionCreate, data)
    register_service.require_subject(session, subject_id)
    if data.contract_id is not None:
        try:
            _owned(session, Contract, data.contract_id, subject_id, "contract")
        except NotFound:
            raise InvalidInput("contract_id", Msg("is not a contract of this subject")) from None
    row = Connection(subject_id=subject_id, **data.model_dump())
    return _save(session, actor, subject_id, row)


def add_ip_assignment(
    session: Session,
    *,
    actor: str,
    subject_id: int,
    connection_id: int,
    data: IpAssignmentCreate | dict[str, Any],
) -> IpAssignment:
    data = _valid(IpAssignmentCreate, data)
    register_service.require_subject(session, subject_id)
    _owned(session, Connection, connection_id, subject_id, "connection")
    row = IpAssignment(connection_id=connection_id, **data.model_dump())
    return _save(session, actor, subject_id, row)


def add_invoice(
    session: Session, *, actor: str, subject_id: int, data: InvoiceCreate | dict[str, Any]
) -> Invoice:
    data = _valid(InvoiceCreate, data)
    register_service.require_subject(session, subject_id)
    _refuse_taken(session, Invoice.invoice_number, data.invoice_number, "invoice_number")
    row = Invoice(subject_id=subject_id, **data.model_dump())
    return _save(session, actor, subject_id, row)


def add_payment(
    session: Session,
    *,
    actor: str,
    subject_id: int,
    invoice_id: int,
    data: PaymentCreate | dict[str, Any],
) -> Payment:
    data = _valid(PaymentCreate, data)
    register_service.require_subject(session, subject_id)
    _owned(session, Invoice, invoice_id, subject_id, "invoice")
    row = Payment(invoice_id=invoice_id, **data.model_dump())
    return _save(session, actor, subject_id, row)


def add_correspondence(
    session: Session, *, actor: str, subject_id: int, data: CorrespondenceCreate | dict[str, Any]
) -> Correspondence:
    data = _valid(CorrespondenceCreate, data)
    register_service.require_subject(session, subject_id)
    row = Correspondence(subject_id=subject_id, **data.model_dump())
    return _save(session, actor, subject_id, row)


def add_support_case(
    session: Session, *, actor: str, subject_id: int, data: SupportCaseCreate | dict[str, Any]
) -> SupportCase:
    data = _valid(SupportCaseCreate, data)
    register_service.require_subject(session, subject_id)
    row = SupportCase(subject_id=subject_id, **data.model_dump(exclude={"messages"}))
    session.add(row)
    session.flush()
    session.add_all(SupportMessage(case_id=row.id, **m.model_dump()) for m in data.messages)
    session.flush()
    _audit(session, actor, subject_id, row, messages=len(data.messages))
    return row


def add_participation(
    session: Session, *, actor: str, subject_id: int, data: ParticipationCreate | dict[str, Any]
) -> Participation:
    data = _valid(ParticipationCreate, data)
    register_service.require_subject(session, subject_id)
    activity = session.scalars(select(Activity).where(Activity.code == data.activity_code)).first()
    if activity is None:
        raise InvalidInput("activity_code", Msg("is not a known survey, panel or offer"))
    row = Participation(
        subject_id=subject_id,
        activity_id=activity.id,
        consented_at=data.consented_at,
        answers=None if data.answers is None else json.dumps(data.answers, ensure_ascii=False),
    )
    return _save(session, actor, subject_id, row)


def add_newsletter_subscription(
    session: Session,
    *,
    actor: str,
    subject_id: int,
    data: NewsletterSubscriptionCreate | dict[str, Any],
) -> NewsletterSubscription:
    data = _valid(NewsletterSubscriptionCreate, data)
    register_service.require_subject(session, subject_id)
    row = NewsletterSubscription(subject_id=subject_id, **data.model_dump())
    return _save(session, actor, subject_id, row)


def add_usage_event(
    session: Session, *, actor: str, subject_id: int, data: UsageEventCreate | dict[str, Any]
) -> UsageEvent:
    data = _valid(UsageEventCreate, data)
    register_service.require_subject(session, subject_id)
    row = UsageEvent(subject_id=subject_id, **data.model_dump())
    return _save(session, actor, subject_id, row)
