"""The queue of subjects' requests (GDPR art. 12.3): a verified request is answered within
one month of receipt, extendable once by up to two further months with the reason told to the
subject; every request and its outcome stays as evidence (art. 5.2), in counts and category
names. Audited, never committing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dataskydd.access import service as access_service
from dataskydd.access.rules import Action
from dataskydd.audit import service as audit_service
from dataskydd.auth.access import AccessContext, Permission, operator_context
from dataskydd.catalogues import STAFF_LANGUAGE
from dataskydd.clock import SWEDEN, today_in_sweden, utc_now
from dataskydd.datamap.connections import SystemUnavailable
from dataskydd.datamap.entries import contact_category, name_category
from dataskydd.errors import ConfigurationError, Conflict, InvalidInput, NotFound
from dataskydd.mail import service as mail_service
from dataskydd.messages_i18n import Msg
from dataskydd.policy.schema import Lang, Policy
from dataskydd.register import repository as register_repository
from dataskydd.register import service as register_service
from dataskydd.register.enums import ContactKind
from dataskydd.subject_requests import (
    assignment,
    deadlines,
    erasure,
    messages,
    outcome_texts,
    systems,
)
from dataskydd.subject_requests.deadlines import REMIND_DAYS_BEFORE
from dataskydd.subject_requests.models import (
    RequestChannel,
    RequestKind,
    RequestStatus,
    SubjectRequest,
    SystemReceiptRecord,
)
from dataskydd.subject_requests.service import plan_erasure

OPEN_STATUSES = (RequestStatus.AWAITING_VERIFICATION, RequestStatus.OPEN, RequestStatus.EXTENDED)
CLOSED_STATUSES = (RequestStatus.COMPLETED, RequestStatus.REFUSED)
DOWNLOADABLE = (RequestKind.ACCESS, RequestKind.PORTABILITY)


class QueueView(StrEnum):
    OPEN = "open"
    OVERDUE = "overdue"
    CLOSED = "closed"
    ALL = "all"


@dataclass(frozen=True)
class QueueItem:
    request: SubjectRequest
    overdue: bool
    due_soon: bool
    # Other systems of the data map it waits for: the last try could not reach them.
    waiting: tuple[str, ...] = ()


@dataclass(frozen=True)
class RequestDetail:
    request: SubjectRequest
    subject_name: str | None
    email: str | None
    overdue: bool
    latest_extension: date | None
    erasure_plan: erasure.ErasurePlan | None
    # Each system's part so far (docs/data-map.md), and the systems it waits for.
    receipts: list[SystemReceiptRecord] = field(default_factory=list)
    waiting: tuple[str, ...] = ()
    # Why no erasure plan could be shown (another system could not be reached).
    plan_problem: str | None = None


def _item(request: SubjectRequest, today: date, waiting: tuple[str, ...] = ()) -> QueueItem:
    due = request.due_on
    is_open = request.status in OPEN_STATUSES
    return QueueItem(
        request,
        overdue=bool(is_open and due and due < today),
        due_soon=bool(is_open and due and today <= due <= today + timedelta(REMIND_DAYS_BEFORE)),
        waiting=waiting if is_open else (),
    )


def list_queue(
    session: Session,
    ctx: AccessContext,
    *,
    view: QueueView = QueueView.OPEN,
    kind: RequestKind | None = None,
    owner: assignment.OwnerFilter = assignment.OwnerFilter.ANY,
    today: date | None = None,
    limit: int = 500,
) -> list[QueueItem]:
    ctx.require(Permission.REQUESTS_HANDLE)
    today = today or today_in_sweden()
    statement = select(SubjectRequest)
    if view in (QueueView.OPEN, QueueView.OVERDUE):
        statement = statement.where(SubjectRequest.status.in_(OPEN_STATUSES))
    if view is QueueView.OVERDUE:
        statement = statement.where(SubjectRequest.due_on < today)
    if view is QueueView.CLOSED:
        statement = statement.where(SubjectRequest.status.in_(CLOSED_STATUSES))
    if kind is not None:
        statement = statement.where(SubjectRequest.kind == kind)
    statement = assignment.filter_queue(statement, ctx, owner)
    order = (
        (SubjectRequest.completed_at.desc(), SubjectRequest.id.desc())
        if view is QueueView.CLOSED
        else (SubjectRequest.due_on, SubjectRequest.id)
    )
    rows = session.scalars(statement.order_by(*order).limit(limit)).all()
    waiting = systems.waiting_for(session, [row.id for row in rows])
    return [_item(row, today, tuple(waiting.get(row.id, ()))) for row in rows]


def load_request(session: Session, request_id: int) -> SubjectRequest:
    request = session.get(SubjectRequest, request_id)
    if request is None:
        raise NotFound(Msg("request {request_id} does not exist", request_id=request_id))
    return request


def require_open(request: SubjectRequest) -> None:
    if request.status not in OPEN_STATUSES:
        raise Conflict(
            Msg("request {id} is already {value}", id=request.id, value=request.status.value)
        )


def get_request(
    session: Session,
    ctx: AccessContext,
    *,
    policy: Policy,
    request_id: int,
    today: date | None = None,
) -> RequestDetail:
    """The request with its subject's name and e-mail on file (an audited read), and for an
    open erasure request the plan of what would be erased and what kept."""
    ctx.require(Permission.REQUESTS_HANDLE)
    today = today or today_in_sweden()
    request = load_request(session, request_id)
    subject_id = request.subject_id
    if subject_id is not None and not register_repository.subject_exists(session, subject_id):
        subject_id = None
    name = email = None
    plan = None
    plan_problem = None
    if subject_id is None:
        audit_service.record(
            session,
            actor=ctx.actor,
            action="subject_request.show",
            subject_id=request.subject_id,
            purpose=policy.system_purpose("subject_rights"),
            detail={"request": request.id, "categories": []},
        )
    else:
        access_service.decide(
            session,
            policy,
            ctx,
            action=Action.READ,
            purpose=policy.system_purpose("subject_rights"),
            subject_id=subject_id,
            categories=[name_category(), contact_category()],
            audit_action="subject_request.show",
            audit_detail={"request": request.id},
        )
        name = register_service.get_subject(session, subject_id).display_name
        point = register_repository.primary_contact(session, subject_id, ContactKind.EMAIL)
        email = point.value if point else None
        if request.kind is RequestKind.ERASURE and request.status in OPEN_STATUSES:
            try:
                plan = plan_erasure(session, caller=ctx, policy=policy, subject_id=subject_id)
            except SystemUnavailable as problem:
                # The request can still be read and handled; the plan waits for the system.
                plan_problem = problem.message
    latest = deadlines.extended_due_date(_received_on(request))
    waiting = systems.waiting_for(session, [request.id]).get(request.id, [])
    return RequestDetail(
        request,
        name,
        email,
        _item(request, today).overdue,
        latest,
        plan,
        receipts=list(systems.receipts_of(session, request.id)),
        waiting=tuple(waiting) if request.status in OPEN_STATUSES else (),
        plan_problem=plan_problem,
    )


def _received_on(request: SubjectRequest) -> date:
    return request.received_at.astimezone(SWEDEN).date()


# Mails about a subject's request are written by the software, not by whoever acts on the
# request: the address on file is read for them under the subject-rights purpose by this
# caller, and the decision is audited like any other read.
NOTIFIER = operator_context("system:notifications")


def email_on_file(
    session: Session,
    policy: Policy,
    subject_id: int,
    *,
    caller: AccessContext = NOTIFIER,
    audit_detail: dict[str, Any] | None = None,
) -> str | None:
    """The subject's e-mail address on file, to tell them about their request (art. 12.3-4)
    or about a breach (art. 34), read under the subject-rights purpose by `caller`."""
    access_service.decide(
        session,
        policy,
        caller,
        action=Action.READ,
        purpose=policy.system_purpose("subject_rights"),
        subject_id=subject_id,
        categories=[contact_category()],
        audit_action="subject.show",
        audit_detail=audit_detail or {"view": "notification_address"},
    )
    point = register_repository.primary_contact(session, subject_id, ContactKind.EMAIL)
    return point.value if point else None


def mail_subject(
    session: Session,
    policy: Policy,
    subject_id: int | None,
    mail: messages.Mail,
    *,
    keep_link: bool = True,
) -> bool:
    """Queue a mail to the subject's e-mail on file; False when there is none."""
    if subject_id is None:
        return False
    address = email_on_file(session, policy, subject_id)
    if address is None:
        return False
    mail_service.queue_mail(
        session,
        to=address,
        subject_line=mail.subject_line,
        body=mail.body,
        subject_id=subject_id if keep_link else None,
    )
    return True


