"""recipients' agreements, their documents and transfer evidence

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 09:00:00

The register of recipients' agreements (docs/recipients.md): each agreement recorded for a
policy recipient with its transfer evidence, the uploaded document (bytes kept in the
database), and the review reminders already mailed. New tables; nothing is carried over.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from dataskydd.db.types import UtcDateTime

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MECHANISMS = ("none", "adequacy", "eu_us_dpf", "scc", "bcr", "privacy_shield")


def upgrade() -> None:
    op.create_table(
        "recipient_document",
        sa.Column("file_name", sa.String(length=120), nullable=False),
        sa.Column("content_type", sa.String(length=60), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by", sa.String(length=100), nullable=False),
        sa.Column("uploaded_at", UtcDateTime(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recipient_document")),
    )
    op.create_table(
        "recipient_agreement",
        sa.Column("recipient_key", sa.String(length=40), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=False),
        sa.Column("review_on", sa.Date(), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column(
            "transfer_mechanism",
            sa.Enum(*MECHANISMS, name="transfermechanism", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("dpf_checked_on", sa.Date(), nullable=True),
        sa.Column("scc_module", sa.Integer(), nullable=True),
        sa.Column("scc_signed_on", sa.Date(), nullable=True),
        sa.Column("tia_reference", sa.String(length=120), nullable=True),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["recipient_document.id"],
            name=op.f("fk_recipient_agreement_document_id_recipient_document"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recipient_agreement")),
    )
    op.create_index(
        op.f("ix_recipient_agreement_recipient_key"), "recipient_agreement", ["recipient_key"]
    )
    op.create_table(
        "recipient_reminder",
        sa.Column("recipient_key", sa.String(length=40), nullable=False),
        sa.Column("review_on", sa.Date(), nullable=False),
        sa.Column("threshold", sa.String(length=20), nullable=False),
        sa.Column("sent_at", UtcDateTime(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recipient_reminder")),
        sa.UniqueConstraint(
            "recipient_key",
            "review_on",
            "threshold",
            name=op.f("uq_recipient_reminder_recipient_key"),
        ),
    )


def downgrade() -> None:
    op.drop_table("recipient_reminder")
    op.drop_index(op.f("ix_recipient_agreement_recipient_key"), table_name="recipient_agreement")
    op.drop_table("recipient_agreement")
    op.drop_table("recipient_document")
