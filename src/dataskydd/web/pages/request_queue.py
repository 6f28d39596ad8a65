"""The DPO's queue of subjects' requests (GDPR art. 12–22): due dates and overdue requests,
registering a request that came by letter or phone, extending with a reason, completing
(access → download link, erasure → the plan, then erasure) or refusing, and the outbox."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from dataskydd.auth.access import Permission
from dataskydd.clock import today_in_sweden
from dataskydd.datamap.connections import SystemUnavailable
from dataskydd.errors import Conflict, InvalidInput
from dataskydd.policy.schema import Lang, Policy
from dataskydd.subject_requests import assignment, outbox, workload
from dataskydd.subject_requests import objections as objection_service
from dataskydd.subject_requests import outcomes as request_outcomes
from dataskydd.subject_requests import preview as preview_service
from dataskydd.subject_requests import requests as request_service
from dataskydd.subject_requests.models import RequestChannel, RequestKind
from dataskydd.web import addresses, i18n
from dataskydd.web.deps import PolicyDep, SessionDep, SettingsDep, StaffPrincipal, requires
from dataskydd.web.deps import verify_csrf as verify_staff_csrf
from dataskydd.web.pages.access_requests import deliver_mail
from dataskydd.web.params import Line, RowId, Text
from dataskydd.web.templating import render

router = APIRouter(include_in_schema=False)
_ = i18n.gettext_

Handler = Annotated[StaffPrincipal, Depends(requires(Permission.REQUESTS_HANDLE))]
Checked = Annotated[StaffPrincipal, Depends(verify_staff_csrf)]
Note = Annotated[Text, Form(max_length=4000)]
STAFF_CHANNELS = [c for c in RequestChannel if c is not RequestChannel.WEB]


def labels() -> dict[str, dict[str, str]]:
    """Words for the stored vocabularies, in the page's language."""
    return {
        "kind": {
            "access": _("Access (registerutdrag)"),
            "rectification": _("Rectification"),
            "erasure": _("Erasure"),
            "restriction": _("Restriction"),
            "portability": _("Portability"),
            "objection": _("Objection"),
        },
        "status": {
            "awaiting_verification": _("Awaiting verification"),
            "open": _("Open"),
            "extended": _("Extended"),
            "completed": _("Completed"),
            "refused": _("Refused"),
        },
        "channel": {
            "web": _("Web (code to e-mail on file)"),
            "letter": _("Letter"),
            "phone": _("Phone"),
            "email": _("E-mail"),
            "in_person": _("In person"),
        },
        "erasure": {"erase": _("Erase"), "keep": _("Keep (legal duty)")},
        # What the subject reads of a completed request (the outcome itself is the
        # handler's evidence, in the software's words).
        "answered": {
            "access": _("Your registerutdrag is ready: the link was sent to your e-mail."),
            "rectification": _("Your data has been corrected."),
            "erasure": _("Your data has been erased, except what the law requires us to keep."),
            "restriction": _("Processing of the data you named is restricted."),
            "portability": _("Your data is ready to download: the link was sent to your e-mail."),
            "objection": _("Your objection is upheld: the processing has stopped."),
        },
        "receipt_action": {"extract": _("Registerutdrag"), "erasure": _("Erasure")},
        "lang": {"sv": _("Swedish"), "en": _("English")},
        "history": {
            "subject_request.open": _("Registered"),
            "subject_request.assign": _("Assigned"),
            "subject_request.extend": _("Extended"),
            "subject_request.complete": _("Answered"),
            "subject_request.refuse": _("Refused"),
        },
        "done": {
            "taken": _("You now handle the request."),
            "assigned": _("The request's owner is changed."),
            "extended": _("The time was extended and the subject told why."),
            "completed": _("The request is answered and the subject told."),
            "refused": _("The request is refused and the subject told why."),
        },
    }


def _choices(request: Request) -> dict[str, object]:
    policy = request.app.state.policy
    lang = i18n.current_language.get()
    return {
        "labels": labels(),
        "kinds": list(RequestKind),
        "channels": STAFF_CHANNELS,
        "languages": i18n.LANGUAGES,
        "categories": [(k, c.title.get(lang)) for k, c in policy.categories.items()],
        "objectable": [(k, p.title.get(lang)) for k, p in policy.purposes.items() if p.objectable],
    }


