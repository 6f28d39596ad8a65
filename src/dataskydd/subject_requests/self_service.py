"""Mina sidor: the subject's own sessions and choices (GDPR art. 7.3, 15, 16, 21).

Sessions are server-side rows of `verification_code` with purpose `session`: only an HMAC of
the token is stored, `expires_at` slides forward with each request (the policy's inactivity
timeout, as for staff), `used_at` marks the end, and no session outlives MAX_SESSION.
Consent is as easy to withdraw as to give: one button each, both recorded with their time.
"""

from __future__ import annotations

import hmac
import io
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dataskydd import crypto
from dataskydd.access import consents
from dataskydd.access import service as access_service
from dataskydd.access.rules import Action
from dataskydd.audit import service as audit_service
from dataskydd.auth.access import subject_context
from dataskydd.clock import today_in_sweden, utc_now
from dataskydd.datamap import contact_details
from dataskydd.datamap.entries import by_table
from dataskydd.errors import Conflict, InvalidInput, NotFound
from dataskydd.messages_i18n import Msg
from dataskydd.policy.schema import Lang, Policy
from dataskydd.register.models import Activity, NewsletterSubscription, Participation
from dataskydd.subject_requests import (
    objections,
    outcome_texts,
    portability,
    rights_access,
    verification,
)
from dataskydd.subject_requests import requests as queue
from dataskydd.subject_requests.models import (
    CodePurpose,
    RequestChannel,
    RequestKind,
    RequestStatus,
    SubjectRequest,
    VerificationCode,
)

MAX_SESSION = timedelta(hours=8)
CONSENT_TEXT_VERSION = "mina-sidor-1"
IDENTITY_CHECK = "signed in to Mina sidor with a one-time code sent to the e-mail on file"
CONTACT_FIELDS = ("email", "phone", "care_of", "street", "postal_code", "city")
REQUESTABLE = (RequestKind.ERASURE, RequestKind.RESTRICTION, RequestKind.RECTIFICATION)


def actor_of(subject_id: int) -> str:
    return f"subject:{subject_id}"


def _mac(secret: str, context: str) -> str:
    return crypto.current_keyring().blind_index(secret, context=context)


@dataclass(frozen=True)
class SubjectSession:
    subject_id: int
    record: VerificationCode
    csrf_token: str


@dataclass(frozen=True)
class Resumed:
    session: SubjectSession | None
    ended_by_inactivity: bool = False


def sign_in(
    session: Session, *, ticket: str, code: str, timeout: timedelta
) -> tuple[SubjectSession, str]:
    """Verify the sign-in code and start a session; returns it and the cookie's token."""
    used = verification.verify_code(session, ticket=ticket, code=code, purpose=CodePurpose.SIGN_IN)
    now = utc_now()
    secret = secrets.token_urlsafe(32)
    record = VerificationCode(
        purpose=CodePurpose.SESSION,
        subject_id=used.subject_id,
        code_hash="",
        created_at=now,
        expires_at=now + timeout,
        attempts=0,
    )
    session.add(record)
    session.flush()
    record.code_hash = _mac(secret, f"subject_session:{record.id}")
    audit_service.record(
        session,
        actor=actor_of(used.subject_id),
        action="subject.sign_in",
        subject_id=used.subject_id,
        detail={"method": "e-mail code"},
    )
    token = f"{record.id}.{secret}"
    return SubjectSession(used.subject_id, record, _csrf(secret)), token


def _csrf(secret: str) -> str:
    return _mac(secret, "subject_session_csrf")[:43]


def resume(session: Session, token: str | None, *, timeout: timedelta) -> Resumed:
    raw_id, _, secret = (token or "").partition(".")
    if not raw_id.isdigit() or len(raw_id) > 12 or not secret or len(secret) > 100:
        return Resumed(None)
    record = session.get(VerificationCode, int(raw_id))
    if record is None or record.purpose is not CodePurpose.SESSION or record.used_at is not None:
        return Resumed(None)
    if not hmac.compare_digest(record.code_hash, _mac(secret, f"subject_session:{record.id}")):
        return Resumed(None)
    now = utc_now()
    if record.expires_at <= now or now - record.created_at > MAX_SESSION:
        record.used_at = now
        session.flush()
        return Resumed(None, ended_by_inactivity=True)
    record.expires_at = now + timeout
    session.flush()
    return Resumed(SubjectSession(record.subject_id, record, _csrf(secret)))


