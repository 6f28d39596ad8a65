"""access decisions: subject consent, objection grounds, policy roles

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 21:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "subject_consent",
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=60), nullable=False),
        sa.Column("given_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("channel", sa.String(length=30), nullable=False),
        sa.Column("text_version", sa.String(length=40), nullable=True),
        sa.Column("via", sa.String(length=60), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subject_consent")),
    )
    with op.batch_alter_table("subject_consent", schema=None) as batch_op:
        batch_op.create_index(
            "ix_subject_consent_subject_id_purpose", ["subject_id", "purpose"], unique=False
        )
    with op.batch_alter_table("objection", schema=None) as batch_op:
        batch_op.add_column(sa.Column("overridden_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("overridden_by", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("override_reason", sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("objection", schema=None) as batch_op:
        batch_op.drop_column("override_reason")
        batch_op.drop_column("overridden_by")
        batch_op.drop_column("overridden_at")
    with op.batch_alter_table("subject_consent", schema=None) as batch_op:
        batch_op.drop_index("ix_subject_consent_subject_id_purpose")
    op.drop_table("subject_consent")
