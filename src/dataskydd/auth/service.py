"""Staff accounts and password log-in with lock-out (SPEC 6)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

import pyotp
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dataskydd import crypto
from dataskydd.audit import service as audit_service
from dataskydd.auth import passwords, sessions
from dataskydd.auth.access import AccessContext, Permission
from dataskydd.auth.models import StaffUser
from dataskydd.clock import utc_now
from dataskydd.errors import Conflict, Forbidden, InvalidInput, NotFound
from dataskydd.messages_i18n import Msg
from dataskydd.policy.schema import Policy

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
LOGIN_FAILED = Msg("wrong username or password")
_USERNAME = re.compile(r"[a-z0-9._-]{2,64}")


def normalise_username(username: str) -> str:
    return username.strip().lower()


def find_staff_user_by_username(session: Session, username: str) -> StaffUser | None:
    statement = select(StaffUser).where(StaffUser.username == normalise_username(username))
    return session.scalars(statement).one_or_none()


def get_staff_user_by_username(session: Session, username: str) -> StaffUser:
    user = find_staff_user_by_username(session, username)
    if user is None:
        raise NotFound(Msg("staff user: not found"))
    return user


def count_staff_users(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(StaffUser)) or 0


def create_staff_user(
    session: Session,
    *,
    policy: Policy,
    username: str,
    role: str,
    display_name: str | None = None,
    password: str | None = None,
    actor: str = "system",
) -> tuple[StaffUser, str | None]:
    """Returns the account and, when no password was given, the generated one (shown once)."""
    username = normalise_username(username)
    if not _USERNAME.fullmatch(username):
        raise InvalidInput("username", Msg("use 2–64 characters from a–z, 0–9, '.', '_' and '-'"))
    role = _parse_role(policy, role)
    generated = None
    if password is None:
        password = generated = passwords.generate_password()
    else:
        passwords.validate_password_strength(password, username=username)
    if find_staff_user_by_username(session, username) is not None:
        raise Conflict(Msg("username: already taken"))
    user = StaffUser(
        username=username,
        display_name=(display_name or "").strip() or username,
        role=role,
        password_hash=passwords.hash_password(password),
        password_changed_at=utc_now(),
    )
    session.add(user)
    session.flush()
    audit_service.record(
        session,
        actor=actor,
        action="auth.staff_created",
        detail={"staff_user_id": user.id, "role": role},
    )
    return user, generated


def authenticate(
    session: Session, *, username: str, password: str, now: datetime | None = None
) -> StaffUser:
    """Log in, or raise Forbidden with the same message whatever went wrong.

    The failure counter and the audit entry are flushed before raising. An entry point that
    rolls back on exceptions would undo them (and with them the lock-out): such callers use
    attempt_login and raise after committing.
    """
    user = attempt_login(session, username=username, password=password, now=now)
    if user is None:
        raise Forbidden(LOGIN_FAILED)
    return user


def attempt_login(
    session: Session, *, username: str, password: str, now: datetime | None = None
) -> StaffUser | None:
    """Check a password, count failures, lock after MAX_FAILED_LOGINS; None means refused.

    Every path runs one argon2 verification, so response time does not reveal whether the
    account exists, is locked or inactive.
    """
    now = now or utc_now()
    normalised = normalise_username(username)
    user = (
        find_staff_user_by_username(session, normalised)
        if _USERNAME.fullmatch(normalised)
        else None
    )
    if user is None:
        passwords.verify_password(_dummy_hash(), password)
        # The typed name may itself be personal data (or a mistyped password), so not logged.
        _audit_failure(session, "anonymous", reason="unknown_user")
        return None

    password_ok = passwords.verify_password(user.password_hash, password)
    # Re-read under a row lock, after the slow hash: concurrent wrong passwords (from other
    # threads, workers or instances) then each count, instead of all writing the same count.
    session.refresh(user, with_for_update=True)
    actor = f"staff:{user.username}"
    if not user.is_active:
        _audit_failure(session, actor, reason="inactive")
        return None
    if user.locked_until is not None and now < user.locked_until:
        # No counting while locked: the lock is not extended by an attacker's further tries.
        _audit_failure(session, actor, reason="locked")
        return None
    if not password_ok:
        user.failed_logins += 1
        locked = user.failed_logins >= MAX_FAILED_LOGINS
        if locked:
            user.locked_until = now + LOCKOUT
            user.failed_logins = 0
        session.flush()
        _audit_failure(session, actor, reason="wrong_password", locked=locked)
        return None

    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    session.flush()
    audit_service.record(session, actor=actor, action="auth.login")
    return user


def _audit_failure(session: Session, actor: str, *, reason: str, locked: bool = False) -> None:
    detail: dict[str, object] = {"reason": reason}
    if locked:
        detail["locked_minutes"] = int(LOCKOUT.total_seconds() // 60)
    audit_service.record(session, actor=actor, action="auth.login_failed", detail=detail)


@cache
def _dummy_hash() -> str:
    return passwords.hash_password(passwords.generate_password())


# --- Own account: password and second factor (SPEC 6) -------------------------------------

TOTP_SETUP_LIFETIME = timedelta(minutes=15)
END_PASSWORD_CHANGED = "password"  # noqa: S105 - a session end reason
END_ROLE_CHANGED = "role"
END_DEACTIVATED = "deactivated"
_ISSUER = "dataskydd"


def _sealed_context(user_id: int) -> str:
    return f"staff_user.totp_setup.{user_id}"


@dataclass(frozen=True)
class TotpSetup:
    """A second factor being set up: `secret` to show, `sealed` to send back with the code.

    Nothing is stored until a code confirms the secret; `sealed` is the secret and its start
    time encrypted for this account, so the browser cannot pick its own secret."""

    secret: str
    sealed: str
    uri: str


def change_password(
    session: Session,
    *,
    user: StaffUser,
    current_password: str,
    new_password: str,
    new_password_again: str,
) -> str:
    """Change one's own password; every session ends and a fresh one is started for the
    caller. Returns the new session's token (for the cookie)."""
    if not passwords.verify_password(user.password_hash, current_password):
        audit_service.record(
            session,
            actor=f"staff:{user.username}",
            action="auth.password_change_failed",
            detail={"reason": "wrong_password"},
        )
        raise InvalidInput("current_password", Msg("is wrong"))
    if new_password != new_password_again:
        raise InvalidInput("new_password_again", Msg("does not match the new password"))
    if new_password == current_password:
        raise InvalidInput("new_password", Msg("must differ from the current password"))
    try:
        passwords.validate_password_strength(new_password, username=user.username)
    except InvalidInput as error:
        raise InvalidInput("new_password", error.reason) from None
    user.password_hash = passwords.hash_password(new_password)
    user.password_changed_at = utc_now()
    user.must_change_password = False
    sessions.end_all_sessions(session, user.id, reason=END_PASSWORD_CHANGED)
    _record, token = sessions.start_session(session, user)
    audit_service.record(
        session,
        actor=f"staff:{user.username}",
        action="auth.password_changed",
        detail={"staff_user_id": user.id},
    )
    return token


