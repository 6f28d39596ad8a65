"""web_rollup_month and web_rollup_value: the daily analytics rollups summed per calendar
month, and each value's last day (issue 14)

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-11 09:00:00

A report over a year read every daily row of the year (2.5 M rows of page-to-page steps at
10 M events a year); over whole months it now reads one row per month and value
(analytics/rollup_models.py). The months of the days already rolled up are summed here, so
the reports are the same before and after; from now on rolling a day rebuilds its month.
The different values of a period ending yesterday are counted from each value's last day
(web_rollup_value), filled here from the daily rows too.
"""

from collections.abc import Sequence
from datetime import date, timedelta

import sqlalchemy as sa
from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COUNTS = ("visits", "views", "bounces", "seconds", "timed_visits")


def upgrade() -> None:
    op.create_table(
        "web_rollup_month",
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("dimension", sa.String(length=20), nullable=False),
        sa.Column("value", sa.String(length=320), nullable=False),
        sa.Column("visitor_days", sa.Integer(), nullable=False),
        sa.Column("peak_visitors", sa.Integer(), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_rollup_month")),
        sa.UniqueConstraint(
            "dimension", "month", "value", name=op.f("uq_web_rollup_month_dimension")
        ),
    )
    op.create_index(
        "ix_web_rollup_month_values",
        "web_rollup_month",
        ["dimension", "value", "month", "peak_visitors"],
    )
    op.create_table(
        "web_rollup_value",
        sa.Column("dimension", sa.String(length=20), nullable=False),
        sa.Column("value", sa.String(length=320), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_rollup_value")),
        sa.UniqueConstraint("dimension", "value", name=op.f("uq_web_rollup_value_dimension")),
    )
    op.create_index("ix_web_rollup_value_last_day", "web_rollup_value", ["dimension", "last_day"])
    daily = sa.table(
        "web_rollup",
        sa.column("day", sa.Date()),
        sa.column("dimension", sa.String()),
        sa.column("value", sa.String()),
        sa.column("visitors", sa.Integer()),
        *(sa.column(name, sa.Integer()) for name in COUNTS),
    )
    monthly = sa.table(
        "web_rollup_month",
        sa.column("month", sa.Date()),
        sa.column("dimension", sa.String()),
        sa.column("value", sa.String()),
        sa.column("visitor_days", sa.Integer()),
        sa.column("peak_visitors", sa.Integer()),
        *(sa.column(name, sa.Integer()) for name in COUNTS),
    )
    connection = op.get_bind()
    values = sa.table(
        "web_rollup_value",
        sa.column("dimension", sa.String()),
        sa.column("value", sa.String()),
        sa.column("last_day", sa.Date()),
    )
    last_days = sa.select(daily.c.dimension, daily.c.value, sa.func.max(daily.c.day)).group_by(
        daily.c.dimension, daily.c.value
    )
    connection.execute(sa.insert(values).from_select(["dimension", "value", "last_day"], last_days))
    first, last = connection.execute(
        sa.select(sa.func.min(daily.c.day), sa.func.max(daily.c.day))
    ).one()
    if first is None:
        return
    # The same sums as analytics/rollups.roll_up_month, one month at a time (this revision's
    # own copy: a migration must not change when the application code does).
    month = _as_date(first).replace(day=1)
    while month <= _as_date(last):
        end = (month + timedelta(days=32)).replace(day=1)
        summed = (
            sa.select(
                sa.literal(month, sa.Date()),
                daily.c.dimension,
                daily.c.value,
                sa.func.sum(daily.c.visitors),
                sa.func.max(daily.c.visitors),
                *(sa.func.sum(daily.c[name]) for name in COUNTS),
            )
            .where(daily.c.day >= month, daily.c.day < end)
            .group_by(daily.c.dimension, daily.c.value)
        )
        columns = ["month", "dimension", "value", "visitor_days", "peak_visitors", *COUNTS]
        connection.execute(sa.insert(monthly).from_select(columns, summed))
        month = end


def _as_date(value: object) -> date:
    # SQLite hands a Date column of a lightweight table back as its ISO text.
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def downgrade() -> None:
    op.drop_table("web_rollup_value")
    op.drop_table("web_rollup_month")
