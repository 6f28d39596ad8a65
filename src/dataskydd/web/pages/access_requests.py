"""Public "Begär registerutdrag" (GDPR art. 15): ask with an e-mail address or phone number,
confirm with the code sent to the e-mail address on file, and later download the answer
through the time-limited link after a fresh code.

The same page follows whether or not the address is on file (no enumeration). Forms carry a
double-submit CSRF token (no session exists yet), as the staff sign-in does. The code's ticket
and the download grant are HttpOnly, SameSite=Strict cookies.
"""

from __future__ import annotations

import logging
import secrets
import threading
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from dataskydd.access import guard
from dataskydd.config import Settings
from dataskydd.db.session import transaction
from dataskydd.errors import Forbidden, InvalidInput
from dataskydd.mail import service as mail_service
from dataskydd.messages_i18n import Msg
from dataskydd.subject_requests import intake, verification
from dataskydd.subject_requests.models import CodePurpose
from dataskydd.web import i18n, rate_limit
from dataskydd.web.deps import PolicyDep, SessionDep, SettingsDep
from dataskydd.web.params import Line
from dataskydd.web.templating import render

router = APIRouter(include_in_schema=False)
_ = i18n.gettext_
log = logging.getLogger(__name__)

PUBLIC_CSRF_COOKIE = "dataskydd_public_csrf"
TICKET_COOKIE = "dataskydd_code_ticket"
GRANT_COOKIE = "dataskydd_download"
CODE_SECONDS = int(verification.CODE_LIFETIME.total_seconds())
ContactField = Annotated[Line, Form(max_length=1000)]
CodeField = Annotated[Line, Form(max_length=50)]
CsrfField = Annotated[Line, Form(max_length=200)]


# --- shared with the self-service pages -------------------------------------------------------


def send_limit_ok(request: Request, session: Session) -> bool:
    """Codes sent per client (web/rate_limit.py, shared by every process). Call it before the
    handler's first query, so the count commits on its own."""
    return rate_limit.allow(request, session, rate_limit.CODE_SEND)


def verify_limit_ok(request: Request, session: Session) -> bool:
    """Codes tried per client (each code also dies after five wrong tries)."""
    return rate_limit.allow(request, session, rate_limit.CODE_VERIFY)


def form_page(
    request: Request,
    settings: Settings,
    template: str,
    context: dict[str, object] | None = None,
    *,
    status_code: int = 200,
) -> Response:
    """A public page with a form: a fresh double-submit CSRF token in the page and a cookie."""
    token = secrets.token_urlsafe(32)
    response = render(
        request, template, {"form_csrf": token, **(context or {})}, status_code=status_code
    )
    response.set_cookie(
        PUBLIC_CSRF_COOKIE, token, httponly=True, secure=settings.cookie_secure, samesite="strict"
    )
    return response


def check_form_csrf(request: Request, sent: str) -> None:
    expected = request.cookies.get(PUBLIC_CSRF_COOKIE)
    if not expected or not secrets.compare_digest(expected, sent):
        raise Forbidden(Msg("The form has expired; reload the page and try again."))


def set_ticket(response: Response, ticket: str, settings: Settings) -> None:
    response.set_cookie(
        TICKET_COOKIE,
        ticket,
        max_age=CODE_SECONDS,
        httponly=True,
        secure=settings.cookie_secure,
        samesite="strict",
    )


def too_many() -> str:
    return _("Too many attempts. Wait a few minutes and try again.")


class _MailWorker:
    """Delivers the outbox over SMTP off the request path, so a response takes as long
    whether or not a mail was queued. Woken after each request that may have queued mail;
    also runs every few seconds, which catches mail committed after the wake-up."""

    def __init__(self, request: Request) -> None:
        self._settings: Settings = request.app.state.settings
        self._factory = request.app.state.session_factory
        self._wake = threading.Event()
        threading.Thread(target=self._run, name="dataskydd-mail", daemon=True).start()

    def notify(self) -> None:
        self._wake.set()

    def _run(self) -> None:
        while True:
            self._wake.wait(timeout=5)
            self._wake.clear()
            self._wake.wait(timeout=0.3)  # let the request's transaction commit first
            try:
                # Delivery only (see subject_requests.outbox.send_outbox): no new purpose.
                with transaction(self._factory) as session, guard.internal():
                    mail_service.send_pending(
                        session,
                        smtp_url=self._settings.smtp_url,
                        sender=self._settings.mail_sender,
                    )
            except Exception as error:  # keep delivering; the outbox keeps the mail
                log.warning("mail delivery failed: %s", type(error).__name__)


_worker_lock = threading.Lock()


def deliver_mail(request: Request) -> None:
    """Have queued mail sent, when an SMTP server is configured (otherwise it stays in the
    outbox that staff and `dataskydd outbox` show)."""
    settings: Settings = request.app.state.settings
    if not settings.smtp_url:
        return
    with _worker_lock:
        worker: _MailWorker | None = getattr(request.app.state, "mail_worker", None)
        if worker is None:
            worker = _MailWorker(request)
            request.app.state.mail_worker = worker
    worker.notify()


# --- asking -----------------------------------------------------------------------------------


def _ask_page(
    request: Request,
    settings: Settings,
    *,
    error: str | None = None,
    contact: str = "",
    status_code: int = 200,
) -> Response:
    return form_page(
        request,
        settings,
        "public/access_request.html",
        {"error": error, "contact": contact[:320]},
        status_code=status_code,
    )


@router.get("/registerutdrag")
def ask_form(request: Request, settings: SettingsDep) -> Response:
    return _ask_page(request, settings)


@router.get("/en/access-request")
def ask_form_en(request: Request, settings: SettingsDep) -> Response:
    i18n.current_language.set("en")
    return _ask_page(request, settings)


