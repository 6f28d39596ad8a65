"""The DPO's breach register (/breaches): record a breach, follow its 72-hour countdown, draft
the notification to IMY (PDF, JSON), record it sent or the decision not to notify, decide on
telling the subjects and tell them (breaches/, docs/breaches.md). `breaches.manage` only."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from dataskydd.auth.access import Permission
from dataskydd.breaches import (
    affected,
    decisions,
    findings,
    notification_imy,
    records,
    subject_notice,
)
from dataskydd.breaches import views as breach_views
from dataskydd.breaches.models import BreachStatus, Nature
from dataskydd.clock import utc_now
from dataskydd.datamap import entries
from dataskydd.errors import Conflict, InvalidInput, NotFound
from dataskydd.messages_i18n import Msg
from dataskydd.policy.schema import Lang, Policy
from dataskydd.web import i18n
from dataskydd.web.deps import PolicyDep, SessionDep, StaffPrincipal, requires
from dataskydd.web.deps import verify_csrf as verify_staff_csrf
from dataskydd.web.params import Line, RowId, Text
from dataskydd.web.templating import render

router = APIRouter(include_in_schema=False)

Manager = Annotated[StaffPrincipal, Depends(requires(Permission.BREACHES_MANAGE))]
Checked = Annotated[StaffPrincipal, Depends(verify_staff_csrf)]
Moment = Annotated[Line, Form(max_length=40)]
ShortText = Annotated[Line, Form(max_length=records.MAX_TITLE)]
LongText = Annotated[Text, Form(max_length=records.MAX_TEXT)]
Keys = Annotated[list[Line], Form(max_length=100)]
Count = Annotated[int, Form(ge=0, le=records.MAX_COUNT)]
PROBLEMS = (InvalidInput, Conflict, NotFound)


def _titles(policy: Policy) -> dict[str, dict[str, str]]:
    lang = i18n.current_language.get()
    return {
        "categories": {k: c.title.get(lang) for k, c in policy.categories.items()},
        "subject_kinds": {k: s.title.get(lang) for k, s in policy.subject_kinds.items()},
        "natures": {n.value: notification_imy.nature_text(n.value, lang) for n in Nature},
    }


def start_page_breaches(session: Session) -> list[findings.OpenBreach]:
    """The open breaches with their countdown, for the DPO's start page."""
    return findings.open_breaches(session, utc_now())


def _status(problem: Exception) -> int:
    return 422 if isinstance(problem, InvalidInput) else getattr(problem, "status_code", 400)


