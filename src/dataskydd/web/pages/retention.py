"""The DPO's retention page (/retention): the latest and next run, what each run erased, what
is overdue, and legal holds placed and lifted (retention/, docs/retention.md)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from dataskydd.auth.access import Permission
from dataskydd.clock import today_in_sweden, utc_now
from dataskydd.config import Settings
from dataskydd.errors import Conflict, InvalidInput, NotFound
from dataskydd.jobs.schedule import DailyAt
from dataskydd.messages_i18n import Msg
from dataskydd.policy.schema import Policy
from dataskydd.retention import holds as hold_service
from dataskydd.retention import runs
from dataskydd.web import i18n
from dataskydd.web.deps import PolicyDep, SessionDep, SettingsDep, StaffPrincipal, requires
from dataskydd.web.deps import verify_csrf as verify_staff_csrf
from dataskydd.web.params import Line, RowId
from dataskydd.web.templating import render

router = APIRouter(include_in_schema=False)

Handler = Annotated[StaffPrincipal, Depends(requires(Permission.REQUESTS_HANDLE))]
Checked = Annotated[StaffPrincipal, Depends(verify_staff_csrf)]
Reason = Annotated[Line, Form(max_length=hold_service.MAX_REASON)]
Reference = Annotated[Line, Form(max_length=hold_service.MAX_REFERENCE)]


def overview(session: Session, policy: Policy, settings: Settings) -> dict[str, Any]:
    """What the DPO's start page and /retention show: the latest run, what it erased per
    category, the next run, and rows kept past their rule (zero when runs keep up)."""
    latest = runs.recent_runs(session, limit=1)
    last = latest[0] if latest else None
    yesterday = today_in_sweden() - dt.timedelta(days=1)
    return {
        "last_run": last,
        "erased": runs.erased_by_category(session, last.id) if last else {},
        # The job runner's own schedule of the run (jobs/tasks.py), so the two cannot differ.
        "next_run": DailyAt(*settings.retention_time).next_after(utc_now()),
        "overdue": runs.overdue_rows(session, policy, today=yesterday),
        "category_titles": _titles(policy),
    }


def _titles(policy: Policy) -> dict[str, str]:
    lang = i18n.current_language.get()
    return {key: category.title.get(lang) for key, category in policy.categories.items()}


def _page(
    request: Request,
    session: Session,
    policy: Policy,
    settings: Settings,
    principal: StaffPrincipal,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    context = overview(session, policy, settings) | {
        "runs": runs.recent_runs(session),
        "holds": hold_service.holds(session, standing_only=True),
        "error": error,
    }
    return render(
        request, "retention/index.html", context, principal=principal, status_code=status_code
    )


@router.get("/retention")
def retention(
    request: Request,
    session: SessionDep,
    policy: PolicyDep,
    settings: SettingsDep,
    principal: Handler,
) -> Response:
    return _page(request, session, policy, settings, principal)


@router.get("/retention/runs/{run_id}")
def run_report(
    request: Request, session: SessionDep, policy: PolicyDep, principal: Handler, run_id: RowId
) -> Response:
    found = runs.report(session, run_id)
    if found is None:
        raise NotFound(Msg("no retention run {run_id}", run_id=run_id))
    context = {"report": found, "category_titles": _titles(policy)}
    return render(request, "retention/report.html", context, principal=principal)


@router.post("/retention/holds")
def place_hold(
    request: Request,
    session: SessionDep,
    policy: PolicyDep,
    settings: SettingsDep,
    _handler: Handler,
    principal: Checked,
    subject_id: Annotated[int, Form(ge=1, le=2**31 - 1)],
    reason: Reason,
    reference: Reference,
    category: Annotated[Line, Form(max_length=40)] = "",
) -> Response:
    try:
        hold_service.place_hold(
            session,
            policy=policy,
            subject_id=subject_id,
            category=category or None,
            reason=reason,
            reference=reference,
            by=f"staff:{principal.user.username}",
        )
    except (InvalidInput, Conflict, NotFound) as problem:
        status = 422 if isinstance(problem, InvalidInput) else problem.status_code
        return _page(
            request, session, policy, settings, principal, error=problem.message, status_code=status
        )
    return RedirectResponse("/retention#holds", status_code=303)


@router.post("/retention/holds/{hold_id}/lift")
def lift_hold(
    request: Request,
    session: SessionDep,
    policy: PolicyDep,
    settings: SettingsDep,
    _handler: Handler,
    principal: Checked,
    hold_id: RowId,
    reason: Reason,
) -> Response:
    try:
        hold_service.lift_hold(
            session, hold_id=hold_id, reason=reason, by=f"staff:{principal.user.username}"
        )
    except (InvalidInput, Conflict, NotFound) as problem:
        status = 422 if isinstance(problem, InvalidInput) else problem.status_code
        return _page(
            request, session, policy, settings, principal, error=problem.message, status_code=status
        )
    return RedirectResponse("/retention#holds", status_code=303)
