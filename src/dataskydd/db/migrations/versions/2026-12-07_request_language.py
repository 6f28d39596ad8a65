"""subject_request.lang: the language the subject used, for the texts kept and mailed to them

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 09:00:00

A request's outcome, the reason of a restriction it made and the mails about it are written in
the language the subject asked in. Requests made before this change were answered in Swedish
first, so they start as Swedish.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("subject_request") as batch:
        batch.add_column(sa.Column("lang", sa.String(2), nullable=False, server_default="sv"))


def downgrade() -> None:
    with op.batch_alter_table("subject_request") as batch:
        batch.drop_column("lang")
