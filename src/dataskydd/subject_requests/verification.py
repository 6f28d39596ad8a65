"""One-time codes sent to a contact point on file (GDPR art. 12.6: identify before answering).

A code is 8 digits from `secrets`, kept only as an HMAC bound to its row, valid for 15
minutes, spent by its first correct use and dead after 5 wrong tries. Each code has a ticket
(row id + MAC) that the browser keeps while the subject types the code.

No enumeration: when nobody matches, or a subject has had too many codes lately, a *decoy*
row is written (subject 0, a code nobody is sent), so the caller does the same work and gets
a ticket that looks the same, and no code ever verifies against it.
"""

from __future__ import annotations

import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from dataskydd import crypto
from dataskydd.clock import utc_now
from dataskydd.errors import InvalidInput
from dataskydd.messages_i18n import Msg
from dataskydd.subject_requests.models import CodePurpose, VerificationCode

CODE_DIGITS = 8
CODE_LIFETIME = timedelta(minutes=15)
MAX_ATTEMPTS = 5
# At most this many real codes per subject within CODE_WINDOW; more get decoys.
MAX_CODES_PER_SUBJECT = 5
CODE_WINDOW = timedelta(hours=1)
DECOY_SUBJECT = 0
# An id no subject has: decoys run the same queries on it as real codes run on the subject's.
NOBODY = -1
# Expired codes are deleted on the next issue, this long after they expired.
KEEP_EXPIRED = timedelta(days=1)
_NOT_DIGIT = re.compile(r"[\s-]")


class CodeRejected(InvalidInput):
    """Wrong, expired, used up or unknown: one message for all, so none can be told apart.
    The spent attempt is kept (keeps_work), so five wrong guesses end the code."""

    keeps_work = True

    def __init__(self) -> None:
        super().__init__("code", Msg("the code is wrong, has expired or has already been used"))


@dataclass(frozen=True)
class IssuedCode:
    ticket: str
    # None for a decoy: there is nothing to send.
    code: str | None
    record: VerificationCode


def _mac(value: str, context: str) -> str:
    return crypto.current_keyring().blind_index(value, context=context)


def _code_hash(record_id: int, code: str) -> str:
    return _mac(code, f"verification_code:{record_id}")


def ticket_of(record: VerificationCode) -> str:
    return f"{record.id}.{_mac(str(record.id), 'verification_ticket')[:32]}"


def _record_id(ticket: str) -> int | None:
    raw_id, _, mac = ticket.partition(".")
    if not raw_id.isdigit() or len(raw_id) > 12:
        return None
    expected = _mac(raw_id, "verification_ticket")[:32]
    return int(raw_id) if hmac.compare_digest(mac, expected) else None


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def _recent_codes(session: Session, subject_id: int, now: datetime) -> int:
    statement = select(func.count()).where(
        VerificationCode.subject_id == subject_id,
        VerificationCode.created_at > now - CODE_WINDOW,
        VerificationCode.purpose != CodePurpose.SESSION,
    )
    return session.scalar(statement) or 0


def purge_expired(session: Session, now: datetime) -> None:
    session.execute(
        delete(VerificationCode).where(
            VerificationCode.expires_at < now - KEEP_EXPIRED,
            VerificationCode.purpose != CodePurpose.SESSION,
        )
    )


def issue_code(
    session: Session,
    *,
    purpose: CodePurpose,
    subject_id: int | None,
    request_id: int | None = None,
    now: datetime | None = None,
) -> IssuedCode:
    """A code for `subject_id`, or a decoy when it is None or the subject is over its limit."""
    now = now or utc_now()
    purge_expired(session, now)
    # Counted for decoys too (on an id no row has), so both take the same work.
    recent = _recent_codes(session, NOBODY if subject_id is None else subject_id, now)
    real = subject_id is not None and recent < MAX_CODES_PER_SUBJECT
    code = new_code()
    record = VerificationCode(
        purpose=purpose,
        subject_id=subject_id if real and subject_id is not None else DECOY_SUBJECT,
        request_id=request_id if real else None,
        code_hash="",
        created_at=now,
        expires_at=now + CODE_LIFETIME,
        attempts=0,
    )
    session.add(record)
    session.flush()
    record.code_hash = _code_hash(record.id, code)
    session.flush()
    return IssuedCode(ticket_of(record), code if real else None, record)


def verify_code(
    session: Session,
    *,
    ticket: str,
    code: str,
    purpose: CodePurpose,
    now: datetime | None = None,
) -> VerificationCode:
    """The code's row, now spent; CodeRejected otherwise (with the attempt counted)."""
    now = now or utc_now()
    record_id = _record_id(ticket or "")
    # Locked: concurrent tries of one code (other threads, workers, instances) are counted
    # one after another, so five wrong tries end it and a right one is used once.
    record = (
        session.get(VerificationCode, record_id, with_for_update=True)
        if record_id is not None
        else None
    )
    if record is None or record.purpose is not purpose:
        raise CodeRejected()
    if record.used_at is not None or record.expires_at <= now or record.attempts >= MAX_ATTEMPTS:
        raise CodeRejected()
    record.attempts += 1
    candidate = _NOT_DIGIT.sub("", code or "")[:20]
    matches = hmac.compare_digest(_code_hash(record.id, candidate), record.code_hash)
    if not matches or record.subject_id == DECOY_SUBJECT:
        session.flush()
        raise CodeRejected()
    record.used_at = now
    session.flush()
    return record