@router.get("/requests")
def queue(
    request: Request,
    session: SessionDep,
    principal: Handler,
    view: request_service.QueueView = request_service.QueueView.OPEN,
    # "" is the form's "all kinds" (a browser sends the empty choice).
    kind: RequestKind | Literal[""] | None = None,
    owner: assignment.OwnerFilter = assignment.OwnerFilter.ANY,
    q: Annotated[Line, Query(max_length=100)] = "",
) -> Response:
    """`q` finds a case by its number, or by the subject's number or name; `owner` keeps
    the caller's own or the unassigned."""
    kind = kind or None
    items = request_service.list_queue(
        session, principal.context, view=view, kind=kind, owner=owner
    )
    policy = request.app.state.policy
    names = workload.names_in_queue(
        session,
        policy,
        principal.context,
        [i.request.subject_id for i in items if i.request.subject_id],
    )
    wanted = q.strip().casefold()
    if wanted:
        items = [
            item
            for item in items
            if wanted in (str(item.request.id), str(item.request.subject_id))
            or wanted in names.get(item.request.subject_id or 0, "").casefold()
        ]
    today = today_in_sweden()
    return render(
        request,
        "requests/queue.html",
        {
            "items": items,
            "names": names,
            "days_left": {
                item.request.id: workload.days_left(item.request.due_on, today) for item in items
            },
            "owners": assignment.owners_of(session, [item.request for item in items]),
            "view": view.value,
            "kind": kind.value if kind else "",
            "owner": owner.value,
            "q": q,
            **_choices(request),
        },
        principal=principal,
    )


def _new_page(
    request: Request,
    principal: StaffPrincipal,
    *,
    values: dict[str, str],
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "requests/new.html",
        {"values": values, "error": error, **_choices(request)},
        principal=principal,
        status_code=status_code,
    )


@router.get("/requests/new")
def new_form(
    request: Request,
    principal: Handler,
    subject_id: Annotated[Line, Query(max_length=12)] = "",
) -> Response:
    return _new_page(request, principal, values={"subject_id": subject_id})


@router.post("/requests/new")
def register(
    request: Request,
    session: SessionDep,
    policy: PolicyDep,
    _handler: Handler,
    principal: Checked,
    subject_id: Annotated[int, Form(ge=1, le=2**31 - 1)],
    kind: Annotated[RequestKind, Form()],
    channel: Annotated[RequestChannel, Form()],
    identity_check: Note,
    received_on: Annotated[date | None, Form()] = None,
    note: Note = "",
    lang: Annotated[Lang, Form()] = i18n.DEFAULT_LANGUAGE,
) -> Response:
    """`lang`: the language the subject wrote in; their mails and outcome are in it."""
    values = {
        "subject_id": str(subject_id),
        "kind": kind.value,
        "channel": channel.value,
        "lang": lang,
        "identity_check": identity_check,
        "received_on": received_on.isoformat() if received_on else "",
        "note": note,
    }
    try:
        created = request_service.register_request(
            session,
            principal.context,
            policy=policy,
            subject_id=subject_id,
            kind=kind,
            channel=channel,
            identity_check=identity_check,
            received_on=received_on,
            note=note,
            lang=lang,
        )
    except InvalidInput as problem:
        return _new_page(request, principal, values=values, error=problem.message, status_code=422)
    deliver_mail(request)
    return RedirectResponse(f"/requests/{created.id}", status_code=303)


def _detail_page(
    request: Request,
    session: SessionDep,
    policy: PolicyDep,
    principal: StaffPrincipal,
    request_id: int,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    detail = request_service.get_request(
        session, principal.context, policy=policy, request_id=request_id
    )
    owning = assignment.ownership(session, principal.context, policy=policy, request=detail.request)
    return render(
        request,
        "requests/detail.html",
        {
            "detail": detail,
            "ownership": owning,
            "error": error,
            "done": request.query_params.get("done"),
            **_choices(request),
        },
        principal=principal,
        status_code=status_code,
    )


@router.get("/requests/outbox")
def outbox_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    policy: PolicyDep,
    principal: Handler,
) -> Response:
    mails = outbox.show_outbox(session, principal.context, policy=policy)
    return render(
        request,
        "requests/outbox.html",
        {"mails": mails, "smtp": bool(settings.smtp_url), "sent": request.query_params.get("sent")},
        principal=principal,
    )


@router.post("/requests/outbox/send")
def outbox_send(
    session: SessionDep, settings: SettingsDep, _handler: Handler, principal: Checked
) -> Response:
    sent = outbox.send_outbox(
        session,
        principal.context,
        smtp_url=settings.smtp_url,
        sender=settings.mail_sender,
    )
    return RedirectResponse(f"/requests/outbox?sent={sent}", status_code=303)


@router.get("/requests/objections")
def objections_page(
    request: Request, session: SessionDep, policy: PolicyDep, principal: Handler
) -> Response:
    return _objections(request, session, policy, principal)


@router.post("/requests/objections/{subject_id}/grounds")
def record_grounds(
    request: Request,
    session: SessionDep,
    policy: PolicyDep,
    _handler: Handler,
    principal: Checked,
    subject_id: RowId,
    purpose: Annotated[Line, Form(max_length=60)],
    reason: Note,
) -> Response:
    """Art. 21.1: compelling legitimate grounds let processing go on despite the objection."""
    try:
        objection_service.record_compelling_grounds(
            session,
            principal.context,
            policy=policy,
            subject_id=subject_id,
            purpose=purpose,
            reason=reason,
        )
    except (InvalidInput, Conflict) as error:
        return _objections(request, session, policy, principal, error=error)
    return RedirectResponse("/requests/objections?done=1", status_code=303)


