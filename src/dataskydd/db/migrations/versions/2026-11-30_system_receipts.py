"""each system's part of a subject's request, kept as evidence

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 02:40:58.394011

Registerutdrag and erasure now walk the company's other systems too (docs/data-map.md). What
each system held, what was erased, blanked or kept and why, or that it could not be reached,
is kept per request and system. A new table; nothing is carried over.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "system_receipt",
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("system", sa.String(length=63), nullable=False),
        sa.Column(
            "action",
            sa.Enum("extract", "erasure", name="receiptaction", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum("done", "unreachable", name="receiptstatus", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(length=100), nullable=False),
        sa.Column("rows_found", sa.Integer(), nullable=False),
        sa.Column("rows_deleted", sa.Integer(), nullable=False),
        sa.Column("rows_blanked", sa.Integer(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("problem", sa.String(length=300), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_system_receipt")),
    )
    with op.batch_alter_table("system_receipt", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_system_receipt_request_id"), ["request_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_system_receipt_subject_id"), ["subject_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_system_receipt_system"), ["system"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("system_receipt", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_system_receipt_system"))
        batch_op.drop_index(batch_op.f("ix_system_receipt_subject_id"))
        batch_op.drop_index(batch_op.f("ix_system_receipt_request_id"))

    op.drop_table("system_receipt")
