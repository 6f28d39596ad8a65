"""staff_user.must_change_password: a password an administrator issued is changed at first use

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 09:00:00

Set when an administrator creates an account or resets its password (the administrator has
seen it); cleared when its holder changes it. Existing accounts start with it off.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("staff_user") as batch:
        batch.add_column(
            sa.Column(
                "must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("staff_user") as batch:
        batch.drop_column("must_change_password")
