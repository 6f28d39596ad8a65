"""The record of runs in `job_run`: written by the queue as a run moves on (queued, running,
retrying, succeeded, failed, skipped), read by the DPO's page and `dataskydd jobs list`.

Every function takes the caller's session and flushes; the queue commits each step in a short
transaction of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, select, update
from sqlalchemy.orm import Session

from dataskydd.clock import utc_now
from dataskydd.config import Settings
from dataskydd.jobs.definitions import STALE_AFTER, Job
from dataskydd.jobs.models import JobRun, RunState
from dataskydd.jobs.schedule import Schedule

SCHEDULE = "schedule"  # requested_by of the runs the schedule queued
HANDED_BACK = "Interrupted"  # the error of a run its stopping worker put back on the queue
# A run waiting this long for a worker is shown as a problem (no worker, or all busy).
WAITING_TOO_LONG = timedelta(minutes=30)
# No scheduled run queued for this long, while jobs are scheduled every few minutes: no worker
# (or its scheduler) is running.
NO_WORKER_AFTER = timedelta(minutes=15)
# Runs that did their work (or had none to do) are kept this long; failures longer, as the
# record of what went wrong.
KEEP_SUCCEEDED = timedelta(days=7)
KEEP_FAILED = timedelta(days=90)


# ---------------------------------------------------------------------------------------------
# Writing, as a run moves on


def record_queued(
    session: Session,
    job: Job,
    *,
    task_id: str,
    requested_by: str,
    slot: datetime | None = None,
    now: datetime | None = None,
) -> JobRun:
    run = JobRun(
        job=job.name,
        task_id=task_id,
        slot=slot,
        state=RunState.QUEUED,
        requested_by=requested_by[:100],
        attempt=0,
        time_limit_seconds=int(job.time_limit.total_seconds()),
        queued_at=now or utc_now(),
    )
    session.add(run)
    session.flush()
    return run


def slot_taken(session: Session, job: str, slot: datetime) -> bool:
    claim = select(JobRun.id).where(JobRun.job == job, JobRun.slot == slot)
    return session.scalar(claim) is not None


def ever_ran(session: Session, job: str) -> bool:
    return session.scalar(select(JobRun.id).where(JobRun.job == job).limit(1)) is not None


def waiting_run(session: Session, job: str, *, since: datetime) -> JobRun | None:
    """A run of `job` still waiting for a worker, queued after `since`."""
    return session.scalars(
        select(JobRun)
        .where(JobRun.job == job, JobRun.state == RunState.QUEUED, JobRun.queued_at >= since)
        .limit(1)
    ).first()


def run_of(session: Session, job: Job, task_id: str) -> JobRun:
    """The run of `task_id`; a task queued by another route than this module gets its row."""
    run = session.scalars(select(JobRun).where(JobRun.task_id == task_id)).first()
    if run is None:
        run = record_queued(session, job, task_id=task_id, requested_by="queue")
    return run


def busy(
    session: Session,
    job: str,
    *,
    task_id: str,
    now: datetime | None = None,
    stale_after: timedelta = STALE_AFTER,
) -> bool:
    """Whether another run of `job` is at work, judged by its heartbeat (SQLite, where every
    worker is on one machine and a transaction holds the write lock; on PostgreSQL the queue
    holds an advisory lock instead, which dies with its connection)."""
    now = now or utc_now()
    other = session.scalar(
        select(JobRun.id).where(
            JobRun.job == job,
            JobRun.state == RunState.RUNNING,
            JobRun.task_id != task_id,
            JobRun.heartbeat_at >= now - stale_after,
        )
    )
    return other is not None


def start(session: Session, job: Job, run: JobRun, *, now: datetime | None = None) -> JobRun:
    """A new attempt of `run` is at work."""
    now = now or utc_now()
    run.state = RunState.RUNNING
    run.attempt += 1
    run.started_at = now
    run.heartbeat_at = now
    run.next_retry_at = None
    run.time_limit_seconds = int(job.time_limit.total_seconds())
    session.flush()
    return run


def skip(session: Session, run: JobRun, *, now: datetime | None = None) -> JobRun:
    run.state = RunState.SKIPPED
    run.finished_at = now or utc_now()
    run.heartbeat_at = None
    session.flush()
    return run


def heartbeat(session: Session, task_id: str, attempt: int) -> None:
    session.execute(
        update(JobRun)
        .where(
            JobRun.task_id == task_id,
            JobRun.attempt == attempt,
            JobRun.state == RunState.RUNNING,
        )
        .values(heartbeat_at=utc_now())
    )


def at_work(session: Session, task_id: str, attempt: int) -> JobRun | None:
    """The run of `task_id` if its attempt `attempt` is still the one at work: an attempt
    that was handed back (interrupted) or taken over must not write its outcome."""
    run = session.scalars(select(JobRun).where(JobRun.task_id == task_id).with_for_update()).first()
    if run is None or run.state != RunState.RUNNING or run.attempt != attempt:
        return None
    return run


def finish(
    session: Session,
    run: JobRun,
    state: RunState,
    *,
    error: str | None = None,
    next_retry_at: datetime | None = None,
    now: datetime | None = None,
) -> JobRun:
    run.state = state
    run.error = error[:120] if error else None
    run.heartbeat_at = None
    if state is RunState.RETRYING:
        run.next_retry_at = next_retry_at
    else:
        run.finished_at = now or utc_now()
        run.next_retry_at = None
    session.flush()
    return run


def handed_back(session: Session, task_id: str) -> JobRun | None:
    """The worker stopped while the run was at work (or starting) and puts its task back on
    the queue: an attempt at work is recorded as handed back. Returns the run, if any."""
    run = session.scalars(select(JobRun).where(JobRun.task_id == task_id)).first()
    if run is not None and run.state is RunState.RUNNING:
        run.state = RunState.QUEUED
        run.error = HANDED_BACK
        run.heartbeat_at = None
        session.flush()
    return run


def prune(session: Session, *, now: datetime | None = None) -> int:
    """Forget old runs: those that did their work after KEEP_SUCCEEDED, failures after
    KEEP_FAILED. The runs of the last week show on the DPO's page."""
    now = now or utc_now()
    done = session.execute(
        delete(JobRun).where(
            JobRun.state.in_([RunState.SUCCEEDED, RunState.SKIPPED]),
            JobRun.finished_at < now - KEEP_SUCCEEDED,
        )
    )
    failed = session.execute(
        delete(JobRun).where(
            JobRun.state == RunState.FAILED, JobRun.finished_at < now - KEEP_FAILED
        )
    )
    return _count(done) + _count(failed)


