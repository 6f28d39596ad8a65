"""PostgreSQL: page_event partitioned by month (analytics/partitions.py)

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-09 09:00:00

An empty page_event (a new database) becomes the partitioned table here. One that holds
events is left as it is: copying them takes a lock on the collector's table for as long as
the copy runs, which a migration run at start-up must not do unannounced; the operator runs
`dataskydd analytics partition` in a maintenance window (docs/web-analytics.md). SQLite:
nothing to do.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from dataskydd.analytics import partitions
from dataskydd.clock import today_in_sweden

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name != "postgresql":
        return
    if connection.execute(sa.text("SELECT 1 FROM page_event LIMIT 1")).first() is None:
        partitions.convert(connection, today_in_sweden())


def downgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        partitions.unpartition(connection)
