"""A subject's register rows over JSON: contracts, equipment, connections, invoices …"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel
from sqlalchemy.orm import Session

from dataskydd.auth.access import AccessContext, Permission
from dataskydd.datamap import writes
from dataskydd.policy.schema import Policy
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
from dataskydd.web.params import RowId

router = APIRouter(prefix="/subjects/{subject_id}", tags=["register data"])


Writer = Annotated[AccessContext, Depends(api_requires(Permission.SUBJECT_WRITE))]


def authorise(
    session: Session, policy: Policy, ctx: AccessContext, subject_id: int, *tables: str
) -> str:
    """The access decision for writing these tables of the subject; returns the actor.

    Called in the handler, not in a dependency: FastAPI runs each sync dependency and the
    handler in its own copy of the context, so categories a dependency's decision granted
    would not be granted where the handler reads and writes (access.guard)."""
    writes.authorise_write(session, policy, ctx, subject_id=subject_id, tables=tables)
    return ctx.actor


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
    session: SessionDep, policy: PolicyDep, ctx: Writer, subject_id: RowId, body: ContractCreate
) -> RowCreated:
    actor = authorise(session, policy, ctx, subject_id, "contract", "subscription")
    row = records.add_contract(session, actor=actor, subject_id=subject_id, data=body)
    return _created(row)


@router.post(
    "/equipment",
    status_code=201,
    response_model=RowCreated,
    summary="Add equipment (router, set-top box)",
)
def add_equipment(
    session: SessionDep, policy: PolicyDep, ctx: Writer, subject_id: RowId, body: EquipmentCreate
) -> RowCreated:
    actor = authorise(session, policy, ctx, subject_id, "equipment")
    row = records.add_equipment(session, actor=actor, subject_id=subject_id, data=body)
    return _created(row)


@router.post(
    "/connections", status_code=201, response_model=RowCreated, summary="Add an internet connection"
)
def add_connection(
    session: SessionDep, policy: PolicyDep, ctx: Writer, subject_id: RowId, body: ConnectionCreate
) -> RowCreated:
    actor = authorise(session, policy, ctx, subject_id, "connection")
    row = records.add_connection(session, actor=actor, subject_id=subject_id, data=body)
    return _created(row)


@router.post(
    "/connections/{connection_id}/ip-assignments",
    status_code=201,
    response_model=RowCreated,
    summary="Add an IP address assignment",
)
def add_ip_assignment(
    session: SessionDep,
    policy: PolicyDep,
    ctx: Writer,
    subject_id: RowId,
    connection_id: RowId,
    body: IpAssignmentCreate,
) -> RowCreated:
    actor = authorise(session, policy, ctx, subject_id, "ip_assignment")
    row = records.add_ip_assignment(
        session, actor=actor, subject_id=subject_id, connection_id=connection_id, data=body
    )
    return _created(row)


@router.post("/invoices", status_code=201, response_model=RowCreated, summary="Add an invoice")
def add_invoice(
    session: SessionDep, policy: PolicyDep, ctx: Writer, subject_id: RowId, body: InvoiceCreate
) -> RowCreated:
    actor = authorise(session, policy, ctx, subject_id, "invoice")
    row = records.add_invoice(session, actor=actor, subject_id=subject_id, data=body)
    return _created(row)


@router.post(
    "/invoices/{invoice_id}/payments",
    status_code=201,
    response_model=RowCreated,
    summary="Add a payment of an invoice",
)
def add_payment(
    session: SessionDep,
    policy: PolicyDep,
    ctx: Writer,
    subject_id: RowId,
    invoice_id: RowId,
    body: PaymentCreate,
) -> RowCreated:
    actor = authorise(session, policy, ctx, subject_id, "payment")
    row = records.add_payment(
        session, actor=actor, subject_id=subject_id, invoice_id=invoice_id, data=body
    )
    return _created(row)


@router.post(
    "/correspondence",
    status_code=201,
    response_model=RowCreated,
    summary="Add received or sent correspondence",
)
def add_correspondence(
    session: SessionDep,
    policy: PolicyDep,
    ctx: Writer,
    subject_id: RowId,
    body: CorrespondenceCreate,
) -> RowCreated:
    actor = authorise(session, policy, ctx, subject_id, "correspondence")
    row = records.add_correspondence(session, actor=actor, subject_id=subject_id, data=body)
    return _created(row)


@router.post(
    "/support-cases",
    status_code=201,
    response_model=RowCreated,
    summary="Add a support case with its messages",
)
def add_support_case(
    session: SessionDep, policy: PolicyDep, ctx: Writer, subject_id: RowId, body: SupportCaseCreate
) -> RowCreated:
    actor = authorise(session, policy, ctx, subject_id, "support_case", "support_message")
    row = records.add_support_case(session, actor=actor, subject_id=subject_id, data=body)
    return _created(row)


@router.post(
    "/participation",
    status_code=201,
    response_model=RowCreated,
    summary="Add participation in a survey, panel or offer",
)
def add_participation(
    session: SessionDep,
    policy: PolicyDep,
    ctx: Writer,
    subject_id: RowId,
    body: ParticipationCreate,
) -> RowCreated:
    """Taking part is the subject's consent to the policy's activities purpose, recorded."""
    row = writes.add_participation(
        session, policy=policy, caller=ctx, subject_id=subject_id, data=body
    )
    return _created(row)


@router.post(
    "/newsletter-subscriptions",
    status_code=201,
    response_model=RowCreated,
    summary="Add a newsletter subscription",
)
def add_newsletter_subscription(
    session: SessionDep,
    policy: PolicyDep,
    ctx: Writer,
    subject_id: RowId,
    body: NewsletterSubscriptionCreate,
) -> RowCreated:
    """A subscription is the subject's consent to the policy's newsletter purpose, recorded."""
    row = writes.add_newsletter_subscription(
        session, policy=policy, caller=ctx, subject_id=subject_id, data=body
    )
    return _created(row)


@router.post(
    "/usage-events", status_code=201, response_model=RowCreated, summary="Add a usage event"
)
def add_usage_event(
    session: SessionDep, policy: PolicyDep, ctx: Writer, subject_id: RowId, body: UsageEventCreate
) -> RowCreated:
    actor = authorise(session, policy, ctx, subject_id, "usage_event")
    row = records.add_usage_event(session, actor=actor, subject_id=subject_id, data=body)
    return _created(row)
