"""Audit tests tamper with rows as an attacker would and commit from several threads, so each
gets its own fresh tables (with the append-only triggers) instead of the shared rolled-back
database of tests/conftest.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from dataskydd.audit import ddl
from dataskydd.audit.models import AuditEntry
from dataskydd.auth.models import StaffUser
from dataskydd.db.base import Base
from dataskydd.db.session import make_engine, make_session_factory
from tests.conftest import postgres_schema

_TABLES = [Base.metadata.tables[model.__tablename__] for model in (AuditEntry, StaffUser)]


def _create_tables(engine: Engine) -> None:
    Base.metadata.create_all(engine, tables=_TABLES)
    with engine.begin() as connection:
        for statement in ddl.append_only_trigger_sql(engine.dialect.name):
            connection.exec_driver_sql(statement)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        sqlite_engine = make_engine(f"sqlite:///{tmp_path / 'test.db'}")
        _create_tables(sqlite_engine)
        yield sqlite_engine
        sqlite_engine.dispose()
        return
    with postgres_schema("audit") as pg_engine:
        _create_tables(pg_engine)
        yield pg_engine


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    with session_factory() as db_session:
        yield db_session
