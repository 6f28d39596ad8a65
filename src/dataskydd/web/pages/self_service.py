"""Mina sidor: the subject signs in with a code sent to the e-mail address on file, sees the
same content as the registerutdrag, corrects contact data, gives and withdraws consents,
objects (art. 21), asks for erasure or restriction and downloads a portable export (art. 20).

The session cookie is separate from staff's (`dataskydd_subject_session`, path /mina-sidor,
HttpOnly, SameSite=Strict), the session is a server-side row ending after the same
inactivity timeout as staff sessions, and forms carry a CSRF token bound to the session.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from dataskydd.errors import Conflict, Forbidden, InvalidInput
from dataskydd.messages_i18n import Msg
from dataskydd.subject_requests import intake, verification
from dataskydd.subject_requests import my_data as my_data_view
from dataskydd.subject_requests import self_service as my
from dataskydd.subject_requests.models import CodePurpose, RequestKind
from dataskydd.web import i18n
from dataskydd.web.deps import PolicyDep, SessionDep, SettingsDep, inactivity_timeout
from dataskydd.web.pages.access_requests import (
    TICKET_COOKIE,
    check_form_csrf,
    deliver_mail,
    form_page,
    send_limit_ok,
    set_ticket,
    too_many,
    verify_limit_ok,
)
from dataskydd.web.pages.request_queue import labels
from dataskydd.web.params import MAX_ROW_ID, Line, Text
from dataskydd.web.templating import render

router = APIRouter(include_in_schema=False)
_ = i18n.gettext_

SUBJECT_COOKIE = "dataskydd_subject_session"
BASE = "/mina-sidor"
Csrf = Annotated[Line, Form(max_length=200)]
Short = Annotated[Line, Form(max_length=400)]


def _resume(request: Request, session: SessionDep) -> my.Resumed:
    return my.resume(
        session, request.cookies.get(SUBJECT_COOKIE), timeout=inactivity_timeout(request)
    )


Me = Annotated[my.Resumed, Depends(_resume)]


def _to_sign_in(resumed: my.Resumed) -> Response:
    reason = "?reason=inactivity" if resumed.ended_by_inactivity else ""
    response = RedirectResponse(f"{BASE}/logga-in{reason}", status_code=303)
    response.delete_cookie(SUBJECT_COOKIE, path=BASE)
    return response


def _check(me: my.SubjectSession, sent: str) -> None:
    if not secrets.compare_digest(sent, me.csrf_token):
        raise Forbidden(Msg("The form has expired; reload the page and try again."))


def _page(
    request: Request,
    me: my.SubjectSession,
    template: str,
    context: dict[str, object] | None = None,
    *,
    status_code: int = 200,
) -> Response:
    full = {"subject_csrf": me.csrf_token, "labels": labels(), **(context or {})}
    return render(request, template, full, status_code=status_code)


# --- signing in and out -------------------------------------------------------------------------


def _sign_in_page(
    request: Request, settings: SettingsDep, *, error: str | None = None, status_code: int = 200
) -> Response:
    notice = None
    if request.query_params.get("reason") == "inactivity":
        minutes = int(inactivity_timeout(request).total_seconds() // 60) or 1
        notice = _("You were signed out after %(minutes)d minutes without activity.") % {
            "minutes": minutes
        }
    elif request.query_params.get("reason") == "logout":
        notice = _("You are signed out.")
    return form_page(
        request,
        settings,
        "self_service/sign_in.html",
        {"error": error, "notice": notice},
        status_code=status_code,
    )


@router.get(BASE)
def home(me: Me) -> Response:
    if me.session is None:
        return _to_sign_in(me)
    return RedirectResponse(f"{BASE}/uppgifter", status_code=303)


@router.get(f"{BASE}/logga-in")
def sign_in_form(request: Request, settings: SettingsDep) -> Response:
    return _sign_in_page(request, settings)


@router.post(f"{BASE}/logga-in")
def send_sign_in_code(
    request: Request,
    session: SessionDep,
    policy: PolicyDep,
    settings: SettingsDep,
    contact: Annotated[Line, Form(max_length=1000)],
    csrf_token: Csrf,
) -> Response:
    check_form_csrf(request, csrf_token)
    if not send_limit_ok(request, session):
        return _sign_in_page(request, settings, error=too_many(), status_code=429)
    try:
        ticket = intake.start_code(
            session,
            policy=policy,
            contact=contact,
            purpose=CodePurpose.SIGN_IN,
            lang=i18n.current_language.get(),
        )
    except InvalidInput:
        message = _("Enter a valid e-mail address or phone number.")
        return _sign_in_page(request, settings, error=message, status_code=422)
    response = RedirectResponse(f"{BASE}/kod", status_code=303)
    set_ticket(response, ticket, settings)
    deliver_mail(request)
    return response


def _code_page(
    request: Request, settings: SettingsDep, *, error: str | None = None, status_code: int = 200
) -> Response:
    minutes = int(verification.CODE_LIFETIME.total_seconds() // 60)
    return form_page(
        request,
        settings,
        "self_service/code.html",
        {"error": error, "minutes": minutes},
        status_code=status_code,
    )


@router.get(f"{BASE}/kod")
def code_form(request: Request, settings: SettingsDep) -> Response:
    if not request.cookies.get(TICKET_COOKIE):
        return RedirectResponse(f"{BASE}/logga-in", status_code=303)
    return _code_page(request, settings)


@router.post(f"{BASE}/kod")
def verify(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    code: Annotated[Line, Form(max_length=50)],
    csrf_token: Csrf,
) -> Response:
    check_form_csrf(request, csrf_token)
    if not verify_limit_ok(request, session):
        return _code_page(request, settings, error=too_many(), status_code=429)
    try:
        _started, token = my.sign_in(
            session,
            ticket=request.cookies.get(TICKET_COOKIE, ""),
            code=code,
            timeout=inactivity_timeout(request),
        )
    except verification.CodeRejected:
        message = _("The code is wrong, has expired or has already been used.")
        return _code_page(request, settings, error=message, status_code=422)
    response = RedirectResponse(f"{BASE}/uppgifter", status_code=303)
    response.delete_cookie(TICKET_COOKIE)
    response.set_cookie(
        SUBJECT_COOKIE,
        token,
        httponly=True,
        secure=settings.cookie_secure,
        samesite="strict",
        path=BASE,
    )
    return response


@router.post(f"{BASE}/logga-ut")
def sign_out(session: SessionDep, me: Me, csrf_token: Csrf) -> Response:
    if me.session is None:
        return _to_sign_in(me)
    _check(me.session, csrf_token)
    my.sign_out(session, me.session)
    response = RedirectResponse(f"{BASE}/logga-in?reason=logout", status_code=303)
    response.delete_cookie(SUBJECT_COOKIE, path=BASE)
    return response


# --- my data, contact data ------------------------------------------------------------------------


@router.get(f"{BASE}/uppgifter")
def my_data(request: Request, session: SessionDep, policy: PolicyDep, me: Me) -> Response:
    if me.session is None:
        return _to_sign_in(me)
    head, categories, empty = my_data_view.my_data(
        session,
        policy=policy,
        subject_id=me.session.subject_id,
        lang=i18n.current_language.get(),
    )
    return _page(
        request,
        me.session,
        "self_service/my_data.html",
        {
            "head": head,
            "categories": categories,
            "empty": empty,
            "page_rows": my_data_view.PAGE_ROWS,
            "current": "data",
        },
    )


@router.get(f"{BASE}/uppgifter/rader")
def my_rows(
    request: Request,
    session: SessionDep,
    policy: PolicyDep,
    me: Me,
    kategori: Annotated[Line, Query(max_length=100)] = "",
    tabell: Annotated[Line, Query(max_length=200)] = "",
    sida: Annotated[int, Query(ge=1, le=my_data_view.MAX_PAGE)] = 2,
) -> Response:
    """A further page of one of the subject's tables ("Visa fler")."""
    if me.session is None:
        return _to_sign_in(me)
    category, table = my_data_view.my_rows(
        session,
        policy=policy,
        subject_id=me.session.subject_id,
        lang=i18n.current_language.get(),
        category=kategori,
        table=tabell,
        page=sida,
    )
    return _page(
        request,
        me.session,
        "self_service/my_rows.html",
        {
            "category": category,
            "table": table,
            "page_rows": my_data_view.PAGE_ROWS,
            "current": "data",
        },
    )


