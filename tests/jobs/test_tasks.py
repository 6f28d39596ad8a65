"""The jobs' bodies and schedules, and where the queue is kept."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from dataskydd.clock import today_in_sweden
from dataskydd.config import Settings
from dataskydd.db.session import transaction
from dataskydd.errors import ConfigurationError, Conflict
from dataskydd.jobs import tasks
from dataskydd.jobs.definitions import JobContext, JobSkipped
from dataskydd.jobs.models import RunState
from dataskydd.jobs.queue import queue_store
from dataskydd.jobs.schedule import DailyAt, Every
from dataskydd.mail import service as mail_service
from dataskydd.retention.models import RetentionRun
from tests.jobs.conftest import PUBLIC_URL, Database, QueueFor, Workers, settings_for
from tests.mail.test_service import _Collect
from tests.mail.test_service import smtp_server as smtp_server  # the fixture


def test_the_schedules(database: Database) -> None:
    jobs = {job.name: job for job in tasks.default_jobs(settings_for(database))}
    assert list(jobs) == [
        "deliver_outbox",
        "request_reminders",
        "retention_run",
        "breach_deadlines",
        "agreement_reviews",
        "analytics_rollup",
        "recommendations_training",
        "check_jobs",
    ]
    assert jobs["deliver_outbox"].schedule == Every(1)
    assert jobs["retention_run"].schedule == DailyAt(3, 0)
    assert jobs["check_jobs"].schedule == Every(5)
    later = tasks.default_jobs(settings_for(database, retention_at="04:30"))
    assert {job.name: job for job in later}["retention_run"].schedule == DailyAt(4, 30)
    for job in jobs.values():
        assert job.time_limit.total_seconds() > 0
        assert job.retries >= 0
    # Without SMTP, delivery is not scheduled (and does nothing when asked for).
    assert jobs["deliver_outbox"].not_scheduled(settings_for(database)) == tasks.NO_SMTP
    smtp = settings_for(database, smtp_url="smtp://127.0.0.1:25")
    assert jobs["deliver_outbox"].not_scheduled(smtp) is None


def test_without_smtp_delivery_is_not_queued_by_the_schedule(
    database: Database, queue_for: QueueFor, context: JobContext
) -> None:
    queue = queue_for(tasks.default_jobs(context.settings))
    noon = datetime(2026, 12, 1, 11, 0, 10, tzinfo=UTC)
    assert "deliver_outbox" not in queue.enqueue_due(noon)


@pytest.fixture
def smtp(smtp_server: tuple[str, _Collect]) -> tuple[str, _Collect]:
    return smtp_server


def test_deliver_outbox_sends_what_is_unsent(
    database: Database, context: JobContext, smtp: tuple[str, _Collect]
) -> None:
    url, received = smtp
    with transaction(context.session_factory) as session:
        mail_service.queue_mail(session, to="anna@example.se", subject_line="Hej", body="Text")
    assert tasks.deliver_outbox(context) == 0  # no SMTP configured: it stays
    context.settings = settings_for(database, smtp_url=url)
    assert tasks.deliver_outbox(context) == 1
    assert tasks.deliver_outbox(context) == 0
    assert [message["To"] for message in received.messages] == ["anna@example.se"]


def test_request_reminders_link_to_the_queue(
    context: JobContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, Any] = {}

    def remind(session: object, **arguments: Any) -> list[int]:
        seen.update(arguments)
        return [7]

    monkeypatch.setattr(tasks.request_service, "send_reminders", remind)
    assert tasks.request_reminders(context) == [7]
    assert seen == {
        "actor": "job:request_reminders",
        "policy": context.policy,
        "queue_link": f"{PUBLIC_URL}/requests",
    }


def test_request_reminders_with_nothing_due(context: JobContext) -> None:
    assert tasks.request_reminders(context) == []


def test_retention_run_applies_todays_rules(
    context: JobContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, Any] = {}

    def run_retention(engine: object, policy: object, **arguments: Any) -> int:
        seen.update(arguments, engine=engine, policy=policy)
        return 12

    monkeypatch.setattr(tasks, "run_retention", run_retention)
    context.settings = context.settings.model_copy(update={"retention_batch_size": 250})
    assert tasks.retention_run(context) == 12
    assert seen == {
        "engine": context.engine,
        "policy": context.policy,
        "today": today_in_sweden(),
        "by": "job:retention",
        "batch_size": 250,
    }

    def busy(engine: object, policy: object, **arguments: Any) -> int:
        raise Conflict("a retention run is in progress elsewhere; try again when it ends")

    monkeypatch.setattr(tasks, "run_retention", busy)
    with pytest.raises(JobSkipped):
        tasks.retention_run(context)


def test_the_retention_job_runs_retention_on_the_queue(
    database: Database, queue_for: QueueFor, workers: Workers, context: JobContext
) -> None:
    queue = queue_for(tasks.default_jobs(context.settings))
    workers(queue)
    run_id = queue.enqueue("retention_run", requested_by="test")
    run = database.wait_for(run_id, RunState.SUCCEEDED, RunState.FAILED, RunState.SKIPPED)
    assert (run.state, run.error) == (RunState.SUCCEEDED, None)
    with transaction(context.session_factory) as session:
        (retention,) = session.scalars(select(RetentionRun)).all()
        assert retention.by == "job:retention"
        assert retention.today == today_in_sweden()


class TestWhereTheQueueIsKept:
    def test_beside_an_sqlite_database(self) -> None:
        store = queue_store(Settings(database_url="sqlite:////srv/dataskydd/dataskydd.db"))
        assert (store.backend, store.location) == ("sqlite", "/srv/dataskydd/dataskydd.jobs.db")

    def test_in_the_same_postgresql_database(self) -> None:
        store = queue_store(
            Settings(database_url="postgresql+psycopg://app:hemligt@db.example.se/dataskydd")
        )
        assert store.backend == "postgresql"
        assert store.location == "postgresql://app:hemligt@db.example.se/dataskydd"
        assert "hemligt" not in store.describe()
        assert "job_queue_" in store.describe()

    def test_where_jobs_url_says(self) -> None:
        for url in ("/var/lib/dataskydd/queue.db", "sqlite:////var/lib/dataskydd/queue.db"):
            store = queue_store(Settings(database_url="sqlite:///x.db", jobs_url=url))
            assert (store.backend, store.location) == ("sqlite", "/var/lib/dataskydd/queue.db")

    @pytest.mark.parametrize(
        ("settings", "message"),
        [
            (Settings(database_url="sqlite://"), "in memory"),
            (Settings(database_url="mysql+pymysql://u@h/db"), "not mysql"),
            (Settings(jobs_url="redis://localhost"), "DATASKYDD_JOBS_URL"),
        ],
    )
    def test_refused(self, settings: Settings, message: str) -> None:
        with pytest.raises(ConfigurationError, match=message):
            queue_store(settings)
