"""A subject's open requests, for the top of the staff customer view (issue 15): shown to
those who handle requests, each linking to its page in the queue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from dataskydd.auth.access import AccessContext, Permission
from dataskydd.subject_requests.models import RequestKind, RequestStatus, SubjectRequest

_OPEN = (RequestStatus.AWAITING_VERIFICATION, RequestStatus.OPEN, RequestStatus.EXTENDED)
MAX_SHOWN = 20


@dataclass(frozen=True)
class OpenRequest:
    id: int
    kind: RequestKind
    due_on: date | None


def open_requests_of(
    session: Session, ctx: AccessContext, *, subject_id: int
) -> list[OpenRequest] | None:
    """None when the caller does not handle requests (the queue is not theirs to see)."""
    if not ctx.can(Permission.REQUESTS_HANDLE):
        return None
    rows = session.execute(
        select(SubjectRequest.id, SubjectRequest.kind, SubjectRequest.due_on)
        .where(SubjectRequest.subject_id == subject_id, SubjectRequest.status.in_(_OPEN))
        .order_by(SubjectRequest.due_on, SubjectRequest.id)
        .limit(MAX_SHOWN)
    )
    return [OpenRequest(row.id, row.kind, row.due_on) for row in rows]
