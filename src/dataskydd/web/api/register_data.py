"""A subject's register rows over JSON: contracts, equipment, connections, invoices …"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from dataskydd.auth.access import AccessContext, Permission
from dataskydd.register import records
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
from dataskydd.web.deps import SessionDep, api_requires

router = APIRouter(prefix="/subjects/{subject_id}", tags=["register data"])
Writer = Annotated[AccessContext, Depends(api_requires(Permission.SUBJECT_WRITE))]


class RowCreated(BaseModel):
    id: int
    table: str


def _created(row: Any) -> RowCreated:
    return RowCreated(id=row.id, table=row.__tablename__)


@router.post(
    "/contracts",
    status_code=201,
    response_model=RowCreated,
    summary="Add a contract with its subscriptions",
)
def add_contract(
    session: SessionDep, ctx: Writer, subject_id: int, body: ContractCreate
) -> RowCreated:
    row = records.add_contract(session, actor=ctx.actor, subject_id=subject_id, data=body)
    return _created(row)


@router.post(
    "/equipment",
    status_code=201,
    response_model=RowCreated,
    summary="Add equipment (router, set-top box)",
)
def add_equipment(
    session: SessionDep, ctx: Writer, subject_id: int, body: EquipmentCreate
) -> RowCreated:
    row = records.add_equipment(session, actor=ctx.actor, subject_id=subject_id, data=body)
    return _created(row)


@router.post(
    "/connections", status_code=201, response_model=RowCreated, summary="Add an internet connection"
)
def add_connection(
    session: SessionDep, ctx: Writer, subject_id: int, body: ConnectionCreate
) -> RowCreated:
    row = records.add_connection(session, actor=ctx.actor, subject_id=subject_id, data=body)
    return _created(row)


@router.post(
    "/connections/{connection_id}/ip-assignments",
    status_code=201,
    response_model=RowCreated,
    summary="Add an IP address assignment",
)
def add_ip_assignment(
    session: SessionDep, ctx: Writer, subject_id: int, connection_id: int, body: IpAssignmentCreate
) -> RowCreated:
    row = records.add_ip_assignment(
        session, actor=ctx.actor, subject_id=subject_id, connection_id=connection_id, data=body
    )
    return _created(row)


@router.post("/invoices", status_code=201, response_model=RowCreated, summary="Add an invoice")
def add_invoice(
    session: SessionDep, ctx: Writer, subject_id: int, body: InvoiceCreate
) -> RowCreated:
    row = records.add_invoice(session, actor=ctx.actor, subject_id=subject_id, data=body)
    return _created(row)


@router.post(
    "/invoices/{invoice_id}/payments",
    status_code=201,
    response_model=RowCreated,
    summary="Add a payment of an invoice",
)
def add_payment(
    session: SessionDep, ctx: Writer, subject_id: int, invoice_id: int, body: PaymentCreate
) -> RowCreated:
    row = records.add_payment(
        session, actor=ctx.actor, subject_id=subject_id, invoice_id=invoice_id, data=body
    )
    return _created(row)


@router.post(
    "/correspondence",
    status_code=201,
    response_model=RowCreated,
    summary="Add received or sent correspondence",
)
def add_correspondence(
    session: SessionDep, ctx: Writer, subject_id: int, body: CorrespondenceCreate
) -> RowCreated:
    row = records.add_correspondence(session, actor=ctx.actor, subject_id=subject_id, data=body)
    return _created(row)


@router.post(
    "/support-cases",
    status_code=201,
    response_model=RowCreated,
    summary="Add a support case with its messages",
)
def add_support_case(
    session: SessionDep, ctx: Writer, subject_id: int, body: SupportCaseCreate
) -> RowCreated:
    row = records.add_support_case(session, actor=ctx.actor, subject_id=subject_id, data=body)
    return _created(row)


@router.post(
    "/participation",
    status_code=201,
    response_model=RowCreated,
    summary="Add participation in a survey, panel or offer",
)
def add_participation(
    session: SessionDep, ctx: Writer, subject_id: int, body: ParticipationCreate
) -> RowCreated:
    row = records.add_participation(session, actor=ctx.actor, subject_id=subject_id, data=body)
    return _created(row)


@router.post(
    "/newsletter-subscriptions",
    status_code=201,
    response_model=RowCreated,
    summary="Add a newsletter subscription",
)
def add_newsletter_subscription(
    session: SessionDep, ctx: Writer, subject_id: int, body: NewsletterSubscriptionCreate
) -> RowCreated:
    row = records.add_newsletter_subscription(
        session, actor=ctx.actor, subject_id=subject_id, data=body
    )
    return _created(row)


@router.post(
    "/usage-events", status_code=201, response_model=RowCreated, summary="Add a usage event"
)
def add_usage_event(
    session: SessionDep, ctx: Writer, subject_id: int, body: UsageEventCreate
) -> RowCreated:
    row = records.add_usage_event(session, actor=ctx.actor, subject_id=subject_id, data=body)
    return _created(row)
