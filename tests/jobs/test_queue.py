"""The job queue (huey) with its record: runs are run by a worker and recorded, retried with a
growing delay, kept across restarts, never run twice at once, and failures reach the DPO."""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from huey.api import Task

from dataskydd.errors import ConfigurationError
from dataskydd.jobs import records
from dataskydd.jobs.definitions import Job, JobContext
from dataskydd.jobs.models import RunState
from dataskydd.jobs.queue import JobQueue
from dataskydd.jobs.schedule import Every
from dataskydd.policy.schema import Policy
from tests.jobs.conftest import WAIT_SECONDS, Calls, Database, QueueFor, Workers


def _huey_now() -> datetime:
    """huey's clock: naive UTC."""
    return datetime.now(UTC).replace(tzinfo=None)


def _dpo(policy: Policy) -> str:
    assert policy.dpo is not None
    assert policy.dpo.email
    return policy.dpo.email


def test_a_queued_run_is_run_by_a_worker_and_recorded(
    database: Database, queue_for: QueueFor, workers: Workers, calls: Calls
) -> None:
    queue = queue_for()
    run_id = queue.enqueue("echo", requested_by="test")
    queued = database.run(run_id)
    assert (queued.state, queued.attempt, queued.requested_by) == (RunState.QUEUED, 0, "test")
    workers(queue)
    run = database.wait_for(run_id, RunState.SUCCEEDED, RunState.FAILED)
    assert run.state is RunState.SUCCEEDED
    assert run.attempt == 1
    assert run.error is None
    assert run.started_at is not None
    assert run.finished_at is not None
    assert run.queued_at <= run.started_at <= run.finished_at
    assert run.heartbeat_at is None
    assert calls.counts == {"echo": 1}


def test_a_failing_run_is_retried_with_growing_delays_then_fails(
    database: Database, queue_for: QueueFor, calls: Calls, policy: Policy
) -> None:
    """The worker's loop driven by hand (dequeue, execute, read the schedule at the retry's
    time), so the delays huey schedules are measured exactly, on the real storage."""
    queue = queue_for()
    run_id = queue.enqueue("flaky", requested_by="test")
    task: Task = queue.huey.dequeue()
    # retry_delay 1 s, backoff 2: the retries are scheduled 1, 2 and 4 s after each failure.
    for attempt, delay in zip(range(1, 5), (1, 2, 4, None), strict=True):
        before = _huey_now()
        queue.huey.execute(task, task.eta or before)
        after = _huey_now()
        run = database.run(run_id)
        assert run.attempt == attempt
        assert run.error == "RuntimeError"
        if delay is None:
            break
        assert run.state is RunState.RETRYING
        (task,) = queue.huey.read_schedule(before + timedelta(days=1))
        slack = timedelta(milliseconds=10)
        assert before + timedelta(seconds=delay) - slack <= task.eta
        assert task.eta <= after + timedelta(seconds=delay) + slack
        assert run.next_retry_at is not None
        recorded = run.next_retry_at.replace(tzinfo=None)
        assert abs((recorded - task.eta).total_seconds()) < 0.5
    assert run.state is RunState.FAILED
    assert run.next_retry_at is None
    assert run.finished_at is not None
    assert queue.huey.pending_count() == 0
    assert queue.huey.scheduled_count() == 0
    assert calls.counts == {"flaky": 4}
    with database.session() as session:
        (problem,) = records.problems(session, jobs=[])
    assert (problem.kind, problem.job, problem.failures) == (records.ProblemKind.FAILED, "flaky", 1)
    assert problem.run is not None
    assert problem.run.id == run_id
    (mail,) = database.mails_to(_dpo(policy))
    # In the staff's language only (tests/test_untranslated_mail.py checks both languages).
    assert mail.subject_line == "dataskydd: jobbet flaky misslyckades"
    assert f"flaky (körning {run_id})" in mail.body
    assert "RuntimeError" in mail.body
    assert "attempt" not in mail.body
    assert database.run(run_id).alerted_at is not None


def test_a_worker_retries_a_failing_job_and_the_dpo_is_told_once_per_failure(
    database: Database,
    queue_for: QueueFor,
    workers: Workers,
    calls: Calls,
    policy: Policy,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def flaky(_context: JobContext) -> None:
        calls.enter("flaky")
        calls.leave()
        if calls.fail:
            raise RuntimeError("Anna Andersson 19121212-1212 could not be reached")

    job = Job(
        "flaky",
        "Flaky",
        flaky,
        None,
        timedelta(minutes=1),
        retries=2,
        retry_delay=timedelta(seconds=0.2),
        backoff=2.0,
    )
    queue = queue_for([job])
    workers(queue)
    caplog.set_level(logging.INFO)

    first = queue.enqueue("flaky", requested_by="test")
    assert database.wait_for(first, RunState.FAILED, RunState.SUCCEEDED).state is RunState.FAILED
    assert database.run(first).attempt == 3
    assert len(database.mails_to(_dpo(policy))) == 1

    # Failing again before it ever succeeded: the same problem, not another mail.
    second = queue.enqueue("flaky", requested_by="test")
    assert database.wait_for(second, RunState.FAILED, RunState.SUCCEEDED).state is RunState.FAILED
    assert len(database.mails_to(_dpo(policy))) == 1
    with database.session() as session:
        (problem,) = records.problems(session, jobs=[job])
    assert problem.failures == 2
    assert problem.run is not None
    assert problem.run.id == second

    calls.fail = False
    third = queue.enqueue("flaky", requested_by="test")
    assert database.wait_for(third, RunState.FAILED, RunState.SUCCEEDED).state is RunState.SUCCEEDED
    with database.session() as session:
        assert records.problems(session, jobs=[job]) == []

    calls.fail = True
    fourth = queue.enqueue("flaky", requested_by="test")
    assert database.wait_for(fourth, RunState.FAILED, RunState.SUCCEEDED).state is RunState.FAILED
    mails = database.mails_to(_dpo(policy))
    assert len(mails) == 2
    # The exception's text (a name, a personnummer) is nowhere: not in the record, the mail,
    # nor the log.
    for text in [caplog.text, *(m.body for m in mails), *(r.error or "" for r in database.runs())]:
        assert "19121212" not in text
        assert "Andersson" not in text
    assert "RuntimeError" in caplog.text


def test_a_configuration_error_is_not_retried(
    database: Database, queue_for: QueueFor, workers: Workers, policy: Policy
) -> None:
    def misconfigured(_context: JobContext) -> None:
        raise ConfigurationError("the policy names no DPO e-mail address to remind")

    job = Job("misconfigured", "M", misconfigured, None, timedelta(minutes=1), retries=5)
    queue = queue_for([job])
    workers(queue)
    run_id = queue.enqueue("misconfigured", requested_by="test")
    run = database.wait_for(run_id, RunState.FAILED, RunState.SUCCEEDED)
    assert (run.state, run.attempt, run.error) == (RunState.FAILED, 1, "ConfigurationError")
    assert len(database.mails_to(_dpo(policy))) == 1


def test_a_queued_run_survives_a_restart(
    database: Database, queue_for: QueueFor, workers: Workers, calls: Calls
) -> None:
    before = queue_for()
    run_id = before.enqueue("echo", requested_by="test")
    before.close()  # the process that queued it ends; no worker ran meanwhile
    assert calls.counts == {}
    after = queue_for()  # a new process: a new huey instance on the same storage
    assert after.huey.pending_count() == 1
    workers(after)
    assert database.wait_for(run_id, RunState.SUCCEEDED).attempt == 1
    assert calls.counts == {"echo": 1}


def test_a_run_at_work_when_its_worker_stops_is_done_by_the_next_worker(
    database: Database, queue_for: QueueFor, workers: Workers, calls: Calls
) -> None:
    first = queue_for()
    stopping = workers(first)
    run_id = first.enqueue("slow", requested_by="test")
    assert calls.started.wait(WAIT_SECONDS)
    stopping.stop(graceful=False)
    handed_back = database.run(run_id)
    assert handed_back.state is RunState.QUEUED
    assert handed_back.error == records.HANDED_BACK
    # The stopped worker's thread is let go (a stopped process would simply be gone).
    calls.release.set()
    deadline = time.monotonic() + WAIT_SECONDS
    while calls.at_once and time.monotonic() < deadline:
        time.sleep(0.05)
    assert database.run(run_id).state is RunState.QUEUED  # its late end is not recorded

    workers(queue_for())
    run = database.wait_for(run_id, RunState.SUCCEEDED, RunState.FAILED)
    assert (run.state, run.attempt, run.error) == (RunState.SUCCEEDED, 2, None)
    assert calls.counts == {"slow": 2}


def test_two_workers_claim_each_scheduled_slot_once(
    database: Database, queue_for: QueueFor, calls: Calls
) -> None:
    def tick(_context: JobContext) -> None:
        calls.enter("tick")
        calls.leave()

    jobs = [
        Job(f"tick{number}", "Tick", tick, Every(1), timedelta(minutes=1)) for number in range(6)
    ]
    one, two = queue_for(jobs), queue_for(jobs)
    now = datetime.now(UTC)
    start = threading.Barrier(2)
    claimed: dict[str, list[str]] = {}

    def claim(name: str, queue: JobQueue) -> None:
        start.wait()
        claimed[name] = queue.enqueue_due(now)

    threads = [threading.Thread(target=claim, args=item) for item in (("1", one), ("2", two))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT_SECONDS)
    assert sorted(claimed["1"] + claimed["2"]) == sorted(job.name for job in jobs)
    runs = database.runs()
    assert len(runs) == len(jobs)
    assert {run.slot for run in runs} == {Every(1).latest(now)}
    assert one.huey.pending_count() == len(jobs)
    # Asked again for the same minute, nobody claims anything.
    assert one.enqueue_due(now) == []
    assert two.enqueue_due(now + timedelta(seconds=30)) == []


def test_two_workers_never_run_one_job_at_once(
    database: Database, queue_for: QueueFor, workers: Workers, calls: Calls
) -> None:
    """Two consumers, each with two threads and its own scheduler checking every 0.2 s: the
    scheduled job runs once per minute-slot, and runs asked for by hand on either queue wait
    for each other instead of running together."""

    def brief(_context: JobContext) -> None:
        calls.enter("brief")
        try:
            time.sleep(0.3)
        finally:
            calls.leave()

    jobs = [Job("brief", "Brief", brief, Every(1), timedelta(minutes=1))]
    one, two = queue_for(jobs), queue_for(jobs)
    running = []
    for queue in (one, two):
        queue.busy_retry_seconds = 0.2
        running.append(workers(queue, workers=2, periodic=True, check_seconds=0.2))
    deadline = time.monotonic() + WAIT_SECONDS
    while not [run for run in database.runs("brief") if run.slot is not None]:
        assert time.monotonic() < deadline, "the schedule queued no run"
        time.sleep(0.05)
    by_hand = [queue.enqueue("brief", requested_by="test") for queue in (one, two, one, two)]
    for run_id in by_hand:
        assert database.wait_for(run_id, RunState.SUCCEEDED, RunState.FAILED).state is (
            RunState.SUCCEEDED
        )
    scheduled = [run for run in database.runs("brief") if run.slot is not None]
    assert len({run.slot for run in scheduled}) == len(scheduled)
    for run in scheduled:
        database.wait_for(run.id, RunState.SUCCEEDED, RunState.SKIPPED, RunState.FAILED)
    for worker in running:
        worker.stop()  # a slot begun meanwhile ends (or stays queued) before counting
    done = [run for run in database.runs("brief") if run.state is RunState.SUCCEEDED]
    assert calls.counts["brief"] == len(done)
    assert calls.most_at_once == 1


def test_a_missed_slot_is_caught_up_once_but_a_new_job_starts_at_its_next_slot(
    database: Database, queue_for: QueueFor
) -> None:
    from dataskydd.jobs.schedule import DailyAt

    def nothing(_context: JobContext) -> None:
        return None

    nightly = Job("nightly", "Nightly", nothing, DailyAt(3, 0), timedelta(hours=1))
    queue = queue_for([nightly])
    morning = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # 10:00 in Stockholm
    assert queue.enqueue_due(morning) == []  # never ran: last night's slot is not caught up
    on_time = datetime(2026, 12, 2, 2, 0, 30, tzinfo=UTC)  # 03:00:30 in Stockholm
    assert queue.enqueue_due(on_time) == ["nightly"]
    (run,) = database.runs()
    assert run.slot == datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
    with database.session() as session, session.begin():
        records.finish(session, session.merge(run), RunState.SUCCEEDED)
    # No worker ran on the night of 3 December: its slot is claimed when the worker is back.
    late = datetime(2026, 12, 3, 11, 0, tzinfo=UTC)
    assert queue.enqueue_due(late) == ["nightly"]
    assert queue.enqueue_due(late + timedelta(hours=1)) == []
    assert [r.slot for r in database.runs()][-1] == datetime(2026, 12, 3, 2, 0, tzinfo=UTC)
    # Summer time: 03:00 in Stockholm is 01:00 UTC.
    assert DailyAt(3, 0).latest(datetime(2026, 7, 1, 12, 0, tzinfo=UTC)) == datetime(
        2026, 7, 1, 1, 0, tzinfo=UTC
    )
