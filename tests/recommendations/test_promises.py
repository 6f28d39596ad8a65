"""The two live promises hold on honest data and break when the database is changed behind
the services' back (direct SQL): a recommendation served after an objection, a model that
used an objector's viewing or is older than an objection it should have left out."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from dataskydd.access.models import Objection
from dataskydd.audit.models import AuditEntry
from dataskydd.auth.access import operator_context
from dataskydd.clock import utc_now
from dataskydd.policy.schema import Policy
from dataskydd.promises.checks_recommendations import (
    model_excludes_objectors,
    none_served_after_objection,
)
from dataskydd.promises.registry import CheckContext, Status
from dataskydd.recommendations import serving, training
from dataskydd.recommendations.models import RecommendationTraining
from dataskydd.subject_requests.objections import record_objections


def _context(purpose: str) -> CheckContext:
    now = utc_now()
    return CheckContext(
        now=now, today=now.date(), inactivity_timeout=timedelta(minutes=15), item=purpose
    )


def _object_at(session: Session, subject_id: int, purpose: str, moment: object) -> None:
    session.execute(
        insert(Objection).values(subject_id=subject_id, purpose=purpose, objected_at=moment)
    )


def test_no_recommendation_after_an_objection(
    session: Session, policy: Policy, purpose: str, viewers: dict[str, int]
) -> None:
    training.train(session, policy, actor="test")
    subject = viewers["crime0"]
    serving.recommend(session, policy, operator_context("t"), subject_id=subject, purpose=purpose)
    record_objections(session, policy=policy, actor="test", subject_id=subject, purposes=[purpose])
    session.flush()
    assert none_served_after_objection(session, policy, _context(purpose)).holds
    # Behind the services' back: an objection dated before the serving.
    served_at = session.scalar(
        select(AuditEntry.at).where(
            AuditEntry.action == serving.AUDIT_ACTION, AuditEntry.subject_id == subject
        )
    )
    other = viewers["crime1"]
    serving.recommend(session, policy, operator_context("t"), subject_id=other, purpose=purpose)
    assert served_at is not None
    _object_at(session, other, purpose, served_at - timedelta(hours=1))
    evidence = none_served_after_objection(session, policy, _context(purpose))
    assert evidence.status is Status.BROKEN
    assert any(f"subject:{other}" in offending for offending in evidence.offending)


def test_the_model_leaves_out_objectors(
    session: Session, policy: Policy, purpose: str, viewers: dict[str, int]
) -> None:
    done = training.train(session, policy, actor="test")
    record_objections(
        session, policy=policy, actor="test", subject_id=viewers["objector"], purposes=[purpose]
    )
    session.flush()
    # Objected after the training: the next training leaves them out; meanwhile it holds.
    assert model_excludes_objectors(session, policy, _context(purpose)).holds
    # Behind the services' back: an objection dated before the training read the subject.
    _object_at(session, viewers["crime3"], purpose, done.started_at - timedelta(hours=1))
    evidence = model_excludes_objectors(session, policy, _context(purpose))
    assert evidence.status is Status.BROKEN
    assert any(f"subject:{viewers['crime3']}" in o for o in evidence.offending)


def test_a_model_older_than_an_old_objection_is_broken(
    session: Session, policy: Policy, purpose: str, viewers: dict[str, int]
) -> None:
    done = training.train(session, policy, actor="test")
    record_objections(
        session, policy=policy, actor="test", subject_id=viewers["objector"], purposes=[purpose]
    )
    assert model_excludes_objectors(session, policy, _context(purpose)).holds
    # The objection is two days old and no training has run since.
    two_days_ago = utc_now() - timedelta(days=2)
    session.execute(
        update(Objection)
        .where(Objection.subject_id == viewers["objector"])
        .values(objected_at=two_days_ago)
    )
    session.execute(
        update(RecommendationTraining)
        .where(RecommendationTraining.id == done.id)
        .values(started_at=two_days_ago - timedelta(hours=1))
    )
    evidence = model_excludes_objectors(session, policy, _context(purpose))
    assert evidence.status is Status.BROKEN
    assert any(f"subject:{viewers['objector']}" in o for o in evidence.offending)
    # A new training mends it.
    training.train(session, policy, actor="test")
    assert model_excludes_objectors(session, policy, _context(purpose)).holds
