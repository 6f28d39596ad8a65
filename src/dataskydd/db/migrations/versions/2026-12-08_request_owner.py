"""subject_request.owner_id: the staff account handling a request

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-08 09:00:00

Nullable: a request starts unassigned. A deleted account leaves its requests unassigned
(ON DELETE SET NULL); a deactivated one keeps them, and the queue says so.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("subject_request") as batch:
        batch.add_column(sa.Column("owner_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_subject_request_owner_id_staff_user",
            "staff_user",
            ["owner_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_index("ix_subject_request_owner_id", ["owner_id"])


def downgrade() -> None:
    with op.batch_alter_table("subject_request") as batch:
        batch.drop_index("ix_subject_request_owner_id")
        batch.drop_constraint("fk_subject_request_owner_id_staff_user", type_="foreignkey")
        batch.drop_column("owner_id")
