"""Serving: a subject's recommendations, computed per request from their recent viewing and
the stored neighbour lists, through the access decision.

Nothing is kept per subject: an objection (or a restriction) makes the very next decision
refuse, so no score derived from the subject's history is served after it, even while the
stored model still holds co-viewing counts from before it (it leaves at the next training).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dataskydd.access import service as access_service
from dataskydd.access.rules import Action, caller_refusal
from dataskydd.auth.access import AccessContext
from dataskydd.errors import InvalidInput, NotFound
from dataskydd.messages_i18n import Msg
from dataskydd.policy.schema import Lang, Policy
from dataskydd.recommendations import texts
from dataskydd.recommendations.models import RecommendationNeighbour, RecommendationTraining
from dataskydd.recommendations.purpose import (
    VIEWING,
    configured,
    recommendations_purpose,
    viewing_category,
)
from dataskydd.recommendations.training import latest
from dataskydd.register import service as register_service
from dataskydd.register.models import UsageEvent

AUDIT_ACTION = "recommendations.serve"
# The recent viewing a request starts from: the newest events, and of them distinct titles.
HISTORY_EVENTS = 200
HISTORY_TITLES = 50
# A title watched longer ago weighs less: the n-th most recent weighs DECAY ** n. Both values
# measured on the demo's histories (docs/recommendations.md: 0.85 and 20 titles hit 3 points less).
DECAY = 0.95
MAX_LIMIT = 50


@dataclass(frozen=True)
class Recommendation:
    title: str
    score: float
    because: str  # the watched title it comes from (the largest share of its score)
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "score": self.score,
            "because": self.because,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Recommendations:
    subject_id: int
    purpose: str
    training_id: int | None
    trained_at: datetime | None
    items: list[Recommendation] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "subject_id": self.subject_id,
            "purpose": self.purpose,
            "model": (
                {"training_id": self.training_id, "trained_at": self.trained_at}
                if self.training_id is not None
                else None
            ),
            "items": [item.as_dict() for item in self.items],
        }


def recent_titles(session: Session, subject_id: int) -> list[str]:
    """The subject's distinct recently watched titles, newest first. Read only after a
    decision granted the viewing category."""
    statement = (
        select(UsageEvent.item)
        .where(
            UsageEvent.subject_id == subject_id,
            UsageEvent.kind == VIEWING,
            UsageEvent.item.is_not(None),
        )
        .order_by(UsageEvent.occurred_at.desc(), UsageEvent.id.desc())
        .limit(HISTORY_EVENTS)
    )
    titles = dict.fromkeys(item for item in session.scalars(statement) if item)
    return list(titles)[:HISTORY_TITLES]


def score(
    history: list[str], lists: Iterable[tuple[str, str, float]], limit: int
) -> list[tuple[str, float, str]]:
    """(title, score, because) for the titles not watched in `history` (newest first), from
    the neighbour lists (item, neighbour, similarity) of its titles: the similarities summed,
    each weighed by how recent its watched title is; `because` is the watched title with the
    largest share. Pure, so the measured comparison (benchmarks/) ranks exactly as served."""
    weight = {title: DECAY**position for position, title in enumerate(history)}
    scores: dict[str, float] = defaultdict(float)
    best: dict[str, tuple[float, str]] = {}
    for item, neighbour, similarity in lists:
        if neighbour in weight or item not in weight:
            continue
        share = weight[item] * similarity
        scores[neighbour] += share
        if neighbour not in best or (share, best[neighbour][1]) > (best[neighbour][0], item):
            best[neighbour] = (share, item)
    ranked = sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))[:limit]
    return [(title, round(total, 6), best[title][1]) for title, total in ranked]


def rank(
    session: Session, training: RecommendationTraining, history: list[str], limit: int, lang: Lang
) -> list[Recommendation]:
    """The subject's recommendations from their history and the training's stored lists."""
    if not history:
        return []
    statement = select(
        RecommendationNeighbour.item,
        RecommendationNeighbour.neighbour,
        RecommendationNeighbour.score,
    ).where(
        RecommendationNeighbour.training_id == training.id,
        RecommendationNeighbour.item.in_(history),
    )
    rows = (
        (item, neighbour, similarity) for item, neighbour, similarity in session.execute(statement)
    )
    return [
        Recommendation(title, total, because, texts.because(because, lang))
        for title, total, because in score(history, rows, limit)
    ]


def recommend(
    session: Session,
    policy: Policy,
    caller: AccessContext,
    *,
    subject_id: int,
    purpose: str,
    limit: int = 10,
    lang: Lang = "sv",
) -> Recommendations:
    """The subject's recommendations now, for a caller stating `purpose`, which must be the
    recommendations purpose. The decision refuses (AccessRefused, audited) after an objection,
    under a restriction, or for a caller the policy does not let use the purpose."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput("limit", Msg("must be between 1 and {MAX_LIMIT}", MAX_LIMIT=MAX_LIMIT))
    if not configured(policy):
        raise NotFound(
            Msg(
                "this policy makes no personal recommendations (no system_purposes.recommendations)"
            )
        )
    wanted = recommendations_purpose(policy)
    policy.purpose(purpose)
    register_service.require_subject(session, subject_id)
    if purpose != wanted:
        # The caller first, as the decision orders it: a key that may not use the purpose
        # learns that (403); one that may is told which purpose recommendations need.
        refused = caller_refusal(policy, caller, Action.READ, purpose, subject_id)
        if refused is not None:
            access_service.refuse_without_subject(
                session, caller, audit_action=AUDIT_ACTION, reason=refused
            )
        raise InvalidInput(
            "purpose", Msg("recommendations are made only under purpose {wanted}", wanted=wanted)
        )
    training = latest(session)
    access_service.decide(
        session,
        policy,
        caller,
        action=Action.READ,
        purpose=purpose,
        subject_id=subject_id,
        categories=[viewing_category(policy)],
        audit_action=AUDIT_ACTION,
        audit_detail={"training": training.id if training else None},
    )
    if training is None:
        return Recommendations(subject_id, purpose, None, None)
    items = rank(session, training, recent_titles(session, subject_id), limit, lang)
    return Recommendations(subject_id, purpose, training.id, training.finished_at, items)
