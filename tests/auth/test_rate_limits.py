"""Attempts per client counted in the database (auth/rate_limits.py), on SQLite and PostgreSQL:
the limit, the sliding window, the keyed hash, pruning, and exact counts under concurrency."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, delete, select, text
from sqlalchemy.orm import Session

from dataskydd import clock, crypto
from dataskydd.auth import rate_limits
from dataskydd.auth.models import RateLimitWindow
from dataskydd.auth.rate_limits import Limit, count_attempt, prune_expired
from dataskydd.db.session import make_session_factory

WINDOW = timedelta(minutes=5)
T0 = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)  # the start of a window
CLIENT = "192.0.2.10"


def new_limit(attempts: int = 3) -> Limit:
    return Limit(f"test-{uuid.uuid4().hex[:12]}", attempts, WINDOW)


def hits_of(session_or_engine: Session | Engine, limit: Limit) -> list[int]:
    statement = (
        select(RateLimitWindow.hits)
        .where(RateLimitWindow.name == limit.name)
        .order_by(RateLimitWindow.window_start)
    )
    if isinstance(session_or_engine, Session):
        return list(session_or_engine.scalars(statement))
    with session_or_engine.connect() as connection:
        return list(connection.scalars(statement))


class TestCounting:
    def test_allows_up_to_the_limit_then_refuses(self, session: Session) -> None:
        limit = new_limit(3)
        connection = session.connection()
        answers = [
            count_attempt(connection, limit, CLIENT, now=T0 + timedelta(seconds=i))
            for i in range(5)
        ]
        assert answers == [True, True, True, False, False]

    def test_refused_attempts_are_not_counted(self, session: Session) -> None:
        limit = new_limit(3)
        for i in range(10):
            count_attempt(session.connection(), limit, CLIENT, now=T0 + timedelta(seconds=i))
        assert hits_of(session, limit) == [3]

    def test_clients_and_limits_are_counted_apart(self, session: Session) -> None:
        first, second = new_limit(1), new_limit(1)
        connection = session.connection()
        assert count_attempt(connection, first, CLIENT, now=T0)
        assert not count_attempt(connection, first, CLIENT, now=T0)
        assert count_attempt(connection, first, "192.0.2.11", now=T0)
        assert count_attempt(connection, second, CLIENT, now=T0)

    def test_the_previous_window_counts_for_the_part_still_covered(self, session: Session) -> None:
        limit = new_limit(10)
        connection = session.connection()

        def tries(at: datetime, n: int) -> int:
            return sum(count_attempt(connection, limit, CLIENT, now=at) for _ in range(n))

        assert tries(T0 + WINDOW - timedelta(seconds=1), 10) == 10
        # Just after the window turned, the previous one still covers everything.
        assert tries(T0 + WINDOW, 3) == 0
        # Halfway through, half of the previous window's 10 count: room for 5.
        assert tries(T0 + WINDOW * 1.5, 8) == 5
        # Two windows on, the 10 no longer count; 4/5 through, 1/5 of the 5 does (1).
        assert tries(T0 + WINDOW * 2.8, 12) == 9

    def test_two_windows_later_a_client_starts_afresh(self, session: Session) -> None:
        limit = new_limit(2)
        connection = session.connection()
        assert [count_attempt(connection, limit, CLIENT, now=T0) for _ in range(3)] == [
            True,
            True,
            False,
        ]
        later = T0 + 2 * WINDOW
        assert [count_attempt(connection, limit, CLIENT, now=later) for _ in range(3)] == [
            True,
            True,
            False,
        ]

    def test_the_address_is_kept_only_as_a_keyed_hash(
        self, session: Session, keyring: crypto.Keyring
    ) -> None:
        limit = new_limit()
        count_attempt(session.connection(), limit, CLIENT, now=T0)
        row = session.scalars(
            select(RateLimitWindow).where(RateLimitWindow.name == limit.name)
        ).one()
        assert CLIENT not in row.client_hash
        assert row.client_hash == keyring.blind_index(
            CLIENT, context="rate_limit_window.client_hash"
        )
        other = crypto.Keyring("another-secret-" + "y" * 40)
        assert row.client_hash != other.blind_index(CLIENT, context="rate_limit_window.client_hash")

    def test_windows_that_can_no_longer_count_are_deleted(self, session: Session) -> None:
        limit = new_limit()
        connection = session.connection()
        count_attempt(connection, limit, CLIENT, now=T0)
        count_attempt(connection, limit, CLIENT, now=T0 + WINDOW)
        # At T0 + 2 windows the first window is neither current nor previous any more.
        prune_expired(connection, T0 + 2 * WINDOW)
        starts = session.scalars(
            select(RateLimitWindow.window_start).where(RateLimitWindow.name == limit.name)
        ).all()
        assert starts == [T0 + WINDOW]

    def test_a_limit_needs_whole_seconds_and_one_attempt(self) -> None:
        with pytest.raises(ValueError, match="at least one attempt"):
            Limit("x", 0, WINDOW)
        with pytest.raises(ValueError, match="at least one attempt"):
            Limit("x", 1, timedelta(milliseconds=1500))


@pytest.fixture
def committed(engine: Engine) -> Iterator[Limit]:
    """A limit whose counts are committed for real (as in production); deleted afterwards."""
    limit = new_limit(3)
    yield limit
    with engine.begin() as connection:
        connection.execute(delete(RateLimitWindow).where(RateLimitWindow.name == limit.name))


class TestTransactions:
    def test_the_count_survives_the_callers_rollback(
        self, engine: Engine, committed: Limit
    ) -> None:
        with make_session_factory(engine)() as session:
            assert rate_limits.allow(session, committed, CLIENT)
            session.rollback()
        assert hits_of(engine, committed) == [1]

    def test_a_session_holding_a_transaction_does_not_wait_for_itself(
        self, engine: Engine, committed: Limit
    ) -> None:
        """On SQLite the request's transaction holds the one write lock (BEGIN IMMEDIATE): the
        count joins it instead of waiting for it. PostgreSQL commits it on its own."""
        with make_session_factory(engine)() as session:
            session.execute(text("SELECT 1"))
            assert session.in_transaction()
            assert rate_limits.allow(session, committed, CLIENT)
            session.rollback()
        expected = [] if engine.dialect.name == "sqlite" else [1]
        assert hits_of(engine, committed) == expected

    def test_concurrent_attempts_count_exactly(self, engine: Engine, committed: Limit) -> None:
        generous = Limit(committed.name, 1000, WINDOW)
        strict = Limit(committed.name + "-s", 50, WINDOW)
        threads, each = 8, 25
        start = threading.Barrier(threads)
        answers: list[tuple[bool, bool]] = []
        lock = threading.Lock()
        factory = make_session_factory(engine)

        def attempt() -> None:
            start.wait()
            for _ in range(each):
                with factory() as one, factory() as two:
                    pair = (
                        rate_limits.allow(one, generous, CLIENT, now=T0),
                        rate_limits.allow(two, strict, CLIENT, now=T0),
                    )
                with lock:
                    answers.append(pair)

        workers = [threading.Thread(target=attempt) for _ in range(threads)]
        try:
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join(timeout=120)
            assert len(answers) == threads * each
            assert all(first for first, _ in answers)
            assert sum(second for _, second in answers) == 50
            assert hits_of(engine, generous) == [threads * each]
            assert hits_of(engine, strict) == [50]
        finally:
            with engine.begin() as connection:
                connection.execute(
                    delete(RateLimitWindow).where(RateLimitWindow.name == strict.name)
                )

    def test_windows_follow_the_app_clock(
        self, engine: Engine, committed: Limit, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        now = [T0 + timedelta(seconds=10)]
        monkeypatch.setattr(clock, "utc_now", lambda: now[0])
        factory = make_session_factory(engine)

        def allowed() -> bool:
            with factory() as session:
                return rate_limits.allow(session, committed, CLIENT)

        assert [allowed() for _ in range(4)] == [True, True, True, False]
        now[0] += WINDOW
        assert not allowed()
        now[0] += WINDOW
        assert allowed()
