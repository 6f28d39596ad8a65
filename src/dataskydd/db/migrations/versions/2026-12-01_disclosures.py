"""disclosures to authorities

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 09:00:00

The log of disclosures to authorities (docs/disclosures.md): each disclosure, the subjects it
concerned, and the evidence that a registerutdrag left a confidential one out. New tables;
nothing is carried over.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from dataskydd.db.types import UtcDateTime

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "disclosure",
        sa.Column("authority", sa.String(length=200), nullable=False),
        sa.Column(
            "authority_kind",
            sa.Enum(
                "court",
                "police",
                "tax_agency",
                "other",
                name="authoritykind",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("legal_ground", sa.String(length=300), nullable=False),
        sa.Column("reference", sa.String(length=120), nullable=False),
        sa.Column("categories", sa.String(length=1000), nullable=False),
        sa.Column("description", sa.String(length=2000), nullable=False),
        sa.Column("requested_on", sa.Date(), nullable=False),
        sa.Column("handed_over_on", sa.Date(), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.Column("confidential", sa.Boolean(), nullable=False),
        sa.Column("confidential_ground", sa.String(length=300), nullable=True),
        sa.Column("confidential_until", sa.Date(), nullable=True),
        sa.Column("confidentiality_lifted_at", UtcDateTime(), nullable=True),
        sa.Column("confidentiality_lifted_by", sa.String(length=100), nullable=True),
        sa.Column("confidentiality_lift_reason", sa.String(length=300), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disclosure")),
    )
    op.create_table(
        "disclosure_subject",
        sa.Column("disclosure_id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["disclosure_id"],
            ["disclosure.id"],
            name=op.f("fk_disclosure_subject_disclosure_id_disclosure"),
        ),
        sa.PrimaryKeyConstraint("disclosure_id", "subject_id", name=op.f("pk_disclosure_subject")),
    )
    op.create_index(op.f("ix_disclosure_subject_subject_id"), "disclosure_subject", ["subject_id"])
    op.create_table(
        "disclosure_withheld",
        sa.Column("disclosure_id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("withheld_at", UtcDateTime(), nullable=False),
        sa.Column("ground", sa.String(length=300), nullable=False),
        sa.Column("until", sa.Date(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["disclosure_id"],
            ["disclosure.id"],
            name=op.f("fk_disclosure_withheld_disclosure_id_disclosure"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disclosure_withheld")),
    )
    op.create_index(
        op.f("ix_disclosure_withheld_disclosure_id"), "disclosure_withheld", ["disclosure_id"]
    )
    op.create_index(
        op.f("ix_disclosure_withheld_subject_id"), "disclosure_withheld", ["subject_id"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_disclosure_withheld_subject_id"), table_name="disclosure_withheld")
    op.drop_index(op.f("ix_disclosure_withheld_disclosure_id"), table_name="disclosure_withheld")
    op.drop_table("disclosure_withheld")
    op.drop_index(op.f("ix_disclosure_subject_subject_id"), table_name="disclosure_subject")
    op.drop_table("disclosure_subject")
    op.drop_table("disclosure")