def start_totp_setup(
    session: Session, *, user: StaffUser, now: datetime | None = None
) -> TotpSetup:
    if user.totp_secret is not None:
        raise Conflict(Msg("totp: already set up; disable it first"))
    secret = pyotp.random_base32()
    started = int((now or utc_now()).timestamp())
    sealed = crypto.current_keyring().encrypt(
        f"{started}:{secret}", context=_sealed_context(user.id)
    )
    audit_service.record(session, actor=f"staff:{user.username}", action="auth.totp_setup_started")
    return _setup(user, secret, sealed)


def _setup(user: StaffUser, secret: str, sealed: str) -> TotpSetup:
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=_ISSUER)
    return TotpSetup(secret=secret, sealed=sealed, uri=uri)


def open_totp_setup(user: StaffUser, sealed: str, *, now: datetime | None = None) -> TotpSetup:
    """The setup sealed by start_totp_setup, if it is this account's and not expired."""
    try:
        plain = crypto.current_keyring().decrypt(sealed, context=_sealed_context(user.id))
        started_text, secret = plain.split(":", 1)
        started = datetime.fromtimestamp(int(started_text), tz=UTC)
    # Tampered, foreign or garbled: to the user it is all the same.
    except Exception:
        raise InvalidInput("setup", Msg("is not valid; start the set-up again")) from None
    if (now or utc_now()) - started > TOTP_SETUP_LIFETIME:
        raise InvalidInput("setup", Msg("has expired; start the set-up again"))
    return _setup(user, secret, sealed)


def confirm_totp(
    session: Session, *, user: StaffUser, sealed: str, code: str, now: datetime | None = None
) -> None:
    """Store the secret as the account's second factor once a code from it is right."""
    if user.totp_secret is not None:
        raise Conflict(Msg("totp: already set up; disable it first"))
    setup = open_totp_setup(user, sealed, now=now)
    code = code.strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        raise InvalidInput("code", Msg("must be the 6 digits shown in the app"))
    moment = now or utc_now()
    if not pyotp.TOTP(setup.secret).verify(code, for_time=moment, valid_window=1):
        raise InvalidInput("code", Msg("is not valid; check the clock of your phone and try again"))
    user.totp_secret = setup.secret
    session.flush()
    audit_service.record(session, actor=f"staff:{user.username}", action="auth.totp_enabled")


def disable_totp(
    session: Session, *, user: StaffUser, password: str, required: bool = False
) -> None:
    """`required`: the organisation requires two-step verification of every account
    (DATASKYDD_REQUIRE_TWO_FACTOR), so it cannot be turned off."""
    if user.totp_secret is None:
        raise Conflict(Msg("totp: is not set up"))
    if required:
        raise Forbidden(Msg("two-step verification is required for every account here"))
    if not passwords.verify_password(user.password_hash, password):
        raise InvalidInput("password", Msg("is wrong"))
    user.totp_secret = None
    session.flush()
    audit_service.record(session, actor=f"staff:{user.username}", action="auth.totp_disabled")


