"""Training: the co-occurrence model from the viewing events the purpose may use.

Subjects are walked in keyset batches by id. For each batch, the subjects that have viewing
events are put to the access decision (`decide_list`: objection, restriction, the purpose's
rules; one audit entry per batch naming the subjects used); only the allowed subjects' events
are read, and only their titles. Memory holds one batch of events and the items x items
counts, so it stays flat in the number of events. The neighbour lists are stored with the
training's times and counts; older trainings are dropped beyond KEEP.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from dataskydd.access import guard
from dataskydd.access import service as access_service
from dataskydd.auth.access import operator_context
from dataskydd.clock import utc_now
from dataskydd.errors import ConfigurationError
from dataskydd.messages_i18n import Msg
from dataskydd.policy.schema import Policy
from dataskydd.recommendations.models import RecommendationNeighbour, RecommendationTraining
from dataskydd.recommendations.purpose import VIEWING, recommendations_purpose, viewing_category
from dataskydd.register.models import Subject, UsageEvent

if TYPE_CHECKING:
    from dataskydd.recommendations.cooccurrence import Neighbour

AUDIT_ACTION = "recommendations.train"
BATCH_SUBJECTS = 1000
NEIGHBOURS_PER_ITEM = 20
NO_MODEL_LIBRARY = Msg(
    "training recommendations needs scipy: pip install 'dataskydd[recommendations]'"
)
# The current model and the one before it (a request that began on it may still read it).
KEEP = 2


def _viewers_after(session: Session, after: int, limit: int) -> list[int]:
    """The next `limit` subjects (by id) with viewing events. Ids only, read to ask the
    decision about them: the events themselves are read after it. Keyset over the subject
    table with an index probe per subject, so a batch costs the same at the end as at the
    start (a GROUP BY over the events would scan all that remain)."""
    views = (
        select(UsageEvent.id)
        .where(UsageEvent.subject_id == Subject.id, UsageEvent.kind == VIEWING)
        .exists()
    )
    statement = (
        select(Subject.id).where(Subject.id > after, views).order_by(Subject.id).limit(limit)
    )
    with guard.internal():
        return list(session.scalars(statement))


def _histories(session: Session, subject_ids: list[int]) -> list[list[str]]:
    by_subject: dict[int, list[str]] = {}
    statement = select(UsageEvent.subject_id, UsageEvent.item).where(
        UsageEvent.subject_id.in_(subject_ids),
        UsageEvent.kind == VIEWING,
        UsageEvent.item.is_not(None),
    )
    for subject_id, item in session.execute(statement):
        if item:
            by_subject.setdefault(subject_id, []).append(item)
    return list(by_subject.values())


def train(
    session: Session,
    policy: Policy,
    *,
    actor: str,
    batch_subjects: int = BATCH_SUBJECTS,
    per_item: int = NEIGHBOURS_PER_ITEM,
) -> RecommendationTraining:
    """Train and store a model; returns its training row (finished). ConfigurationError
    when the `recommendations` extra (scipy) is not installed."""
    # Imported here, not at the top: numpy and scipy are an extra (pyproject.toml), and
    # serving, the registerutdrag and the job list import this module without training.
    try:
        from dataskydd.recommendations.cooccurrence import CooccurrenceCounts, neighbours_of
    except ImportError as missing:
        raise ConfigurationError(NO_MODEL_LIBRARY) from missing
    purpose = recommendations_purpose(policy)
    category = viewing_category(policy)
    caller = operator_context(actor)
    training = RecommendationTraining(
        purpose=purpose,
        started_at=utc_now(),
        trained_by=actor,
        subjects_used=0,
        subjects_excluded=0,
        events_used=0,
        items=0,
    )
    session.add(training)
    session.flush()
    counts = CooccurrenceCounts()
    excluded = 0
    after = 0
    while batch := _viewers_after(session, after, batch_subjects):
        after = batch[-1]
        allowed = access_service.decide_list(
            session,
            policy,
            caller,
            purpose=purpose,
            category=category,
            subject_ids=batch,
            audit_action=AUDIT_ACTION,
            audit_detail={"training": training.id},
        )
        excluded += len(batch) - len(allowed)
        if allowed:
            counts.add_batch(_histories(session, sorted(allowed)))
    _write_neighbours(session, training.id, neighbours_of(counts, per_item))
    training.subjects_used = counts.subjects
    training.subjects_excluded = excluded
    training.events_used = counts.events
    training.items = len(counts.titles)
    training.finished_at = utc_now()
    session.flush()
    _drop_old(session)
    return training


def _write_neighbours(session: Session, training_id: int, found: list[Neighbour]) -> None:
    """Through the driver, as the demo writes (demo/bulk.py): COPY on PostgreSQL,
    executemany of tuples on SQLite. An ORM insert of 250,000 lists took 60 s on PostgreSQL."""
    rows = [(training_id, n.item, n.rank, n.neighbour, n.score) for n in found]
    if not rows:
        return
    driver: Any = session.connection().connection.driver_connection
    columns = "training_id, item, rank, neighbour, score"
    if session.get_bind().dialect.name == "postgresql":
        with (
            driver.cursor() as cursor,
            cursor.copy(f"COPY recommendation_neighbour ({columns}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
        # The planner's statistics for the new lists now, not when autovacuum comes by: without
        # them it reads a whole training's lists per request (40 ms instead of 1 at 5,000 titles).
        driver.execute("ANALYZE recommendation_neighbour")
        return
    driver.executemany(
        f"INSERT INTO recommendation_neighbour ({columns}) VALUES (?, ?, ?, ?, ?)",  # noqa: S608 - fixed names
        rows,
    )


def _drop_old(session: Session) -> None:
    kept = select(RecommendationTraining.id).order_by(RecommendationTraining.id.desc()).limit(KEEP)
    old = list(
        session.scalars(
            select(RecommendationTraining.id).where(RecommendationTraining.id.not_in(kept))
        )
    )
    if old:
        # Explicitly: SQLite enforces ON DELETE CASCADE only with its foreign keys pragma.
        session.execute(
            delete(RecommendationNeighbour).where(RecommendationNeighbour.training_id.in_(old))
        )
        session.execute(delete(RecommendationTraining).where(RecommendationTraining.id.in_(old)))


def latest(session: Session) -> RecommendationTraining | None:
    """The newest finished training: the model served."""
    statement = (
        select(RecommendationTraining)
        .where(RecommendationTraining.finished_at.is_not(None))
        .order_by(RecommendationTraining.finished_at.desc(), RecommendationTraining.id.desc())
        .limit(1)
    )
    return session.scalars(statement).first()
