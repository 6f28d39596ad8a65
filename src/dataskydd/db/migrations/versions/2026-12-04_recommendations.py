"""recommendation models: each training and its item-item neighbour lists (issue 16)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04 09:00:00

The model of dataskydd.recommendations: per training when it started and finished and how
many subjects and events it used, and per title its nearest titles. Titles and counts only;
no row refers to a subject. What is served is not stored: it is computed per request through
the access decision, and the decision's audit entry is the record.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from dataskydd.db.types import UtcDateTime

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "recommendation_training",
        sa.Column("purpose", sa.String(length=60), nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=False),
        sa.Column("finished_at", UtcDateTime(), nullable=True),
        sa.Column("subjects_used", sa.Integer(), nullable=False),
        sa.Column("subjects_excluded", sa.Integer(), nullable=False),
        sa.Column("events_used", sa.Integer(), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("trained_by", sa.String(length=100), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recommendation_training")),
    )
    op.create_index(
        op.f("ix_recommendation_training_started_at"), "recommendation_training", ["started_at"]
    )
    op.create_table(
        "recommendation_neighbour",
        sa.Column("training_id", sa.Integer(), nullable=False),
        sa.Column("item", sa.String(length=200), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("neighbour", sa.String(length=200), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["training_id"],
            ["recommendation_training.id"],
            name=op.f("fk_recommendation_neighbour_training_id_recommendation_training"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "training_id", "item", "rank", name=op.f("pk_recommendation_neighbour")
        ),
    )


def downgrade() -> None:
    op.drop_table("recommendation_neighbour")
    op.drop_index(
        op.f("ix_recommendation_training_started_at"), table_name="recommendation_training"
    )
    op.drop_table("recommendation_training")
