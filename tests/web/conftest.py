"""Web fixtures: the app on the test database, and clients signed in as each role.

The app's get_session is overridden to use the test's rolled-back session, with the same
commit/rollback rules as production (db.session.transaction). A request that fails rolls
back to the last commit, so set-up data must be committed (`session.commit()`); that only
releases a savepoint inside the outer transaction, which is still rolled back after the test.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from dataskydd.auth import passwords, sessions
from dataskydd.auth.models import StaffUser
from dataskydd.config import Settings
from dataskydd.db.session import transaction
from dataskydd.policy.schema import Policy
from dataskydd.web.app import create_app
from dataskydd.web.deps import SESSION_COOKIE, get_session
from tests.conftest import TEST_SECRET

PASSWORD = "Rätt-Häst-Batteri-Häftklammer-7"
_numbers = itertools.count(1)
BASE_URL = "https://testserver"
ClientFor = Callable[..., TestClient]


@cache
def password_hash() -> str:
    return passwords.hash_password(PASSWORD)


@pytest.fixture
def app(
    engine: Engine, session: Session, policy: Policy, data_map_dir: Path | None
) -> Iterator[FastAPI]:
    # The public address is the test client's, as an operator configures theirs
    # (docs/scaling.md); links in mail start with it.
    settings = Settings(
        secret_key=TEST_SECRET,  # type: ignore[arg-type]
        database_url="sqlite://",
        public_base_url=BASE_URL,
        data_map=data_map_dir,
    )
    application = create_app(settings, policy=policy, engine=engine)

    def test_session() -> Iterator[Session]:
        with transaction(lambda: session) as db_session:  # type: ignore[arg-type,return-value]
            yield db_session

    application.dependency_overrides[get_session] = test_session
    yield application
    application.dependency_overrides.clear()


@pytest.fixture
def anonymous(app: FastAPI) -> TestClient:
    return TestClient(app, base_url=BASE_URL)


def make_staff(session: Session, role: str, username: str | None = None) -> StaffUser:
    user = StaffUser(
        username=username or f"{role.replace('_', '')}-{next(_numbers)}",
        display_name=f"Test {role}",
        role=role,
        password_hash=password_hash(),
    )
    session.add(user)
    session.commit()
    return user


@pytest.fixture
def client_for(app: FastAPI, session: Session) -> ClientFor:
    """A client already signed in (session cookie set) as a new staff member of `role`."""

    def make(role: str, username: str | None = None) -> TestClient:
        user = make_staff(session, role, username)
        _record, token = sessions.start_session(session, user)
        session.commit()
        client = TestClient(app, base_url=BASE_URL)
        client.cookies.set(SESSION_COOKIE, token)
        return client

    return make


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


@pytest.fixture(autouse=True)
def every_read_is_decided(sql_guard: Any) -> Iterator[None]:
    """Issue 8: a route or command that reads personal data without an access decision fails
    its test here, whatever the test itself asserts (tests/access/sql_guard.py)."""
    sql_guard.only_through = ("web/", "cli/")
    with sql_guard.watching():
        yield
    sql_guard.assert_clean(saw_personal_data=False)