def sign_out(session: Session, current: SubjectSession) -> None:
    current.record.used_at = utc_now()
    session.flush()
    audit_service.record(
        session,
        actor=actor_of(current.subject_id),
        action="subject.sign_out",
        subject_id=current.subject_id,
    )


# --- my data (art. 15): subject_requests/my_data.py ---------------------------------------------


# --- contact data (art. 16) ---------------------------------------------------------------------


def my_contact_details(
    session: Session, *, policy: Policy, subject_id: int
) -> contact_details.ContactDetails:
    return contact_details.current_contact_details(
        session,
        caller=subject_context(subject_id),
        policy=policy,
        subject_id=subject_id,
        purpose=policy.system_purpose("subject_rights"),
    )


def correct_contact_details(
    session: Session,
    *,
    policy: Policy,
    subject_id: int,
    submitted: dict[str, str | None],
    lang: Lang = "sv",
) -> list[str]:
    """Rectification by the subject: contact fields only; history is kept by the register."""
    unknown = [key for key in submitted if key not in CONTACT_FIELDS]
    if unknown:
        raise InvalidInput(unknown[0], Msg("cannot be changed here"))
    return contact_details.rectify_contact_details(
        session,
        caller=subject_context(subject_id),
        policy=policy,
        subject_id=subject_id,
        submitted=submitted,
        reason=outcome_texts.corrected_on_mina_sidor(lang),
        purpose=policy.system_purpose("subject_rights"),
    )


# --- consents (art. 7) ---------------------------------------------------------------------------


@dataclass(frozen=True)
class NewsletterChoice:
    list_code: str
    subscribed: bool
    since: datetime | None


@dataclass(frozen=True)
class ActivityChoice:
    activity_id: int
    kind: str
    title: str
    taking_part: bool
    since: datetime | None


@dataclass(frozen=True)
class Consents:
    newsletters: list[NewsletterChoice]
    activities: list[ActivityChoice]


def _lists(session: Session, policy: Policy) -> list[str]:
    """The policy's newsletters in its order, then any other list the register holds
    subscriptions to (named by its code until the policy names it)."""
    held = set(session.scalars(select(NewsletterSubscription.list_code).distinct()))
    declared = list(policy.newsletter_lists)
    return declared + sorted(held - set(declared))


def _active_subscription(
    session: Session, subject_id: int, list_code: str
) -> NewsletterSubscription | None:
    return session.scalars(
        select(NewsletterSubscription).where(
            NewsletterSubscription.subject_id == subject_id,
            NewsletterSubscription.list_code == list_code,
            NewsletterSubscription.unsubscribed_at.is_(None),
        )
    ).first()


def _open_activities(session: Session) -> list[Activity]:
    today = today_in_sweden()
    statement = select(Activity).where(
        Activity.starts_on <= today, (Activity.ends_on.is_(None)) | (Activity.ends_on >= today)
    )
    return list(session.scalars(statement.order_by(Activity.kind, Activity.title)))


def _activities_of(session: Session, subject_id: int) -> list[Activity]:
    """The open activities, and the closed ones the subject still takes part in: a consent
    given for an activity that has ended can still be withdrawn (art. 7.3)."""
    open_now = _open_activities(session)
    ended = session.scalars(
        select(Activity)
        .join(Participation, Participation.activity_id == Activity.id)
        .where(
            Participation.subject_id == subject_id,
            Participation.withdrawn_at.is_(None),
            Activity.id.not_in([a.id for a in open_now]),
        )
        .order_by(Activity.kind, Activity.title)
    )
    return open_now + list(ended)


