"""Daily rollups of the website events: counts per Swedish day, with no identifier.

A row is one cell of one dimension on one day (views of a path, visits from a referrer site,
visitors in an hour...). `visitors` is that day's number of distinct visitors in the cell, so
k-anonymity can be applied when a period is shown (analytics/web_stats.py); no visitor or
visit id is kept, so the rows describe no one and outlive the raw events' retention
(datamap.entries.INTERNAL_TABLES). Written only by analytics/rollups.py.

`WebRollupMonth` is the same cells summed over a calendar month: always the sum of that
month's daily rows (rebuilt from them whenever one of its days is rolled up), so a report over
whole months reads one row per value and month instead of one per value and day (a year of
page-to-page steps: 2.5 M daily rows, 0.5 M monthly). `WebRollupValue` keeps each value's
last day, for counting a period's different values.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dataskydd.clock import utc_now
from dataskydd.db.base import Base, IdMixin
from dataskydd.db.types import UtcDateTime

VALUE_LENGTH = 320


class WebRollup(IdMixin, Base):
    __tablename__ = "web_rollup"
    # Also the index every report reads by: one dimension over a range of days.
    __table_args__ = (UniqueConstraint("dimension", "day", "value"),)

    day: Mapped[date] = mapped_column(Date)
    dimension: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(String(VALUE_LENGTH))
    visitors: Mapped[int] = mapped_column(Integer)  # distinct visitors that day
    visits: Mapped[int] = mapped_column(Integer)
    views: Mapped[int] = mapped_column(Integer)
    bounces: Mapped[int] = mapped_column(Integer)  # visits with exactly one page view
    seconds: Mapped[int] = mapped_column(Integer)  # visit length summed over timed visits
    timed_visits: Mapped[int] = mapped_column(Integer)  # visits with at least one leave event


class WebRollupDay(IdMixin, Base):
    """A day that has been rolled up, with how many raw events it had then."""

    __tablename__ = "web_rollup_day"
    __table_args__ = (UniqueConstraint("day"),)

    day: Mapped[date] = mapped_column(Date)
    events: Mapped[int] = mapped_column(Integer)
    rolled_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)


class WebRollupMonth(IdMixin, Base):
    """A month's daily rows of one dimension and value, summed; `peak_visitors` is the most
    visitors the value had on one of those days (whether some day reached k)."""

    __tablename__ = "web_rollup_month"
    __table_args__ = (
        UniqueConstraint("dimension", "month", "value"),
        # A dimension's values in order, each with its months: the period's different values
        # and those some day showed are read from this index alone, without sorting.
        Index("ix_web_rollup_month_values", "dimension", "value", "month", "peak_visitors"),
    )

    month: Mapped[date] = mapped_column(Date)  # its first day
    dimension: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(String(VALUE_LENGTH))
    visitor_days: Mapped[int] = mapped_column(Integer)  # the days' visitors summed
    peak_visitors: Mapped[int] = mapped_column(Integer)  # the most on one day
    visits: Mapped[int] = mapped_column(Integer)
    views: Mapped[int] = mapped_column(Integer)
    bounces: Mapped[int] = mapped_column(Integer)
    seconds: Mapped[int] = mapped_column(Integer)
    timed_visits: Mapped[int] = mapped_column(Integer)


class WebRollupValue(IdMixin, Base):
    """Each value a dimension has had, with the last day it had a daily row: the different
    values of a period that ends on the last day rolled up are those whose last day is in
    it, counted from one index instead of every value of every day (web_stats)."""

    __tablename__ = "web_rollup_value"
    __table_args__ = (
        UniqueConstraint("dimension", "value"),
        Index("ix_web_rollup_value_last_day", "dimension", "last_day"),
    )

    dimension: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(String(VALUE_LENGTH))
    last_day: Mapped[date] = mapped_column(Date)
