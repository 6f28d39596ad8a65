"""One dimension's cells of one day, computed by the database: what a report needs from the
raw events of today (and of a closed day not rolled up yet) at request time.

The same cells as `rollups.aggregate` (tests/analytics/test_rollups.py holds them equal on
generated events, SQLite and PostgreSQL), but grouped in SQL over the day's events by the
`occurred_at` index, so a request reads a few hundred groups instead of every event of the
day: a busy day has tens of thousands. Window functions (ROW_NUMBER) find each visit's first
and last page view on both databases; the Swedish hour is a CASE over the day's hour
boundaries, so no database needs time zone data.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, literal, select
from sqlalchemy.orm import Session

from dataskydd.analytics.models import EventKind, PageEvent
from dataskydd.analytics.rollup_models import VALUE_LENGTH
from dataskydd.analytics.rollups import (
    DIRECT,
    LENGTH_BUCKETS,
    NONE,
    DayCell,
    day_bounds,
    pixel_label,
    step_label,
)
from dataskydd.clock import SWEDEN

# The per-visit dimensions and the column of the visit's first page view they group by.
_VISIT_COLUMNS = {
    "referrer": ("referrer_site", DIRECT),
    "utm_source": ("utm_source", NONE),
    "utm_medium": ("utm_medium", NONE),
    "utm_campaign": ("utm_campaign", NONE),
    "device": ("device", NONE),
    "browser": ("browser", NONE),
}


def _in_day(day: date) -> Any:
    start, end = day_bounds(day)
    return and_(PageEvent.occurred_at >= start, PageEvent.occurred_at < end)


def _hours(day: date) -> list[tuple[datetime, str]]:
    """(UTC start, Swedish hour label) of each hour of the day: 23, 24 or 25 of them."""
    start, end = (moment.astimezone(UTC) for moment in day_bounds(day))
    result = []
    moment = start
    while moment < end:
        result.append((moment, f"{moment.astimezone(SWEDEN).hour:02d}"))
        moment += timedelta(hours=1)
    return result


def _cell(day: date, dimension: str, value: str | None, numbers: Any) -> DayCell:
    return DayCell(day, dimension, (value or "")[:VALUE_LENGTH], *(int(n or 0) for n in numbers))


def _view_cells(session: Session, day: date, dimension: str) -> list[DayCell]:
    """path and hour: distinct visitors and views of the day's page views."""
    if dimension == "path":
        key: Any = PageEvent.path
    else:
        hours = _hours(day)
        key = case(
            *(
                (PageEvent.occurred_at < hours[i + 1][0], literal(label))
                for i, (_, label) in enumerate(hours[:-1])
            ),
            else_=literal(hours[-1][1]),
        )
    statement = (
        select(key, func.count(func.distinct(PageEvent.visitor_id)), func.count())
        .where(_in_day(day), PageEvent.kind == EventKind.VIEW)
        .group_by(key)
    )
    cells: dict[str, list[int]] = {}
    for value, visitors, views in session.execute(statement):
        # Two hours share a label on the night the clocks go back: GROUP BY the label has
        # made them one bucket already, as the rollup does. A repeat would be a bug.
        if value in cells:
            raise _Merge
        cells[value] = [visitors, 0, views]
    return [_cell(day, dimension, value, (n[0], 0, n[2])) for value, n in sorted(cells.items())]


class _Merge(Exception):
    pass


def _visits(day: date) -> Any:
    """One row per visit with a page view that day: its visitor, first view's columns, last
    view's path, number of views, and seconds from its leave events (None: no leave).

    One pass over the day's views and leaves, with no join: joining the leaves grouped by
    visit made SQLite loop over every visit's leaves for every visit when the day's bounds
    were bound parameters (no automatic index then): 2.8 s for a day of 27,000 events."""
    is_view = PageEvent.kind == EventKind.VIEW
    # Views and leaves of a visit apart; within each, in time order.
    kind_of_visit = (PageEvent.visit_id, PageEvent.kind)
    in_order = (PageEvent.occurred_at, PageEvent.id)
    events = (
        select(
            PageEvent.visit_id,
            PageEvent.visitor_id,
            PageEvent.kind,
            PageEvent.path,
            PageEvent.referrer_site,
            PageEvent.utm_source,
            PageEvent.utm_medium,
            PageEvent.utm_campaign,
            PageEvent.device,
            PageEvent.browser,
            func.row_number().over(partition_by=kind_of_visit, order_by=in_order).label("n_first"),
            # The same window as n_first, over the whole of the kind: one sort for both.
            func.last_value(PageEvent.path)
            .over(partition_by=kind_of_visit, order_by=in_order, rows=(None, None))
            .label("exit"),
            func.count(case((is_view, 1))).over(partition_by=PageEvent.visit_id).label("views"),
            # NULL when the visit has no leave event that day.
            func.sum(
                case(
                    (
                        PageEvent.kind == EventKind.LEAVE,
                        func.coalesce(PageEvent.seconds_on_page, 0),
                    )
                )
            )
            .over(partition_by=PageEvent.visit_id)
            .label("seconds"),
        )
        .where(
            _in_day(day),
            PageEvent.kind.in_((EventKind.VIEW, EventKind.LEAVE)),
            PageEvent.visit_id.is_not(None),
        )
        .subquery("events")
    )
    return (
        select(
            events.c.visit_id,
            events.c.visitor_id,
            events.c.path.label("entry"),
            events.c.exit,
            *(events.c[column] for column, _ in _VISIT_COLUMNS.values()),
            events.c.views,
            events.c.seconds,
        )
        .where(events.c.kind == EventKind.VIEW, events.c.n_first == 1)
        # One pass over the day's visits, not one per use SQLite's flattening would make.
        .cte("visits")
        .prefix_with("MATERIALIZED", dialect="sqlite")
    )