def _participation(session: Session, subject_id: int, activity_id: int) -> Participation | None:
    return session.scalars(
        select(Participation).where(
            Participation.subject_id == subject_id,
            Participation.activity_id == activity_id,
            Participation.withdrawn_at.is_(None),
        )
    ).first()


def my_consents(session: Session, *, policy: Policy, subject_id: int) -> Consents:
    rights_access.decide_own(
        session,
        policy,
        subject_id,
        action=Action.READ,
        audit_action="subject.show",
        view="mina_sidor_consents",
    )
    newsletters = []
    for code in _lists(session, policy):
        row = _active_subscription(session, subject_id, code)
        newsletters.append(
            NewsletterChoice(code, row is not None, row.subscribed_at if row else None)
        )
    activities = []
    for activity in _activities_of(session, subject_id):
        part = _participation(session, subject_id, activity.id)
        activities.append(
            ActivityChoice(
                activity.id,
                activity.kind.value,
                activity.title,
                part is not None,
                part.consented_at if part else None,
            )
        )
    return Consents(newsletters, activities)


def set_newsletter(
    session: Session, *, policy: Policy, subject_id: int, list_code: str, give: bool
) -> None:
    """A subscription is consent to the policy's newsletter purpose, recorded as such."""
    _decide_choice(session, policy, subject_id, "newsletter_subscription")
    if list_code not in _lists(session, policy):
        raise NotFound(Msg("no such newsletter"))
    current = _active_subscription(session, subject_id, list_code)
    now = utc_now()
    if give and current is None:
        session.add(
            NewsletterSubscription(
                subject_id=subject_id,
                list_code=list_code,
                subscribed_at=now,
                consent_text_version=CONSENT_TEXT_VERSION,
            )
        )
    elif not give and current is not None:
        current.unsubscribed_at = now
    session.flush()
    _record_consent(
        session,
        subject_id=subject_id,
        purpose=policy.system_purpose("newsletters"),
        via=f"newsletter:{list_code}",
        give=give,
        detail={"table": "newsletter_subscription", "list": list_code},
    )


def set_participation(
    session: Session, *, policy: Policy, subject_id: int, activity_id: int, give: bool
) -> None:
    """Taking part is consent to the policy's activities purpose, recorded as such."""
    _decide_choice(session, policy, subject_id, "participation")
    # Withdrawing is always possible; taking part only while the activity is open.
    choosable = _open_activities(session) if give else _activities_of(session, subject_id)
    if activity_id not in {a.id for a in choosable}:
        raise NotFound(Msg("no such activity open for taking part"))
    current = _participation(session, subject_id, activity_id)
    now = utc_now()
    if give and current is None:
        session.add(Participation(subject_id=subject_id, activity_id=activity_id, consented_at=now))
    elif not give and current is not None:
        current.withdrawn_at = now
    session.flush()
    _record_consent(
        session,
        subject_id=subject_id,
        purpose=policy.system_purpose("activities"),
        via=f"activity:{activity_id}",
        give=give,
        detail={"table": "participation", "activity": activity_id},
    )


def _decide_choice(session: Session, policy: Policy, subject_id: int, table: str) -> None:
    """The subject changing their own subscriptions or participation (art. 7.3, 21): a write
    of their own data under the subject-rights purpose, decided and audited like any other."""
    access_service.decide(
        session,
        policy,
        subject_context(subject_id),
        action=Action.WRITE,
        purpose=policy.system_purpose("subject_rights"),
        subject_id=subject_id,
        categories=sorted(by_table(table).categories),
        audit_action="subject.write.decision",
        audit_detail={"view": "mina_sidor_consents"},
    )


