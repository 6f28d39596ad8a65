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

from dataclasses import dataclass, field
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


# Every dimension counted per visit, all computed in one pass over the day's visits.
VISIT_DIMENSIONS = ("total", "entry", "exit", "length", *_VISIT_COLUMNS)


@dataclass
class _Group:
    visitors: set[str] = field(default_factory=set)
    visits: int = 0
    views: int = 0
    bounces: int = 0
    seconds: int = 0
    timed: int = 0


def visit_cells(session: Session, day: date) -> dict[str, list[DayCell]]:
    """The cells of every per-visit dimension of the day (VISIT_DIMENSIONS), from one read of
    the day's visits, streamed: a page of reports shows several of them, and grouping the
    visits in SQL once per dimension cost each table 200 ms on a day of 27,000 events. Memory
    holds the groups and each group's distinct visitors, not the visits."""
    visits = _visits(day)
    statement = select(
        visits.c.visitor_id,
        visits.c.entry,
        visits.c.exit,
        *(visits.c[column] for column, _ in _VISIT_COLUMNS.values()),
        visits.c.views,
        visits.c.seconds,
    ).execution_options(yield_per=2000)
    groups: dict[str, dict[str | None, _Group]] = {name: {} for name in VISIT_DIMENSIONS}
    empties = [empty for _, empty in _VISIT_COLUMNS.values()]
    for visitor, entry, exit_, *columns, views, seconds in session.execute(statement):
        keys: list[tuple[str, str | None]] = [("total", ""), ("entry", entry), ("exit", exit_)]
        if seconds is not None:
            keys.append(("length", _length_bucket(seconds)))
        keys.extend(
            (name, empty if value is None else value)
            for name, value, empty in zip(_VISIT_COLUMNS, columns, empties, strict=True)
        )
        for name, key in keys:
            group = groups[name].get(key)
            if group is None:
                group = groups[name][key] = _Group()
            if visitor is not None:  # as COUNT(DISTINCT) leaves NULL out
                group.visitors.add(visitor)
            group.visits += 1
            group.views += views
            group.bounces += views == 1
            if seconds is not None:
                group.seconds += seconds
                group.timed += 1
    found = {
        name: [_visit_cell(day, name, key, group) for key, group in by_key.items()]
        for name, by_key in groups.items()
    }
    found["total"] = _with_total_views(session, day, found["total"])
    return found


def _length_bucket(seconds: int) -> str | None:
    return next((label for label, limit in LENGTH_BUCKETS if seconds < limit), None)


def _visit_cell(day: date, dimension: str, value: str | None, group: _Group) -> DayCell:
    visitors = len(group.visitors)
    if dimension in ("entry", "exit"):
        numbers = (visitors, group.visits, 0, group.bounces, 0, 0)
    elif dimension == "length":
        numbers = (visitors, group.visits, 0, 0, group.seconds, group.timed)
    elif dimension == "total":
        numbers = (visitors, group.visits, 0, group.bounces, group.seconds, group.timed)
    else:
        numbers = (
            visitors,
            group.visits,
            group.views,
            group.bounces,
            group.seconds,
            group.timed,
        )
    return _cell(day, dimension, value, numbers)


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
    the clocks go back, twice in one label): the caller then aggregates the events. A caller
    wanting several per-visit dimensions asks `visit_cells` once instead."""
    if dimension in VISIT_DIMENSIONS:
        return visit_cells(session, day)[dimension]
    try:
        if dimension in ("path", "hour"):
            return _view_cells(session, day, dimension)
        if dimension == "pixel":
            return _pixel_cells(session, day)
        return _step_cells(session, day)
    except _Merge:
        return None
