"""A subject's register rows over JSON: contracts, equipment, connections, invoices …"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from dataskydd.auth.access import AccessContext, Permission
from dataskydd.datamap import writes
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
from dataskydd.web.deps import PolicyDep, SessionDep, api_requires

router = APIRouter(prefix="/subjects/{subject_id}", tags=["register data"])


def writes_to(*tables: str) -> Callable[..., AccessContext]:
    """The key, once the access decision allows it to write these tables for the subject."""

    def dependency(
        session: SessionDep,
        policy: PolicyDep,
        ctx: Annotated[AccessContext, Depends(api_requires(Permission.SUBJECT_WRITE))],
        subject_id: int,
    ) -> AccessContext:
        writes.authorise_write(session, policy, ctx, subject_id=subject_id, tables=tables)
        return ctx

    dependency.permission = Permission.SUBJECT_WRITE  # type: ignore[attr-defined]
    dependency.api = True  # type: ignore[attr-defined]
    return dependency


WritesContract = Annotated[AccessContext, Depends(writes_to("contract", "subscription"))]
WritesEquipment = Annotated[AccessContext, Depends(writes_to("equipment"))]
WritesConnection = Annotated[AccessContext, Depends(writes_to("connection"))]
WritesIpAssignment = Annotated[AccessContext, Depends(writes_to("ip_assignment"))]
WritesInvoice = Annotated[AccessContext, Depends(writes_to("invoice"))]
WritesPayment = Annotated[AccessContext, Depends(writes_to("payment"))]
WritesCorrespondence = Annotated[AccessContext, Depends(writes_to("correspondence"))]
WritesSupportCase = Annotated[AccessContext, Depends(writes_to("support_case", "support_message"))]
WritesParticipation = Annotated[AccessContext, Depends(writes_to("participation"))]
WritesNewsletterSubscription = Annotated[
    AccessContext, Depends(writes_to("newsletter_subscription"))
]
WritesUsageEvent = Annotated[AccessContext, Depends(writes_to("usage_event"))]


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
    session: SessionDep, ctx: WritesContract, subject_id: int, body: ContractCreate
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
    session: SessionDep, ctx: WritesEquipment, subject_id: int, body: EquipmentCreate
) -> RowCreated:
    row = records.add_equipment(session, actor=ctx.actor, subject_id=subject_id, data=body)
    return _created(row)


@router.post(
    "/connections", status_code=201, response_model=RowCreated, summary="Add an internet connection"
)
def add_connection(
    session: SessionDep, ctx: WritesConnection, subject_id: int, body: ConnectionCreate
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
    session: SessionDep,
    ctx: WritesIpAssignment,
    subject_id: int,
    connection_id: int,
    body: IpAssignmentCreate,
) -> RowCreated:
    row = records.add_ip_assignment(
        session, actor=ctx.actor, subject_id=subject_id, connection_id=connection_id, data=body
    )
    return _created(row)


@router.post("/invoices", status_code=201, response_model=RowCreated, summary="Add an invoice")
def add_invoice(
    session: SessionDep, ctx: WritesInvoice, subject_id: int, body: InvoiceCreate
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
    session: SessionDep, ctx: WritesPayment, subject_id: int, invoice_id: int, body: PaymentCreate
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
    session: SessionDep, ctx: WritesCorrespondence, subject_id: int, body: CorrespondenceCreate
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
    session: SessionDep, ctx: WritesSupportCase, subject_id: int, body: SupportCaseCreate
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
    session: SessionDep, ctx: WritesParticipation, subject_id: int, body: ParticipationCreate
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
    session: SessionDep,
    ctx: WritesNewsletterSubscription,
    subject_id: int,
    body: NewsletterSubscriptionCreate,
) -> RowCreated:
    row = records.add_newsletter_subscription(
        session, actor=ctx.actor, subject_id=subject_id, data=body
    )
    return _created(row)


@router.post(
    "/usage-events", status_code=201, response_model=RowCreated, summary="Add a usage event"
)
def add_usage_event(
    session: SessionDep, ctx: WritesUsageEvent, subject_id: int, body: UsageEventCreate
) -> RowCreated:
    row = records.add_usage_event(session, actor=ctx.actor, subject_id=subject_id, data=body)
    return _created(row)
