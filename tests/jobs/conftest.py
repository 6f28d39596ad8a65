"""A fresh database and job queue per test, on SQLite and on PostgreSQL.

The queue's runs commit (workers are other threads and processes), so each test gets its own
database: an SQLite file with the queue's file beside it, or a PostgreSQL schema of its own
holding both the tables and huey's `job_queue_*` tables, as in production, dropped afterwards
(parallel test processes never share one).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from dataskydd.config import Settings
from dataskydd.db.migrate import upgrade_to_head
from dataskydd.db.session import make_engine, make_session_factory, transaction
from dataskydd.jobs.definitions import Job, JobContext
from dataskydd.jobs.models import JobRun, RunState
from dataskydd.jobs.queue import InProcessWorker, JobQueue, QueueStore
from dataskydd.mail.models import OutboxMail
from dataskydd.policy.schema import Policy
from tests.conftest import POSTGRES_URL, TEST_SECRET, postgres_schema

# Every wait of these tests ends by this many seconds, passed or failed.
WAIT_SECONDS = 20.0
PUBLIC_URL = "https://dataskydd.test"


@dataclass
class Database:
    engine: Engine
    store: QueueStore
    url: str  # the database URL as DATASKYDD_DATABASE_URL would name it

    def session(self) -> Session:
        return make_session_factory(self.engine)()

    def runs(self, job: str | None = None) -> list[JobRun]:
        with transaction(make_session_factory(self.engine)) as session:
            statement = select(JobRun).order_by(JobRun.id)
            if job is not None:
                statement = statement.where(JobRun.job == job)
            return list(session.scalars(statement).all())

    def run(self, run_id: int) -> JobRun:
        with transaction(make_session_factory(self.engine)) as session:
            row = session.get(JobRun, run_id)
            assert row is not None
            return row

    def mails_to(self, address: str) -> list[OutboxMail]:
        with transaction(make_session_factory(self.engine)) as session:
            statement = select(OutboxMail).where(OutboxMail.to_address == address)
            return list(session.scalars(statement.order_by(OutboxMail.id)).all())

    def wait_for(self, run_id: int, *states: RunState, seconds: float = WAIT_SECONDS) -> JobRun:
        """The run once it is in one of `states`; fails the test after `seconds`."""
        deadline = time.monotonic() + seconds
        while True:
            row = self.run(run_id)
            if row.state in states:
                return row
            if time.monotonic() > deadline:
                pytest.fail(f"run {run_id} still {row.state.value} after {seconds:g} s")
            time.sleep(0.05)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'dataskydd.db'}"
        engine = make_engine(url)
        upgrade_to_head(engine)
        try:
            yield Database(engine, QueueStore("sqlite", str(tmp_path / "dataskydd.jobs.db")), url)
        finally:
            engine.dispose()
        return
    with postgres_schema("jobs") as engine:
        upgrade_to_head(engine)
        with engine.connect() as connection:
            schema = str(connection.scalar(text("SELECT current_schema()")))
        options = {"options": f"-csearch_path={schema}"}
        libpq = make_url(POSTGRES_URL).set(drivername="postgresql")
        store = QueueStore("postgresql", libpq.render_as_string(hide_password=False), options)
        url = make_url(POSTGRES_URL).update_query_dict(options)
        yield Database(engine, store, url.render_as_string(hide_password=False))


def settings_for(database: Database, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "secret_key": TEST_SECRET,
        "database_url": database.url,
        "public_base_url": PUBLIC_URL,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def context(database: Database, policy: Policy) -> JobContext:
    return JobContext(
        engine=database.engine,
        settings=settings_for(database),
        policy=policy,
        heartbeat_every=timedelta(seconds=0.2),
        stale_after=timedelta(seconds=10),
    )


@dataclass
class Calls:
    """What the test jobs did: how often each ran, and how many ran at once at most."""

    counts: dict[str, int] = field(default_factory=dict)
    at_once: int = 0
    most_at_once: int = 0
    release: threading.Event = field(default_factory=threading.Event)
    started: threading.Event = field(default_factory=threading.Event)
    fail: bool = True
    lock: threading.Lock = field(default_factory=threading.Lock)

    def enter(self, name: str) -> None:
        with self.lock:
            self.counts[name] = self.counts.get(name, 0) + 1
            self.at_once += 1
            self.most_at_once = max(self.most_at_once, self.at_once)

    def leave(self) -> None:
        with self.lock:
            self.at_once -= 1


@pytest.fixture
def calls() -> Iterator[Calls]:
    recorded = Calls()
    yield recorded
    recorded.release.set()  # no test job is left waiting


def make_jobs(calls: Calls) -> list[Job]:
    """Jobs whose bodies report to `calls`: echo (returns at once), flaky (fails while
    `calls.fail`), slow (works until `calls.release` is set, at most WAIT_SECONDS), brief
    (works 0.3 s)."""

    def echo(_context: JobContext) -> None:
        calls.enter("echo")
        calls.leave()

    def flaky(_context: JobContext) -> None:
        calls.enter("flaky")
        calls.leave()
        if calls.fail:
            raise RuntimeError("Anna Andersson 19121212-1212 could not be reached")

    def slow(_context: JobContext) -> None:
        calls.enter("slow")
        calls.started.set()
        try:
            calls.release.wait(WAIT_SECONDS)
        finally:
            calls.leave()

    def brief(_context: JobContext) -> None:
        calls.enter("brief")
        try:
            time.sleep(0.3)
        finally:
            calls.leave()

    minute = timedelta(minutes=1)
    return [
        Job("echo", "Echo", echo, None, minute),
        Job(
            "flaky",
            "Flaky",
            flaky,
            None,
            minute,
            retries=3,
            retry_delay=timedelta(seconds=1),
            backoff=2.0,
        ),
        Job("slow", "Slow", slow, None, timedelta(seconds=1)),
        Job("brief", "Brief", brief, None, minute),
    ]


QueueFor = Callable[..., JobQueue]


@pytest.fixture
def queue_for(database: Database, context: JobContext, calls: Calls) -> Iterator[QueueFor]:
    """A new JobQueue on the test's store, as another process would build it."""
    built: list[JobQueue] = []

    def make(jobs: Sequence[Job] | None = None) -> JobQueue:
        queue = JobQueue(context, database.store, jobs=jobs or make_jobs(calls))
        built.append(queue)
        return queue

    yield make
    for queue in built:
        queue.close()


Workers = Callable[..., InProcessWorker]


@pytest.fixture
def workers() -> Iterator[Workers]:
    """In-process consumers (threads), stopped at the end of the test."""
    started: list[InProcessWorker] = []

    def start(queue: JobQueue, **options: object) -> InProcessWorker:
        options.setdefault("periodic", False)
        options.setdefault("max_delay", 0.1)
        options.setdefault("shutdown_timeout", 5)
        worker = InProcessWorker(queue, **options).start()  # type: ignore[arg-type]
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.consumer.stop(graceful=False)
