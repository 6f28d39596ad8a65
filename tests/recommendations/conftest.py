"""Viewers with histories that make recommendations, on SQLite and PostgreSQL.

Three tastes: crime series watchers (who go on from A to B), documentary watchers, and one
subject who alone watched a title no one else did (the objector in the tests: their title
must leave the model). The purpose is the policy's system_purposes.recommendations, found
through the policy; companies that make no recommendations skip these tests.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from dataskydd.policy.schema import Policy
from dataskydd.register.enums import UsageKind
from dataskydd.register.models import Subject, UsageEvent

CRIME = ("Deckare 1", "Deckare 2", "Deckare 3")
NATURE = ("Natur 1", "Natur 2", "Natur 3")
ONLY_THE_OBJECTOR = "Bara invändaren"
START = datetime(2026, 1, 1, 20, 0, tzinfo=UTC)

AddViewer = Callable[[Sequence[str]], int]


@pytest.fixture
def purpose(policy: Policy) -> str:
    key = policy.system_purposes.recommendations
    if key is None:
        pytest.skip("this company's policy makes no personal recommendations")
    return key


@pytest.fixture
def add_viewer(session: Session) -> AddViewer:
    """A new subject who watched `titles` in this order (one a day), and a navigation event
    that training must not read as viewing."""

    def add(titles: Sequence[str]) -> int:
        subject = Subject(
            kind="person", given_name="Test", family_name="Tittare", search_name="test tittare"
        )
        session.add(subject)
        session.flush()
        for day, title in enumerate(titles):
            session.add(
                UsageEvent(
                    subject_id=subject.id,
                    occurred_at=START + timedelta(days=day),
                    kind=UsageKind.VIEW,
                    item=title,
                    duration_seconds=1800,
                )
            )
        session.add(
            UsageEvent(
                subject_id=subject.id,
                occurred_at=START,
                kind=UsageKind.NAVIGATION,
                item="/mina-sidor",
                duration_seconds=10,
            )
        )
        session.flush()
        return subject.id

    return add


@pytest.fixture
def viewers(add_viewer: AddViewer) -> dict[str, int]:
    """Four crime viewers, three nature viewers, and the objector-to-be who watched crime
    and a title nobody else watched."""
    found = {f"crime{n}": add_viewer(CRIME) for n in range(4)}
    found.update({f"nature{n}": add_viewer(NATURE) for n in range(3)})
    found["objector"] = add_viewer((CRIME[0], ONLY_THE_OBJECTOR))
    found["newcomer"] = add_viewer((CRIME[0],))
    return found
