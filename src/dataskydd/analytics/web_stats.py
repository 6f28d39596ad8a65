"""The web analytics report interface (issue 14, item 3): top-line figures with the change
against the previous period, and one table per dimension, for a preset or custom period.

This module is the only way in: `period()` chooses the days, `open_reports()` makes the one
access decision and returns a `Reports` whose `summary()`, `table()` and `weekday_hours()`
answer with plain dataclasses. Behind it, `Store` reads the daily rollups
(analytics/rollups.py) for closed days and the raw events only for today and for closed days
not rolled up yet. A column store (docs/web-analytics.md) would replace `Store` alone.

Visitors: a rollup keeps each day's distinct visitors and no identifier, so a period's
figure is *visitor-days* (each visitor counted once per day they came), labelled so. A cell is
shown only when on at least one of its days it had k distinct visitors (the day's count is
exact), so every figure shown is built from at least k different visitors; otherwise it is
suppressed ("< k"). This is stricter than counting distinct visitors over the period, never
looser.
"""

from __future__ import annotations

import csv
import heapq
import io
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, Subquery, func, select, union, union_all
from sqlalchemy.orm import Session

from dataskydd.access import service as access_service
from dataskydd.analytics import day_sql, rollups
from dataskydd.analytics.models import PageEvent
from dataskydd.analytics.reports import Cell
from dataskydd.analytics.rollup_models import WebRollup, WebRollupMonth, WebRollupValue
from dataskydd.auth.access import AccessContext
from dataskydd.clock import SWEDEN, today_in_sweden
from dataskydd.db.among import batches, within
from dataskydd.errors import InvalidInput
from dataskydd.messages_i18n import Msg
from dataskydd.policy.schema import Policy

