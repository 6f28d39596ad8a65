"""the job runner's record of runs

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 12:00:00

Scheduled and long work runs on a job queue (huey, docs/jobs.md); each run of a job is kept
here with its state, attempts, times and error kind, and a scheduled slot is claimed once per
job. The queue's own storage (an SQLite file beside the database, or the job_queue_* tables
that huey creates in the same PostgreSQL database) is not managed by these migrations.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from dataskydd.db.types import UtcDateTime

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "job_run",
        sa.Column("job", sa.String(length=60), nullable=False),
        sa.Column("task_id", sa.String(length=64), nullable=False),
        sa.Column("slot", UtcDateTime(), nullable=True),
        sa.Column(
            "state",
            sa.Enum(
                "queued",
                "running",
                "retrying",
                "succeeded",
                "failed",
                "skipped",
                name="runstate",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("requested_by", sa.String(length=100), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("time_limit_seconds", sa.Integer(), nullable=False),
        sa.Column("queued_at", UtcDateTime(), nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=True),
        sa.Column("heartbeat_at", UtcDateTime(), nullable=True),
        sa.Column("finished_at", UtcDateTime(), nullable=True),
        sa.Column("next_retry_at", UtcDateTime(), nullable=True),
        sa.Column("error", sa.String(length=120), nullable=True),
        sa.Column("alerted_at", UtcDateTime(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_run")),
        sa.UniqueConstraint("job", "slot", name=op.f("uq_job_run_job")),
        sa.UniqueConstraint("task_id", name=op.f("uq_job_run_task_id")),
    )
    op.create_index(op.f("ix_job_run_job"), "job_run", ["job"])
    op.create_index(op.f("ix_job_run_state"), "job_run", ["state"])
    op.create_index(op.f("ix_job_run_finished_at"), "job_run", ["finished_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_job_run_finished_at"), table_name="job_run")
    op.drop_index(op.f("ix_job_run_state"), table_name="job_run")
    op.drop_index(op.f("ix_job_run_job"), table_name="job_run")
    op.drop_table("job_run")
