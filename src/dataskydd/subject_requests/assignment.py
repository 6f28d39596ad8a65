"""Who handles a request (issue 15): an owner among the staff accounts that may handle
requests, taken or assigned on the request's page, audited, and shown in its history.

Who may own a request is the policy's: a role that holds the request-handling permission and
whose purposes include the subject-rights purpose. A deactivated owner keeps the request until
someone reassigns it; the queue says so.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from dataskydd.audit import service as audit_service
from dataskydd.audit.models import AuditEntry
from dataskydd.auth.access import AccessContext, Permission
from dataskydd.auth.models import StaffUser
from dataskydd.errors import Conflict, InvalidInput, NotFound
from dataskydd.messages_i18n import Msg
from dataskydd.policy.schema import Policy
from dataskydd.subject_requests.models import RequestStatus, SubjectRequest

ASSIGN_ACTION = "subject_request.assign"
# The steps of a request kept in its history; reads (show, list, preview) are left out.
HISTORY_ACTIONS = (
    "subject_request.open",
    ASSIGN_ACTION,
    "subject_request.extend",
    "subject_request.complete",
    "subject_request.refuse",
)
HISTORY_LIMIT = 200
Query = TypeVar("Query", bound=Select[Any])
_CLOSED = (RequestStatus.COMPLETED, RequestStatus.REFUSED)


class OwnerFilter(StrEnum):
    ANY = ""
    MINE = "mine"
    UNASSIGNED = "unassigned"


@dataclass(frozen=True)
class Owner:
    id: int
    name: str
    active: bool


@dataclass(frozen=True)
class Ownership:
    """The request page's part: its owner, whom it may be given to, its history."""

    owner: Owner | None
    candidates: list[Owner]
    history: list[HistoryEntry]
    # The caller may take it: their account may own requests and does not already.
    can_take: bool


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    actor: str
    action: str
    # For an assignment: the new owner's name (None: made unassigned).
    owner: str | None = None


def handling_roles(policy: Policy) -> frozenset[str]:
    """The roles whose accounts may own a request."""
    rights = policy.system_purpose("subject_rights")
    return frozenset(
        key
        for key, role in policy.roles.items()
        if Permission.REQUESTS_HANDLE in role.permissions and rights in role.purposes
    )


def possible_owners(session: Session, policy: Policy) -> Sequence[StaffUser]:
    """The active accounts a request may be assigned to, by name."""
    return session.scalars(
        select(StaffUser)
        .where(StaffUser.is_active, StaffUser.role.in_(handling_roles(policy)))
        .order_by(StaffUser.display_name, StaffUser.id)
    ).all()


def owners_of(session: Session, requests: Iterable[SubjectRequest]) -> dict[int, Owner]:
    """The owners of the given requests, by account id."""
    ids = {r.owner_id for r in requests if r.owner_id is not None}
    if not ids:
        return {}
    rows = session.execute(
        select(StaffUser.id, StaffUser.display_name, StaffUser.is_active).where(
            StaffUser.id.in_(ids)
        )
    )
    return {row.id: Owner(row.id, row.display_name, row.is_active) for row in rows}


def filter_queue(statement: Query, ctx: AccessContext, owner: OwnerFilter) -> Query:
    if owner is OwnerFilter.MINE:
        return statement.where(SubjectRequest.owner_id == (ctx.user_id or -1))
    if owner is OwnerFilter.UNASSIGNED:
        return statement.where(SubjectRequest.owner_id.is_(None))
    return statement


def ownership(
    session: Session, ctx: AccessContext, *, policy: Policy, request: SubjectRequest
) -> Ownership:
    ctx.require(Permission.REQUESTS_HANDLE)
    owner = owners_of(session, [request]).get(request.owner_id or 0)
    candidates = [Owner(u.id, u.display_name, True) for u in possible_owners(session, policy)]
    return Ownership(
        owner,
        candidates,
        history(session, request),
        can_take=request.status not in _CLOSED
        and ctx.user_id != request.owner_id
        and any(c.id == ctx.user_id for c in candidates),
    )


def take_request(
    session: Session, ctx: AccessContext, *, policy: Policy, request_id: int
) -> SubjectRequest:
    """The caller becomes the request's owner."""
    if ctx.user_id is None:
        raise InvalidInput("owner", Msg("only a staff account can take a request"))
    return assign_request(session, ctx, policy=policy, request_id=request_id, owner_id=ctx.user_id)


def assign_request(
    session: Session,
    ctx: AccessContext,
    *,
    policy: Policy,
    request_id: int,
    owner_id: int | None,
) -> SubjectRequest:
    """Make `owner_id` (None: nobody) the request's owner. A closed request keeps its
    owner: who answered it is part of the evidence."""
    ctx.require(Permission.REQUESTS_HANDLE)
    request = session.get(SubjectRequest, request_id)
    if request is None:
        raise NotFound(Msg("no request {id}", id=request_id))
    if request.status in _CLOSED:
        raise Conflict(Msg("request {id} is closed and keeps its owner", id=request.id))
    owner = None
    if owner_id is not None:
        owner = session.get(StaffUser, owner_id)
        if owner is None or not owner.is_active or owner.role not in handling_roles(policy):
            raise InvalidInput("owner", Msg("must be an active account that may handle requests"))
    previous = request.owner_id
    if previous == owner_id:
        return request
    request.owner_id = owner_id
    session.flush()
    audit_service.record(
        session,
        actor=ctx.actor,
        action=ASSIGN_ACTION,
        subject_id=request.subject_id,
        purpose=policy.system_purpose("subject_rights"),
        detail={"request": request.id, "owner": owner_id, "previous": previous},
    )
    return request


def history(session: Session, request: SubjectRequest) -> list[HistoryEntry]:
    """The request's steps from the audit log, oldest first. Found by the subject's id (the
    log's index) and the request number its entries carry."""
    statement = (
        select(AuditEntry)
        .where(AuditEntry.action.in_(HISTORY_ACTIONS))
        .order_by(AuditEntry.id.desc())
        .limit(HISTORY_LIMIT)
    )
    if request.subject_id is None:
        statement = statement.where(AuditEntry.subject_id.is_(None))
    else:
        statement = statement.where(AuditEntry.subject_id == request.subject_id)
    entries = [e for e in session.scalars(statement) if e.detail.get("request") == request.id]
    assigned = {
        e.detail["owner"]
        for e in entries
        if e.action == ASSIGN_ACTION and isinstance(e.detail.get("owner"), int)
    }
    names = {
        row.id: row.display_name
        for row in session.execute(
            select(StaffUser.id, StaffUser.display_name).where(StaffUser.id.in_(assigned))
        )
    }
    return [
        HistoryEntry(
            e.at,
            e.actor,
            e.action,
            _owner_name(names, e.detail.get("owner")) if e.action == ASSIGN_ACTION else None,
        )
        for e in reversed(entries)
    ]


def _owner_name(names: dict[int, str], owner: object) -> str | None:
    if not isinstance(owner, int):
        return None
    # An account deleted since is named by its number.
    return names.get(owner, f"#{owner}")
