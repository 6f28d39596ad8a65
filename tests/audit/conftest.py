"""Audit tests tamper with rows as an attacker would and commit from several threads, so each
gets its own fresh tables (with the append-only triggers) instead of the shared rolled-back
database of tests/conftest.py. Settings point at the test's own directory, so no checkpoint
is ever appended outside it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from dataskydd.audit import ddl
from dataskydd.audit.models import AuditEntry
from dataskydd.auth.models import StaffUser
from dataskydd.config import get_settings
from dataskydd.db.base import Base
from dataskydd.db.session import make_engine, make_session_factory
from tests.conftest import postgres_schema

_TABLES = [Base.metadata.tables[model.__tablename__] for model in (AuditEntry, StaffUser)]


def _create_tables(engine: Engine) -> None:
    Base.metadata.create_all(engine, tables=_TABLES)
    with engine.begin() as connection:
        for statement in ddl.append_only_trigger_sql(engine.dialect.name):
            connection.exec_driver_sql(statement)


@pytest.fixture(autouse=True)
def settings_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """No checkpoint file configured and no key file (so none is written unless a test says)."""
    for name in ("DATASKYDD_AUDIT_CHECKPOINT_FILE", "DATASKYDD_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATASKYDD_KEY_FILE", str(tmp_path / "dataskydd.key"))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


@pytest.fixture
def checkpoint_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """DATASKYDD_AUDIT_CHECKPOINT_FILE set: commits that log append checkpoints here."""
    path = tmp_path / "checkpoints.jsonl"
    monkeypatch.setenv("DATASKYDD_AUDIT_CHECKPOINT_FILE", str(path))
    get_settings.cache_clear()
    return path


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