def _record_consent(
    session: Session,
    *,
    subject_id: int,
    purpose: str,
    via: str,
    give: bool,
    detail: dict[str, Any],
) -> None:
    if give:
        consents.give_consent(
            session,
            subject_id=subject_id,
            purpose=purpose,
            channel="mina_sidor",
            via=via,
            text_version=CONSENT_TEXT_VERSION,
        )
    else:
        consents.withdraw_consent(session, subject_id=subject_id, purpose=purpose, via=via)
    audit_service.record(
        session,
        actor=actor_of(subject_id),
        action="consent.give" if give else "consent.withdraw",
        subject_id=subject_id,
        purpose=purpose,
        detail=detail,
    )


# --- objections (art. 21) and requests ------------------------------------------------------------


def objectable_purposes(policy: Policy) -> list[str]:
    return [key for key, purpose in policy.purposes.items() if purpose.objectable]


def set_objection(
    session: Session, *, policy: Policy, subject_id: int, purpose: str, object_to: bool
) -> None:
    if purpose not in objectable_purposes(policy):
        raise InvalidInput("purpose", Msg("cannot be objected to here"))
    actor = actor_of(subject_id)
    if object_to:
        objections.record_objections(
            session, policy=policy, actor=actor, subject_id=subject_id, purposes=[purpose]
        )
    else:
        objections.withdraw_objection(
            session, policy=policy, actor=actor, subject_id=subject_id, purpose=purpose
        )


def my_objections(session: Session, *, subject_id: int) -> set[str]:
    return objections.current_objections(session, subject_id)


def ask(
    session: Session,
    *,
    policy: Policy,
    subject_id: int,
    kind: RequestKind,
    note: str,
    lang: Lang = "sv",
) -> SubjectRequest:
    """Erasure, restriction or rectification beyond contact data: into the DPO's queue."""
    if kind not in REQUESTABLE:
        raise InvalidInput("kind", Msg("cannot be asked for here"))
    text = (note or "").strip()
    if len(text) > 2000:
        raise InvalidInput("note", Msg("is longer than 2000 characters"))
    standing = session.scalars(
        select(SubjectRequest).where(
            SubjectRequest.subject_id == subject_id,
            SubjectRequest.kind == kind,
            SubjectRequest.status.in_(queue.OPEN_STATUSES),
        )
    ).first()
    if standing is not None:
        raise Conflict(
            Msg("you already have an open request of this kind (case {id})", id=standing.id)
        )
    return queue.open_request(
        session,
        actor=actor_of(subject_id),
        policy=policy,
        subject_id=subject_id,
        kind=kind,
        channel=RequestChannel.WEB,
        identity_check=IDENTITY_CHECK,
        note=text or None,
        lang=lang,
    )


def my_requests(session: Session, *, subject_id: int) -> list[SubjectRequest]:
    statement = select(SubjectRequest).where(SubjectRequest.subject_id == subject_id)
    return list(session.scalars(statement.order_by(SubjectRequest.id.desc()).limit(50)))


def portable_export(
    session: Session, *, policy: Policy, subject_id: int, lang: Lang = "sv"
) -> bytes:
    """Art. 20 export straight to the signed-in subject; kept as a completed request."""
    rights_access.decide_own(
        session,
        policy,
        subject_id,
        action=Action.EXPORT,
        audit_action="subject.export",
        view="portability",
    )
    text = io.StringIO()
    rows = portability.write_portability_json(session, text, policy=policy, subject_id=subject_id)
    now = utc_now()
    request = SubjectRequest(
        kind=RequestKind.PORTABILITY,
        status=RequestStatus.COMPLETED,
        channel=RequestChannel.WEB,
        subject_id=subject_id,
        identity_check=IDENTITY_CHECK,
        received_at=now,
        due_on=today_in_sweden(),
        completed_at=now,
        handled_by="mina-sidor",
        outcome=outcome_texts.self_service_export_outcome(rows, lang),
        lang=lang,
    )
    session.add(request)
    session.flush()
    audit_service.record(
        session,
        actor=actor_of(subject_id),
        action="subject_request.complete",
        subject_id=subject_id,
        purpose=policy.system_purpose("subject_rights"),
        detail={"request": request.id, "kind": "portability", "rows": rows},
    )
    return text.getvalue().encode("utf-8")
