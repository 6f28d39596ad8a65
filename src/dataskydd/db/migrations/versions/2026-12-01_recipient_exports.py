"""exports to recipients and the subjects each held

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 09:00:00

Controlled exports to the policy's recipients (docs/recipient-exports.md): each file handed
over is logged with its hash, and each subject in it with the categories of theirs that went,
so that the registerutdrag can list who received what and when (art. 15.1 c). New tables.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from dataskydd.db.types import UtcDateTime

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "recipient_export",
        sa.Column("recipient", sa.String(length=40), nullable=False),
        sa.Column("purpose", sa.String(length=40), nullable=False),
        sa.Column("categories", sa.String(length=1000), nullable=False),
        sa.Column(
            "format",
            sa.Enum("csv", "json", name="exportformat", native_enum=False, length=10),
            nullable=False,
        ),
        sa.Column("subjects", sa.Integer(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recipient_export")),
    )
    op.create_index(op.f("ix_recipient_export_recipient"), "recipient_export", ["recipient"])
    op.create_table(
        "recipient_export_subject",
        sa.Column("export_id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("categories", sa.String(length=1000), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["export_id"],
            ["recipient_export.id"],
            name=op.f("fk_recipient_export_subject_export_id_recipient_export"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recipient_export_subject")),
        sa.UniqueConstraint(
            "export_id", "subject_id", name=op.f("uq_recipient_export_subject_export_id")
        ),
    )
    op.create_index(
        op.f("ix_recipient_export_subject_subject_id"),
        "recipient_export_subject",
        ["subject_id"],
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_recipient_export_subject_subject_id"), table_name="recipient_export_subject"
    )
    op.drop_table("recipient_export_subject")
    op.drop_index(op.f("ix_recipient_export_recipient"), table_name="recipient_export")
    op.drop_table("recipient_export")
