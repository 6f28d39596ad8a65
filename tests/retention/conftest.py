"""A database of its own per test (retention runs commit), with customers in every situation a
rule must tell apart, dated around one fixed day."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from dataskydd.datamap.entries import category_of
from dataskydd.db.migrate import upgrade_to_head
from dataskydd.register import models
from dataskydd.register.enums import RoleKind
from dataskydd.register.models import LegalHold, Restriction
from tests import factories
from tests.conftest import _sqlite_engine, postgres_schema

TODAY = dt.date(2026, 11, 30)
UTC = dt.UTC


def at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12), UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def own_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = _sqlite_engine(tmp_path / "retention.db")
        upgrade_to_head(engine)
        yield engine
        engine.dispose()
        return
    with postgres_schema("ret") as engine:
        upgrade_to_head(engine)
        yield engine


@dataclass
class World:
    left: int  # relationship ended 2024-06-01: past 24 months' grace
    came_back: int  # ended then, but a new role since 2025-01-01
    current: int  # a customer now, with old and new events
    held: int  # left, but under a legal hold
    restricted: int  # left, its contact details restricted until 2030
    old_event_ids: list[int]
    new_event_ids: list[int]

    @staticmethod
    def category(table: str, column: str) -> str:
        return category_of(table, column)


def _customer(session: Session, *, ended: dt.date | None, created: dt.date) -> int:
    subject = factories.SubjectFactory(created_at=at(created))
    factories.EmailFactory(subject_id=subject.id)
    session.add(
        models.SubjectRole(
            subject_id=subject.id, role=RoleKind.CUSTOMER, started_on=created, ended_on=ended
        )
    )
    session.flush()
    return int(subject.id)


@pytest.fixture
def world(own_engine: Engine) -> World:
    with Session(own_engine) as session:
        factories.bind_factories(session)
        try:
            left = _customer(session, ended=dt.date(2024, 6, 1), created=dt.date(2019, 1, 1))
            came_back = _customer(session, ended=dt.date(2024, 6, 1), created=dt.date(2019, 1, 1))
            session.add(
                models.SubjectRole(
                    subject_id=came_back, role=RoleKind.CUSTOMER, started_on=dt.date(2025, 1, 1)
                )
            )
            current = _customer(session, ended=None, created=dt.date(2020, 1, 1))
            held = _customer(session, ended=dt.date(2024, 6, 1), created=dt.date(2019, 1, 1))
            restricted = _customer(session, ended=dt.date(2024, 6, 1), created=dt.date(2019, 1, 1))
            old = [
                factories.UsageEventFactory(subject_id=current, occurred_at=at(day)).id
                for day in (dt.date(2025, 1, 1), dt.date(2025, 10, 29))
            ]
            new = [
                factories.UsageEventFactory(subject_id=current, occurred_at=at(day)).id
                for day in (dt.date(2025, 10, 30), dt.date(2026, 11, 1))
            ]
            session.add(
                LegalHold(
                    subject_id=held,
                    category=None,
                    reason="Begäran från Polismyndigheten",
                    reference="Dnr 5000-K123-26",
                    placed_by="dpo",
                )
            )
            session.add(
                Restriction(
                    subject_id=restricted,
                    category=category_of("contact_point", "value"),
                    reason="Tvist om faktura",
                    until=dt.date(2030, 1, 1),
                )
            )
            session.commit()
        finally:
            factories.bind_factories(None)
    return World(left, came_back, current, held, restricted, old, new)
