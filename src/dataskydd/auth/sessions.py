"""Server-side staff sessions that end after the policy's inactivity timeout (seed: "loggar vi
automatiskt ut dig"). The timeout is enforced here, not by the browser."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dataskydd.audit import service as audit_service
from dataskydd.auth.models import StaffSession, StaffUser
from dataskydd.clock import utc_now

END_LOGOUT = "logout"
END_INACTIVITY = "inactivity"
END_REPLACED = "replaced"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class ResumedSession:
    record: StaffSession | None
    user: StaffUser | None
    ended_by_inactivity: bool = False


def start_session(
    session: Session, user: StaffUser, *, second_factor_pending: bool = False
) -> tuple[StaffSession, str]:
    """Returns the record and the token for the cookie (shown once, stored hashed)."""
    token = secrets.token_urlsafe(32)
    record = StaffSession(
        token_hash=_hash(token),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(32),
        second_factor_pending=second_factor_pending,
        created_at=utc_now(),
        last_seen_at=utc_now(),
    )
    session.add(record)
    session.flush()
    return record, token


def resume_session(
    session: Session, token: str | None, *, timeout: timedelta, now: datetime | None = None
) -> ResumedSession:
    """The live session for a cookie token, touched; ended (and said so) when idle too long."""
    if not token:
        return ResumedSession(None, None)
    now = now or utc_now()
    record = session.scalars(
        select(StaffSession).where(StaffSession.token_hash == _hash(token))
    ).first()
    if record is None or record.ended_at is not None:
        ended_idle = record is not None and record.end_reason == END_INACTIVITY
        return ResumedSession(None, None, ended_by_inactivity=ended_idle)
    user = session.get(StaffUser, record.user_id)
    if user is None or not user.is_active:
        end_session(session, record, reason=END_REPLACED, now=now)
        return ResumedSession(None, None)
    if now - record.last_seen_at > timeout:
        end_session(session, record, reason=END_INACTIVITY, now=now)
        audit_service.record(session, actor=f"staff:{user.username}", action="auth.session_timeout")
        return ResumedSession(None, None, ended_by_inactivity=True)
    record.last_seen_at = now
    session.flush()
    return ResumedSession(record, user)


def end_session(
    session: Session, record: StaffSession, *, reason: str, now: datetime | None = None
) -> None:
    record.ended_at = now or utc_now()
    record.end_reason = reason
    session.flush()


def end_all_sessions(session: Session, user_id: int, *, reason: str) -> None:
    """After a password change or deactivation, every other device is signed out."""
    session.execute(
        update(StaffSession)
        .where(StaffSession.user_id == user_id, StaffSession.ended_at.is_(None))
        .values(ended_at=utc_now(), end_reason=reason)
    )


def complete_second_factor(session: Session, record: StaffSession) -> None:
    record.second_factor_pending = False
    session.flush()