def _count(result: object) -> int:
    return int(cast(CursorResult[Any], result).rowcount or 0)


# ---------------------------------------------------------------------------------------------
# Reading: the DPO's page and `dataskydd jobs list`


class ProblemKind(StrEnum):
    FAILED = "failed"  # the job's last run failed for good
    OVER_TIME = "over_time"  # at work longer than its time limit
    LOST = "lost"  # at work, but its worker has written no heartbeat for a while
    WAITING = "waiting"  # queued (or due for a retry) for long, no worker took it
    NO_WORKER = "no_worker"  # nothing scheduled has been queued for a while


@dataclass(frozen=True)
class Problem:
    kind: ProblemKind
    job: str
    since: datetime
    run: JobRun | None = None
    failures: int = 0  # FAILED: failed runs since the job last succeeded


@dataclass(frozen=True)
class JobOverview:
    job: Job
    schedule: Schedule | None  # None: on demand only, or not scheduled (see not_scheduled)
    not_scheduled: str | None
    last_run: JobRun | None  # the newest run that started
    last_outcome: JobRun | None  # the newest run that finished (skipped ones aside)
    next_run: datetime | None  # the next slot, or an earlier retry
    at_work: int
    waiting: int
    problems: int


def _default_jobs() -> Sequence[Job]:
    from dataskydd.config import get_settings
    from dataskydd.jobs.tasks import default_jobs  # the tasks import this module

    return default_jobs(get_settings())


