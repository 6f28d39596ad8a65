"""web_rollup: the "transition" dimension (page → next page) for days rolled up before it

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-10 09:00:00

Days rolled up before this version have no transition rows. Each such day whose raw events
are still kept is marked as not rolled up, so the hourly rollup job rolls it up again, with
every dimension (the same figures, plus the steps); meanwhile the reports compute those days
from their events, as they do today's. Days whose events retention has erased keep their
rollups as they are: their steps are not known any more.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from dataskydd.clock import SWEDEN
from dataskydd.db.types import UtcDateTime

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    connection = op.get_bind()
    events = sa.table("page_event", sa.column("occurred_at", UtcDateTime()))
    first = connection.execute(
        sa.select(sa.func.min(events.c.occurred_at, type_=UtcDateTime()))
    ).scalar()
    if first is None:
        return
    day = first.astimezone(SWEDEN).date()
    days = sa.table("web_rollup_day", sa.column("day", sa.Date()))
    connection.execute(sa.delete(days).where(days.c.day >= day))


def downgrade() -> None:
    pass  # the transition rows do no harm to an older version, which never reads them
