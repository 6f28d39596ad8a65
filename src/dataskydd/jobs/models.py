"""The job runner's record of each run of a job (docs/jobs.md): names, times, states and error
kinds only. Never an argument, a message or an exception's text, which may carry personal data."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dataskydd.clock import utc_now
from dataskydd.db.base import Base, IdMixin
from dataskydd.db.types import UtcDateTime, str_enum


class RunState(StrEnum):
    QUEUED = "queued"  # on the queue, waiting for a worker
    RUNNING = "running"
    RETRYING = "retrying"  # an attempt failed; the queue runs it again at next_retry_at
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # every attempt failed, or it cannot succeed (configuration)
    SKIPPED = "skipped"  # another run of the same job was at work; this one did nothing


FINISHED_STATES = (RunState.SUCCEEDED, RunState.FAILED, RunState.SKIPPED)


class JobRun(IdMixin, Base):
    """One run of a job: one task on the queue, through all its attempts."""

    __tablename__ = "job_run"
    # A scheduled slot is claimed once, whichever worker claims it first (docs/jobs.md);
    # runs asked for by hand have no slot (NULLs never collide).
    __table_args__ = (UniqueConstraint("job", "slot"),)

    job: Mapped[str] = mapped_column(String(60), index=True)
    task_id: Mapped[str] = mapped_column(String(64), unique=True)
    slot: Mapped[datetime | None] = mapped_column(UtcDateTime)
    state: Mapped[RunState] = mapped_column(str_enum(RunState, length=20), index=True)
    # Who asked: "schedule", "cli:<user>", "recovery of run <id>".
    requested_by: Mapped[str] = mapped_column(String(100))
    attempt: Mapped[int] = mapped_column(Integer, default=0)
    time_limit_seconds: Mapped[int] = mapped_column(Integer)
    queued_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Written by the worker while the run is at work; old means the worker is gone.
    heartbeat_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    next_retry_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The kind of the last error (an exception's class name), never its message.
    error: Mapped[str | None] = mapped_column(String(120))
    # When the DPO was mailed about this run (failed for good, or stuck); once per run.
    alerted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