def _visit_cells(session: Session, day: date, dimension: str) -> list[DayCell]:
    visits = _visits(day)
    timed = visits.c.seconds.is_not(None)
    if dimension == "total":
        key: Any = literal("")
    elif dimension in ("entry", "exit"):
        key = visits.c[dimension]
    elif dimension == "length":
        key = case(
            *((visits.c.seconds < limit, literal(label)) for label, limit in LENGTH_BUCKETS),
        )
    else:
        column, empty = _VISIT_COLUMNS[dimension]
        key = func.coalesce(visits.c[column], literal(empty))
    bounce = case((visits.c.views == 1, 1), else_=0)
    statement = select(
        key,
        func.count(func.distinct(visits.c.visitor_id)),
        func.count(),
        func.sum(visits.c.views),
        func.sum(bounce),
        func.sum(func.coalesce(visits.c.seconds, 0)),
        func.sum(case((timed, 1), else_=0)),
    ).group_by(key)
    if dimension == "length":
        statement = statement.where(timed)
    cells = []
    for value, visitors, count, views, bounces, seconds, timed_visits in session.execute(statement):
        if dimension in ("entry", "exit"):
            numbers = (visitors, count, 0, bounces, 0, 0)
        elif dimension == "length":
            numbers = (visitors, count, 0, 0, seconds, timed_visits)
        elif dimension == "total":
            numbers = (visitors, count, 0, bounces, seconds, timed_visits)
        else:
            numbers = (visitors, count, views, bounces, seconds, timed_visits)
        cells.append(_cell(day, dimension, value, numbers))
    if dimension == "total":
        return _with_total_views(session, day, cells)
    return cells


def _with_total_views(session: Session, day: date, cells: list[DayCell]) -> list[DayCell]:
    """The total's visitors and views count every page view, with or without a visit."""
    visitors, views = session.execute(
        select(func.count(func.distinct(PageEvent.visitor_id)), func.count()).where(
            _in_day(day), PageEvent.kind == EventKind.VIEW
        )
    ).one()
    if not views:
        return []
    visit = cells[0] if cells else DayCell(day, "total", "", 0)
    return [
        DayCell(
            day,
            "total",
            "",
            int(visitors),
            visit.visits,
            int(views),
            visit.bounces,
            visit.seconds,
            visit.timed_visits,
        )
    ]


def _pixel_cells(session: Session, day: date) -> list[DayCell]:
    utm = (PageEvent.utm_source, PageEvent.utm_medium, PageEvent.utm_campaign)
    statement = (
        select(
            *utm,
            func.count(func.distinct(PageEvent.visitor_id)),
            func.count(func.distinct(PageEvent.visit_id)),
            func.count(),
        )
        .where(
            _in_day(day),
            PageEvent.kind == EventKind.PIXEL,
            utm[0].is_not(None) | utm[1].is_not(None) | utm[2].is_not(None),
        )
        .group_by(*utm)
    )
    cells = []
    for source, medium, campaign, visitors, visits, views in session.execute(statement):
        label = pixel_label((source, medium, campaign))
        cells.append(DayCell(day, "pixel", label, int(visitors), int(visits), int(views)))
    return cells


def _step_cells(session: Session, day: date) -> list[DayCell]:
    """transition: distinct visitors and views of each step from one page to another."""
    statement = (
        select(
            PageEvent.referrer_path,
            PageEvent.path,
            func.count(func.distinct(PageEvent.visitor_id)),
            func.count(),
        )
        .where(
            _in_day(day),
            PageEvent.kind == EventKind.VIEW,
            PageEvent.referrer_path.is_not(None),
            PageEvent.referrer_path != "",
            PageEvent.referrer_path != PageEvent.path,
        )
        .group_by(PageEvent.referrer_path, PageEvent.path)
    )
    cells: dict[str, DayCell] = {}
    for previous, path, visitors, views in session.execute(statement):
        label = step_label(str(previous), path)
        if label in cells:
            raise _Merge  # two long steps cut to one label: aggregated by the caller instead
        cells[label] = DayCell(day, "transition", label, int(visitors), 0, int(views))
    return [cells[label] for label in sorted(cells)]


def cells(session: Session, day: date, dimension: str) -> list[DayCell] | None:
    """The day's cells of `dimension`, or None when SQL cannot give them exactly (the hour
    the clocks go back, twice in one label): the caller then aggregates the events."""
    try:
        if dimension in ("path", "hour"):
            return _view_cells(session, day, dimension)
        if dimension == "pixel":
            return _pixel_cells(session, day)
        if dimension == "transition":
            return _step_cells(session, day)
        return _visit_cells(session, day, dimension)
    except _Merge:
        return None