def problems(
    session: Session,
    *,
    now: datetime | None = None,
    stale_after: timedelta = STALE_AFTER,
    jobs: Sequence[Job] | None = None,
) -> list[Problem]:
    """What the DPO must look at now, oldest first: jobs whose last run failed for good, runs
    at work past their time limit or without a heartbeat, runs waiting long for a worker, and
    no worker at all."""
    now = now or utc_now()
    found: list[Problem] = []
    for name in session.scalars(select(JobRun.job).distinct()).all():
        failed = _failing(session, name)
        if failed:
            newest, count = failed
            since = newest.finished_at or newest.queued_at
            found.append(Problem(ProblemKind.FAILED, name, since, newest, failures=count))
    for run in session.scalars(select(JobRun).where(JobRun.state == RunState.RUNNING)).all():
        started = run.started_at or run.queued_at
        if run.heartbeat_at is None or run.heartbeat_at < now - stale_after:
            found.append(Problem(ProblemKind.LOST, run.job, run.heartbeat_at or started, run))
        elif started + timedelta(seconds=run.time_limit_seconds) < now:
            found.append(Problem(ProblemKind.OVER_TIME, run.job, started, run))
    waiting = session.scalars(
        select(JobRun).where(
            ((JobRun.state == RunState.QUEUED) & (JobRun.queued_at < now - WAITING_TOO_LONG))
            | (
                (JobRun.state == RunState.RETRYING)
                & (JobRun.next_retry_at < now - WAITING_TOO_LONG)
            )
        )
    ).all()
    for run in waiting:
        found.append(Problem(ProblemKind.WAITING, run.job, run.next_retry_at or run.queued_at, run))
    scheduled = [
        job for job in (jobs if jobs is not None else _default_jobs()) if job.schedule is not None
    ]
    if scheduled:
        newest = session.scalar(
            select(func.max(JobRun.queued_at)).where(JobRun.requested_by == SCHEDULE)
        )
        shortest = min(job.schedule.period for job in scheduled if job.schedule is not None)
        if newest is not None and newest < now - max(NO_WORKER_AFTER, 3 * shortest):
            found.append(Problem(ProblemKind.NO_WORKER, "", newest))
    return sorted(found, key=lambda problem: problem.since)


def _failing(session: Session, job: str) -> tuple[JobRun, int] | None:
    """The newest failed run of `job` and how many failed since it last succeeded, if its
    newest finished run (skipped ones aside) failed."""
    newest = session.scalars(
        select(JobRun)
        .where(JobRun.job == job, JobRun.state.in_([RunState.SUCCEEDED, RunState.FAILED]))
        .order_by(JobRun.finished_at.desc(), JobRun.id.desc())
        .limit(1)
    ).first()
    if newest is None or newest.state is not RunState.FAILED:
        return None
    succeeded = session.scalar(
        select(func.max(JobRun.finished_at)).where(
            JobRun.job == job, JobRun.state == RunState.SUCCEEDED
        )
    )
    count = select(func.count()).where(JobRun.job == job, JobRun.state == RunState.FAILED)
    if succeeded is not None:
        count = count.where(JobRun.finished_at > succeeded)
    return newest, int(session.scalar(count) or 0)