def _objections(
    request: Request,
    session: Session,
    policy: Policy,
    principal: StaffPrincipal,
    *,
    error: InvalidInput | Conflict | None = None,
) -> Response:
    rows = objection_service.list_standing_objections(session, principal.context, policy=policy)
    return render(
        request,
        "requests/objections.html",
        {
            "rows": rows,
            "error": error.message if error else None,
            "done": request.query_params.get("done") == "1",
        },
        principal=principal,
        status_code=error.status_code if error else 200,
    )


@router.get("/requests/{request_id}")
def detail(
    request: Request,
    session: SessionDep,
    policy: PolicyDep,
    principal: Handler,
    request_id: RowId,
) -> Response:
    return _detail_page(request, session, policy, principal, request_id)


@router.get("/requests/{request_id}/preview.pdf")
def preview(
    request: Request,
    session: SessionDep,
    policy: PolicyDep,
    principal: Handler,
    request_id: RowId,
) -> Response:
    """The registerutdrag the subject will get, shown in the browser before the link is sent."""
    out = io.BytesIO()
    preview_service.preview_extract(
        session,
        principal.context,
        policy=policy,
        request_id=request_id,
        out=out,
        lang=i18n.current_language.get(),
    )
    return Response(
        out.getvalue(),
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="registerutdrag-{request_id}.pdf"',
            "Cache-Control": "no-store",
        },
    )


def _act(
    request: Request,
    session: Session,
    policy: Policy,
    principal: StaffPrincipal,
    request_id: int,
    done: str,
    action: Callable[[], object],
) -> Response:
    """Run one state change of a request; a refusal re-shows the request with the reason."""
    try:
        action()
    except SystemUnavailable:
        # The receipts saying which system was not reached are kept (SystemsWaiting keeps
        # its work); the request stays open and its page names the system.
        return _detail_page(
            request,
            session,
            policy,
            principal,
            request_id,
            error=_(
                "Not done: another system of the data map could not be reached, so nothing "
                "was read or changed anywhere. The request stays open; try again when the "
                "system is back."
            ),
            status_code=503,
        )
    except (InvalidInput, Conflict) as problem:
        return _detail_page(
            request,
            session,
            policy,
            principal,
            request_id,
            error=problem.message,
            status_code=problem.status_code,
        )
    deliver_mail(request)
    return RedirectResponse(f"/requests/{request_id}?done={done}", status_code=303)


@router.post("/requests/{request_id}/extend")
def extend(
    request: Request,
    session: SessionDep,
    policy: PolicyDep,
    _handler: Handler,
    principal: Checked,
    request_id: RowId,
    reason: Note = "",
) -> Response:
    return _act(
        request,
        session,
        policy,
        principal,
        request_id,
        "extended",
        lambda: request_service.extend_request(
            session, principal.context, policy=policy, request_id=request_id, reason=reason
        ),
    )


@router.post("/requests/{request_id}/take")
def take(
    request: Request,
    session: SessionDep,
    policy: PolicyDep,
    _handler: Handler,
    principal: Checked,
    request_id: RowId,
) -> Response:
    return _act(
        request,
        session,
        policy,
        principal,
        request_id,
        "taken",
        lambda: assignment.take_request(
            session, principal.context, policy=policy, request_id=request_id
        ),
    )


@router.post("/requests/{request_id}/assign")
def assign(
    request: Request,
    session: SessionDep,
    policy: PolicyDep,
    _handler: Handler,
    principal: Checked,
    request_id: RowId,
    owner: Annotated[int | None, Form(ge=1, le=2**31 - 1)] = None,
) -> Response:
    """`owner` empty: the request goes back to the unassigned."""
    return _act(
        request,
        session,
        policy,
        principal,
        request_id,
        "assigned",
        lambda: assignment.assign_request(
            session, principal.context, policy=policy, request_id=request_id, owner_id=owner
        ),
    )


@router.post("/requests/{request_id}/complete")
def complete(
    request: Request,
    session: SessionDep,
    policy: PolicyDep,
    _handler: Handler,
    principal: Checked,
    request_id: RowId,
    note: Note = "",
    categories: Annotated[list[Line] | None, Form(max_length=50)] = None,
    purposes: Annotated[list[Line] | None, Form(max_length=50)] = None,
) -> Response:
    return _act(
        request,
        session,
        policy,
        principal,
        request_id,
        "completed",
        lambda: request_outcomes.complete_request(
            session,
            principal.context,
            policy=policy,
            request_id=request_id,
            link_base=addresses.public_base_url(request),
            note=note,
            categories=categories or [],
            purposes=purposes or [],
        ),
    )


@router.post("/requests/{request_id}/refuse")
def refuse(
    request: Request,
    session: SessionDep,
    policy: PolicyDep,
    _handler: Handler,
    principal: Checked,
    request_id: RowId,
    reason: Note = "",
) -> Response:
    return _act(
        request,
        session,
        policy,
        principal,
        request_id,
        "refused",
        lambda: request_outcomes.refuse_request(
            session, principal.context, policy=policy, request_id=request_id, reason=reason
        ),
    )