@router.post("/registerutdrag")
@router.post("/en/access-request")
def ask(
    request: Request,
    session: SessionDep,
    policy: PolicyDep,
    settings: SettingsDep,
    contact: ContactField,
    csrf_token: CsrfField,
) -> Response:
    check_form_csrf(request, csrf_token)
    if not send_limit_ok(request, session):
        return _ask_page(request, settings, error=too_many(), contact=contact, status_code=429)
    try:
        ticket = intake.start_code(
            session,
            policy=policy,
            contact=contact,
            purpose=CodePurpose.REQUEST,
            lang=i18n.current_language.get(),
        )
    except InvalidInput:
        message = _("Enter a valid e-mail address or phone number.")
        return _ask_page(request, settings, error=message, contact=contact, status_code=422)
    response = RedirectResponse("/registerutdrag/kod", status_code=303)
    set_ticket(response, ticket, settings)
    deliver_mail(request)
    return response


def _code_page(
    request: Request, settings: Settings, *, error: str | None = None, status_code: int = 200
) -> Response:
    return form_page(
        request,
        settings,
        "public/access_request_code.html",
        {"error": error, "minutes": CODE_SECONDS // 60},
        status_code=status_code,
    )


@router.get("/registerutdrag/kod")
def code_form(request: Request, settings: SettingsDep) -> Response:
    if not request.cookies.get(TICKET_COOKIE):
        return RedirectResponse("/registerutdrag", status_code=303)
    return _code_page(request, settings)


@router.post("/registerutdrag/kod")
def confirm(
    request: Request,
    session: SessionDep,
    policy: PolicyDep,
    settings: SettingsDep,
    code: CodeField,
    csrf_token: CsrfField,
) -> Response:
    check_form_csrf(request, csrf_token)
    if not verify_limit_ok(request, session):
        return _code_page(request, settings, error=too_many(), status_code=429)
    try:
        subject_request = intake.confirm_access_request(
            session,
            policy=policy,
            ticket=request.cookies.get(TICKET_COOKIE, ""),
            code=code,
            lang=i18n.current_language.get(),
        )
    except verification.CodeRejected:
        message = _("The code is wrong, has expired or has already been used.")
        return _code_page(request, settings, error=message, status_code=422)
    response = render(
        request,
        "public/access_request_received.html",
        {"number": subject_request.id, "due_on": subject_request.due_on},
    )
    response.delete_cookie(TICKET_COOKIE)
    deliver_mail(request)
    return response


# --- downloading --------------------------------------------------------------------------------


def _download_page(
    request: Request,
    settings: Settings,
    token: str,
    files: tuple[str, ...],
    *,
    step: str,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    return form_page(
        request,
        settings,
        "public/download.html",
        {"token": token, "files": files, "step": step, "error": error},
        status_code=status_code,
    )


@router.get("/registerutdrag/hamta/{token}")
def download_page(
    request: Request, session: SessionDep, settings: SettingsDep, token: Line, steg: Line = ""
) -> Response:
    found = intake.download_of(session, token)
    if intake.is_granted(found, request.cookies.get(GRANT_COOKIE)):
        step = "files"
    elif steg == "kod" and request.cookies.get(TICKET_COOKIE):
        step = "code"
    else:
        step = "start"
    return _download_page(request, settings, token, found.files, step=step)


@router.post("/registerutdrag/hamta/{token}")
def download_send_code(
    request: Request,
    session: SessionDep,
    policy: PolicyDep,
    settings: SettingsDep,
    token: Line,
    csrf_token: CsrfField,
) -> Response:
    check_form_csrf(request, csrf_token)
    limited = not send_limit_ok(request, session)
    found = intake.download_of(session, token)
    if limited:
        return _download_page(
            request, settings, token, found.files, step="start", error=too_many(), status_code=429
        )
    ticket = intake.start_download(
        session, policy=policy, token=token, lang=i18n.current_language.get()
    )
    response = RedirectResponse(f"/registerutdrag/hamta/{token}?steg=kod", status_code=303)
    set_ticket(response, ticket, settings)
    deliver_mail(request)
    return response


@router.post("/registerutdrag/hamta/{token}/kod")
def download_verify(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    token: Line,
    code: CodeField,
    csrf_token: CsrfField,
) -> Response:
    check_form_csrf(request, csrf_token)
    limited = not verify_limit_ok(request, session)
    found = intake.download_of(session, token)
    if limited:
        return _download_page(
            request, settings, token, found.files, step="code", error=too_many(), status_code=429
        )
    try:
        grant = intake.verify_download(
            session, token=token, ticket=request.cookies.get(TICKET_COOKIE, ""), code=code
        )
    except verification.CodeRejected:
        message = _("The code is wrong, has expired or has already been used.")
        return _download_page(
            request, settings, token, found.files, step="code", error=message, status_code=422
        )
    response = RedirectResponse(f"/registerutdrag/hamta/{token}", status_code=303)
    response.delete_cookie(TICKET_COOKIE)
    response.set_cookie(
        GRANT_COOKIE,
        grant,
        max_age=CODE_SECONDS,
        httponly=True,
        secure=settings.cookie_secure,
        samesite="strict",
    )
    return response


@router.get("/registerutdrag/hamta/{token}/{name}")
def download_file(
    request: Request, session: SessionDep, policy: PolicyDep, token: Line, name: Line
) -> Response:
    try:
        content, media_type = intake.render_download(
            session,
            policy=policy,
            token=token,
            grant=request.cookies.get(GRANT_COOKIE),
            name=name,
            lang=i18n.current_language.get(),
        )
    except Forbidden:
        return RedirectResponse(f"/registerutdrag/hamta/{token}", status_code=303)
    return Response(
        content,
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )
