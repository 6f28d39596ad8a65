"""`dataskydd worker` and `dataskydd serve --worker` as real processes: they start, run a
queued job, and stop cleanly on SIGTERM within a bounded time; a process worker ends a run at
its time limit."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest

from dataskydd.jobs.definitions import Job, JobContext
from dataskydd.jobs.models import RunState
from dataskydd.jobs.queue import JobConsumer
from dataskydd.jobs.tasks import default_jobs
from tests import servers
from tests.conftest import TEST_SECRET
from tests.jobs.conftest import WAIT_SECONDS, Database, QueueFor, Workers

STOP_SECONDS = 15


def _environment(workdir: Path, database: Database) -> dict[str, str]:
    # DATASKYDD_LANGUAGE kept: the CLI speaks English in the suite (tests/conftest.py).
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("DATASKYDD_") or k == "DATASKYDD_LANGUAGE"
    }
    env.update(
        {
            "DATASKYDD_DATABASE_URL": database.url,
            "DATASKYDD_SECRET_KEY": TEST_SECRET,
            "DATASKYDD_COOKIE_SECURE": "false",
            "PYTHONUNBUFFERED": "1",
        }
    )
    if database.store.backend == "sqlite":
        env["DATASKYDD_JOBS_URL"] = database.store.location
    return env


def _dataskydd(workdir: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dataskydd", *args],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@contextmanager
def _worker(workdir: Path, env: dict[str, str], *args: str) -> Iterator[subprocess.Popen[str]]:
    log = (workdir / "worker.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "dataskydd", "worker", *args],
        cwd=workdir,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


@pytest.mark.parametrize("mode", [[], ["--threads"]], ids=["processes", "threads"])
def test_the_worker_runs_a_queued_job_and_stops_on_sigterm(
    tmp_path: Path,
    database: Database,
    queue_for: QueueFor,
    context: JobContext,
    mode: list[str],
) -> None:
    queue = queue_for(default_jobs(context.settings))
    run_id = queue.enqueue("check_jobs", requested_by="cli:test")
    queue.close()  # queued by a process that has ended
    with _worker(tmp_path, _environment(tmp_path, database), "--workers", "2", *mode) as process:
        run = database.wait_for(run_id, RunState.SUCCEEDED, RunState.FAILED, seconds=60)
        assert run.state is RunState.SUCCEEDED
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=STOP_SECONDS) == 0
        assert time.monotonic() - started < STOP_SECONDS
    output = (tmp_path / "worker.log").read_text()
    assert "dataskydd worker:" in output
    assert "dataskydd worker stopped." in output
    assert "Traceback" not in output
    if database.store.backend == "sqlite":
        assert Path(database.store.location).exists()


def test_serve_with_worker_runs_jobs_beside_the_web_app(tmp_path: Path, database: Database) -> None:
    env = _environment(tmp_path, database)
    with servers.serving(tmp_path, env, "--worker") as (_process, _base, log):
        # `dataskydd jobs run` from another process, as an operator would.
        queued = _dataskydd(tmp_path, env, "jobs", "run", "check_jobs")
        assert queued.returncode == 0, queued.stderr
        assert "Queued check_jobs as run" in queued.stdout
        (asked,) = [r for r in database.runs("check_jobs") if r.requested_by.startswith("cli:")]
        run = database.wait_for(asked.id, RunState.SUCCEEDED, RunState.FAILED, seconds=60)
        assert run.state is RunState.SUCCEEDED
        assert "job queue: run here too" in log.read_text()


def test_a_process_worker_ends_a_run_at_its_time_limit(
    database: Database, queue_for: QueueFor, context: JobContext
) -> None:
    def endless(_context: JobContext) -> None:
        time.sleep(WAIT_SECONDS)

    job = Job("endless", "Endless", endless, None, timedelta(seconds=1), retries=0)
    queue = queue_for([job])
    run_id = queue.enqueue("endless", requested_by="test")
    consumer = JobConsumer(
        queue,
        handle_signals=False,
        workers=1,
        worker_type="process",
        periodic=False,
        shutdown_timeout=5,
        max_delay=0.1,
    )
    context.engine.dispose()  # no pooled connection crosses the fork
    queue.close()
    started = time.monotonic()
    consumer.start()
    try:
        run = database.wait_for(run_id, RunState.FAILED, RunState.SUCCEEDED)
    finally:
        consumer.stop(graceful=True)
    assert (run.state, run.error, run.attempt) == (RunState.FAILED, "TaskTimeout", 1)
    assert time.monotonic() - started < WAIT_SECONDS / 2


def test_a_process_worker_stopped_mid_run_puts_the_run_back(
    tmp_path: Path, database: Database, queue_for: QueueFor, context: JobContext, workers: Workers
) -> None:
    """The worker's processes are interrupted (as `dataskydd worker` does on SIGINT, or on
    SIGTERM once --shutdown-timeout has passed): the run goes back on the queue, and the next
    worker does it."""
    first_attempt = tmp_path / "first-attempt"

    def long_once(_context: JobContext) -> None:
        if not first_attempt.exists():
            first_attempt.touch()
            time.sleep(WAIT_SECONDS)

    job = Job("long_once", "Long once", long_once, None, timedelta(minutes=5), retries=0)
    queue = queue_for([job])
    run_id = queue.enqueue("long_once", requested_by="test")
    consumer = JobConsumer(
        queue,
        handle_signals=False,
        workers=1,
        worker_type="process",
        periodic=False,
        shutdown_timeout=1,
        max_delay=0.1,
    )
    context.engine.dispose()
    queue.close()
    consumer.start()
    try:
        database.wait_for(run_id, RunState.RUNNING)
        deadline = time.monotonic() + WAIT_SECONDS
        while not first_attempt.exists():  # the body is at work
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        consumer.stop(graceful=False)
    handed_back = database.wait_for(run_id, RunState.QUEUED)
    assert handed_back.error == "Interrupted"
    assert handed_back.attempt == 1
    workers(queue_for([job]))
    run = database.wait_for(run_id, RunState.SUCCEEDED, RunState.FAILED)
    assert (run.state, run.attempt) == (RunState.SUCCEEDED, 2)
