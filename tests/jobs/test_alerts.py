"""Stuck runs (over their time limit, or their worker gone), runs waiting long, and no worker
at all: listed by problems() for the DPO's page, and mailed to the DPO once by check_jobs."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

import pytest

from dataskydd.clock import utc_now
from dataskydd.db.session import make_session_factory, transaction
from dataskydd.jobs import alerts, records, tasks
from dataskydd.jobs.definitions import Job, JobContext
from dataskydd.jobs.models import JobRun, RunState
from dataskydd.jobs.schedule import DailyAt, Every
from dataskydd.policy.schema import Policy
from tests.jobs.conftest import WAIT_SECONDS, Calls, Database, QueueFor, Workers


def _dpo(policy: Policy) -> str:
    assert policy.dpo is not None
    assert policy.dpo.email
    return policy.dpo.email


def _nothing(_context: JobContext) -> None:
    return None


def _insert(database: Database, **values: object) -> int:
    defaults: dict[str, object] = {
        "job": "nightly",
        "task_id": f"task-{time.monotonic_ns()}",
        "state": RunState.RUNNING,
        "requested_by": "schedule",
        "attempt": 1,
        "time_limit_seconds": 3600,
        "queued_at": utc_now() - timedelta(hours=1),
        "started_at": utc_now() - timedelta(minutes=50),
    }
    defaults.update(values)
    with transaction(make_session_factory(database.engine)) as session:
        run = JobRun(**defaults)
        session.add(run)
        session.flush()
        return run.id


def test_a_run_over_its_time_limit_is_listed_and_mailed_once(
    database: Database,
    queue_for: QueueFor,
    workers: Workers,
    calls: Calls,
    context: JobContext,
    policy: Policy,
) -> None:
    queue = queue_for()  # "slow" has a time limit of 1 s; threads do not end it
    workers(queue)
    run_id = queue.enqueue("slow", requested_by="test")
    assert calls.started.wait(WAIT_SECONDS)
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        with database.session() as session:
            found = records.problems(session, jobs=[])
        if found:
            break
        assert time.monotonic() < deadline, "the run never showed as over its time limit"
        time.sleep(0.1)
    (problem,) = found
    assert problem.kind is records.ProblemKind.OVER_TIME
    assert problem.run is not None
    assert problem.run.id == run_id
    first = alerts.check(context)
    assert first.mailed == [run_id]
    assert first.lost == []  # its heartbeat is fresh: still at work
    assert alerts.check(context).mailed == []
    (mail,) = database.mails_to(_dpo(policy))
    # In the staff's language only (tests/test_untranslated_mail.py checks both languages).
    assert mail.subject_line == "dataskydd: 1 jobb har fastnat"
    assert f"slow (körning {run_id}), sedan " in mail.body
    assert "över sin tidsgräns (0:00:01)" in mail.body
    assert "time limit" not in mail.body
    calls.release.set()
    assert database.wait_for(run_id, RunState.SUCCEEDED).state is RunState.SUCCEEDED
    with database.session() as session:
        assert records.problems(session, jobs=[]) == []


def test_a_run_whose_worker_is_gone_is_failed_mailed_and_queued_again(
    database: Database, queue_for: QueueFor, context: JobContext, policy: Policy
) -> None:
    nightly = Job("nightly", "Nightly", _nothing, DailyAt(3, 0), timedelta(hours=1))
    queue = queue_for([nightly])  # sets context.recover
    lost = _insert(database, heartbeat_at=utc_now() - timedelta(minutes=20))
    with database.session() as session:
        (problem,) = records.problems(session, jobs=[])
    assert problem.kind is records.ProblemKind.LOST

    assert tasks.check_jobs(context) == [lost]
    run = database.run(lost)
    assert (run.state, run.error) == (RunState.FAILED, alerts.LOST)
    assert run.alerted_at is not None
    (mail,) = database.mails_to(_dpo(policy))
    assert "arbetaren har stannat" in mail.body
    assert "worker" not in mail.body
    (recovery,) = [r for r in database.runs("nightly") if r.id != lost]
    assert (recovery.state, recovery.requested_by) == (RunState.QUEUED, "recovery")
    assert queue.huey.pending_count() == 1
    # Told once: the next check finds nothing new.
    assert tasks.check_jobs(context) == []
    assert len(database.mails_to(_dpo(policy))) == 1


def test_runs_waiting_long_and_no_worker_are_listed(database: Database) -> None:
    watch = Job("watch", "Watch", _nothing, Every(5), timedelta(minutes=1))
    waiting = _insert(
        database,
        job="watch",
        state=RunState.QUEUED,
        started_at=None,
        queued_at=utc_now() - timedelta(hours=2),
    )
    with database.session() as session:
        found = records.problems(session, jobs=[watch])
    assert [(p.kind, p.run.id if p.run else None) for p in found] == [
        (records.ProblemKind.NO_WORKER, None),
        (records.ProblemKind.WAITING, waiting),
    ] or [(p.kind, p.run.id if p.run else None) for p in found] == [
        (records.ProblemKind.WAITING, waiting),
        (records.ProblemKind.NO_WORKER, None),
    ]
    with database.session() as session:
        (row,) = records.overview(session, [watch])
    assert (row.waiting, row.at_work, row.problems) == (1, 0, 1)
    assert row.last_run is None
    assert row.next_run is not None


def test_a_policy_without_a_dpo_address_leaves_the_problem_listed(
    database: Database, context: JobContext, policy: Policy, caplog: pytest.LogCaptureFixture
) -> None:
    context.policy = policy.model_copy(update={"dpo": None})
    failed = _insert(
        database, state=RunState.FAILED, finished_at=utc_now(), error="OperationalError"
    )
    caplog.set_level(logging.WARNING)
    with transaction(context.session_factory) as session:
        run = session.get(JobRun, failed)
        assert run is not None
        assert alerts.mail_failure(session, context, run) is False
    assert "names no DPO e-mail" in caplog.text
    assert database.run(failed).alerted_at is None
    with database.session() as session:
        (problem,) = records.problems(session, jobs=[])
    assert problem.kind is records.ProblemKind.FAILED


def test_old_runs_are_forgotten(database: Database, context: JobContext) -> None:
    old = utc_now() - timedelta(days=30)
    done = _insert(database, state=RunState.SUCCEEDED, finished_at=old)
    failed = _insert(database, state=RunState.FAILED, finished_at=old)
    recent = _insert(database, state=RunState.SUCCEEDED, finished_at=utc_now())
    assert alerts.check(context).pruned == 1
    assert [run.id for run in database.runs()] == [failed, recent]
    assert done not in [run.id for run in database.runs()]
