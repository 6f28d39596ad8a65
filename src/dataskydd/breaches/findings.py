"""What the DPO must act on: open breaches with their 72-hour countdown (the start page, the
deadline mails) and breaches past the deadline with neither a notification to IMY nor a
recorded decision not to notify (`dataskydd promises`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dataskydd.breaches import deadlines
from dataskydd.breaches.models import Breach, BreachStatus, ImyDecision


@dataclass(frozen=True)
class OpenBreach:
    id: int
    title: str
    aware_at: datetime
    countdown: deadlines.Countdown
    # Only a pending one still counts down; a notified or decided one is shown as such.
    imy_decision: ImyDecision


def open_breaches(session: Session, now: datetime) -> list[OpenBreach]:
    rows = session.scalars(
        select(Breach)
        .where(Breach.status == BreachStatus.OPEN)
        .order_by(Breach.aware_at, Breach.id)
        .limit(50)
    ).all()
    return [
        OpenBreach(b.id, b.title, b.aware_at, deadlines.countdown(b.aware_at, now), b.imy_decision)
        for b in rows
    ]


def overdue(session: Session, now: datetime) -> list[int]:
    """Ids of breaches (open or closed) whose 72 hours have passed with IMY's question
    unanswered: no notification and no decision not to notify."""
    cutoff = now - deadlines.DEADLINE
    return list(
        session.scalars(
            select(Breach.id)
            .where(Breach.imy_decision == ImyDecision.PENDING, Breach.aware_at <= cutoff)
            .order_by(Breach.id)
        )
    )
