"""What the decision needs to know about subjects: standing consents, objections, restrictions
and whether an erasure was completed. Read in one query per kind, for one subject or a page."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dataskydd.access.models import Objection, SubjectConsent
from dataskydd.register.models import Restriction


@dataclass(frozen=True)
class StandingObjection:
    objected_at: datetime
    # Art. 21.1: compelling legitimate grounds recorded by the controller.
    overridden: bool


@dataclass(frozen=True)
class StandingRestriction:
    since: datetime
    until: date | None
    reason: str


@dataclass
class SubjectState:
    subject_id: int
    consents: set[str] = field(default_factory=set)
    objections: dict[str, StandingObjection] = field(default_factory=dict)
    restrictions: dict[str, StandingRestriction] = field(default_factory=dict)


def load_states(session: Session, subject_ids: Sequence[int]) -> dict[int, SubjectState]:
    ids = sorted(set(subject_ids))
    states = {subject_id: SubjectState(subject_id) for subject_id in ids}
    if not ids:
        return states
    consents = select(SubjectConsent.subject_id, SubjectConsent.purpose).where(
        SubjectConsent.subject_id.in_(ids), SubjectConsent.withdrawn_at.is_(None)
    )
    for subject_id, purpose in session.execute(consents):
        states[subject_id].consents.add(purpose)
    objections = select(
        Objection.subject_id, Objection.purpose, Objection.objected_at, Objection.overridden_at
    ).where(Objection.subject_id.in_(ids), Objection.withdrawn_at.is_(None))
    for subject_id, purpose, objected_at, overridden_at in session.execute(objections):
        states[subject_id].objections[purpose] = StandingObjection(
            objected_at, overridden_at is not None
        )
    restrictions = select(
        Restriction.subject_id,
        Restriction.category,
        Restriction.restricted_at,
        Restriction.until,
        Restriction.reason,
    ).where(Restriction.subject_id.in_(ids), Restriction.lifted_at.is_(None))
    for subject_id, category, since, until, reason in session.execute(restrictions):
        states[subject_id].restrictions[category] = StandingRestriction(since, until, reason)
    return states


def load_state(session: Session, subject_id: int) -> SubjectState:
    return load_states(session, [subject_id])[subject_id]
