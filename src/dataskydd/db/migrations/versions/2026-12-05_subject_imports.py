"""bulk imports of subjects and their rows (issue 16)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-05 09:00:00

The log of bulk imports (`dataskydd import subjects`, docs/import.md): each import's file and
mapping by their SHA-256, who ran it, and the counts of its rows. No value of any row.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from dataskydd.db.types import UtcDateTime

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "subject_import",
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("mapping_sha256", sa.String(length=64), nullable=False),
        sa.Column("file_format", sa.String(length=10), nullable=False),
        sa.Column(
            "status",
            sa.Enum("finished", "rejected", name="importstatus", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("rows_total", sa.Integer(), nullable=False),
        sa.Column("imported", sa.Integer(), nullable=False),
        sa.Column("merged", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("conflicts", sa.Integer(), nullable=False),
        sa.Column("imported_by", sa.String(length=100), nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=False),
        sa.Column("finished_at", UtcDateTime(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subject_import")),
    )
    op.create_index(op.f("ix_subject_import_file_sha256"), "subject_import", ["file_sha256"])


def downgrade() -> None:
    op.drop_index(op.f("ix_subject_import_file_sha256"), table_name="subject_import")
    op.drop_table("subject_import")
