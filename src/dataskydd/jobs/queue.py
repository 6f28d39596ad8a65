"""The job queue: huey (docs/jobs.md) on SQLite or PostgreSQL, with every run recorded.

huey keeps the tasks (pending, scheduled for a retry) in its own storage: an SQLite file beside
the database, or tables `job_queue_*` in the same PostgreSQL database. It retries a failed
attempt after `retry_delay`, multiplied by `backoff` each time, and in process workers ends an
attempt at its time limit. This module adds what the project needs around it:

- every run is a row of `job_run` (jobs/records.py), written as it moves on, by huey's
  post-execute hook and interrupt signal; the DPO is mailed when one fails for good;
- a scheduled slot is claimed once in `job_run` (unique per job and slot), whichever worker's
  scheduler gets there first, so any number of workers run each slot once; a slot missed while
  no worker ran is caught up once the worker is back;
- one run of a job works at a time: on PostgreSQL an advisory lock held by the run (it dies
  with the connection, however the worker ends), on SQLite the other run's heartbeat;
- a worker that stops puts the runs it was doing back on the queue;
- exceptions reach huey's log as their kind only (their text may carry personal data).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from huey import PostgresHuey, SqliteHuey
from huey.api import Huey, Task, TaskWrapper
from huey.consumer import Consumer, Scheduler
from huey.exceptions import CancelExecution, RetryTask
from huey.signals import SIGNAL_INTERRUPTED
from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, IntegrityError

from dataskydd.clock import utc_now
from dataskydd.config import Settings
from dataskydd.db.session import transaction
from dataskydd.errors import ConfigurationError, InvalidInput, NotFound
from dataskydd.jobs import alerts, records
from dataskydd.jobs.definitions import Job, JobContext, JobSkipped
from dataskydd.jobs.models import FINISHED_STATES, RunState
from dataskydd.jobs.tasks import default_jobs
from dataskydd.messages_i18n import Msg

logger = logging.getLogger(__name__)

QUEUE_NAME = "dataskydd"
TABLE_PREFIX = "job_queue"  # PostgreSQL: job_queue_kv, _schedule, _task, _counter
# A slot this old is still on time; older ones are caught up only for a job that ran before
# (a new installation does not start with last night's retention run).
SLOT_GRACE = timedelta(minutes=2)
# A run asked for by hand (or handed back by a stopping worker) that finds another run of its
# job at work waits this long and tries again, instead of being skipped.
BUSY_RETRY_SECONDS = 60
# A job whose lost run is queued again by `check_jobs`: only if its next slot is far off.
RECOVER_IF_PERIOD_OVER = timedelta(hours=1)
# Errors that another attempt cannot mend: fail at once and tell the DPO.
NOT_RETRIED: tuple[type[Exception], ...] = (ConfigurationError, InvalidInput)
_ATTEMPT = "_dataskydd_attempt"


class JobFailed(Exception):
    """What huey sees of a failed attempt: the kind of the error, not its text."""


class _Outcome(Enum):
    SKIPPED = "skipped"
    PUT_BACK = "put back"


@dataclass(frozen=True)
class QueueStore:
    """Where huey keeps the queue: an SQLite file, or a PostgreSQL database (libpq URL)."""

    backend: Literal["sqlite", "postgresql"]
    location: str
    # Extra psycopg connection parameters (e.g. options="-csearch_path=..." in tests).
    connect_options: Mapping[str, str] = field(default_factory=dict)
    name: str = QUEUE_NAME

    def describe(self) -> str:
        if self.backend == "sqlite":
            return f"SQLite file {self.location}"
        url = make_url(self.location)
        return f"PostgreSQL database {url.database} on {url.host or 'localhost'} (job_queue_*)"


def queue_store(settings: Settings) -> QueueStore:
    """DATASKYDD_JOBS_URL, else beside the database: `x.db` → `x.jobs.db`, or the same
    PostgreSQL database."""
    explicit = settings.jobs_url is not None and bool(settings.jobs_url.strip())
    url = settings.jobs_url.strip() if settings.jobs_url and explicit else settings.database_url
    if explicit and "://" not in url:
        return QueueStore("sqlite", str(Path(url)))
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigurationError(
            Msg("DATASKYDD_JOBS_URL must be a file path, sqlite:///path or postgresql://...")
        ) from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise ConfigurationError(
                Msg(
                    "the database is in memory, and so would the job queue be: "
                    "set DATASKYDD_JOBS_URL to a file"
                )
            )
        path = Path(parsed.database)
        if not explicit:
            path = path.with_name(f"{path.stem}.jobs{path.suffix or '.db'}")
        return QueueStore("sqlite", str(path))
    if backend == "postgresql":
        libpq = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
        return QueueStore("postgresql", libpq)
    setting = "DATASKYDD_JOBS_URL" if explicit else "DATASKYDD_DATABASE_URL"
    raise ConfigurationError(
        Msg(
            "{setting}: the job queue needs SQLite or PostgreSQL, not {backend}",
            setting=setting,
            backend=backend,
        )
    )


def _make_huey(store: QueueStore) -> Huey:
    # results=False: huey keeps no return values and no error results (whose tracebacks may
    # carry personal data); job_run is the record.
    if store.backend == "sqlite":
        Path(store.location).parent.mkdir(parents=True, exist_ok=True)
        # fsync: a queued task survives a power cut; timeout: seconds to wait for its lock.
        return SqliteHuey(
            store.name, results=False, utc=True, filename=store.location, fsync=True, timeout=30
        )
    for attempt in range(3):
        try:
            return PostgresHuey(
                store.name,
                results=False,
                utc=True,
                dsn=store.location,
                table_prefix=TABLE_PREFIX,
                **dict(store.connect_options),
            )
        except Exception as error:  # two workers creating the tables at once
            if attempt == 2:
                raise ConfigurationError(
                    Msg(
                        "the job queue's PostgreSQL database cannot be used ({error_type})",
                        error_type=type(error).__name__,
                    )
                ) from None
            time.sleep(0.2)
    raise AssertionError("unreachable")


def _advisory_key(job: str) -> int:
    digest = hashlib.blake2b(f"dataskydd.job:{job}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _kind(error: BaseException) -> str:
    return type(error).__name__


class _Lease:
    """A run at work: its heartbeat written every `heartbeat_every`, and on PostgreSQL the
    advisory lock of its job held by `connection` until the work ends."""

    def __init__(
        self, context: JobContext, task_id: str, attempt: int, connection: Connection | None
    ) -> None:
        self._context = context
        self._task_id = task_id
        self._attempt = attempt
        self._connection = connection
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._beat, name=f"dataskydd-heartbeat-{task_id[:8]}", daemon=True
        )

    def _beat(self) -> None:
        interval = self._context.heartbeat_every.total_seconds()
        while not self._stop.wait(interval):
            try:
                with transaction(self._context.session_factory) as session:
                    records.heartbeat(session, self._task_id, self._attempt)
            except Exception as error:  # a missed beat is retried next time
                logger.warning("heartbeat not written: %s", _kind(error))

    def __enter__(self) -> _Lease:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        release(self._connection)


def release(connection: Connection | None) -> None:
    if connection is None:
        return
    try:
        connection.execute(text("SELECT pg_advisory_unlock_all()"))
        connection.commit()
    except Exception as error:  # closing the connection releases it too
        logger.warning("advisory lock not released: %s", _kind(error))
        connection.invalidate()
    finally:
        connection.close()


class JobQueue:
    """The queue of `jobs` (default: every job of jobs/tasks.py) in `store`, run in
    `context`. Build one per process: the CLI to queue a run, the worker to run them."""

    def __init__(
        self, context: JobContext, store: QueueStore, *, jobs: Sequence[Job] | None = None
    ) -> None:
        self.context = context
        self.store = store
        self.jobs = {job.name: job for job in (jobs or default_jobs(context.settings))}
        self.huey = _make_huey(store)
        self.tasks: dict[str, TaskWrapper] = {
            name: self._register(job) for name, job in self.jobs.items()
        }
        self.huey.on_startup("dataskydd_after_fork")(context.after_fork)
        self.huey.post_execute("dataskydd_record")(self._after)
        self.huey.signal(SIGNAL_INTERRUPTED)(self._handed_back)
        self._advisory = context.engine.dialect.name == "postgresql"
        self.busy_retry_seconds: float = BUSY_RETRY_SECONDS
        # The consumer's stop flag (JobConsumer sets it): set, no task is started any more.
        self.stop_flag: Any = None
        context.recover = self.recover

    def close(self) -> None:
        self.huey.storage.close()

    # -- queueing --------------------------------------------------------------------------

    def job(self, name: str) -> Job:
        job = self.jobs.get(name)
        if job is None:
            raise NotFound(
                Msg(
                    "no job named '{name}'; the jobs are: {values}",
                    name=name,
                    values=", ".join(self.jobs),
                )
            )
        return job

    def enqueue(self, name: str, *, requested_by: str) -> int:
        """Queue a run of job `name` now; returns the run's id (job_run)."""
        job = self.job(name)
        task_id = str(uuid.uuid4())
        with transaction(self.context.session_factory) as session:
            run_id = records.record_queued(
                session, job, task_id=task_id, requested_by=requested_by
            ).id
        self._put(job, task_id)
        return run_id

    def _put(self, job: Job, task_id: str) -> None:
        try:
            self.huey.enqueue(self.tasks[job.name].s(id=task_id))
        except Exception as error:
            with transaction(self.context.session_factory) as session:
                run = records.run_of(session, job, task_id)
                records.finish(session, run, RunState.FAILED, error=f"Enqueue{_kind(error)}")
            raise

    def enqueue_due(self, now: datetime | None = None) -> list[str]:
        """Queue every scheduled job whose latest slot nobody has claimed yet; returns their
        names. Safe to call from any number of workers at once: the slot is claimed by
        inserting its row, and the unique (job, slot) lets one insert win."""
        now = now or utc_now()
        queued = []
        for job in self.jobs.values():
            if job.schedule is None or job.not_scheduled(self.context.settings) is not None:
                continue
            slot = job.schedule.latest(now)
            task_id = str(uuid.uuid4())
            try:
                with transaction(self.context.session_factory) as session:
                    if records.slot_taken(session, job.name, slot):
                        continue
                    if now - slot > SLOT_GRACE and not records.ever_ran(session, job.name):
                        continue  # a new job starts at its next slot
                    if records.waiting_run(session, job.name, since=now - records.WAITING_TOO_LONG):
                        continue  # one waiting run of a job is enough; the slot stays free
                    records.record_queued(
                        session,
                        job,
                        task_id=task_id,
                        requested_by=records.SCHEDULE,
                        slot=slot,
                        now=now,
                    )
            except IntegrityError:
                continue  # another worker claimed the slot first
            self._put(job, task_id)
            queued.append(job.name)
        return queued

    def recover(self, name: str) -> int | None:
        """Queue `name` again after its run was lost with its worker, unless its schedule
        brings it back soon anyway."""
        job = self.jobs.get(name)
        if job is None:
            return None
        if job.schedule is not None and job.schedule.period <= RECOVER_IF_PERIOD_OVER:
            return None
        return self.enqueue(name, requested_by="recovery")

    # -- running (in the worker) ------------------------------------------------------------

    def _register(self, job: Job) -> TaskWrapper:
        def body(task: Task) -> object:
            return self._execute(job, task)

        wrapper: TaskWrapper = self.huey.task(
            retries=job.retries,
            retry_delay=job.retry_delay.total_seconds(),
            retry_backoff=job.backoff,
            timeout=job.time_limit.total_seconds(),
            context=True,
            name=job.name,
        )(body)
        return wrapper

    def _execute(self, job: Job, task: Task) -> object:
        if self.stop_flag is not None and self.stop_flag.is_set():
            # A stopping worker's thread may still take a task (it was waiting for one when
            # told to stop): it goes back on the queue for another worker, untouched.
            self.huey.enqueue(task)
            return _Outcome.PUT_BACK
        try:
            lease = self._begin(job, task)
        except RetryTask:
            raise
        except Exception as error:
            logger.warning("job %s could not start: %s", job.name, _kind(error))
            raise JobFailed(_kind(error)) from None
        if lease is None:
            return _Outcome.SKIPPED
        try:
            with lease:
                job.run(self.context)
        except JobSkipped:
            return _Outcome.SKIPPED
        except NOT_RETRIED as error:
            logger.warning("job %s failed, not retried: %s", job.name, _kind(error))
            raise CancelExecution(_kind(error), retry=False) from None
        except Exception as error:
            logger.warning("job %s attempt failed: %s", job.name, _kind(error))
            raise JobFailed(_kind(error)) from None
        return None

    def _begin(self, job: Job, task: Task) -> _Lease | None:
        """The run at work (a lease), None when it is skipped; raises RetryTask when it must
        wait for another run of its job."""
        connection = None
        locked_out = False
        if self._advisory:
            connection = self.context.engine.connect()
            got = connection.scalar(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": _advisory_key(job.name)}
            )
            connection.commit()
            if not got:
                connection.close()
                connection, locked_out = None, True
        attempt: int | None = None
        try:
            with transaction(self.context.session_factory) as session:
                run = records.run_of(session, job, task.id)
                taken = locked_out or (
                    not self._advisory
                    and records.busy(
                        session, job.name, task_id=task.id, stale_after=self.context.stale_after
                    )
                )
                if not taken:
                    attempt = records.start(session, job, run).attempt
                elif run.requested_by == records.SCHEDULE and run.error is None:
                    # Its slot is being worked on by the run at work.
                    records.skip(session, run)
                    return None
        except BaseException:
            release(connection)
            raise
        if attempt is None:
            raise RetryTask(delay=self.busy_retry_seconds)
        setattr(task, _ATTEMPT, attempt)
        return _Lease(self.context, task.id, attempt, connection)

    def _after(self, task: Task, value: object, exception: BaseException | None) -> None:
        """huey's post-execute hook: the attempt's outcome recorded, outside its time limit."""
        job = self.jobs.get(task.name)
        attempt = getattr(task, _ATTEMPT, None)
        if job is None or attempt is None:
            return  # not started (skipped, or waiting for another run)
        now = utc_now()
        next_retry = None
        error = None
        if exception is None:
            state = RunState.SKIPPED if value is _Outcome.SKIPPED else RunState.SUCCEEDED
        else:
            error = str(exception) if isinstance(exception, JobFailed | CancelExecution) else None
            error = error or _kind(exception)
            if task.retries:
                state = RunState.RETRYING
                next_retry = now + timedelta(seconds=float(task.retry_delay or 0))
            else:
                state = RunState.FAILED
        with transaction(self.context.session_factory) as session:
            run = records.at_work(session, task.id, attempt)
            if run is None:
                return  # handed back or taken over meanwhile
            records.finish(session, run, state, error=error, next_retry_at=next_retry, now=now)
            if state is RunState.FAILED:
                alerts.mail_failure(session, self.context, run)
            run_id = run.id
        logger.info("job %s run %d attempt %d: %s", job.name, run_id, attempt, state.value)

    def _handed_back(self, _signal: str, task: Task, *_args: Any) -> None:
        """The worker stops while `task` is at work: its run goes back on the queue, to be
        done by the next worker (the job can run again safely)."""
        if task.name not in self.jobs:
            return
        with transaction(self.context.session_factory) as session:
            run = records.handed_back(session, task.id)
            if run is not None and run.state in FINISHED_STATES:
                return  # it ended as the worker stopped
            run_id = run.id if run is not None else None
        # Also a run interrupted while starting (its start rolled back): the task left the
        # queue when the worker took it, so it must go back.
        self.huey.enqueue(task)
        logger.warning("job %s run %s put back on the queue", task.name, run_id)


