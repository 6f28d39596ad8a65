"""rate limit windows shared by every process

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 09:00:00.000000

Attempts per client and action (sign-in, second factor, one-time codes) were counted in each
process's memory, so every worker and every instance had its own allowance. They are counted
here instead (auth/rate_limits.py). Nothing is carried over: the counts in memory were
short-lived by design.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rate_limit_window",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("client_hash", sa.String(length=64), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "name", "client_hash", "window_start", name=op.f("pk_rate_limit_window")
        ),
    )
    with op.batch_alter_table("rate_limit_window", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rate_limit_window_expires_at"), ["expires_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("rate_limit_window", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rate_limit_window_expires_at"))
    op.drop_table("rate_limit_window")
