"""Dependencies of every route: the database session, the policy, and who is calling.

Access is checked in one place: each staff route depends on `requires(permission)`, each API
route on `api_requires(permission)`. tests/web/test_access_matrix.py reads these off the
routes and proves every role gets exactly what the policy's `roles` table says.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from dataskydd.auth import api_keys, sessions
from dataskydd.auth.access import AccessContext, Permission, staff_context
from dataskydd.auth.models import StaffSession, StaffUser
from dataskydd.config import Settings
from dataskydd.db.session import transaction
from dataskydd.errors import AuthenticationRequired, Forbidden
from dataskydd.messages_i18n import Msg
from dataskydd.policy.schema import LocalizedText, Policy

SESSION_COOKIE = "dataskydd_session"
LOGIN_CSRF_COOKIE = "dataskydd_login_csrf"
LANGUAGE_COOKIE = "dataskydd_lang"


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request: committed after the handler, rolled back on error."""
    with transaction(request.app.state.session_factory) as session:
        yield session


def policy_of(request: Request) -> Policy:
    policy: Policy = request.app.state.policy
    return policy


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


# Dependencies that only read the app's state are `async def`: FastAPI runs a plain `def`
# dependency in the threadpool, a hand-off to a thread and back on every request for nothing.
async def get_policy(request: Request) -> Policy:
    return policy_of(request)


async def get_settings_dep(request: Request) -> Settings:
    return settings_of(request)


# scope="function": commit before the response is sent. By default FastAPI ends yield
# dependencies after sending, so a browser following a redirect could read stale data.
# max_concurrency below the threadpool's 40 threads: a request holds its transaction (and on
# SQLite the write lock, for the audit entry) across several threadpool steps; with more open
# transactions than threads, the waiting ones would take every thread from the one holding the
# lock. Requests past the limit wait without a thread and without a connection.
SESSION_CONCURRENCY = 32
SessionDep = Annotated[
    Session, Depends(get_session, scope="function", max_concurrency=SESSION_CONCURRENCY)
]
PolicyDep = Annotated[Policy, Depends(get_policy)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


def inactivity_timeout(request: Request) -> timedelta:
    timeout: timedelta = request.app.state.inactivity_timeout
    return timeout


@dataclass(frozen=True)
class StaffPrincipal:
    user: StaffUser
    record: StaffSession
    context: AccessContext
    # The policy's name for the role; None when the policy no longer declares it.
    role_title: LocalizedText | None = None

    @property
    def csrf_token(self) -> str:
        return self.record.csrf_token


def current_staff(request: Request, session: SessionDep) -> StaffPrincipal:
    resumed = sessions.resume_session(
        session, request.cookies.get(SESSION_COOKIE), timeout=inactivity_timeout(request)
    )
    if resumed.user is None or resumed.record is None:
        raise AuthenticationRequired(reason="inactivity" if resumed.ended_by_inactivity else None)
    if resumed.record.second_factor_pending:
        raise AuthenticationRequired(reason="second_factor")
    user = resumed.user
    _require_account_setup(request, user)
    policy = policy_of(request)
    context = staff_context(policy=policy, username=user.username, role=user.role, user_id=user.id)
    declared = policy.roles.get(user.role)
    return StaffPrincipal(
        user=user,
        record=resumed.record,
        context=context,
        role_title=declared.title if declared else None,
    )


CurrentStaff = Annotated[StaffPrincipal, Depends(current_staff)]

# What an account that must first choose its password or set up two-step verification may
# still reach: the page where it does so, and signing out.
_SETUP_PATHS = ("/account", "/logout")


def needs_setup(request: Request, user: StaffUser) -> str | None:
    """Why the account must visit My account first: "password" (an administrator issued it),
    "two_factor" (the organisation requires it and it is not set up), or None."""
    if user.must_change_password:
        return "password"
    if settings_of(request).require_two_factor and user.totp_secret is None:
        return "two_factor"
    return None


def _require_account_setup(request: Request, user: StaffUser) -> None:
    path = request.url.path
    if path in _SETUP_PATHS or path.startswith("/account/"):
        return
    if needs_setup(request, user) is not None:
        raise AuthenticationRequired(Msg("finish setting up your account first"), reason="setup")


def requires(permission: Permission) -> Callable[..., Awaitable[StaffPrincipal]]:
    async def dependency(principal: CurrentStaff) -> StaffPrincipal:
        principal.context.require(permission)
        return principal

    dependency.permission = permission  # type: ignore[attr-defined]
    return dependency


def api_requires(permission: Permission) -> Callable[..., AccessContext]:
    def dependency(request: Request, session: SessionDep) -> AccessContext:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise AuthenticationRequired(Msg("an API key is required: Authorization: Bearer <key>"))
        context = api_keys.authenticate_api_key(session, token.strip())
        context.require(permission)
        return context

    dependency.permission = permission  # type: ignore[attr-defined]
    dependency.api = True  # type: ignore[attr-defined]
    return dependency


async def verify_csrf(request: Request, principal: CurrentStaff) -> StaffPrincipal:
    """Synchronizer token: every state-changing form carries the session's token."""
    form = await request.form()
    sent = form.get("csrf_token")
    if not isinstance(sent, str) or not secrets.compare_digest(sent, principal.csrf_token):
        raise Forbidden(
            Msg("the form has expired or did not come from this site; reload and retry")
        )
    return principal


CsrfChecked = Annotated[StaffPrincipal, Depends(verify_csrf)]
