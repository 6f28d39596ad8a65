"""`dataskydd jobs list|run` and the refusals of `dataskydd worker` (docs/jobs.md). The worker
itself runs as a real process in tests/jobs/test_worker_process.py."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from sqlalchemy import update

from dataskydd import runtime
from dataskydd.clock import utc_now
from dataskydd.config import get_settings
from dataskydd.db.session import make_session_factory, transaction
from dataskydd.jobs.models import JobRun, RunState
from tests.cli.conftest import Run


def _fail(run_id: int) -> None:
    engine = runtime.engine_for(get_settings().database_url)
    with transaction(make_session_factory(engine)) as session:
        session.execute(
            update(JobRun)
            .where(JobRun.id == run_id)
            .values(
                state=RunState.FAILED, attempt=4, error="OperationalError", finished_at=utc_now()
            )
        )


def test_list_names_every_job_and_no_problem(run: Run, initialised: object) -> None:
    result = run("jobs", "list")
    assert result.exit_code == 0, result.output
    for name in ("deliver_outbox", "request_reminders", "retention_run", "check_jobs"):
        assert name in result.output
    assert "daily at 03:00" in result.output
    assert "every 5 minutes" in result.output
    assert "deliver_outbox: not scheduled (DATASKYDD_SMTP_URL is not set" in result.output
    assert "No problems." in result.output


def test_run_queues_a_run_that_list_shows_waiting(
    run: Run, initialised: object, workdir: Path
) -> None:
    result = run("jobs", "run", "retention_run")
    assert result.exit_code == 0, result.output
    assert "Queued retention_run as run 1; `dataskydd worker` runs it." in result.output
    assert (workdir / "dataskydd.jobs.db").exists()
    listed = json.loads(run("jobs", "list", "--json").output)
    (retention,) = [job for job in listed["jobs"] if job["job"] == "retention_run"]
    assert retention["waiting"] == 1
    assert retention["last_run"] is None
    assert retention["next_run"] is not None
    assert listed["problems"] == []


def test_a_failed_job_is_a_problem_and_exits_1(run: Run, initialised: object) -> None:
    assert run("jobs", "run", "request_reminders").exit_code == 0
    _fail(1)
    result = run("jobs", "list")
    assert result.exit_code == 1
    assert "PROBLEM request_reminders run 1: failed (1 since it last succeeded)" in result.output
    assert "error OperationalError" in result.output
    listed = json.loads(run("jobs", "list", "--json").output)
    assert listed["problems"][0]["kind"] == "failed"
    assert listed["problems"][0]["run"] == 1
    (reminders,) = [job for job in listed["jobs"] if job["job"] == "request_reminders"]
    assert reminders["last_outcome"] == "failed"


def test_a_job_queued_long_ago_is_waiting_for_a_worker(run: Run, initialised: object) -> None:
    assert run("jobs", "run", "check_jobs").exit_code == 0
    engine = runtime.engine_for(get_settings().database_url)
    with transaction(make_session_factory(engine)) as session:
        session.execute(update(JobRun).values(queued_at=utc_now() - timedelta(hours=2)))
    result = run("jobs", "list")
    assert result.exit_code == 1
    assert "PROBLEM check_jobs run 1: waiting for a worker" in result.output


def test_an_unknown_job_is_named_in_one_line(run: Run, initialised: object) -> None:
    result = run("jobs", "run", "nightly_backup")
    assert result.exit_code == 3
    assert "error: no job named 'nightly_backup'; the jobs are: deliver_outbox" in result.output
    assert "Traceback" not in result.output


def test_without_init_the_commands_say_so(run: Run) -> None:
    for command in (("jobs", "run", "check_jobs"), ("worker",), ("jobs", "list")):
        result = run(*command)
        assert result.exit_code == 6, command
        assert "run `dataskydd init`" in result.output


def test_worker_options_out_of_bounds(run: Run, initialised: object) -> None:
    assert run("worker", "--workers", "0").exit_code == 2
    assert run("worker", "--workers", "17").exit_code == 2
    assert run("worker", "--shutdown-timeout", "-1").exit_code == 2
