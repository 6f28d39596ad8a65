"""legal holds and the evidence of retention runs

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 06:00:00

Retention now runs (docs/retention.md): each run is kept with what it erased per system, table
and category, and the DPO can hold a subject's data against every run and erasure. New tables;
nothing is carried over.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from dataskydd.db.types import UtcDateTime

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "legal_hold",
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=True),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("reference", sa.String(length=120), nullable=False),
        sa.Column("placed_by", sa.String(length=100), nullable=False),
        sa.Column("placed_at", UtcDateTime(), nullable=False),
        sa.Column("lifted_by", sa.String(length=100), nullable=True),
        sa.Column("lifted_at", UtcDateTime(), nullable=True),
        sa.Column("lift_reason", sa.String(length=300), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legal_hold")),
    )
    op.create_index(op.f("ix_legal_hold_subject_id"), "legal_hold", ["subject_id"])
    op.create_table(
        "retention_run",
        sa.Column("started_at", UtcDateTime(), nullable=False),
        sa.Column("heartbeat_at", UtcDateTime(), nullable=False),
        sa.Column("finished_at", UtcDateTime(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "running",
                "finished",
                "interrupted",
                "failed",
                name="runstatus",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("today", sa.Date(), nullable=False),
        sa.Column("by", sa.String(length=100), nullable=False),
        sa.Column("rows_erased", sa.Integer(), nullable=False),
        sa.Column("problem", sa.String(length=300), nullable=True),
        sa.Column("resumed", sa.String(length=200), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_run")),
    )
    op.create_table(
        "retention_line",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("system", sa.String(length=63), nullable=False),
        sa.Column("table_name", sa.String(length=63), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("rule", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("rows_due", sa.Integer(), nullable=False),
        sa.Column("rows_erased", sa.Integer(), nullable=False),
        sa.Column("subjects", sa.Integer(), nullable=False),
        sa.Column("rows_held", sa.Integer(), nullable=False),
        sa.Column("rows_restricted", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["retention_run.id"], name=op.f("fk_retention_line_run_id_retention_run")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_line")),
        sa.UniqueConstraint(
            "run_id",
            "system",
            "table_name",
            "category",
            name=op.f("uq_retention_line_run_id"),
        ),
    )
    op.create_index(op.f("ix_retention_line_run_id"), "retention_line", ["run_id"])
    op.create_table(
        "retention_subject",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=80), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["retention_run.id"],
            name=op.f("fk_retention_subject_run_id_retention_run"),
        ),
        sa.PrimaryKeyConstraint("run_id", "scope", "subject_id", name=op.f("pk_retention_subject")),
    )


def downgrade() -> None:
    op.drop_table("retention_subject")
    op.drop_index(op.f("ix_retention_line_run_id"), table_name="retention_line")
    op.drop_table("retention_line")
    op.drop_table("retention_run")
    op.drop_index(op.f("ix_legal_hold_subject_id"), table_name="legal_hold")
    op.drop_table("legal_hold")
