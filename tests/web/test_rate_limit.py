"""Attempt limits as the pages apply them, on a database of their own committed for real (as in
production: the limit's count commits on its own, before the request's transaction).

Two apps on one database stand for two workers or instances; real `dataskydd serve` processes
on PostgreSQL are in tests/cli/test_serve_workers.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from dataskydd.auth import passwords
from dataskydd.auth.models import RateLimitWindow, StaffUser
from dataskydd.config import Settings
from dataskydd.db.migrate import upgrade_to_head
from dataskydd.db.session import make_engine, make_session_factory, transaction
from dataskydd.policy.schema import Policy
from dataskydd.web.app import create_app
from tests.conftest import TEST_SECRET
from tests.policy_keys import COMPANY_MAP_DIR, DPO
from tests.web.conftest import BASE_URL, PASSWORD, password_hash
from tests.web.test_sign_in import sign_in

# Holds for any company's policy: CI runs it against the bookshop too (.ci/run).
pytestmark = pytest.mark.every_company

TOTP_SECRET = pyotp.random_base32()


@pytest.fixture
def own_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'limits.db'}")
    upgrade_to_head(engine)
    yield engine
    engine.dispose()


def app_on(engine: Engine, policy: Policy) -> FastAPI:
    settings = Settings(
        secret_key=TEST_SECRET,  # type: ignore[arg-type]
        database_url="sqlite://",
        public_base_url=BASE_URL,
        data_map=COMPANY_MAP_DIR,
    )
    return create_app(settings, policy=policy, engine=engine)


@pytest.fixture
def quick_wrong_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every password is wrong, without argon2's half second: the limit is under test."""
    monkeypatch.setattr(passwords, "verify_password", lambda _hash, _password: False)


@pytest.mark.usefixtures("quick_wrong_passwords")
def test_the_login_limit_is_shared_by_two_apps_on_one_database(
    own_engine: Engine, policy: Policy
) -> None:
    first = TestClient(app_on(own_engine, policy), base_url=BASE_URL)
    second = TestClient(app_on(own_engine, policy), base_url=BASE_URL)
    statuses = [
        sign_in(client, "nobody", "Fel-lösenord-123").status_code  # type: ignore[attr-defined]
        for _ in range(10)
        for client in (first, second)
    ]
    assert statuses == [401] * 20
    for client in (first, second):
        refused = sign_in(client, "nobody", "Fel-lösenord-123")
        assert refused.status_code == 429  # type: ignore[attr-defined]
        assert "För många försök" in refused.text  # type: ignore[attr-defined]
    # Only the keyed hash of the address is kept.
    with own_engine.connect() as connection:
        kept = connection.execute(select(RateLimitWindow.name, RateLimitWindow.hits)).all()
        hashes = connection.scalars(select(RateLimitWindow.client_hash)).all()
    assert kept == [("login", 20)]
    assert all("testclient" not in value for value in hashes)


def test_only_failed_sign_ins_count_towards_the_limit(
    own_engine: Engine, policy: Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An office behind one address: many people sign in within the window.
    with transaction(make_session_factory(own_engine)) as session:
        session.add(
            StaffUser(
                username="karin", display_name="Karin", role=DPO, password_hash=password_hash()
            )
        )
    monkeypatch.setattr(passwords, "verify_password", lambda _hash, given: given == PASSWORD)
    client = TestClient(app_on(own_engine, policy), base_url=BASE_URL)
    assert [sign_in(client, "karin", PASSWORD).status_code for _ in range(25)] == [303] * 25  # type: ignore[attr-defined]
    wrong = [sign_in(client, "karin", "Fel-lösenord-123").status_code for _ in range(21)]  # type: ignore[attr-defined]
    assert wrong == [401] * 20 + [429]


def test_second_factor_tries_are_limited_across_apps(own_engine: Engine, policy: Policy) -> None:
    with transaction(make_session_factory(own_engine)) as session:
        session.add(
            StaffUser(
                username="karin",
                display_name="Karin",
                role=DPO,
                password_hash=passwords.hash_password(PASSWORD),
                totp_secret=TOTP_SECRET,
            )
        )
    apps = [app_on(own_engine, policy), app_on(own_engine, policy)]
    client = TestClient(apps[0], base_url=BASE_URL)
    assert sign_in(client, "karin", PASSWORD).headers["location"] == "/login/totp"  # type: ignore[attr-defined]
    other = TestClient(apps[1], base_url=BASE_URL, cookies=client.cookies)

    def try_code(via: TestClient, code: str) -> int:
        page = via.get("/login/totp")
        token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
        answer = via.post(
            "/login/totp", data={"code": code, "csrf_token": token}, follow_redirects=False
        )
        return answer.status_code

    wrong = f"{(int(pyotp.TOTP(TOTP_SECRET).now()) + 500_000) % 1_000_000:06d}"
    for i in range(20):
        assert try_code((client, other)[i % 2], wrong) == 401
    # Over the limit even the right code is refused, on either app.
    assert try_code(other, pyotp.TOTP(TOTP_SECRET).now()) == 401
    assert try_code(client, pyotp.TOTP(TOTP_SECRET).now()) == 401
