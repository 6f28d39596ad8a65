"""daily analytics rollups without identifiers (issue 14)

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 09:00:00

Two tables of counts per Swedish day (analytics/rollup_models.py), filled by the
`analytics_rollup` job for closed days; no visitor or visit id is kept. Existing events are
rolled up by the job's first runs (31 days a run), not here, so the migration stays short.

page_event is not partitioned here: turning the existing PostgreSQL table into a partitioned
one means rewriting it (CREATE ... PARTITION BY RANGE, copy, swap) under a lock for as long
as the copy takes; docs/web-analytics.md gives the step for an operator to run in a window.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from dataskydd.db.types import UtcDateTime

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COUNTS = ("visitors", "visits", "views", "bounces", "seconds", "timed_visits")


def upgrade() -> None:
    op.create_table(
        "web_rollup",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("dimension", sa.String(length=20), nullable=False),
        sa.Column("value", sa.String(length=320), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_rollup")),
        sa.UniqueConstraint("dimension", "day", "value", name=op.f("uq_web_rollup_dimension")),
    )
    op.create_table(
        "web_rollup_day",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("rolled_at", UtcDateTime(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_rollup_day")),
        sa.UniqueConstraint("day", name=op.f("uq_web_rollup_day_day")),
    )


def downgrade() -> None:
    op.drop_table("web_rollup_day")
    op.drop_table("web_rollup")
