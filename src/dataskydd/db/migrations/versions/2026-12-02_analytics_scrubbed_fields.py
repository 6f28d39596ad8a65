"""referrer site, browser class and the last two utm_* values of website events

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 09:00:00

The collector now takes personal data out of what it stores (analytics/scrub.py) and keeps, of
what it is sent, a referrer's site, a browser class and utm_term/utm_content (docs/
consent-banner.md). New nullable columns: rows stored before have none of them. Rows stored
before are scrubbed by the same rules: their paths and utm values are rewritten where they held
personal data (a page total whose path changes is added to the total of its new path).
"""

from collections.abc import Callable, Iterator, Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.engine import Connection

from dataskydd.analytics import scrub

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    ("utm_term", 100),
    ("utm_content", 100),
    ("referrer_site", 100),
    ("browser", 20),
)


# Distinct values read at a time: memory stays bounded however many events are stored.
CHUNK = 1000
EVENT_COLUMNS: tuple[tuple[str, Callable[[str], str | None]], ...] = (
    ("path", scrub.scrub_path),
    ("referrer_path", scrub.scrub_path),
    ("utm_source", scrub.scrub_value),
    ("utm_medium", scrub.scrub_value),
    ("utm_campaign", scrub.scrub_value),
)


def upgrade() -> None:
    with op.batch_alter_table("page_event", schema=None) as batch_op:
        for name, length in COLUMNS:
            batch_op.add_column(sa.Column(name, sa.String(length=length), nullable=True))
    connection = op.get_bind()
    events = sa.table("page_event", *(sa.column(name) for name, _ in EVENT_COLUMNS))
    for name, clean in EVENT_COLUMNS:
        column = events.c[name]
        # One UPDATE per chunk of changed values: page_event has no index on these columns,
        # so each statement reads the whole table.
        pending: dict[str, str | None] = {}
        for old, new in _changed(connection, column, clean):
            pending[old] = new
            if len(pending) == CHUNK:
                _rewrite(connection, events, column, pending)
        _rewrite(connection, events, column, pending)
    totals = sa.table("page_total", sa.column("day"), sa.column("path"), sa.column("count"))
    for old, new in _changed(connection, totals.c.path, scrub.scrub_path):
        _move_totals(connection, totals, old, new)


def _changed(
    connection: Connection, column: sa.ColumnClause[str], clean: Callable[[str], str | None]
) -> Iterator[tuple[str, str | None]]:
    """The column's distinct values that scrubbing changes, with what they become, read in
    order a chunk at a time. A value already rewritten comes back unchanged."""
    last = ""
    while True:
        chunk = connection.scalars(
            sa.select(column).distinct().where(column > last).order_by(column).limit(CHUNK)
        ).all()
        for value in chunk:
            new = clean(value)
            if new != value:
                yield value, new
        if len(chunk) < CHUNK:
            return
        last = chunk[-1]


def _rewrite(
    connection: Connection,
    table: sa.TableClause,
    column: sa.ColumnClause[str],
    pending: dict[str, str | None],
) -> None:
    if pending:
        new = sa.case(pending, value=column)
        connection.execute(sa.update(table).where(column.in_(pending)).values({column.name: new}))
        pending.clear()


def _move_totals(connection: Connection, totals: sa.TableClause, old: str, new: str | None) -> None:
    assert new is not None  # scrub_path always gives a path
    rows = connection.execute(
        sa.select(totals.c.day, totals.c["count"]).where(totals.c.path == old)
    )
    moved = list(rows)  # one row per day: bounded by the days of retention
    connection.execute(sa.delete(totals).where(totals.c.path == old))
    for day, count in moved:
        added = connection.execute(
            sa.update(totals)
            .where(totals.c.day == day, totals.c.path == new)
            .values({"count": totals.c["count"] + count})
        )
        if added.rowcount == 0:
            connection.execute(sa.insert(totals).values(day=day, path=new, count=count))


def downgrade() -> None:
    with op.batch_alter_table("page_event", schema=None) as batch_op:
        for name, _ in reversed(COLUMNS):
            batch_op.drop_column(name)