class _Scheduler(Scheduler):  # type: ignore[misc]  # huey is untyped
    """huey's scheduler (tasks due for a retry go back on the queue every second), with the
    scheduled jobs queued by claiming their slots (JobQueue.enqueue_due)."""

    def __init__(self, queue: JobQueue, *, check_seconds: float, **options: Any) -> None:
        super().__init__(**options)
        self._queue = queue
        self.periodic_task_seconds = check_seconds

    def initialize(self) -> None:
        self._queue.context.after_fork()

    def enqueue_periodic_tasks(self, now: datetime | None) -> None:
        try:
            names = self._queue.enqueue_due()
        except Exception as error:  # tried again at the next check
            logger.warning("scheduled jobs not queued: %s", _kind(error))
            return
        for name in names:
            logger.info("job %s queued by its schedule", name)


class JobConsumer(Consumer):  # type: ignore[misc]  # huey is untyped
    """huey's consumer with the project's scheduler; signal handlers only when asked (they
    can only be set from the main thread)."""

    def __init__(
        self,
        queue: JobQueue,
        *,
        handle_signals: bool = True,
        check_seconds: float = 60,
        **options: Any,
    ) -> None:
        self._queue = queue
        self._handle_signals = handle_signals
        self._check_seconds = check_seconds
        options.setdefault("max_delay", 2.0)  # an idle SQLite queue is polled at least this often
        super().__init__(queue.huey, **options)
        queue.stop_flag = self.stop_flag

    def _create_scheduler(self) -> Scheduler:
        return _Scheduler(
            self._queue,
            check_seconds=self._check_seconds,
            huey=self.huey,
            stop_flag=self.stop_flag,
            interval=self.scheduler_interval,
            periodic=self.periodic,
        )

    def _set_signal_handlers(self) -> None:
        if self._handle_signals:
            super()._set_signal_handlers()


