"""Administration: staff accounts and API keys. Generated passwords and keys are shown once."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from dataskydd.auth import api_keys
from dataskydd.auth import service as auth_service
from dataskydd.auth.access import Permission
from dataskydd.auth.models import ApiKey
from dataskydd.errors import DataskyddError, InvalidInput
from dataskydd.policy.schema import Policy
from dataskydd.web import i18n
from dataskydd.web.deps import CsrfChecked, PolicyDep, SessionDep, StaffPrincipal, requires
from dataskydd.web.params import Line, RowId
from dataskydd.web.templating import render

router = APIRouter(include_in_schema=False)
_ = i18n.gettext_

AccountsAdmin = Annotated[StaffPrincipal, Depends(requires(Permission.ACCOUNTS_ADMIN))]
KeysAdmin = Annotated[StaffPrincipal, Depends(requires(Permission.API_KEYS_ADMIN))]

_DONE = {
    "role": "The role was changed. The user's sessions were ended.",
    "active": "The account was updated. The user's sessions were ended.",
    "revoked": "The key was revoked.",
}


def _error_text(error: DataskyddError) -> str:
    if isinstance(error, InvalidInput):
        return "; ".join(f"{_(field)}: {_(reason)}" for field, reason in error.problems)
    return _(error.message)


def _done(request: Request) -> str | None:
    key = request.query_params.get("done", "")
    return _(_DONE[key]) if key in _DONE else None


# --- Staff accounts ----------------------------------------------------------------------


def _accounts_page(
    request: Request,
    session: SessionDep,
    principal: StaffPrincipal,
    policy: Policy,
    *,
    shown_once: dict[str, Any] | None = None,
    error: DataskyddError | None = None,
) -> Response:
    context = {
        "users": auth_service.list_staff_users(session, principal.context),
        "roles": [
            (key, role.title.get(i18n.current_language.get())) for key, role in policy.roles.items()
        ],
        "shown_once": shown_once,
        "error": _error_text(error) if error else None,
        "done": _done(request),
    }
    status = error.status_code if error else 200
    return render(request, "admin/accounts.html", context, principal=principal, status_code=status)


@router.get("/admin/accounts")
def accounts(
    request: Request, session: SessionDep, policy: PolicyDep, principal: AccountsAdmin
) -> Response:
    return _accounts_page(request, session, principal, policy)


@router.post("/admin/accounts")
def create_account(
    request: Request,
    session: SessionDep,
    policy: PolicyDep,
    _admin: AccountsAdmin,
    principal: CsrfChecked,
    username: Annotated[Line, Form(max_length=100)],
    display_name: Annotated[Line, Form(max_length=300)],
    role: Annotated[Line, Form(max_length=40)],
) -> Response:
    try:
        user, password = auth_service.create_staff_account(
            session,
            principal.context,
            policy=policy,
            username=username,
            display_name=display_name,
            role=role,
        )
    except DataskyddError as error:
        return _accounts_page(request, session, principal, policy, error=error)
    shown = {"username": user.username, "password": password, "created": True}
    return _accounts_page(request, session, principal, policy, shown_once=shown)


@router.post("/admin/accounts/{user_id}/role")
def change_role(
    request: Request,
    session: SessionDep,
    policy: PolicyDep,
    _admin: AccountsAdmin,
    principal: CsrfChecked,
    user_id: RowId,
    role: Annotated[Line, Form(max_length=40)],
) -> Response:
    try:
        auth_service.change_role(
            session, principal.context, policy=policy, user_id=user_id, role=role
        )
    except DataskyddError as error:
        return _accounts_page(request, session, principal, policy, error=error)
    return RedirectResponse("/admin/accounts?done=role", status_code=303)


@router.post("/admin/accounts/{user_id}/active")
def set_active(
    request: Request,
    session: SessionDep,
    policy: PolicyDep,
    _admin: AccountsAdmin,
    principal: CsrfChecked,
    user_id: RowId,
    active: Annotated[bool, Form()],
) -> Response:
    try:
        auth_service.set_active(
            session, principal.context, policy=policy, user_id=user_id, active=active
        )
    except DataskyddError as error:
        return _accounts_page(request, session, principal, policy, error=error)
    return RedirectResponse("/admin/accounts?done=active", status_code=303)


@router.post("/admin/accounts/{user_id}/password")
def reset_password(
    request: Request,
    session: SessionDep,
    policy: PolicyDep,
    _admin: AccountsAdmin,
    principal: CsrfChecked,
    user_id: RowId,
) -> Response:
    try:
        user, password = auth_service.reset_password(session, principal.context, user_id=user_id)
    except DataskyddError as error:
        return _accounts_page(request, session, principal, policy, error=error)
    shown = {"username": user.username, "password": password, "created": False}
    return _accounts_page(request, session, principal, policy, shown_once=shown)


# --- API keys ----------------------------------------------------------------------------


def _key_rows(keys: Sequence[ApiKey]) -> list[dict[str, Any]]:
    return [{"key": key, "purposes": json.loads(key.purposes)} for key in keys]


def _keys_page(
    request: Request,
    session: SessionDep,
    principal: StaffPrincipal,
    *,
    new_key: str | None = None,
    error: DataskyddError | None = None,
) -> Response:
    context = {
        "keys": _key_rows(api_keys.list_api_keys(session)),
        "new_key": new_key,
        "error": _error_text(error) if error else None,
        "done": _done(request),
    }
    status = error.status_code if error else 200
    return render(request, "admin/api_keys.html", context, principal=principal, status_code=status)


@router.get("/admin/api-keys")
def keys(request: Request, session: SessionDep, principal: KeysAdmin) -> Response:
    return _keys_page(request, session, principal)


@router.post("/admin/api-keys")
def create_key(
    request: Request,
    session: SessionDep,
    policy: PolicyDep,
    _admin: KeysAdmin,
    principal: CsrfChecked,
    name: Annotated[Line, Form(max_length=200)],
    purposes: Annotated[list[Line] | None, Form(max_length=50)] = None,
    can_write: Annotated[bool, Form()] = False,
) -> Response:
    try:
        _row, key = api_keys.create_api_key(
            session,
            actor=principal.context.actor,
            policy=policy,
            name=name,
            purposes=purposes or [],
            can_write=can_write,
        )
    except DataskyddError as error:
        return _keys_page(request, session, principal, error=error)
    return _keys_page(request, session, principal, new_key=key)


@router.post("/admin/api-keys/{key_id}/revoke")
def revoke_key(
    session: SessionDep, _admin: KeysAdmin, principal: CsrfChecked, key_id: RowId
) -> Response:
    api_keys.revoke_api_key(session, actor=principal.context.actor, api_key_id=key_id)
    return RedirectResponse("/admin/api-keys?done=revoked", status_code=303)
