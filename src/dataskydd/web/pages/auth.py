"""Sign-in (password, then TOTP when set up), sign-out, and the start page."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

import pyotp
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from dataskydd.auth import service as auth_service
from dataskydd.auth import sessions
from dataskydd.auth.access import Permission
from dataskydd.auth.models import StaffSession, StaffUser
from dataskydd.config import Settings
from dataskydd.errors import AuthenticationRequired, Forbidden
from dataskydd.messages_i18n import Msg
from dataskydd.subject_requests import workload
from dataskydd.web import i18n, rate_limit
from dataskydd.web.deps import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    CsrfChecked,
    PolicyDep,
    SessionDep,
    SettingsDep,
    StaffPrincipal,
    inactivity_timeout,
    requires,
)
from dataskydd.web.pages import breaches, recipients, retention
from dataskydd.web.params import Line
from dataskydd.web.templating import render

router = APIRouter(include_in_schema=False)
_ = i18n.gettext_


def _set_session_cookie(response: Response, token: str, settings: Settings) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        secure=settings.cookie_secure,
        samesite="strict",
        path="/",
    )


def _login_page(
    request: Request, settings: Settings, *, error: str | None = None, status_code: int = 200
) -> Response:
    reason = request.query_params.get("reason")
    notice = None
    if reason == "inactivity":
        minutes = int(inactivity_timeout(request).total_seconds() // 60) or 1
        notice = _("You were signed out after %(minutes)d minutes without activity.") % {
            "minutes": minutes
        }
    elif reason == "logout":
        notice = _("You are signed out.")
    # Login CSRF: a double-submit token, since there is no session to bind it to yet.
    token = secrets.token_urlsafe(32)
    response: Response = render(
        request,
        "auth/login.html",
        {"error": error, "notice": notice, "login_csrf": token},
        status_code=status_code,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE, token, httponly=True, secure=settings.cookie_secure, samesite="strict"
    )
    return response


@router.get("/login")
def login_form(request: Request, settings: SettingsDep) -> Response:
    return _login_page(request, settings)


def _check_login_csrf(request: Request, sent: str) -> None:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE)
    if not expected or not secrets.compare_digest(expected, sent):
        raise Forbidden(Msg("The sign-in form has expired; reload the page and try again."))


@router.post("/login")
def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    username: Annotated[Line, Form(max_length=200)],
    password: Annotated[Line, Form(max_length=1000)],
    csrf_token: Annotated[Line, Form(max_length=200)],
) -> Response:
    _check_login_csrf(request, csrf_token)
    if not rate_limit.allow(request, session, rate_limit.LOGIN):
        return _login_page(
            request,
            settings,
            status_code=429,
            error=_("Too many attempts. Wait a few minutes and try again."),
        )
    user = auth_service.attempt_login(session, username=username, password=password)
    if user is None:
        # The same answer whether the account exists or not (no user enumeration).
        return _login_page(
            request, settings, status_code=401, error=_("Wrong username or password.")
        )
    rate_limit.succeeded(request, session, rate_limit.LOGIN)
    record, token = sessions.start_session(
        session, user, second_factor_pending=user.totp_secret is not None
    )
    target = "/login/totp" if record.second_factor_pending else "/start"
    response = RedirectResponse(target, status_code=303)
    _set_session_cookie(response, token, settings)
    response.delete_cookie(
        LOGIN_CSRF_COOKIE, httponly=True, secure=settings.cookie_secure, samesite="strict"
    )
    return response


def _pending(request: Request, session: SessionDep) -> tuple[StaffSession, StaffUser, str]:
    """The half-signed-in session (password done, TOTP not yet), its user and TOTP secret."""
    resumed = sessions.resume_session(
        session, request.cookies.get(SESSION_COOKIE), timeout=inactivity_timeout(request)
    )
    record, user = resumed.record, resumed.user
    if record is None or user is None or not record.second_factor_pending:
        raise AuthenticationRequired()
    if user.totp_secret is None:
        raise AuthenticationRequired()
    return record, user, user.totp_secret


@router.get("/login/totp")
def totp_form(request: Request, session: SessionDep) -> Response:
    record, _user, _secret = _pending(request, session)
    return render(request, "auth/totp.html", {"csrf": record.csrf_token})


@router.post("/login/totp")
def totp_verify(
    request: Request,
    session: SessionDep,
    code: Annotated[Line, Form(max_length=10)],
    csrf_token: Annotated[Line, Form(max_length=200)],
) -> Response:
    # Counted before the first query, so the count commits on its own (web/rate_limit.py).
    allowed = rate_limit.allow(request, session, rate_limit.SECOND_FACTOR)
    record, _user, secret = _pending(request, session)
    if not secrets.compare_digest(csrf_token, record.csrf_token):
        raise Forbidden(Msg("The sign-in form has expired; reload the page and try again."))
    if not allowed or not pyotp.TOTP(secret).verify(code.strip(), valid_window=1):
        return render(
            request,
            "auth/totp.html",
            {"csrf": record.csrf_token, "error": _("The code is not valid. Try again.")},
            status_code=401,
        )
    sessions.complete_second_factor(session, record)
    return RedirectResponse("/start", status_code=303)


@router.post("/logout")
def logout(session: SessionDep, settings: SettingsDep, principal: CsrfChecked) -> Response:
    sessions.end_session(session, principal.record, reason=sessions.END_LOGOUT)
    response = RedirectResponse("/login?reason=logout", status_code=303)
    response.delete_cookie(
        SESSION_COOKIE, httponly=True, secure=settings.cookie_secure, samesite="strict"
    )
    return response


@router.get("/start")
def start(
    request: Request,
    session: SessionDep,
    policy: PolicyDep,
    settings: SettingsDep,
    principal: Annotated[StaffPrincipal, Depends(requires(Permission.OWN_ACCOUNT))],
) -> Response:
    context: dict[str, Any] = {}
    if principal.context.can(Permission.REQUESTS_HANDLE):
        # The DPO's start: the retention runs and what is overdue (docs/retention.md).
        context = {
            "retention": retention.overview(session, policy, settings),
            "requests": workload.workload(session, principal.context),
        }
    if principal.context.can(Permission.RECIPIENTS_MANAGE):
        # Agreement reviews overdue or due within the notice period (docs/recipients.md).
        context["recipient_reviews_due"] = recipients.reviews_due(session, policy, settings)
    if principal.context.can(Permission.BREACHES_MANAGE):
        # Open breaches and the 72 hours to notify IMY (art. 33.1, docs/breaches.md).
        context["open_breaches"] = breaches.start_page_breaches(session)
    return render(request, "start.html", context, principal=principal)
