"""One dimension's cells of one day, computed by the database: what a report needs from the
raw events of today (and of a closed day not rolled up yet) at request time.

The same cells as `rollups.aggregate` (tests/analytics/test_rollups.py holds them equal on
generated events, SQLite and PostgreSQL). Pages, hours, steps and the pixel's campaigns are
grouped in SQL over the day's events by the `occurred_at` index, so a request reads a few
hundred groups instead of every event of the day (a busy day has tens of thousands); the
Swedish hour is a CASE over the day's hour boundaries, so no database needs time zone data.
The per-visit dimensions are counted by the rollup's own code from one ordered read of the
day's views and the leave seconds of its visits, once per request for all of them
(`visit_cells`).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, literal, select
from sqlalchemy.orm import Session

from dataskydd.analytics import rollups
from dataskydd.analytics.models import EventKind, PageEvent
from dataskydd.analytics.rollup_models import VALUE_LENGTH
from dataskydd.analytics.rollups import (
    DayCell,
    RawEvent,
    day_bounds,
    pixel_label,
    step_label,
)
from dataskydd.clock import SWEDEN


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


def _views(session: Session, day: date) -> Iterator[RawEvent]:
    """The day's page views of visits, in time order (the occurred_at index), streamed.

    Their visits are counted in Python (rollups.visit_cells, as the rollup counts them), not by
    window functions in SQL: those sorted the day's events twice and took 0.46 s a table for a
    day of 27,000 events on SQLite."""
    start, _ = day_bounds(day)
    statement = (
        select(
            PageEvent.visitor_id,
            PageEvent.visit_id,
            PageEvent.path,
            PageEvent.referrer_site,
            PageEvent.utm_source,
            PageEvent.utm_medium,
            PageEvent.utm_campaign,
            PageEvent.device,
            PageEvent.browser,
        )
        .where(_in_day(day), PageEvent.kind == EventKind.VIEW, PageEvent.visit_id.is_not(None))
        # A visit's views in the order the rollup reads them (time, then id: a visit has one
        # visitor), and the order the (occurred_at, visitor_id) index keeps: no sort.
        .order_by(PageEvent.occurred_at, PageEvent.visitor_id, PageEvent.id)
        .execution_options(yield_per=5000)
    )
    view = EventKind.VIEW.value
    # Core, not the ORM's execute: nothing here is an entity, and its row loading cost more.
    # By partition (yield_per's 5,000 rows): iterating the result row by row cost a fetch
    # call each.
    for rows in session.connection().execute(statement).partitions():
        for visitor, visit, path, site, source, medium, campaign, device, browser in rows:
            # `at`: not read for visits, so not converted for each event (the day's start).
            utm = (source, medium, campaign)
            yield RawEvent(visitor, visit, start, view, path, site, utm, None, device, browser)


def _leave_seconds(session: Session, day: date) -> Iterator[tuple[str, int | None]]:
    """The seconds of the day's leave events summed per visit: only their sum counts, so the
    database adds them up instead of a row per leave being read in order."""
    statement = (
        select(PageEvent.visit_id, func.sum(PageEvent.seconds_on_page))
        .where(_in_day(day), PageEvent.kind == EventKind.LEAVE, PageEvent.visit_id.is_not(None))
        .group_by(PageEvent.visit_id)
        .execution_options(yield_per=5000)
    )
    for rows in session.connection().execute(statement).partitions():
        for visit, seconds in rows:
            if visit is not None:  # the statement's condition, for the type checker
                yield visit, None if seconds is None else int(seconds)


def visit_cells(session: Session, day: date) -> dict[str, list[DayCell]]:
    """The cells of every per-visit dimension of the day (rollups.PER_VISIT), from one read of
    the day's views and their visits' leave seconds: a page of reports shows several of
    them, and grouping the visits in SQL once per dimension cost each table 200 ms on a day
    of 27,000 events."""
    found: dict[str, list[DayCell]] = {name: [] for name in rollups.PER_VISIT}
    cells = rollups.visit_cells(day, _views(session, day), _leave_seconds(session, day))
    for cell in cells:
        found[cell.dimension].append(cell)
    found["total"] = _with_total_views(session, day, found["total"])
    return found


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
    # Core: a busy day has thousands of steps, and the ORM's row loading cost more.
    for previous, path, visitors, views in session.connection().execute(statement):
        label = step_label(str(previous), path)
        if label in cells:
            raise _Merge  # two long steps cut to one label: aggregated by the caller instead
        cells[label] = DayCell(day, "transition", label, int(visitors), 0, int(views))
    return [cells[label] for label in sorted(cells)]


def cells(session: Session, day: date, dimension: str) -> list[DayCell] | None:
    """The day's cells of `dimension`, or None when SQL cannot give them exactly (the hour
    the clocks go back, twice in one label): the caller then aggregates the events. A caller
    wanting several per-visit dimensions asks `visit_cells` once instead."""
    if dimension in rollups.PER_VISIT:
        return visit_cells(session, day)[dimension]
    try:
        if dimension in ("path", "hour"):
            return _view_cells(session, day, dimension)
        if dimension == "pixel":
            return _pixel_cells(session, day)
        return _step_cells(session, day)
    except _Merge:
        return None