def checked_text(field: str, value: str, *, limit: int, required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        raise InvalidInput(field, Msg("is required"))
    if len(text) > limit:
        raise InvalidInput(field, Msg("is longer than {limit} characters", limit=limit))
    return text


def open_request(
    session: Session,
    *,
    actor: str,
    policy: Policy,
    subject_id: int,
    kind: RequestKind,
    channel: RequestChannel,
    identity_check: str,
    received_at: datetime | None = None,
    note: str | None = None,
    lang: Lang = "sv",
) -> SubjectRequest:
    """A verified request enters the queue with its due date; the subject is told, in the
    language they asked in (`lang`, kept with the request for its outcome and mails)."""
    register_service.require_subject(session, subject_id)
    received_at = received_at or utc_now()
    request = SubjectRequest(
        kind=kind,
        status=RequestStatus.OPEN,
        channel=channel,
        subject_id=subject_id,
        identity_check=identity_check[:300],
        received_at=received_at,
        due_on=deadlines.due_date(received_at.astimezone(SWEDEN).date()),
        outcome=note,
        lang=lang,
    )
    session.add(request)
    session.flush()
    audit_service.record(
        session,
        actor=actor,
        action="subject_request.open",
        subject_id=subject_id,
        purpose=policy.system_purpose("subject_rights"),
        detail={"request": request.id, "kind": kind.value, "channel": channel.value},
    )
    assert request.due_on is not None
    mail_subject(
        session,
        policy,
        subject_id,
        messages.received_mail(kind, request.id, request.due_on, policy.controller.name, lang),
    )
    return request


def register_request(
    session: Session,
    ctx: AccessContext,
    *,
    policy: Policy,
    subject_id: int,
    kind: RequestKind,
    channel: RequestChannel,
    identity_check: str,
    received_on: date | None = None,
    note: str | None = None,
    lang: Lang = "sv",
) -> SubjectRequest:
    """A request that came by letter, phone, e-mail or at the counter, registered by staff
    with how the subject's identity was checked and the language the subject wrote in."""
    ctx.require(Permission.REQUESTS_HANDLE)
    if channel is RequestChannel.WEB:
        raise InvalidInput("channel", Msg("web requests are made on the public page"))
    check = checked_text("identity_check", identity_check, limit=300)
    today = today_in_sweden()
    if received_on is not None and (received_on > today or received_on < today - timedelta(92)):
        raise InvalidInput("received_on", Msg("must be within the last three months, not later"))
    received_at = (
        datetime.combine(received_on, time(12), tzinfo=SWEDEN)
        if received_on is not None and received_on != today
        else utc_now()
    )
    return open_request(
        session,
        actor=ctx.actor,
        policy=policy,
        subject_id=subject_id,
        kind=kind,
        channel=channel,
        identity_check=check,
        received_at=received_at,
        note=checked_text("note", note or "", limit=2000, required=False) or None,
        lang=lang,
    )


def extend_request(
    session: Session,
    ctx: AccessContext,
    *,
    policy: Policy,
    request_id: int,
    reason: str,
    today: date | None = None,
) -> SubjectRequest:
    """Art. 12.3: up to two further months, with the reason, told to the subject within the
    first month."""
    ctx.require(Permission.REQUESTS_HANDLE)
    today = today or today_in_sweden()
    request = load_request(session, request_id)
    require_open(request)
    text = checked_text("reason", reason, limit=500)
    if request.status is RequestStatus.EXTENDED:
        raise Conflict(Msg("request {id} has already been extended", id=request.id))
    if request.due_on is not None and today > request.due_on:
        raise Conflict(Msg("an extension must be told to the subject before the first month ends"))
    request.status = RequestStatus.EXTENDED
    request.extension_reason = text
    request.due_on = deadlines.extended_due_date(_received_on(request))
    request.reminder_sent_at = None
    session.flush()
    audit_service.record(
        session,
        actor=ctx.actor,
        action="subject_request.extend",
        subject_id=request.subject_id,
        purpose=policy.system_purpose("subject_rights"),
        detail={"request": request.id, "due_on": request.due_on.isoformat()},
    )
    mail_subject(
        session,
        policy,
        request.subject_id,
        messages.extended_mail(
            request.kind,
            request.id,
            request.due_on,
            text,
            policy.controller.name,
            outcome_texts.language_of(request.lang),
        ),
    )
    return request


def send_reminders(
    session: Session, *, actor: str, policy: Policy, queue_link: str, today: date | None = None
) -> list[int]:
    """One mail to the DPO listing the open requests due within REMIND_DAYS_BEFORE days (or
    overdue) that have not been reminded of; returns their ids."""
    today = today or today_in_sweden()
    if policy.dpo is None or not policy.dpo.email:
        raise ConfigurationError(Msg("the policy names no DPO e-mail address to remind"))
    due = session.scalars(
        select(SubjectRequest)
        .where(
            SubjectRequest.status.in_(OPEN_STATUSES),
            SubjectRequest.reminder_sent_at.is_(None),
            SubjectRequest.due_on <= today + timedelta(REMIND_DAYS_BEFORE),
        )
        .order_by(SubjectRequest.due_on, SubjectRequest.id)
    ).all()
    if not due:
        return []
    rows = [(r.id, r.kind, r.due_on) for r in due if r.due_on is not None]
    mail = messages.reminder_mail(rows, queue_link, STAFF_LANGUAGE)
    mail_service.queue_mail(
        session, to=policy.dpo.email, subject_line=mail.subject_line, body=mail.body
    )
    now = utc_now()
    for request in due:
        request.reminder_sent_at = now
    session.flush()
    audit_service.record(
        session,
        actor=actor,
        action="subject_request.remind",
        detail={"requests": [r.id for r in due]},
    )
    return [r.id for r in due]
