"""Training reads only what the purpose may use: objectors and restricted subjects are left
out, their titles leave the model, and the model holds titles and counts only."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from dataskydd.audit.models import AuditEntry
from dataskydd.policy.schema import Policy
from dataskydd.recommendations import training
from dataskydd.recommendations.models import RecommendationNeighbour
from dataskydd.recommendations.purpose import viewing_category
from dataskydd.register.models import Restriction
from dataskydd.subject_requests.objections import record_objections
from tests.recommendations.conftest import CRIME, NATURE, ONLY_THE_OBJECTOR


def _neighbours(session: Session, training_id: int) -> dict[str, list[str]]:
    lists: dict[str, list[str]] = {}
    statement = (
        select(RecommendationNeighbour)
        .where(RecommendationNeighbour.training_id == training_id)
        .order_by(RecommendationNeighbour.item, RecommendationNeighbour.rank)
    )
    for row in session.scalars(statement):
        lists.setdefault(row.item, []).append(row.neighbour)
    return lists


def test_a_training_learns_what_is_watched_together(
    session: Session, policy: Policy, purpose: str, viewers: dict[str, int]
) -> None:
    done = training.train(session, policy, actor="test", batch_subjects=3)
    assert done.finished_at is not None
    assert done.purpose == purpose
    assert done.subjects_used == len(viewers)
    # Views only: the navigation events are not viewing.
    assert done.events_used == 4 * 3 + 3 * 3 + 2 + 1
    lists = _neighbours(session, done.id)
    assert set(lists[CRIME[0]][:2]) == {CRIME[1], CRIME[2]}
    assert not set(lists[NATURE[0]]) & set(CRIME)
    assert lists[ONLY_THE_OBJECTOR] == [CRIME[0]]
    assert training.latest(session) == done
    # Keyset batches of 3 subjects: one decision per batch, naming the subjects used.
    decisions = session.scalars(
        select(AuditEntry).where(AuditEntry.action == training.AUDIT_ACTION)
    ).all()
    assert len(decisions) == 3
    assert sorted(s for d in decisions for s in d.detail["subjects"]) == sorted(viewers.values())


def test_objectors_and_restricted_subjects_are_left_out(
    session: Session, policy: Policy, purpose: str, viewers: dict[str, int]
) -> None:
    record_objections(
        session, policy=policy, actor="test", subject_id=viewers["objector"], purposes=[purpose]
    )
    session.add(
        Restriction(
            subject_id=viewers["nature0"],
            category=viewing_category(policy),
            reason="accuracy contested",
        )
    )
    session.flush()
    done = training.train(session, policy, actor="test")
    assert done.subjects_used == len(viewers) - 2
    assert done.subjects_excluded == 2
    assert done.events_used == 4 * 3 + 2 * 3 + 1
    lists = _neighbours(session, done.id)
    # The title only the objector watched left the model, as did every pair of theirs.
    assert ONLY_THE_OBJECTOR not in lists
    assert all(ONLY_THE_OBJECTOR not in neighbours for neighbours in lists.values())
    used = {
        s
        for d in session.scalars(
            select(AuditEntry).where(AuditEntry.action == training.AUDIT_ACTION)
        )
        for s in d.detail["subjects"]
    }
    assert viewers["objector"] not in used
    assert viewers["nature0"] not in used


def test_older_trainings_are_dropped(
    session: Session, policy: Policy, purpose: str, viewers: dict[str, int]
) -> None:
    first = training.train(session, policy, actor="test")
    for _ in range(training.KEEP):
        last = training.train(session, policy, actor="test")
    assert training.latest(session) == last
    assert not _neighbours(session, first.id)
