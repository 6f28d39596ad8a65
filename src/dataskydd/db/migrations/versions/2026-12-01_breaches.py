"""the breach register

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 09:00:00

The breach register of GDPR art. 33-34 (docs/breaches.md): the breaches, their history, the
notifications sent to IMY (in phases) and the subjects told. New tables; nothing carried over.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from dataskydd.db.types import UtcDateTime

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=20)


def upgrade() -> None:
    op.create_table(
        "breach",
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("occurred_at", UtcDateTime(), nullable=True),
        sa.Column("occurred_approximate", sa.Boolean(), nullable=False),
        sa.Column("aware_at", UtcDateTime(), nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("nature", sa.String(length=60), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("categories", sa.String(length=800), nullable=False),
        sa.Column("subject_kinds", sa.String(length=400), nullable=False),
        sa.Column("subjects_approx", sa.Integer(), nullable=False),
        sa.Column("records_approx", sa.Integer(), nullable=False),
        sa.Column("consequences", sa.Text(), nullable=False),
        sa.Column("measures_taken", sa.Text(), nullable=False),
        sa.Column("measures_planned", sa.Text(), nullable=False),
        sa.Column("status", _enum("breachstatus", "open", "closed"), nullable=False),
        sa.Column(
            "imy_decision",
            _enum("imydecision", "pending", "notified", "not_notified"),
            nullable=False,
        ),
        sa.Column("imy_reason", sa.Text(), nullable=True),
        sa.Column("imy_decided_by", sa.String(length=100), nullable=True),
        sa.Column("imy_decided_at", UtcDateTime(), nullable=True),
        sa.Column(
            "subject_decision",
            _enum("subjectdecision", "pending", "notify", "not_notify"),
            nullable=False,
        ),
        sa.Column("subject_reason", sa.Text(), nullable=True),
        sa.Column("subject_decided_by", sa.String(length=100), nullable=True),
        sa.Column("subject_decided_at", UtcDateTime(), nullable=True),
        sa.Column("reminded", sa.String(length=60), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_breach")),
    )
    op.create_table(
        "breach_event",
        sa.Column("breach_id", sa.Integer(), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("by", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["breach_id"], ["breach.id"], name=op.f("fk_breach_event_breach_id_breach")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_breach_event")),
    )
    op.create_index(op.f("ix_breach_event_breach_id"), "breach_event", ["breach_id"])
    op.create_table(
        "breach_imy_notice",
        sa.Column("breach_id", sa.Integer(), nullable=False),
        sa.Column("phase", sa.Integer(), nullable=False),
        sa.Column("sent_at", UtcDateTime(), nullable=False),
        sa.Column("reference", sa.String(length=120), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["breach_id"], ["breach.id"], name=op.f("fk_breach_imy_notice_breach_id_breach")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_breach_imy_notice")),
        sa.UniqueConstraint("breach_id", "phase", name=op.f("uq_breach_imy_notice_breach_id")),
    )
    op.create_index(op.f("ix_breach_imy_notice_breach_id"), "breach_imy_notice", ["breach_id"])
    op.create_table(
        "breach_subject_notice",
        sa.Column("breach_id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("mail_id", sa.Integer(), nullable=True),
        sa.Column("queued_at", UtcDateTime(), nullable=False),
        sa.Column("by", sa.String(length=100), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["breach_id"], ["breach.id"], name=op.f("fk_breach_subject_notice_breach_id_breach")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_breach_subject_notice")),
        sa.UniqueConstraint(
            "breach_id", "subject_id", name=op.f("uq_breach_subject_notice_breach_id")
        ),
    )
    op.create_index(
        op.f("ix_breach_subject_notice_breach_id"), "breach_subject_notice", ["breach_id"]
    )
    op.create_index(
        op.f("ix_breach_subject_notice_subject_id"), "breach_subject_notice", ["subject_id"]
    )


def downgrade() -> None:
    op.drop_table("breach_subject_notice")
    op.drop_table("breach_imy_notice")
    op.drop_table("breach_event")
    op.drop_table("breach")