# --- Staff administration (ACCOUNTS_ADMIN) -------------------------------------------------


def list_staff_users(session: Session, ctx: AccessContext) -> Sequence[StaffUser]:
    ctx.require(Permission.ACCOUNTS_ADMIN)
    return session.scalars(select(StaffUser).order_by(StaffUser.username)).all()


def create_staff_account(
    session: Session,
    ctx: AccessContext,
    *,
    policy: Policy,
    username: str,
    display_name: str,
    role: str,
) -> tuple[StaffUser, str]:
    """A new account with a generated password, returned to be shown once."""
    ctx.require(Permission.ACCOUNTS_ADMIN)
    display_name = display_name.strip()
    if not 1 <= len(display_name) <= 200:
        raise InvalidInput("display_name", Msg("must be 1 to 200 characters"))
    user, generated = create_staff_user(
        session,
        policy=policy,
        username=username,
        role=role,
        display_name=display_name,
        actor=ctx.actor,
    )
    assert generated is not None
    user.must_change_password = True  # the administrator has seen it
    return user, generated


def _get_staff_user(session: Session, user_id: int) -> StaffUser:
    user = session.get(StaffUser, user_id)
    if user is None:
        raise NotFound(Msg("staff user {user_id} does not exist", user_id=user_id))
    return user


def _parse_role(policy: Policy, role: str) -> str:
    if role not in policy.roles:
        raise InvalidInput(
            "role",
            Msg("must be one of {value}", value=", ".join(policy.roles) or Msg("none declared")),
        )
    return role


def _refuse_losing_last_admin(session: Session, policy: Policy, user: StaffUser) -> None:
    admin_roles = policy.roles_with(Permission.ACCOUNTS_ADMIN)
    if user.role not in admin_roles or not user.is_active:
        return
    others = session.scalar(
        select(func.count())
        .select_from(StaffUser)
        .where(StaffUser.role.in_(admin_roles), StaffUser.is_active, StaffUser.id != user.id)
    )
    if not others:
        raise Forbidden(Msg("the last active admin must remain an active admin"))


def change_role(
    session: Session, ctx: AccessContext, *, policy: Policy, user_id: int, role: str
) -> StaffUser:
    """A new role ends the user's sessions, so the new permissions apply at the next sign-in."""
    ctx.require(Permission.ACCOUNTS_ADMIN)
    new_role = _parse_role(policy, role)
    user = _get_staff_user(session, user_id)
    if user.role == new_role:
        return user
    if user.id == ctx.user_id:
        raise Forbidden(Msg("you cannot change your own role; ask another admin"))
    if new_role not in policy.roles_with(Permission.ACCOUNTS_ADMIN):
        _refuse_losing_last_admin(session, policy, user)
    old = user.role
    user.role = new_role
    sessions.end_all_sessions(session, user.id, reason=END_ROLE_CHANGED)
    session.flush()
    audit_service.record(
        session,
        actor=ctx.actor,
        action="auth.role_changed",
        detail={"staff_user_id": user.id, "from": old, "to": new_role},
    )
    return user


def set_active(
    session: Session, ctx: AccessContext, *, policy: Policy, user_id: int, active: bool
) -> StaffUser:
    ctx.require(Permission.ACCOUNTS_ADMIN)
    user = _get_staff_user(session, user_id)
    if user.is_active is active:
        return user
    if user.id == ctx.user_id:
        raise Forbidden(Msg("you cannot deactivate your own account"))
    if not active:
        _refuse_losing_last_admin(session, policy, user)
    user.is_active = active
    if active:
        user.failed_logins = 0
        user.locked_until = None
    sessions.end_all_sessions(session, user.id, reason=END_DEACTIVATED)
    session.flush()
    audit_service.record(
        session,
        actor=ctx.actor,
        action="auth.activated" if active else "auth.deactivated",
        detail={"staff_user_id": user.id},
    )
    return user


def reset_password(session: Session, ctx: AccessContext, *, user_id: int) -> tuple[StaffUser, str]:
    """A generated password (shown once); the lock-out is lifted and all sessions end."""
    ctx.require(Permission.ACCOUNTS_ADMIN)
    user = _get_staff_user(session, user_id)
    if user.id == ctx.user_id:
        raise Forbidden(Msg("change your own password on the My account page"))
    generated = passwords.generate_password()
    user.password_hash = passwords.hash_password(generated)
    user.password_changed_at = utc_now()
    user.must_change_password = True  # the administrator has seen it
    user.failed_logins = 0
    user.locked_until = None
    sessions.end_all_sessions(session, user.id, reason=END_PASSWORD_CHANGED)
    session.flush()
    audit_service.record(
        session, actor=ctx.actor, action="auth.password_reset", detail={"staff_user_id": user.id}
    )
    return user, generated