def _list_page(
    request: Request,
    session: Session,
    policy: Policy,
    principal: StaffPrincipal,
    *,
    error: str | None = None,
    form: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    now = utc_now()
    context = {
        "breaches": [
            breach_views.as_dict(b, now) for b in records.list_breaches(session, principal.context)
        ],
        "titles": _titles(policy),
        "error": error,
        "form": form or {},
    }
    return render(
        request, "breaches/index.html", context, principal=principal, status_code=status_code
    )


def _detail_page(
    request: Request,
    session: Session,
    policy: Policy,
    principal: StaffPrincipal,
    breach_id: int,
    *,
    error: str | None = None,
    preview: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    data = breach_views.detail(session, principal.context, breach_id, utc_now())
    context = {
        "b": data,
        "titles": _titles(policy),
        "grounds": [g.value for g in decisions.NoNoticeGround],
        "register": affected.register_key(),
        "systems": [system.key for system in entries.current().systems],
        "error": error,
        "preview": preview,
        # The update form starts from the record, moments in Swedish time as entered.
        "edit_form": data
        | {"aware_at": data["aware_local"], "occurred_at": data["occurred_local"] or ""},
        "history": [
            e | {"detail_text": json.dumps(e["detail"], ensure_ascii=False)}
            for e in data["history"]
        ],
    }
    return render(
        request, "breaches/detail.html", context, principal=principal, status_code=status_code
    )


@router.get("/breaches")
def breach_list(
    request: Request, session: SessionDep, policy: PolicyDep, principal: Manager
) -> Response:
    return _list_page(request, session, policy, principal)


def _breach_form(
    title: ShortText,
    aware_at: Moment,
    description: LongText,
    consequences: LongText,
    measures_taken: LongText,
    measures_planned: LongText,
    subjects_approx: Count,
    records_approx: Count,
    nature: Keys = [],  # noqa: B006  (FastAPI copies defaults)
    categories: Keys = [],  # noqa: B006
    subject_kinds: Keys = [],  # noqa: B006
    occurred_at: Moment = "",
    occurred_approximate: Annotated[bool, Form()] = False,
) -> records.BreachInput:
    """The breach form's fields, as recording and updating a breach both read them."""
    return records.BreachInput(
        title=title,
        aware_at=aware_at,
        occurred_at=occurred_at,
        occurred_approximate=occurred_approximate,
        nature=nature,
        description=description,
        categories=categories,
        subject_kinds=subject_kinds,
        subjects_approx=subjects_approx,
        records_approx=records_approx,
        consequences=consequences,
        measures_taken=measures_taken,
        measures_planned=measures_planned,
    )


BreachForm = Annotated[records.BreachInput, Depends(_breach_form)]


@router.post("/breaches")
def record_breach(
    request: Request,
    session: SessionDep,
    policy: PolicyDep,
    _manager: Manager,
    principal: Checked,
    data: BreachForm,
) -> Response:
    try:
        breach = records.record_breach(session, policy, principal.context, data)
    except PROBLEMS as problem:
        return _list_page(
            request,
            session,
            policy,
            principal,
            error=problem.message,
            form=vars(data),
            status_code=_status(problem),
        )
    return RedirectResponse(f"/breaches/{breach.id}", status_code=303)


@router.get("/breaches/{breach_id}")
def breach_detail(
    request: Request,
    session: SessionDep,
    policy: PolicyDep,
    principal: Manager,
    breach_id: RowId,
    category: Annotated[list[Line], Query(max_length=100)] = [],  # noqa: B006
    system: Annotated[Line, Query(max_length=63)] = "",
) -> Response:
    preview = None
    if category:
        try:
            chosen = affected.selection(policy, category, system or None)
        except InvalidInput as problem:
            return _detail_page(
                request,
                session,
                policy,
                principal,
                breach_id,
                error=problem.message,
                status_code=422,
            )
        counts = subject_notice.preview(session, policy, principal.context, breach_id, chosen)
        preview = counts | chosen.as_dict()
    return _detail_page(request, session, policy, principal, breach_id, preview=preview)


@router.post("/breaches/{breach_id}/update")
def update_breach(
    request: Request,
    session: SessionDep,
    policy: PolicyDep,
    _manager: Manager,
    principal: Checked,
    breach_id: RowId,
    data: BreachForm,
) -> Response:
    try:
        records.update_breach(session, policy, principal.context, breach_id, data)
    except PROBLEMS as problem:
        return _problem(request, session, policy, principal, breach_id, problem)
    return RedirectResponse(f"/breaches/{breach_id}", status_code=303)


def _problem(
    request: Request,
    session: Session,
    policy: Policy,
    principal: StaffPrincipal,
    breach_id: int,
    problem: InvalidInput | Conflict | NotFound,
) -> Response:
    if isinstance(problem, NotFound):
        raise problem
    return _detail_page(
        request,
        session,
        policy,
        principal,
        breach_id,
        error=problem.message,
        status_code=_status(problem),
    )


@router.post("/breaches/{breach_id}/imy-notified")
def imy_notified(
    request: Request,
    session: SessionDep,
    policy: PolicyDep,
    _manager: Manager,
    principal: Checked,
    breach_id: RowId,
    sent_at: Moment,
    reference: Annotated[Line, Form(max_length=decisions.MAX_REFERENCE)],
    delay_reason: LongText = "",
) -> Response:
    try:
        decisions.record_imy_notification(
            session,
            principal.context,
            breach_id,
            sent_at=sent_at,
            reference=reference,
            delay_reason=delay_reason,
        )
    except PROBLEMS as problem:
        return _problem(request, session, policy, principal, breach_id, problem)
    return RedirectResponse(f"/breaches/{breach_id}#imy", status_code=303)


@router.post("/breaches/{breach_id}/imy-not-notify")
def imy_not_notify(
    request: Request,
    session: SessionDep,
    policy: PolicyDep,
    _manager: Manager,
    principal: Checked,
    breach_id: RowId,
    reason: LongText,
) -> Response:
    try:
        decisions.decide_not_to_notify(session, principal.context, breach_id, reason=reason)
    except PROBLEMS as problem:
        return _problem(request, session, policy, principal, breach_id, problem)
    return RedirectResponse(f"/breaches/{breach_id}#imy", status_code=303)


@router.post("/breaches/{breach_id}/subjects-decision")
def subjects_decision(
    request: Request,
    session: SessionDep,
    policy: PolicyDep,
    _manager: Manager,
    principal: Checked,
    breach_id: RowId,
    decision: Annotated[Line, Form(max_length=20)],
    reason: LongText,
    ground: Annotated[Line, Form(max_length=40)] = "",
) -> Response:
    try:
        if decision not in ("notify", "not_notify"):
            raise InvalidInput("decision", Msg("choose notify or not_notify"))
        decisions.decide_subjects(
            session,
            principal.context,
            breach_id,
            notify=decision == "notify",
            reason=reason,
            ground=ground or None,
        )
    except PROBLEMS as problem:
        return _problem(request, session, policy, principal, breach_id, problem)
    return RedirectResponse(f"/breaches/{breach_id}#subjects", status_code=303)


@router.post("/breaches/{breach_id}/notify-subjects")
def notify_subjects(
    request: Request,
    session: SessionDep,
    policy: PolicyDep,
    _manager: Manager,
    principal: Checked,
    breach_id: RowId,
    categories: Keys = [],  # noqa: B006
    system: Annotated[Line, Form(max_length=63)] = "",
) -> Response:
    try:
        chosen = affected.selection(policy, categories, system or None)
        subject_notice.notify_subjects(session, policy, principal.context, breach_id, chosen)
    except PROBLEMS as problem:
        return _problem(request, session, policy, principal, breach_id, problem)
    return RedirectResponse(f"/breaches/{breach_id}#subjects", status_code=303)


@router.post("/breaches/{breach_id}/status")
def set_status(
    request: Request,
    session: SessionDep,
    policy: PolicyDep,
    _manager: Manager,
    principal: Checked,
    breach_id: RowId,
    status: Annotated[Line, Form(max_length=20)],
) -> Response:
    try:
        if status not in {s.value for s in BreachStatus}:
            raise InvalidInput("status", Msg("choose open or closed"))
        records.set_status(session, principal.context, breach_id, BreachStatus(status))
    except PROBLEMS as problem:
        return _problem(request, session, policy, principal, breach_id, problem)
    return RedirectResponse(f"/breaches/{breach_id}", status_code=303)


DraftLanguage = Annotated[Line, Query(max_length=2)]


def _draft(
    session: Session,
    policy: Policy,
    principal: StaffPrincipal,
    breach_id: int,
    extension: str,
    language: str,
) -> Response:
    chosen: Lang = "en" if (language or i18n.current_language.get()) == "en" else "sv"
    breach = records.get_breach(session, principal.context, breach_id)
    data = notification_imy.draft(policy, breach, decisions.imy_notices(session, breach_id), chosen)
    records.audit(session, principal.context, "breach.imy_draft", breach, format=extension)
    name = f"breach-{breach_id}-imy-{chosen}.{extension}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if extension == "json":
        body = json.dumps(data, ensure_ascii=False, indent=2).encode()
        return Response(body, media_type="application/json", headers=headers)
    return Response(
        notification_imy.render_pdf(data, chosen), media_type="application/pdf", headers=headers
    )


# `?language=`, not `?lang=`: that would switch the pages' language too (web/i18n.py).
@router.get("/breaches/{breach_id}/imy.pdf")
def imy_draft_pdf(
    session: SessionDep,
    policy: PolicyDep,
    principal: Manager,
    breach_id: RowId,
    language: DraftLanguage = "",
) -> Response:
    return _draft(session, policy, principal, breach_id, "pdf", language)


@router.get("/breaches/{breach_id}/imy.json")
def imy_draft_json(
    session: SessionDep,
    policy: PolicyDep,
    principal: Manager,
    breach_id: RowId,
    language: DraftLanguage = "",
) -> Response:
    return _draft(session, policy, principal, breach_id, "json", language)
