"""Staff accounts and password log-in with lock-out (SPEC 6)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dataskydd.audit import service as audit_service
from dataskydd.auth import passwords
from dataskydd.auth.models import Role, StaffUser
from dataskydd.clock import utc_now
from dataskydd.errors import Conflict, Forbidden, InvalidInput, NotFound

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
LOGIN_FAILED = "wrong username or password"
_USERNAME = re.compile(r"[a-z0-9._-]{2,64}")


def normalise_username(username: str) -> str:
    return username.strip().lower()


def find_staff_user_by_username(session: Session, username: str) -> StaffUser | None:
    statement = select(StaffUser).where(StaffUser.username == normalise_username(username))
    return session.scalars(statement).one_or_none()


def get_staff_user_by_username(session: Session, username: str) -> StaffUser:
    user = find_staff_user_by_username(session, username)
    if user is None:
        raise NotFound("staff user: not found")
    return user


def count_staff_users(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(StaffUser)) or 0


def create_staff_user(
    session: Session,
    *,
    username: str,
    role: Role | str,
    display_name: str | None = None,
    password: str | None = None,
    actor: str = "system",
) -> tuple[StaffUser, str | None]:
    """Returns the account and, when no password was given, the generated one (shown once)."""
    username = normalise_username(username)
    if not _USERNAME.fullmatch(username):
        raise InvalidInput("username", "use 2–64 characters from a–z, 0–9, '.', '_' and '-'")
    try:
        role = Role(role)
    except ValueError:
        raise InvalidInput("role", f"must be one of {', '.join(r.value for r in Role)}") from None
    generated = None
    if password is None:
        password = generated = passwords.generate_password()
    else:
        passwords.validate_password_strength(password, username=username)
    if find_staff_user_by_username(session, username) is not None:
        raise Conflict("username: already taken")
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
        detail={"staff_user_id": user.id, "role": role.value},
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