def run_worker(
    queue: JobQueue,
    *,
    workers: int = 2,
    worker_type: Literal["process", "thread"] = "process",
    shutdown_timeout: float = 30,
) -> None:
    """Run the consumer in this process until SIGTERM (waits up to `shutdown_timeout` for
    runs at work, then puts them back on the queue) or SIGINT (puts them back at once)."""
    consumer = JobConsumer(
        queue,
        workers=workers,
        worker_type=worker_type,
        graceful_signal="TERM",
        shutdown_timeout=shutdown_timeout,
    )
    # No pooled connection may cross into the forked workers.
    queue.context.engine.dispose()
    queue.close()
    consumer.run()


class InProcessWorker:
    """The consumer as threads of this process (`dataskydd serve --worker`, tests): no signal
    handlers, no time limit enforced (a run over it shows as stuck), stopped by `stop()`."""

    def __init__(
        self,
        queue: JobQueue,
        *,
        workers: int = 2,
        periodic: bool = True,
        shutdown_timeout: float = 10,
        check_seconds: float = 60,
        max_delay: float = 2.0,
    ) -> None:
        self.queue = queue
        self.consumer = JobConsumer(
            queue,
            handle_signals=False,
            check_seconds=check_seconds,
            workers=workers,
            worker_type="thread",
            periodic=periodic,
            shutdown_timeout=shutdown_timeout,
            max_delay=max_delay,
        )

    def start(self) -> InProcessWorker:
        self.consumer.start()
        return self

    def stop(self, *, graceful: bool = True) -> None:
        """Graceful: wait up to the shutdown timeout for runs at work; then (or at once) put
        those still at work back on the queue."""
        self.consumer.stop(graceful=graceful)
        self.queue.huey.notify_interrupted_tasks()

    def __enter__(self) -> InProcessWorker:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()