def _contact_page(
    request: Request,
    session: SessionDep,
    policy: PolicyDep,
    me: my.SubjectSession,
    *,
    error: InvalidInput | None = None,
    changed: list[str] | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    details = my.my_contact_details(session, policy=policy, subject_id=me.subject_id)
    shown = {**details.values(), **(values or {})}
    return _page(
        request,
        me,
        "self_service/contact.html",
        {
            "values": shown,
            "errors": dict(error.problems) if error else {},
            "changed": changed,
            "current": "contact",
        },
        status_code=422 if error else 200,
    )


@router.get(f"{BASE}/kontaktuppgifter")
def contact_form(request: Request, session: SessionDep, policy: PolicyDep, me: Me) -> Response:
    if me.session is None:
        return _to_sign_in(me)
    return _contact_page(request, session, policy, me.session)


@router.post(f"{BASE}/kontaktuppgifter")
def correct_contact(
    request: Request,
    session: SessionDep,
    policy: PolicyDep,
    me: Me,
    csrf_token: Csrf,
    email: Short = "",
    phone: Short = "",
    care_of: Short = "",
    street: Short = "",
    postal_code: Short = "",
    city: Short = "",
) -> Response:
    if me.session is None:
        return _to_sign_in(me)
    _check(me.session, csrf_token)
    submitted: dict[str, str | None] = {
        "email": email,
        "phone": phone,
        "care_of": care_of,
        "street": street,
        "postal_code": postal_code,
        "city": city,
    }
    try:
        changed = my.correct_contact_details(
            session,
            policy=policy,
            subject_id=me.session.subject_id,
            submitted=submitted,
            lang=i18n.current_language.get(),
        )
    except InvalidInput as problem:
        values = {k: v or "" for k, v in submitted.items()}
        return _contact_page(request, session, policy, me.session, error=problem, values=values)
    return _contact_page(request, session, policy, me.session, changed=changed)


# --- consents and objections ---------------------------------------------------------------


@router.get(f"{BASE}/samtycken")
def consents(request: Request, session: SessionDep, policy: PolicyDep, me: Me) -> Response:
    if me.session is None:
        return _to_sign_in(me)
    subject_id = me.session.subject_id
    lang = i18n.current_language.get()
    objectable = [(k, policy.purposes[k]) for k in my.objectable_purposes(policy)]
    return _page(
        request,
        me.session,
        "self_service/consents.html",
        {
            "consents": my.my_consents(session, policy=policy, subject_id=subject_id),
            "objections": my.my_objections(session, subject_id=subject_id),
            "objectable": [(k, p.title.get(lang), p.profiling) for k, p in objectable],
            "done": request.query_params.get("done"),
            "current": "consents",
        },
    )


@router.post(f"{BASE}/samtycken")
def change_consent(
    session: SessionDep,
    policy: PolicyDep,
    me: Me,
    csrf_token: Csrf,
    what: Annotated[Line, Form(pattern="^(newsletter|activity|objection)$")],
    key: Annotated[Line, Form(max_length=60)],
    give: Annotated[bool, Form()],
) -> Response:
    """One form for every switch: `give` true gives consent (or objects), false withdraws."""
    if me.session is None:
        return _to_sign_in(me)
    _check(me.session, csrf_token)
    subject_id = me.session.subject_id
    if what == "newsletter":
        my.set_newsletter(session, policy=policy, subject_id=subject_id, list_code=key, give=give)
    elif what == "activity":
        if not key.isdigit() or len(key) > 12 or int(key) > MAX_ROW_ID:
            raise InvalidInput("key", Msg("is not an activity number"))
        my.set_participation(
            session, policy=policy, subject_id=subject_id, activity_id=int(key), give=give
        )
    else:
        my.set_objection(session, policy=policy, subject_id=subject_id, purpose=key, object_to=give)
    return RedirectResponse(f"{BASE}/samtycken?done=1", status_code=303)


# --- requests and the portable export ------------------------------------------------------------


def _requests_page(
    request: Request,
    session: SessionDep,
    me: my.SubjectSession,
    *,
    error: str | None = None,
    created: int | None = None,
    status_code: int = 200,
) -> Response:
    return _page(
        request,
        me,
        "self_service/requests.html",
        {
            "requests": my.my_requests(session, subject_id=me.subject_id),
            "kinds": my.REQUESTABLE,
            "error": error,
            "created": created,
            "current": "requests",
        },
        status_code=status_code,
    )


@router.get(f"{BASE}/begaran")
def requests_page(request: Request, session: SessionDep, me: Me) -> Response:
    if me.session is None:
        return _to_sign_in(me)
    return _requests_page(request, session, me.session)


@router.post(f"{BASE}/begaran")
def make_request(
    request: Request,
    session: SessionDep,
    policy: PolicyDep,
    me: Me,
    csrf_token: Csrf,
    kind: Annotated[RequestKind, Form()],
    note: Annotated[Text, Form(max_length=4000)] = "",
) -> Response:
    if me.session is None:
        return _to_sign_in(me)
    _check(me.session, csrf_token)
    try:
        created = my.ask(
            session,
            policy=policy,
            subject_id=me.session.subject_id,
            kind=kind,
            note=note,
            lang=i18n.current_language.get(),
        )
    except (InvalidInput, Conflict) as problem:
        code = 422 if isinstance(problem, InvalidInput) else 409
        return _requests_page(request, session, me.session, error=problem.message, status_code=code)
    deliver_mail(request)
    return _requests_page(request, session, me.session, created=created.id)


@router.get(f"{BASE}/dataportabilitet.json")
def portable_export(session: SessionDep, policy: PolicyDep, me: Me) -> Response:
    if me.session is None:
        return _to_sign_in(me)
    content = my.portable_export(
        session,
        policy=policy,
        subject_id=me.session.subject_id,
        lang=i18n.current_language.get(),
    )
    return Response(
        content,
        media_type="application/json",
        headers={
            "Content-Disposition": 'attachment; filename="dataportabilitet.json"',
            "Cache-Control": "no-store",
        },
    )
