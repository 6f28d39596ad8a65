"""What a job is (name, body, schedule, retries, time limit) and what its body is given."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from dataskydd import runtime
from dataskydd.config import Settings
from dataskydd.db.session import make_session_factory
from dataskydd.jobs.schedule import Schedule
from dataskydd.policy.schema import Policy

# How often a running job writes its heartbeat, and how old one may be before the run is taken
# for lost (its worker killed, its machine gone). SQLite writers may wait up to 30 s for the
# write lock, so "stale" is several heartbeats.
HEARTBEAT_EVERY = timedelta(seconds=30)
STALE_AFTER = timedelta(minutes=3)


class JobSkipped(Exception):
    """Raised by a job's body when another process already does its work (another retention
    run in progress): recorded as skipped, never retried, never a failure."""


@dataclass
class JobContext:
    """What every job body gets: the engine and session factory of the project's database,
    the settings and the policy, read once when the worker starts, as the CLI does."""

    engine: Engine
    settings: Settings
    policy: Policy
    heartbeat_every: timedelta = HEARTBEAT_EVERY
    stale_after: timedelta = STALE_AFTER
    # Set by the queue: queue a job again whose run was lost with its worker.
    recover: Callable[[str], object] | None = field(default=None, repr=False)
    _factory: sessionmaker[Session] | None = field(default=None, repr=False)
    _pid: int = field(default_factory=os.getpid, repr=False)

    @property
    def session_factory(self) -> sessionmaker[Session]:
        if self._factory is None:
            self._factory = make_session_factory(self.engine)
        return self._factory

    def after_fork(self) -> None:
        """In a forked worker process: drop the parent's pooled connections without closing
        them (they are the parent's), as SQLAlchemy advises; new ones are opened on use."""
        if os.getpid() != self._pid:
            self.engine.dispose(close=False)
            self._pid = os.getpid()

    @property
    def link_base(self) -> str:
        """Where links in mail start (DATASKYDD_PUBLIC_BASE_URL; empty: a relative link)."""
        return self.settings.public_base_url or ""


def context_from_settings(settings: Settings) -> JobContext:
    """The context of a worker or CLI process: the secret installed, the data map installed,
    the policy loaded and the engine made, exactly as `cli/_context.py` does."""
    runtime.install_secret(settings)
    runtime.install_data_map(settings)
    return JobContext(
        engine=runtime.engine_for(settings.database_url),
        settings=settings,
        policy=runtime.configured_policy(settings),
    )


@dataclass(frozen=True)
class Job:
    """One kind of work the queue runs.

    `run(context)` does the work in short transactions of its own (`context.session_factory`)
    and must be safe to run again after a failure or an interruption: the queue retries it
    (`retries` more times, waiting `retry_delay` and then `backoff` times longer each time)
    and runs it again after a restart. `time_limit` ends an attempt in a process worker, and
    marks a run that exceeds it as stuck on the DPO's page. `schedule` None: only on demand
    (`dataskydd jobs run NAME`). `not_scheduled(settings)` names why the schedule is off
    (no SMTP server for delivering mail), or None.
    """

    name: str
    title: str  # English; translated on the DPO's page
    run: Callable[[JobContext], object]
    schedule: Schedule | None
    time_limit: timedelta
    retries: int = 3
    retry_delay: timedelta = timedelta(minutes=1)
    backoff: float = 2.0
    not_scheduled: Callable[[Settings], str | None] = field(default=lambda _settings: None)
