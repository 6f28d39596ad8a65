"""My account: password change and the TOTP second factor (SPEC 6)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from dataskydd.auth import service as auth_service
from dataskydd.auth.access import Permission
from dataskydd.errors import DataskyddError, InvalidInput
from dataskydd.web import i18n
from dataskydd.web.deps import (
    SESSION_COOKIE,
    CsrfChecked,
    SessionDep,
    SettingsDep,
    StaffPrincipal,
    needs_setup,
    requires,
)
from dataskydd.web.params import Line
from dataskydd.web.templating import render

router = APIRouter(include_in_schema=False)
_ = i18n.gettext_

Own = Annotated[StaffPrincipal, Depends(requires(Permission.OWN_ACCOUNT))]
Secret = Annotated[Line, Form(max_length=1000)]

_DONE = {
    "password": "Your password was changed. Other devices were signed out.",
    "totp_on": "Two-step verification is on. Sign-ins now ask for a code.",
    "totp_off": "Two-step verification is off.",
}


def _qr_data_uri(uri: str) -> str:
    import segno  # only when a second factor is being set up, not at every start

    return str(segno.make(uri, error="m").svg_data_uri(scale=4, border=2))


def _page(
    request: Request,
    principal: StaffPrincipal,
    *,
    error: DataskyddError | None = None,
    setup: auth_service.TotpSetup | None = None,
    form: str | None = None,
) -> Response:
    context: dict[str, Any] = {
        "user": principal.user,
        "role_title": principal.role_title,
        "done": _(_DONE[key]) if (key := request.query_params.get("done", "")) in _DONE else None,
        "error": _error_text(error) if error else None,
        "error_form": form,
        "setup": setup,
        "qr": _qr_data_uri(setup.uri) if setup else None,
        "needs": needs_setup(request, principal.user),
        "two_factor_required": request.app.state.settings.require_two_factor,
    }
    status = error.status_code if error else 200
    return render(request, "account/index.html", context, principal=principal, status_code=status)


def _error_text(error: DataskyddError) -> str:
    if isinstance(error, InvalidInput):
        return "; ".join(f"{_(field)}: {_(reason)}" for field, reason in error.problems)
    return _(error.message)


@router.get("/account")
def account(request: Request, principal: Own) -> Response:
    return _page(request, principal)


@router.post("/account/password")
def change_password(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    _own: Own,
    principal: CsrfChecked,
    current_password: Secret,
    new_password: Secret,
    new_password_again: Secret,
) -> Response:
    """All sessions end; this browser gets a fresh one (new cookie, new CSRF token)."""
    try:
        token = auth_service.change_password(
            session,
            user=principal.user,
            current_password=current_password,
            new_password=new_password,
            new_password_again=new_password_again,
        )
    except InvalidInput as error:
        return _page(request, principal, error=error, form="password")
    response = RedirectResponse("/account?done=password", status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        secure=settings.cookie_secure,
        samesite="strict",
        path="/",
    )
    return response


@router.post("/account/totp/setup")
def totp_setup(
    request: Request, session: SessionDep, _own: Own, principal: CsrfChecked
) -> Response:
    try:
        setup = auth_service.start_totp_setup(session, user=principal.user)
    except DataskyddError as error:
        return _page(request, principal, error=error, form="totp")
    return _page(request, principal, setup=setup)


@router.post("/account/totp/confirm")
def totp_confirm(
    request: Request,
    session: SessionDep,
    _own: Own,
    principal: CsrfChecked,
    sealed: Annotated[Line, Form(max_length=500)],
    code: Annotated[Line, Form(max_length=20)],
) -> Response:
    try:
        auth_service.confirm_totp(session, user=principal.user, sealed=sealed, code=code)
    except DataskyddError as error:
        try:
            setup = auth_service.open_totp_setup(principal.user, sealed)
        except InvalidInput:
            setup = None
        return _page(request, principal, error=error, setup=setup, form="totp")
    return RedirectResponse("/account?done=totp_on", status_code=303)


@router.post("/account/totp/disable")
def totp_disable(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    _own: Own,
    principal: CsrfChecked,
    password: Secret,
) -> Response:
    try:
        auth_service.disable_totp(
            session, user=principal.user, password=password, required=settings.require_two_factor
        )
    except DataskyddError as error:
        return _page(request, principal, error=error, form="totp")
    return RedirectResponse("/account?done=totp_off", status_code=303)
