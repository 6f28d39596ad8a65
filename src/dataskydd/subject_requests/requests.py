"""The queue of subjects' requests (GDPR art. 12.3): a verified request is answered within
one month of receipt, extendable once by up to two further months with the reason told to the
subject; every request and its outcome stays as evidence (art. 5.2), in counts and category
names. Audited, never committing.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dataskydd.audit import service as audit_service
from dataskydd.auth.access import AccessContext, Permission
from dataskydd.clock import SWEDEN, today_in_sweden, utc_now
from dataskydd.errors import ConfigurationError, Conflict, InvalidInput, NotFound
from dataskydd.mail import service as mail_service
from dataskydd.policy.schema import Policy
from dataskydd.register import repository as register_repository
from dataskydd.register import service as register_service
from dataskydd.register.enums import ContactKind
from dataskydd.register.models import Restriction
from dataskydd.subject_requests import (
    deadlines,
    downloads,
    erasure,
    messages,
    objections,
    portability,
)
from dataskydd.subject_requests.deadlines import REMIND_DAYS_BEFORE
from dataskydd.subject_requests.erasure import ErasureAction
from dataskydd.subject_requests.extract import write_extract_json
from dataskydd.subject_requests.models import (
    RequestChannel,
    RequestKind,
    RequestStatus,
    SubjectRequest,
)
from dataskydd.subject_requests.service import erase, plan_erasure

OPEN_STATUSES = (RequestStatus.AWAITING_VERIFICATION, RequestStatus.OPEN, RequestStatus.EXTENDED)
CLOSED_STATUSES = (RequestStatus.COMPLETED, RequestStatus.REFUSED)
DOWNLOADABLE = (RequestKind.ACCESS, RequestKind.PORTABILITY)
_PURPOSE = "data_subject_rights"


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


@dataclass(frozen=True)
class RequestDetail:
    request: SubjectRequest
    subject_name: str | None
    email: str | None
    overdue: bool
    latest_extension: date | None
    erasure_plan: erasure.ErasurePlan | None


def _item(request: SubjectRequest, today: date) -> QueueItem:
    due = request.due_on
    is_open = request.status in OPEN_STATUSES
    return QueueItem(
        request,
        overdue=bool(is_open and due and due < today),
        due_soon=bool(is_open and due and today <= due <= today + timedelta(REMIND_DAYS_BEFORE)),
    )


def list_queue(
    session: Session,
    ctx: AccessContext,
    *,
    view: QueueView = QueueView.OPEN,
    kind: RequestKind | None = None,
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
    order = (
        (SubjectRequest.completed_at.desc(), SubjectRequest.id.desc())
        if view is QueueView.CLOSED
        else (SubjectRequest.due_on, SubjectRequest.id)
    )
    rows = session.scalars(statement.order_by(*order).limit(limit)).all()
    return [_item(row, today) for row in rows]


def _get(session: Session, request_id: int) -> SubjectRequest:
    request = session.get(SubjectRequest, request_id)
    if request is None:
        raise NotFound(f"request {request_id} does not exist")
    return request


def _require_open(request: SubjectRequest) -> None:
    if request.status not in OPEN_STATUSES:
        raise Conflict(f"request {request.id} is already {request.status.value}")


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
    request = _get(session, request_id)
    subject = (
        register_repository.find_subject(session, request.subject_id)
        if request.subject_id
        else None
    )
    email = _email_on_file(session, subject.id) if subject else None
    plan = None
    if subject and request.kind is RequestKind.ERASURE and request.status in OPEN_STATUSES:
        plan = plan_erasure(session, policy=policy, subject_id=subject.id)
    audit_service.record(
        session,
        actor=ctx.actor,
        action="subject_request.show",
        subject_id=request.subject_id,
        purpose=_PURPOSE,
        detail={"request": request.id, "categories": ["identity", "contact"] if subject else []},
    )
    latest = deadlines.extended_due_date(_received_on(request))
    return RequestDetail(
        request,
        subject.display_name if subject else None,
        email,
        _item(request, today).overdue,
        latest,
        plan,
    )


def _received_on(request: SubjectRequest) -> date:
    return request.received_at.astimezone(SWEDEN).date()


def _email_on_file(session: Session, subject_id: int) -> str | None:
    point = register_repository.primary_contact(session, subject_id, ContactKind.EMAIL)
    return point.value if point else None


def _mail_subject(
    session: Session, subject_id: int | None, mail: messages.Mail, *, keep_link: bool = True
) -> bool:
    """Queue a mail to the subject's e-mail on file; False when there is none."""
    if subject_id is None:
        return False
    address = _email_on_file(session, subject_id)
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


def _check_text(field: str, value: str, *, limit: int, required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        raise InvalidInput(field, "is required")
    if len(text) > limit:
        raise InvalidInput(field, f"is longer than {limit} characters")
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
) -> SubjectRequest:
    """A verified request enters the queue with its due date; the subject is told."""
    register_service.get_subject(session, subject_id)
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
    )
    session.add(request)
    session.flush()
    audit_service.record(
        session,
        actor=actor,
        action="subject_request.open",
        subject_id=subject_id,
        purpose=_PURPOSE,
        detail={"request": request.id, "kind": kind.value, "channel": channel.value},
    )
    assert request.due_on is not None
    _mail_subject(
        session,
        subject_id,
        messages.received_mail(kind, request.id, request.due_on, policy.controller.name),
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
) -> SubjectRequest:
    """A request that came by letter, phone, e-mail or at the counter, registered by staff
    with how the subject's identity was checked."""
    ctx.require(Permission.REQUESTS_HANDLE)
    if channel is RequestChannel.WEB:
        raise InvalidInput("channel", "web requests are made on the public page")
    check = _check_text("identity_check", identity_check, limit=300)
    today = today_in_sweden()
    if received_on is not None and (received_on > today or received_on < today - timedelta(92)):
        raise InvalidInput("received_on", "must be within the last three months, not later")
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
        note=_check_text("note", note or "", limit=2000, required=False) or None,
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
    request = _get(session, request_id)
    _require_open(request)
    text = _check_text("reason", reason, limit=500)
    if request.status is RequestStatus.EXTENDED:
        raise Conflict(f"request {request.id} has already been extended")
    if request.due_on is not None and today > request.due_on:
        raise Conflict("an extension must be told to the subject before the first month ends")
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
        purpose=_PURPOSE,
        detail={"request": request.id, "due_on": request.due_on.isoformat()},
    )
    _mail_subject(
        session,
        request.subject_id,
        messages.extended_mail(
            request.kind, request.id, request.due_on, text, policy.controller.name
        ),
    )
    return request


class _Discard(io.StringIO):
    """Counts what the extract would hold without keeping it."""

    def write(self, text: str) -> int:
        return len(text)


def _finish(
    session: Session, ctx: AccessContext, request: SubjectRequest, outcome: str, **detail: Any
) -> None:
    request.status = RequestStatus.COMPLETED
    request.completed_at = utc_now()
    request.handled_by = ctx.actor[:100]
    request.outcome = outcome
    session.flush()
    audit_service.record(
        session,
        actor=ctx.actor,
        action="subject_request.complete",
        subject_id=request.subject_id,
        purpose=_PURPOSE,
        detail={"request": request.id, "kind": request.kind.value, **detail},
    )


def complete_request(
    session: Session,
    ctx: AccessContext,
    *,
    policy: Policy,
    request_id: int,
    link_base: str,
    note: str = "",
    categories: Sequence[str] = (),
    purposes: Sequence[str] = (),
    today: date | None = None,
) -> SubjectRequest:
    """Carry out the request and keep its outcome as evidence (counts and category names,
    never the data). Access and portability: the subject gets a time-limited link; erasure:
    the data map is walked with the legal exceptions; restriction: the chosen categories are
    restricted; objection: processing for the chosen purposes stops."""
    ctx.require(Permission.REQUESTS_HANDLE)
    today = today or today_in_sweden()
    request = _get(session, request_id)
    _require_open(request)
    note = _check_text("note", note, limit=2000, required=False)
    subject_id = request.subject_id
    if subject_id is None:
        raise Conflict(f"request {request.id} has no verified subject")
    register_service.get_subject(session, subject_id)
    controller = policy.controller.name
    if request.kind in DOWNLOADABLE:
        if request.kind is RequestKind.ACCESS:
            stats = write_extract_json(session, _Discard(), policy=policy, subject_id=subject_id)
            summary = f"Registerutdrag: {stats.total} rows in {len(stats.rows)} tables."
        else:
            rows = portability.write_portability_json(
                session, _Discard(), policy=policy, subject_id=subject_id
            )
            summary = f"Portable export: {rows} rows of data the subject provided."
        until = downloads.link_valid_until(today)
        token = downloads.link_token(request.id, until)
        link = f"{link_base.rstrip('/')}/registerutdrag/hamta/{token}"
        _finish(
            session, ctx, request, f"{summary} Download link valid until {until}. {note}".strip()
        )
        _mail_subject(session, subject_id, messages.ready_mail(request.id, link, until, controller))
        return request
    if request.kind is RequestKind.ERASURE:
        address = _email_on_file(session, subject_id)
        plan = erase(session, actor=ctx.actor, policy=policy, subject_id=subject_id)
        outcome = _erasure_outcome(plan, note)
        _finish(
            session,
            ctx,
            request,
            outcome,
            erased=sorted(i.category for i in plan.items if i.action is ErasureAction.ERASE),
            kept=sorted(plan.kept),
        )
        if address is not None:
            mail = messages.outcome_mail(request.kind, request.id, outcome, controller)
            mail_service.queue_mail(
                session, to=address, subject_line=mail.subject_line, body=mail.body
            )
        return request
    if request.kind is RequestKind.RESTRICTION:
        chosen = _known(policy.categories, categories, "categories")
        restrict_categories(
            session, actor=ctx.actor, subject_id=subject_id, categories=chosen, case=request.id
        )
        outcome = f"Restricted (art. 18): {', '.join(chosen)}. {note}".strip()
        _finish(session, ctx, request, outcome, categories=list(chosen))
    elif request.kind is RequestKind.OBJECTION:
        chosen = _known(policy.purposes, purposes, "purposes")
        refused = [key for key in chosen if not policy.purposes[key].objectable]
        if refused:
            raise InvalidInput("purposes", f"cannot be objected to: {', '.join(refused)}")
        objections.record_objections(
            session, actor=ctx.actor, subject_id=subject_id, purposes=chosen, case=request.id
        )
        outcome = f"Objection upheld (art. 21); processing stopped for: {', '.join(chosen)}. {note}"
        _finish(session, ctx, request, outcome.strip(), purposes=list(chosen))
    else:
        outcome = _check_text("note", note, limit=2000)
        _finish(session, ctx, request, outcome)
    _mail_subject(
        session,
        subject_id,
        messages.outcome_mail(request.kind, request.id, request.outcome or "", controller),
    )
    return request


def _known(vocabulary: Mapping[str, object], chosen: Sequence[str], field: str) -> list[str]:
    picked = list(dict.fromkeys(chosen))
    if not picked:
        raise InvalidInput(field, "choose at least one")
    unknown = [key for key in picked if key not in vocabulary]
    if unknown:
        raise InvalidInput(field, f"unknown: {', '.join(unknown)[:200]}")
    return picked


def _erasure_outcome(plan: erasure.ErasurePlan, note: str) -> str:
    erased = [f"{i.title} ({i.total})" for i in plan.items if i.action is ErasureAction.ERASE]
    kept = [
        f"{i.title} ({i.total}): {i.reason or ''} until {i.kept_until or '-'}"
        for i in plan.items
        if i.action is ErasureAction.KEEP
    ]
    lines = ["Erased: " + (", ".join(erased) or "nothing")]
    if kept:
        lines.append("Kept under a legal duty and restricted (art. 17.3, 18): " + "; ".join(kept))
    if note:
        lines.append(note)
    return "\n".join(lines)


def restrict_categories(
    session: Session, *, actor: str, subject_id: int, categories: Sequence[str], case: int
) -> None:
    already = register_repository.restricted_categories(session, subject_id)
    for category in categories:
        if category not in already:
            session.add(
                Restriction(
                    subject_id=subject_id,
                    category=category,
                    reason=f"the subject's request (art. 18), case {case}",
                )
            )
    session.flush()
    audit_service.record(
        session,
        actor=actor,
        action="subject.restrict",
        subject_id=subject_id,
        purpose=_PURPOSE,
        detail={"categories": list(categories), "request": case},
    )


def refuse_request(
    session: Session, ctx: AccessContext, *, policy: Policy, request_id: int, reason: str
) -> SubjectRequest:
    """Art. 12.4–5: a refusal gives the reason and the right to complain."""
    ctx.require(Permission.REQUESTS_HANDLE)
    request = _get(session, request_id)
    _require_open(request)
    text = _check_text("reason", reason, limit=2000)
    request.status = RequestStatus.REFUSED
    request.completed_at = utc_now()
    request.handled_by = ctx.actor[:100]
    request.outcome = f"Refused: {text}"
    session.flush()
    audit_service.record(
        session,
        actor=ctx.actor,
        action="subject_request.refuse",
        subject_id=request.subject_id,
        purpose=_PURPOSE,
        detail={"request": request.id},
    )
    _mail_subject(
        session,
        request.subject_id,
        messages.outcome_mail(request.kind, request.id, request.outcome, policy.controller.name),
    )
    return request


def send_reminders(
    session: Session, *, actor: str, policy: Policy, queue_link: str, today: date | None = None
) -> list[int]:
    """One mail to the DPO listing the open requests due within REMIND_DAYS_BEFORE days (or
    overdue) that have not been reminded of; returns their ids."""
    today = today or today_in_sweden()
    if policy.dpo is None or not policy.dpo.email:
        raise ConfigurationError("the policy names no DPO e-mail address to remind")
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
    rows = [(r.id, r.kind.value, r.due_on) for r in due if r.due_on is not None]
    mail = messages.reminder_mail(rows, queue_link)
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
