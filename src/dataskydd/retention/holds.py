"""Legal holds: the DPO keeps a subject's data (or one category of it) from every retention
run and every erasure, with the reason and the reference (an authority's request, a dispute).
Placing and lifting are audited; a hold is never deleted, only lifted."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from dataskydd.audit import service as audit_service
from dataskydd.clock import utc_now
from dataskydd.errors import Conflict, InvalidInput, NotFound
from dataskydd.messages_i18n import Msg, reason_of
from dataskydd.policy.schema import Policy
from dataskydd.register.models import LegalHold, Subject
from dataskydd.validation import check_text

MAX_REASON = 300
MAX_REFERENCE = 120


def _text(value: str, field: str, limit: int) -> str:
    try:
        # The CLI hands text over unchecked (the web form's Line type checks it already).
        check_text(value)
    except ValueError as problem:
        raise InvalidInput(field, reason_of(problem)) from None
    cleaned = " ".join(value.split())
    if len(cleaned) < 3:
        raise InvalidInput(field, Msg("must say something (at least 3 characters)"))
    if len(cleaned) > limit:
        raise InvalidInput(field, Msg("at most {limit} characters", limit=limit))
    return cleaned


def place_hold(
    session: Session,
    *,
    policy: Policy,
    subject_id: int,
    category: str | None,
    reason: str,
    reference: str,
    by: str,
) -> LegalHold:
    # Its id only: placing a hold reads none of the subject's data.
    if session.scalar(select(Subject.id).where(Subject.id == subject_id)) is None:
        raise NotFound(Msg("subject {subject_id} does not exist", subject_id=subject_id))
    if category is not None and category not in policy.categories:
        known = ", ".join(policy.categories)
        raise InvalidInput("category", Msg("unknown category (valid: {known})", known=known))
    standing = session.scalar(
        select(LegalHold).where(
            LegalHold.subject_id == subject_id,
            LegalHold.lifted_at.is_(None),
            LegalHold.category.is_(None) if category is None else LegalHold.category == category,
        )
    )
    if standing is not None:
        raise Conflict(
            Msg("hold {id} already covers this; lift it or add to its reference", id=standing.id)
        )
    hold = LegalHold(
        subject_id=subject_id,
        category=category,
        reason=_text(reason, "reason", MAX_REASON),
        reference=_text(reference, "reference", MAX_REFERENCE),
        placed_by=by[:100],
        placed_at=utc_now(),
    )
    session.add(hold)
    session.flush()
    audit_service.record(
        session,
        actor=by,
        action="hold.place",
        subject_id=subject_id,
        detail={"hold": hold.id, "category": category or "*"},
    )
    return hold


def lift_hold(session: Session, *, hold_id: int, reason: str, by: str) -> LegalHold:
    hold = session.get(LegalHold, hold_id, with_for_update=True)
    if hold is None:
        raise NotFound(Msg("no legal hold {hold_id}", hold_id=hold_id))
    if hold.lifted_at is not None:
        raise Conflict(Msg("hold {hold_id} was already lifted", hold_id=hold_id))
    hold.lift_reason = _text(reason, "reason", MAX_REASON)
    hold.lifted_by = by[:100]
    hold.lifted_at = utc_now()
    session.flush()
    audit_service.record(
        session,
        actor=by,
        action="hold.lift",
        subject_id=hold.subject_id,
        detail={"hold": hold.id, "category": hold.category or "*"},
    )
    return hold


def holds(
    session: Session, *, subject_id: int | None = None, standing_only: bool = False
) -> Sequence[LegalHold]:
    statement = select(LegalHold).order_by(LegalHold.id)
    if subject_id is not None:
        statement = statement.where(LegalHold.subject_id == subject_id)
    if standing_only:
        statement = statement.where(LegalHold.lifted_at.is_(None))
    return session.scalars(statement).all()
