"""Counters that guard sign-in stay exact when many threads, workers or instances write them at
once (issue 9): wrong passwords per account, and tries per one-time code. Each run gets a
database of its own, because these commit for real (and audit entries cannot be deleted)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from dataskydd.auth import passwords
from dataskydd.auth import service as auth_service
from dataskydd.auth.models import StaffUser
from dataskydd.db.migrate import upgrade_to_head
from dataskydd.db.session import make_engine, make_session_factory, transaction
from dataskydd.subject_requests import verification
from dataskydd.subject_requests.models import CodePurpose, VerificationCode
from tests.conftest import postgres_schema


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def own_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'counts.db'}")
        upgrade_to_head(engine)
        yield engine
        engine.dispose()
        return
    with postgres_schema("counts") as engine:
        upgrade_to_head(engine)
        yield engine


def at_once(threads: int, work: Callable[[], None]) -> None:
    start = threading.Barrier(threads)
    errors: list[BaseException] = []

    def run() -> None:
        start.wait()
        try:
            work()
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert not errors, errors


def test_concurrent_wrong_passwords_each_count(own_engine: Engine) -> None:
    factory = make_session_factory(own_engine)
    with transaction(factory) as session:
        session.add(
            StaffUser(
                username="kim",
                display_name="Kim",
                role="dpo",
                password_hash=passwords.hash_password("Rätt-Häst-Batteri-Häftklammer-7"),
            )
        )

    def wrong() -> None:
        with transaction(factory) as session:
            assert auth_service.attempt_login(session, username="kim", password="fel") is None

    at_once(auth_service.MAX_FAILED_LOGINS, wrong)
    with factory() as session:
        user = auth_service.get_staff_user_by_username(session, "kim")
        assert user.locked_until is not None, "every wrong password counts toward the lock-out"


def test_concurrent_tries_of_one_code_stop_at_the_limit(own_engine: Engine) -> None:
    factory = make_session_factory(own_engine)
    with transaction(factory) as session:
        issued = verification.issue_code(session, purpose=CodePurpose.REQUEST, subject_id=None)
        ticket, record_id = verification.ticket_of(issued.record), issued.record.id

    def guess() -> None:
        # Rejected inside the transaction, which then commits the count, as the pages do.
        with transaction(factory) as session, contextlib.suppress(verification.CodeRejected):
            verification.verify_code(
                session, ticket=ticket, code="00000000", purpose=CodePurpose.REQUEST
            )

    at_once(3 * verification.MAX_ATTEMPTS, guess)
    with Session(own_engine) as session:
        record = session.get(VerificationCode, record_id)
        assert record is not None
        assert record.attempts == verification.MAX_ATTEMPTS
