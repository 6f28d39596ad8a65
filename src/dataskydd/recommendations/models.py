"""A trained recommendation model: one row per training (when, how much it read) and its
item-item neighbour lists. Titles and counts only: nothing here refers to a subject."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from dataskydd.db.base import Base, IdMixin
from dataskydd.db.types import UtcDateTime


class RecommendationTraining(IdMixin, Base):
    """One training. `started_at` is before the first event was read: every objection made
    before it was read by the access decision and left its subject out."""

    __tablename__ = "recommendation_training"

    purpose: Mapped[str] = mapped_column(String(60))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    # Null while it runs; a training that never finishes is never served.
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    subjects_used: Mapped[int] = mapped_column(Integer, default=0)
    # Subjects with viewing events whom the decision left out (objection, restriction).
    subjects_excluded: Mapped[int] = mapped_column(Integer, default=0)
    events_used: Mapped[int] = mapped_column(Integer, default=0)
    items: Mapped[int] = mapped_column(Integer, default=0)
    trained_by: Mapped[str] = mapped_column(String(100))


class RecommendationNeighbour(Base):
    """The `rank`-th most similar title to `item` in one training (cosine of co-viewing)."""

    __tablename__ = "recommendation_neighbour"
    # The primary key (training_id, item, rank) is the index serving reads: one training's
    # lists of the titles a subject watched.

    training_id: Mapped[int] = mapped_column(
        ForeignKey("recommendation_training.id", ondelete="CASCADE"), primary_key=True
    )
    item: Mapped[str] = mapped_column(String(200), primary_key=True)
    rank: Mapped[int] = mapped_column(Integer, primary_key=True)
    neighbour: Mapped[str] = mapped_column(String(200))
    score: Mapped[float] = mapped_column(Float)
