"""The request handler's workload: how many requests are open, due this week and overdue (the
DPO's start page), and the names beside the queue's cases.

Names are personal data: they are read under the subject-rights purpose through one access
decision for the whole list (access.service.decide_list), audited with the subjects shown. A
subject whose name that purpose may not read now is listed without one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from dataskydd.access import service as access_service
from dataskydd.auth.access import AccessContext, Permission
from dataskydd.clock import today_in_sweden
from dataskydd.datamap.entries import name_category
from dataskydd.policy.schema import Policy
from dataskydd.register import repository as register_repository
from dataskydd.register.models import Subject
from dataskydd.subject_requests.models import SubjectRequest
from dataskydd.subject_requests.requests import OPEN_STATUSES


@dataclass(frozen=True)
class Workload:
    open: int
    due_this_week: int  # open, due from today to Sunday, not yet overdue
    overdue: int


def workload(session: Session, ctx: AccessContext, *, today: date | None = None) -> Workload:
    """Counts only: no personal data is read."""
    ctx.require(Permission.REQUESTS_HANDLE)
    today = today or today_in_sweden()
    sunday = today + timedelta(days=6 - today.weekday())
    is_open = SubjectRequest.status.in_(OPEN_STATUSES)
    due = SubjectRequest.due_on
    row = session.execute(
        select(
            func.count().filter(is_open),
            func.count().filter(and_(is_open, due >= today, due <= sunday)),
            func.count().filter(and_(is_open, due < today)),
        )
    ).one()
    return Workload(open=row[0], due_this_week=row[1], overdue=row[2])


def days_left(due_on: date | None, today: date) -> int | None:
    """Days until the due date (0 on the day, negative when overdue)."""
    return None if due_on is None else (due_on - today).days


def names_in_queue(
    session: Session, policy: Policy, ctx: AccessContext, subject_ids: Sequence[int]
) -> dict[int, str]:
    """The display names of the listed requests' subjects that the subject-rights purpose may
    read now, by subject id."""
    ctx.require(Permission.REQUESTS_HANDLE)
    # Ids only (no personal data): an erased subject's request keeps its id.
    wanted = sorted(
        session.scalars(select(Subject.id).where(Subject.id.in_(set(subject_ids)))).all()
    )
    if not wanted:
        return {}
    shown = access_service.decide_list(
        session,
        policy,
        ctx,
        purpose=policy.system_purpose("subject_rights"),
        category=name_category(),
        subject_ids=wanted,
        audit_action="subject_request.list",
    )
    subjects = register_repository.subjects_by_ids(session, sorted(shown))
    return {subject.id: subject.display_name for subject in subjects}