def overview(
    session: Session,
    jobs: Sequence[Job] | None = None,
    *,
    settings: Settings | None = None,
    now: datetime | None = None,
) -> list[JobOverview]:
    """Each job: its last run, the outcome of the last finished one, when it runs next, and
    how many of its runs are at work, waiting or a problem."""
    now = now or utc_now()
    if settings is None:
        from dataskydd.config import get_settings

        settings = get_settings()
    jobs = jobs if jobs is not None else _default_jobs()
    per_job: dict[str, int] = {}
    for problem in problems(session, now=now, jobs=jobs):
        per_job[problem.job] = per_job.get(problem.job, 0) + 1
    rows = []
    for job in jobs:
        reason = job.not_scheduled(settings)
        schedule = job.schedule if reason is None else None
        last_run = session.scalars(
            select(JobRun)
            .where(JobRun.job == job.name, JobRun.started_at.is_not(None))
            .order_by(JobRun.started_at.desc(), JobRun.id.desc())
            .limit(1)
        ).first()
        last_outcome = session.scalars(
            select(JobRun)
            .where(JobRun.job == job.name, JobRun.state.in_([RunState.SUCCEEDED, RunState.FAILED]))
            .order_by(JobRun.finished_at.desc(), JobRun.id.desc())
            .limit(1)
        ).first()
        # Rows, not pairs for dict(): a Result has keys() and would be read as a mapping.
        counts: dict[RunState, int] = {}
        for state, count in session.execute(
            select(JobRun.state, func.count())
            .where(
                JobRun.job == job.name,
                JobRun.state.in_([RunState.RUNNING, RunState.QUEUED, RunState.RETRYING]),
            )
            .group_by(JobRun.state)
        ):
            counts[state] = count
        retry = session.scalar(
            select(func.min(JobRun.next_retry_at)).where(
                JobRun.job == job.name, JobRun.state == RunState.RETRYING
            )
        )
        candidates = [when for when in (retry,) if when is not None]
        if schedule is not None:
            candidates.append(schedule.next_after(now))
        rows.append(
            JobOverview(
                job=job,
                schedule=schedule,
                not_scheduled=reason,
                last_run=last_run,
                last_outcome=last_outcome,
                next_run=min(candidates) if candidates else None,
                at_work=counts.get(RunState.RUNNING, 0),
                waiting=counts.get(RunState.QUEUED, 0) + counts.get(RunState.RETRYING, 0),
                problems=per_job.get(job.name, 0),
            )
        )
    return rows


def recent(session: Session, *, limit: int = 50) -> Sequence[JobRun]:
    """The newest runs, newest first (skipped ones aside: they did nothing)."""
    return session.scalars(
        select(JobRun)
        .where(JobRun.state != RunState.SKIPPED)
        .order_by(JobRun.queued_at.desc(), JobRun.id.desc())
        .limit(limit)
    ).all()


def runs_to_alert(session: Session, *, now: datetime, stale_after: timedelta) -> list[JobRun]:
    """Runs at work past their time limit or without a heartbeat that the DPO has not been
    told about yet."""
    return [
        run
        for run in session.scalars(
            select(JobRun)
            .where(JobRun.state == RunState.RUNNING, JobRun.alerted_at.is_(None))
            .order_by(JobRun.id)
        ).all()
        if _stuck(run, now=now, stale_after=stale_after)
    ]


def _stuck(run: JobRun, *, now: datetime, stale_after: timedelta) -> bool:
    started = run.started_at or run.queued_at
    return (
        run.heartbeat_at is None
        or run.heartbeat_at < now - stale_after
        or started + timedelta(seconds=run.time_limit_seconds) < now
    )


def is_lost(run: JobRun, *, now: datetime, stale_after: timedelta) -> bool:
    return run.heartbeat_at is None or run.heartbeat_at < now - stale_after


def alerted_since_success(session: Session, job: str) -> bool:
    """Whether the DPO was already told of a failed run of `job` since it last succeeded:
    a job failing every minute is one problem, mailed once."""
    succeeded = session.scalar(
        select(func.max(JobRun.finished_at)).where(
            JobRun.job == job, JobRun.state == RunState.SUCCEEDED
        )
    )
    told = select(JobRun.id).where(
        JobRun.job == job, JobRun.state == RunState.FAILED, JobRun.alerted_at.is_not(None)
    )
    if succeeded is not None:
        told = told.where(JobRun.finished_at > succeeded)
    return session.scalar(told.limit(1)) is not None