PRESETS = ("today", "7d", "30d", "this_month", "last_month", "12m")
DEFAULT_PRESET = "30d"
MAX_DAYS = 400
# Rows of a ranked table: the rest are summed up as "more rows" in the page and the API.
TOP = 100
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive
    preset: str | None = None  # None: a custom range

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period of the same length just before this one."""
        end = self.start - timedelta(days=1)
        return Period(end - timedelta(days=self.days - 1), end)


def period(
    preset: str | None = None,
    start: date | None = None,
    end: date | None = None,
    *,
    today: date | None = None,
) -> Period:
    """A preset's days (Swedish dates, ending today) or a custom range `start`..`end`."""
    today = today or today_in_sweden()
    if start is not None or end is not None:
        if preset:
            raise InvalidInput("preset", Msg("give either a preset or from/to, not both"))
        if start is None:
            raise InvalidInput("from", Msg("is required with to"))
        end = end or today
        if start > end:
            raise InvalidInput("from", Msg("must not be after to"))
        if end > today:
            raise InvalidInput("to", Msg("must not be after today"))
        if (end - start).days >= MAX_DAYS:
            raise InvalidInput(
                "from", Msg("the range may be at most {MAX_DAYS} days", MAX_DAYS=MAX_DAYS)
            )
        return Period(start, end)
    preset = preset or DEFAULT_PRESET
    if preset == "today":
        return Period(today, today, preset)
    if preset in ("7d", "30d"):
        return Period(today - timedelta(days=int(preset[:-1]) - 1), today, preset)
    if preset == "this_month":
        return Period(today.replace(day=1), today, preset)
    if preset == "last_month":
        last = today.replace(day=1) - timedelta(days=1)
        return Period(last.replace(day=1), last, preset)
    if preset == "12m":
        # This month and the 11 before it, as Plausible's "last 12 months": whole months,
        # which the reports read from the monthly rollups.
        months_back = today.year * 12 + today.month - 1 - 11
        return Period(date(months_back // 12, months_back % 12 + 1, 1), today, preset)
    raise InvalidInput("preset", Msg("must be one of {values}", values=", ".join(PRESETS)))


@dataclass(frozen=True)
class Figure:
    value: float | None  # None: fewer than k visitors
    previous: float | None

    @property
    def change(self) -> float | None:
        """Percent change against the previous period; None when either is unknown or zero."""
        if self.value is None or not self.previous:
            return None
        return round((self.value - self.previous) / self.previous * 100, 1)


@dataclass(frozen=True)
class Summary:
    period: Period
    previous: Period
    k: int
    visitor_days: Figure
    visits: Figure
    views: Figure
    bounce_rate: Figure  # percent of visits with one page view
    average_seconds: Figure  # over visits with a measured length


@dataclass(frozen=True)
class Row:
    label: str
    visitor_days: int | None  # None: suppressed, and every other figure of the row too
    visits: int | None = None
    views: int | None = None
    bounce_rate: float | None = None
    average_seconds: int | None = None

    @property
    def suppressed(self) -> bool:
        return self.visitor_days is None

    @property
    def cell(self) -> Cell:
        """The row's visitor-days as the charts take them."""
        return Cell(self.label, self.visitor_days)


# Labels that are the software's words, not the site's data: translated when shown.
FIXED_LABELS = frozenset(
    {rollups.DIRECT, rollups.NONE, *WEEKDAYS, *(label for label, _ in rollups.LENGTH_BUCKETS)}
)


@dataclass(frozen=True)
class TableSpec:
    dimension: str
    title: str
    column: str
    # The figures that mean something for this dimension, in order.
    figures: tuple[str, ...]
    ranked: bool = True  # False: every row in a fixed order, suppressed rows shown as "< k"


VISIT_FIGURES = ("visitor_days", "visits", "views", "bounce_rate", "average_seconds")
TABLES: dict[str, TableSpec] = {
    "referrers": TableSpec("referrer", "Referring sites", "Site", VISIT_FIGURES),
    "utm_sources": TableSpec("utm_source", "Sources (utm_source)", "Source", VISIT_FIGURES),
    "utm_mediums": TableSpec("utm_medium", "Media (utm_medium)", "Medium", VISIT_FIGURES),
    "utm_campaigns": TableSpec(
        "utm_campaign", "Campaigns (utm_campaign)", "Campaign", VISIT_FIGURES
    ),
    "pixel_campaigns": TableSpec(
        "pixel",
        "Campaigns seen by the tracking pixel",
        "Campaign / source / medium",
        ("visitor_days", "visits", "views"),
    ),
    "devices": TableSpec("device", "Devices", "Device", VISIT_FIGURES),
    "browsers": TableSpec("browser", "Browsers", "Browser", VISIT_FIGURES),
    "pages": TableSpec("path", "Pages", "Page", ("visitor_days", "views")),
    "entry_pages": TableSpec(
        "entry", "Entry pages", "Page", ("visitor_days", "visits", "bounce_rate")
    ),
    "exit_pages": TableSpec("exit", "Exit pages", "Page", ("visitor_days", "visits")),
    "hours": TableSpec("hour", "Time of day", "Hour", ("visitor_days", "views"), ranked=False),
    "weekdays": TableSpec(
        "total", "Weekday", "Weekday", ("visitor_days", "visits", "views"), ranked=False
    ),
    "visit_lengths": TableSpec(
        "length", "Visit length", "Length", ("visitor_days", "visits"), ranked=False
    ),
}


@dataclass(frozen=True)
class StatsTable:
    key: str
    title: str
    column: str
    figures: tuple[str, ...]
    period: Period
    k: int
    rows: list[Row]
    hidden: int = 0  # ranked tables: further rows with fewer than k visitors, not listed

    def records(self) -> list[dict[str, Any]]:
        """The rows as the JSON export and the API give them: only the table's figures."""
        return [
            {"label": row.label, **{name: getattr(row, name) for name in self.figures}}
            for row in self.rows
        ]


@dataclass(frozen=True)
class Grid:
    """Visitor-days per weekday (Monday first) and hour, Swedish time; None: < k."""

    period: Period
    k: int
    values: list[list[int | None]]


@dataclass
class Counts:
    """A dimension value's counts over some days, and its largest one-day visitor count."""

    visitor_days: int = 0
    most_in_a_day: int = 0
    visits: int = 0
    views: int = 0
    bounces: int = 0
    seconds: int = 0
    timed_visits: int = 0

    @classmethod
    def of_sums(cls, numbers: Sequence[Any]) -> Counts:
        """From the sums of a rollup query (`Store._rolled`, in this class's field order);
        a database's NULL sum is 0."""
        return cls(*(int(n or 0) for n in numbers))

    def add(self, other: Counts) -> None:
        self.visitor_days += other.visitor_days
        self.most_in_a_day = max(self.most_in_a_day, other.most_in_a_day)
        self.visits += other.visits
        self.views += other.views
        self.bounces += other.bounces
        self.seconds += other.seconds
        self.timed_visits += other.timed_visits

    def shown(self, k: int) -> bool:
        """Some one day had k visitors: the value's row is shown."""
        return self.most_in_a_day >= k

    def row(self, label: str, k: int) -> Row:
        if not self.shown(k):
            return Row(label, None)
        return Row(
            label,
            self.visitor_days,
            self.visits,
            self.views,
            round(self.bounces / self.visits * 100, 1) if self.visits else None,
            round(self.seconds / self.timed_visits) if self.timed_visits else None,
        )


def _of_cell(cell: rollups.DayCell) -> Counts:
    return Counts(
        cell.visitors,
        cell.visitors,
        cell.visits,
        cell.views,
        cell.bounces,
        cell.seconds,
        cell.timed_visits,
    )


# Today's values per statement: a day can have thousands of page-to-page steps, and SQLite
# takes 32,766 parameters in one statement.
_IN_LIST = 30_000


def month_split(
    closed: Period, *, open_end: bool = False
) -> tuple[tuple[date, date] | None, list[tuple[date, date]]]:
    """The calendar months inside `closed` whose monthly rows can stand for their days (their
    first days, first and last) and the spans of days before and after them; no months: the
    whole period as days. A month is whole when the period holds all its days; with
    `open_end` (the period ends on the last closed day, after which nothing is rolled up yet)
    so is the month the period ends in, from its first day: its monthly row sums exactly
    the days rolled up so far."""
    first = closed.start
    if first.day != 1:  # the next month's first day
        first = rollups.month_span(first)[1] + timedelta(days=1)
    last_first, last_end = rollups.month_span(closed.end)
    last = last_first if open_end or last_end == closed.end else last_first - timedelta(days=1)
    if last < first:  # no whole month
        return None, [(closed.start, closed.end)]
    last = rollups.month_span(last)[0]
    days = []
    if closed.start < first:
        days.append((closed.start, first - timedelta(days=1)))
    after = rollups.month_span(last)[1] + timedelta(days=1)
    if after <= closed.end:
        days.append((after, closed.end))
    return (first, last), days


@dataclass
class Store:
    """Where the counts come from: rollups for closed days, raw events for the rest."""

    session: Session
    today: date
    _raw: dict[date, list[rollups.DayCell]] = field(default_factory=dict)
    _visit_cells: dict[date, dict[str, list[rollups.DayCell]]] = field(default_factory=dict)
    _first: list[date | None] = field(default_factory=list)

    def _first_day(self) -> date | None:
        """The Swedish day of the first stored event (indexed), read once."""
        if not self._first:
            first = self.session.scalar(select(func.min(PageEvent.occurred_at)))
            self._first.append(None if first is None else first.astimezone(SWEDEN).date())
        return self._first[0]

    def raw_days(self, p: Period) -> list[date]:
        """Today and the closed days not rolled up yet, from the first stored event on."""
        first = self._first_day()
        if first is None:
            return []
        p = Period(max(p.start, first), p.end)
        if p.start > p.end:
            return []
        last_closed = min(p.end, self.today - timedelta(days=1))
        rolled = (
            rollups.rolled_days(self.session, p.start, last_closed)
            if p.start <= last_closed
            else set()
        )
        days = [p.start + timedelta(days=n) for n in range(p.days)]
        return [d for d in days if d <= self.today and (d == self.today or d not in rolled)]

    def _raw_cells(self, day: date, dimension: str) -> list[rollups.DayCell]:
        """One dimension of a day not rolled up: grouped by the database, or (the night the
        clocks go back, for the hours) every cell of the day aggregated here, kept for the
        other tables of the same request. The per-visit dimensions come from one pass over the
        day's visits, kept for the other tables of the request."""
        if dimension in rollups.PER_VISIT:
            if day not in self._visit_cells:
                self._visit_cells[day] = day_sql.visit_cells(self.session, day)
            return self._visit_cells[day][dimension]
        found = day_sql.cells(self.session, day, dimension)
        if found is not None:
            return found
        if day not in self._raw:
            self._raw[day] = rollups.cells_from_raw(self.session, day)
        return [cell for cell in self._raw[day] if cell.dimension == dimension]

    def _closed(self, p: Period) -> Period | None:
        last_closed = min(p.end, self.today - timedelta(days=1))
        return Period(p.start, last_closed) if p.start <= last_closed else None

    def _rolled(self, dimension: str, closed: Period, keys: tuple[Any, ...]) -> Select[Any]:
        """Per day and value (`keys` with the day: the weekday tables), from the daily rows."""
        # In the order of Counts' fields.
        columns = (
            func.sum(WebRollup.visitors).label("visitor_days"),
            func.max(WebRollup.visitors).label("most_in_a_day"),
            func.sum(WebRollup.visits).label("visits"),
            func.sum(WebRollup.views).label("views"),
            func.sum(WebRollup.bounces).label("bounces"),
            func.sum(WebRollup.seconds).label("seconds"),
            func.sum(WebRollup.timed_visits).label("timed_visits"),
        )
        return (
            select(*keys, *columns)
            .where(
                WebRollup.dimension == dimension,
                WebRollup.day >= closed.start,
                WebRollup.day <= closed.end,
            )
            .group_by(*keys)
        )

    def _cells(
        self,
        dimension: str,
        closed: Period,
        *,
        values: Sequence[str] | None = None,
        shown_from: int | None = None,
    ) -> Subquery:
        """The closed days' rows of a dimension as (value, visitor_days, most_in_a_day,
        visits, views, bounces, seconds, timed_visits): the monthly rows of the whole months
        in the period and the daily rows of the days around them, which add up to the daily
        rows of the whole period. `values`: only these values (one batch of
        `db.among.batches`); with `shown_from`, only rows whose day (or one day of whose month) had
        that many visitors."""
        months, days = self._split(closed)
        dialect = self.session.get_bind().dialect.name
        parts: list[Any] = []

        def among_values(column: Any) -> list[ColumnElement[bool]]:
            return [] if values is None else [within(column, values, dialect)]

        if days:
            daily = select(
                WebRollup.value.label("value"),
                WebRollup.visitors.label("visitor_days"),
                WebRollup.visitors.label("most_in_a_day"),
                WebRollup.visits,
                WebRollup.views,
                WebRollup.bounces,
                WebRollup.seconds,
                WebRollup.timed_visits,
            ).where(
                WebRollup.dimension == dimension,
                *among_values(WebRollup.value),
                *([WebRollup.visitors >= shown_from] if shown_from is not None else []),
            )
            spans = [(WebRollup.day >= start) & (WebRollup.day <= end) for start, end in days]
            parts.append(daily.where(spans[0] if len(spans) == 1 else spans[0] | spans[1]))
        if months is not None:
            parts.append(
                select(
                    WebRollupMonth.value.label("value"),
                    WebRollupMonth.visitor_days,
                    WebRollupMonth.peak_visitors.label("most_in_a_day"),
                    WebRollupMonth.visits,
                    WebRollupMonth.views,
                    WebRollupMonth.bounces,
                    WebRollupMonth.seconds,
                    WebRollupMonth.timed_visits,
                ).where(
                    WebRollupMonth.dimension == dimension,
                    WebRollupMonth.month >= months[0],
                    WebRollupMonth.month <= months[1],
                    *among_values(WebRollupMonth.value),
                    *(
                        [WebRollupMonth.peak_visitors >= shown_from]
                        if shown_from is not None
                        else []
                    ),
                )
            )
        if len(parts) == 1:
            single: Subquery = parts[0].subquery()
            return single
        combined: Subquery = union_all(*parts).subquery()
        return combined

    def _summed(self, cells: Subquery) -> Select[Any]:
        """Counts per value of `_cells`, in the order of Counts' fields."""
        c = cells.c
        return select(
            c.value,
            func.sum(c.visitor_days),
            func.max(c.most_in_a_day),
            func.sum(c.visits),
            func.sum(c.views),
            func.sum(c.bounces),
            func.sum(c.seconds),
            func.sum(c.timed_visits),
        ).group_by(c.value)

    def _split(self, closed: Period) -> tuple[tuple[date, date] | None, list[tuple[date, date]]]:
        # Only closed days are rolled up (never today), so a period whose closed part ends
        # yesterday can read this month's row for the days of this month so far.
        return month_split(closed, open_end=closed.end == self.today - timedelta(days=1))

    def _values(
        self, dimension: str, closed: Period, among_these: Sequence[str] | None = None
    ) -> Subquery:
        """The different values of the closed days, one row each; with `among_these` (one
        batch of `db.among.batches`), only those of them."""
        months, days = self._split(closed)
        dialect = self.session.get_bind().dialect.name

        def only(column: Any) -> list[ColumnElement[bool]]:
            return [] if among_these is None else [within(column, among_these, dialect)]

        parts: list[Any] = []
        for start, end in days:
            parts.append(
                select(WebRollup.value.label("value")).where(
                    WebRollup.dimension == dimension,
                    WebRollup.day >= start,
                    WebRollup.day <= end,
                    *only(WebRollup.value),
                )
            )
        if months is not None:
            parts.append(
                select(WebRollupMonth.value.label("value")).where(
                    WebRollupMonth.dimension == dimension,
                    WebRollupMonth.month >= months[0],
                    WebRollupMonth.month <= months[1],
                    *only(WebRollupMonth.value),
                )
            )
        if len(parts) == 1:
            single: Subquery = parts[0].distinct().subquery()
            return single
        return union(*parts).subquery()  # UNION: each value once

    def _raw_sums(
        self, dimension: str, p: Period, *, by_weekday: bool = False
    ) -> dict[str, Counts]:
        result: dict[str, Counts] = defaultdict(Counts)
        for day in self.raw_days(p):
            for cell in self._raw_cells(day, dimension):
                key = f"{day.weekday()} {cell.value}" if by_weekday else cell.value
                result[key].add(_of_cell(cell))
        return result

    def sums(self, dimension: str, p: Period, *, by_weekday: bool = False) -> dict[str, Counts]:
        """Counts per value over the period; with `by_weekday`, per "weekday value"."""
        result: dict[str, Counts] = defaultdict(Counts)
        closed = self._closed(p)
        if closed is not None and by_weekday:
            keys = (WebRollup.value, WebRollup.day)
            for row in self.session.execute(self._rolled(dimension, closed, keys)):
                result[f"{row[1].weekday()} {row[0]}"].add(Counts.of_sums(row[2:]))
        elif closed is not None:
            for row in self.session.execute(self._summed(self._cells(dimension, closed))):
                result[row[0]].add(Counts.of_sums(row[1:]))
        for key, counts in self._raw_sums(dimension, p, by_weekday=by_weekday).items():
            result[key].add(counts)
        return result

    def ranked(self, dimension: str, p: Period, k: int, top: int) -> tuple[list[Row], int]:
        """The `top` shown rows of a dimension over the period, most visitor-days first, and
        how many values are suppressed: the same as ranking every value of `sums`, without
        grouping every value of the closed days (a month of random page-to-page steps is
        200,000 rollup rows of 40,000 values, and grouping them all took a second). A value
        is shown only if some day of it had k visitors, so only those values are grouped:
        the closed days' (one indexed pass) and today's. The suppressed ones are only
        counted."""
        raw = self._raw_sums(dimension, p)
        merged: dict[str, Counts] = defaultdict(Counts)
        closed = self._closed(p)
        distinct = len(raw)
        if closed is not None:
            merged, distinct = self._closed_ranked(dimension, closed, k, raw)
        for value, counts in raw.items():
            merged[value].add(counts)
        visible = [(value, counts) for value, counts in merged.items() if counts.shown(k)]
        # Rows for the top ones only: a year of steps shows some 12,000 values.
        first = heapq.nsmallest(top, visible, key=lambda item: (-item[1].visitor_days, item[0]))
        return [counts.row(value, k) for value, counts in first], distinct - len(visible)

    def _closed_ranked(
        self, dimension: str, closed: Period, k: int, raw: dict[str, Counts]
    ) -> tuple[dict[str, Counts], int]:
        """The closed days' sums of every value that can be shown (`raw`'s counts not added),
        and the number of different values of the closed days and `raw` together."""
        dialect = self.session.get_bind().dialect.name
        shown = self._cells(dimension, closed, shown_from=k)
        shown_closed = self.session.scalars(select(shown.c.value).distinct()).all()
        shown_today = {value for value, counts in raw.items() if counts.shown(k)}
        wanted = sorted({*shown_closed, *shown_today})
        merged: dict[str, Counts] = defaultdict(Counts)
        for batch in batches(wanted, dialect, chunk=_IN_LIST):
            grouped = self._summed(self._cells(dimension, closed, values=batch))
            for row in self.session.execute(grouped):
                merged[row[0]] = Counts.of_sums(row[1:])
        # The closed days' different values, and how many of today's others they share
        # (counted once): today's are looked up by value (the indexes lead with the value or
        # the day), not compared with each of the closed days' values.
        unknown = [value for value in raw if value not in shown_today]
        counted = select(func.count())
        if closed.end == self.today - timedelta(days=1):
            # Nothing after yesterday is rolled up: a value was in the period if its last
            # day is (one index range instead of every value of every day).
            last = (WebRollupValue.dimension == dimension, WebRollupValue.last_day >= closed.start)
            distinct = self.session.scalar(counted.select_from(WebRollupValue).where(*last))
            shared = 0
            for batch in batches(unknown, dialect, chunk=_IN_LIST):
                known = within(WebRollupValue.value, batch, dialect)
                lookup = counted.select_from(WebRollupValue).where(*last, known)
                shared += self.session.scalar(lookup) or 0
        else:
            distinct = self.session.scalar(counted.select_from(self._values(dimension, closed)))
            shared = 0
            for batch in batches(unknown, dialect, chunk=_IN_LIST):
                found = self._values(dimension, closed, among_these=batch)
                shared += self.session.scalar(counted.select_from(found)) or 0
        distinct = (distinct or 0) - shared
        distinct += len(raw) - sum(1 for value in shown_today if value in merged)
        return merged, distinct


@dataclass
class Reports:
    """The reports of one caller's one decision; build with `open_reports`."""

    store: Store
    k: int
    period: Period

    def summary(self) -> Summary:
        now = self.store.sums("total", self.period).get("", Counts()).row("", self.k)
        before_period = self.period.previous()
        before = self.store.sums("total", before_period).get("", Counts()).row("", self.k)

        def figure(name: str) -> Figure:
            value, previous = getattr(now, name), getattr(before, name)
            return Figure(value, previous)

        return Summary(
            self.period,
            before_period,
            self.k,
            *(figure(name) for name in VISIT_FIGURES),
        )

    def table(self, key: str) -> StatsTable:
        spec = TABLES.get(key)
        if spec is None:
            raise InvalidInput("table", Msg("must be one of {values}", values=", ".join(TABLES)))
        if key == "weekdays":
            # Each day's total row, grouped by its weekday: visitor-days of that weekday.
            by_day = self.store.sums(spec.dimension, self.period, by_weekday=True)
            rows = [
                by_day.get(f"{n} ", Counts()).row(day, self.k) for n, day in enumerate(WEEKDAYS)
            ]
            return self._table(key, spec, rows, 0)
        if not spec.ranked:  # every value, in a fixed order
            sums = self.store.sums(spec.dimension, self.period)
            labels = (
                [f"{h:02d}" for h in range(24)]
                if key == "hours"
                else [label for label, _ in rollups.LENGTH_BUCKETS]
            )
            rows = [sums.get(label, Counts()).row(label, self.k) for label in labels]
            return self._table(key, spec, rows, 0)
        shown, hidden = self.store.ranked(spec.dimension, self.period, self.k, TOP)
        return self._table(key, spec, shown, hidden)

    def _table(self, key: str, spec: TableSpec, rows: list[Row], hidden: int) -> StatsTable:
        return StatsTable(
            key, spec.title, spec.column, spec.figures, self.period, self.k, rows, hidden
        )

    def weekday_hours(self) -> Grid:
        sums = self.store.sums("hour", self.period, by_weekday=True)
        values = [
            [sums.get(f"{d} {h:02d}", Counts()).row("", self.k).visitor_days for h in range(24)]
            for d in range(7)
        ]
        return Grid(self.period, self.k, values)


def decide_read(
    session: Session, policy: Policy, ctx: AccessContext, *, what: str, start: date, end: date
) -> int:
    """The one access decision for reading web analytics aggregates from `start` to `end`
    (audited with `what` was asked for), under the policy's statistics purpose; returns the
    k every figure is suppressed below."""
    k = policy.security.k_anonymity
    access_service.decide_aggregate(
        session,
        policy,
        ctx,
        purpose=policy.system_purpose("statistics"),
        audit_action="web_analytics.read",
        audit_detail={"report": what, "from": start.isoformat(), "to": end.isoformat(), "k": k},
    )
    return k


def open_reports(
    session: Session,
    policy: Policy,
    ctx: AccessContext,
    chosen: Period,
    *,
    what: str,
    today: date | None = None,
) -> Reports:
    """The one access decision for reading web analytics aggregates over `chosen` (audited
    with `what` was asked for), under the policy's statistics purpose: refused for a caller,
    staff or API key, whose purposes do not include it."""
    k = decide_read(session, policy, ctx, what=what, start=chosen.start, end=chosen.end)
    return Reports(Store(session, today or today_in_sweden()), k, chosen)


# --- export ---------------------------------------------------------------------------------


def _safe(value: object) -> str:
    """A cell a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def to_csv(table: StatsTable) -> str:
    """The table as CSV (comma, UTF-8); a suppressed figure is "< k"."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["label", *table.figures])
    for row in table.rows:
        figures = [
            f"< {table.k}" if row.suppressed else getattr(row, name) for name in table.figures
        ]
        writer.writerow([_safe(row.label), *(_safe(v) for v in figures)])
    return out.getvalue()


def to_json(table: StatsTable) -> dict[str, Any]:
    """The table as the API and the JSON download give it; a suppressed figure is null."""
    return {
        "table": table.key,
        "from": table.period.start.isoformat(),
        "to": table.period.end.isoformat(),
        "k": table.k,
        "figures": list(table.figures),
        "rows": table.records(),
        "hidden_rows": table.hidden,
    }


def summary_json(summary: Summary) -> dict[str, Any]:
    figures = {
        name: {**asdict(getattr(summary, name)), "change": getattr(summary, name).change}
        for name in VISIT_FIGURES
    }
    return {
        "from": summary.period.start.isoformat(),
        "to": summary.period.end.isoformat(),
        "previous_from": summary.previous.start.isoformat(),
        "previous_to": summary.previous.end.isoformat(),
        "k": summary.k,
        **figures,
    }
