"""Objections to processing (GDPR art. 21): recorded here, enforced by the access decision
(dataskydd.access): direct marketing stops at once and for good (art. 21.2-3); any other
objectable purpose stops until the DPO records compelling legitimate grounds (art. 21.1)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dataskydd.access.models import Objection
from dataskydd.audit import service as audit_service
from dataskydd.auth.access import AccessContext, Permission
from dataskydd.clock import utc_now
from dataskydd.errors import Conflict, InvalidInput, NotFound
from dataskydd.messages_i18n import Msg
from dataskydd.policy.schema import LegalBasis, Policy


def _standing(session: Session, subject_id: int) -> list[Objection]:
    statement = select(Objection).where(
        Objection.subject_id == subject_id, Objection.withdrawn_at.is_(None)
    )
    return list(session.scalars(statement.order_by(Objection.id)))


def current_objections(session: Session, subject_id: int) -> set[str]:
    return {row.purpose for row in _standing(session, subject_id)}


def record_objections(
    session: Session,
    *,
    policy: Policy,
    actor: str,
    subject_id: int,
    purposes: Sequence[str],
    case: int | None = None,
) -> list[str]:
    """Objections to the purposes not already objected to; returns those added."""
    standing = current_objections(session, subject_id)
    added = [purpose for purpose in dict.fromkeys(purposes) if purpose not in standing]
    for purpose in added:
        session.add(
            Objection(
                subject_id=subject_id, purpose=purpose, objected_at=utc_now(), request_id=case
            )
        )
    session.flush()
    if added:
        audit_service.record(
            session,
            actor=actor,
            action="subject.object",
            subject_id=subject_id,
            purpose=policy.system_purpose("subject_rights"),
            detail={"purposes": added, "request": case},
        )
    return added


def withdraw_objection(
    session: Session, *, policy: Policy, actor: str, subject_id: int, purpose: str
) -> bool:
    rows = [row for row in _standing(session, subject_id) if row.purpose == purpose]
    for row in rows:
        row.withdrawn_at = utc_now()
    session.flush()
    if rows:
        audit_service.record(
            session,
            actor=actor,
            action="subject.object.withdraw",
            subject_id=subject_id,
            purpose=policy.system_purpose("subject_rights"),
            detail={"purposes": [purpose]},
        )
    return bool(rows)


def record_compelling_grounds(
    session: Session,
    ctx: AccessContext,
    *,
    policy: Policy,
    subject_id: int,
    purpose: str,
    reason: str,
) -> Objection:
    """Art. 21.1: the controller may go on processing despite an objection when it shows
    compelling legitimate grounds that override the subject's interests. Never for direct
    marketing (art. 21.3). The reason is kept with the objection and in the audit log."""
    ctx.require(Permission.REQUESTS_HANDLE)
    stated = policy.purpose(purpose)
    if stated.direct_marketing:
        raise Conflict(
            Msg(
                "purpose {purpose} is direct marketing: an objection to it "
                "always stops it (GDPR art. 21.3)",
                purpose=purpose,
            )
        )
    if stated.legal_basis not in (LegalBasis.LEGITIMATE_INTERESTS, LegalBasis.PUBLIC_TASK):
        # Art. 21.1 weighs grounds only for art. 6.1 e-f; consent is withdrawn, not outweighed.
        raise Conflict(
            Msg(
                "purpose {purpose} does not rest on legitimate interests or a "
                "public task, so compelling grounds cannot outweigh an "
                "objection to it (GDPR art. 21.1)",
                purpose=purpose,
            )
        )
    text = " ".join(reason.split())
    if not 10 <= len(text) <= 500:
        raise InvalidInput("reason", Msg("must be 10 to 500 characters"))
    rows = [row for row in _standing(session, subject_id) if row.purpose == purpose]
    if not rows:
        raise NotFound(
            Msg("the subject has no standing objection to purpose {purpose}", purpose=purpose)
        )
    row = rows[-1]
    if row.overridden_at is not None:
        raise Conflict(Msg("compelling grounds are already recorded for this objection"))
    row.overridden_at = utc_now()
    row.overridden_by = ctx.actor[:100]
    row.override_reason = text
    session.flush()
    audit_service.record(
        session,
        actor=ctx.actor,
        action="subject.object.override",
        subject_id=subject_id,
        purpose=policy.system_purpose("subject_rights"),
        detail={"purpose": purpose, "objection": row.id},
    )
    return row


@dataclass(frozen=True)
class StandingObjectionRow:
    """One standing objection, for the DPO's list: ids, purpose and dates, no personal data."""

    id: int
    subject_id: int
    purpose: str
    objected_at: datetime
    overridden_at: datetime | None
    override_reason: str | None
    # Whether compelling grounds may be recorded at all (art. 21.1: 6.1 e-f, not marketing).
    may_override: bool


def list_standing_objections(
    session: Session, ctx: AccessContext, *, policy: Policy, limit: int = 200
) -> list[StandingObjectionRow]:
    """Newest first. Objections refer to subjects by id only, so reading them is not a read of
    personal data; the list is for the DPO, who records compelling grounds."""
    ctx.require(Permission.REQUESTS_HANDLE)
    statement = (
        select(Objection)
        .where(Objection.withdrawn_at.is_(None))
        .order_by(Objection.objected_at.desc(), Objection.id.desc())
        .limit(limit)
    )
    return [
        StandingObjectionRow(
            row.id,
            row.subject_id,
            row.purpose,
            row.objected_at,
            row.overridden_at,
            row.override_reason,
            may_override=_may_override(policy, row.purpose) and row.overridden_at is None,
        )
        for row in session.scalars(statement)
    ]


def _may_override(policy: Policy, purpose: str) -> bool:
    stated = policy.purposes.get(purpose)
    return (
        stated is not None
        and not stated.direct_marketing
        and stated.legal_basis in (LegalBasis.LEGITIMATE_INTERESTS, LegalBasis.PUBLIC_TASK)
    )
