"""The analyst's web analytics: traffic per page over time, busy hours, navigation paths,
visit length and campaign effect. Every figure is built from at least k distinct visitors
(policy.security.k_anonymity) or shown as "< k", with the suppression of reports.py.

Events are read once per report for the chosen date range and grouped here rather than in
SQL, so weekday and hour are Swedish local time on every database.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dataskydd.access import service as access_service
from dataskydd.analytics.models import EventKind, PageEvent, PageTotal
from dataskydd.analytics.reports import Cell, suppress
from dataskydd.analytics.rollups import LENGTH_BUCKETS
from dataskydd.auth.access import AccessContext, Permission
from dataskydd.clock import SWEDEN, today_in_sweden
from dataskydd.errors import InvalidInput
from dataskydd.messages_i18n import Msg
from dataskydd.policy.schema import Policy

MAX_DAYS = 400
DEFAULT_DAYS = 90
TOP = 15
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class DateRange:
    start: date
    end: date  # inclusive

    @classmethod
    def of(cls, start: date | None, end: date | None, *, today: date | None = None) -> DateRange:
        end = end or today or today_in_sweden()
        start = start or end - timedelta(days=DEFAULT_DAYS - 1)
        if start > end:
            raise InvalidInput("from", Msg("must not be after the end of the range"))
        if (end - start).days >= MAX_DAYS:
            raise InvalidInput(
                "from", Msg("the range may be at most {MAX_DAYS} days", MAX_DAYS=MAX_DAYS)
            )
        return cls(start, end)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def bounds(self) -> tuple[datetime, datetime]:
        return (
            datetime.combine(self.start, time(), SWEDEN),
            datetime.combine(self.end + timedelta(days=1), time(), SWEDEN),
        )


@dataclass(frozen=True)
class Event:
    visitor: str
    visit: str | None
    at: datetime  # Swedish local time
    kind: str
    path: str
    previous: str | None
    seconds: int | None
    campaign: tuple[str | None, str | None, str | None]


@dataclass(frozen=True)
class Traffic:
    periods: list[str]
    granularity: str
    # (page, one cell per period), pages with the most visitors first
    pages: list[tuple[str, list[Cell]]]
    totals: list[Cell]  # visitors per page over the whole range
    anonymous_views: list[tuple[str, int]]  # PageTotal: views with or without consent

    @property
    def series(self) -> list[tuple[str, list[int | None]]]:
        return [(path, [cell.subjects for cell in cells]) for path, cells in self.pages]


@dataclass(frozen=True)
class Times:
    page: str | None
    pages: list[str]
    grid: list[list[int | None]]  # weekday × hour, distinct visitors; None = suppressed


@dataclass(frozen=True)
class Ranked:
    shown: list[Cell]
    hidden: int  # further rows with fewer than k visitors


@dataclass(frozen=True)
class Paths:
    transitions: Ranked
    entries: Ranked
    exits: Ranked


@dataclass(frozen=True)
class Campaign:
    label: str
    visitors: int | None
    visits: int | None = None
    pages_per_visit: float | None = None
    median_seconds: int | None = None

    @property
    def cell(self) -> Cell:
        return Cell(self.label, self.visitors)


@dataclass(frozen=True)
class WebReport:
    k: int
    range: DateRange
    events: int
    traffic: Traffic | None = None
    times: Times | None = None
    paths: Paths | None = None
    visit_lengths: list[Cell] = field(default_factory=list)
    campaigns: list[Campaign] = field(default_factory=list)


def _events(session: Session, period: DateRange) -> list[Event]:
    start, end = period.bounds()
    statement = (
        select(
            PageEvent.visitor_id,
            PageEvent.visit_id,
            PageEvent.occurred_at,
            PageEvent.kind,
            PageEvent.path,
            PageEvent.referrer_path,
            PageEvent.seconds_on_page,
            PageEvent.utm_source,
            PageEvent.utm_medium,
            PageEvent.utm_campaign,
        )
        .where(PageEvent.occurred_at >= start, PageEvent.occurred_at < end)
        .order_by(PageEvent.occurred_at, PageEvent.id)
        .execution_options(yield_per=5000)
    )
    return [
        Event(r[0], r[1], r[2].astimezone(SWEDEN), r[3], r[4], r[5], r[6], (r[7], r[8], r[9]))
        for r in session.execute(statement)
    ]


def _distinct(groups: dict[Any, set[str]]) -> list[tuple[Any, int]]:
    return [(key, len(visitors)) for key, visitors in groups.items()]


def _ranked(groups: dict[Any, set[str]], k: int) -> Ranked:
    counts = sorted(_distinct(groups), key=lambda item: (-item[1], str(item[0])))
    cells = suppress(counts, k)
    shown = [c for c in cells if not c.suppressed][:TOP]
    return Ranked(shown, sum(1 for c in cells if c.suppressed))


def _period_of(day: date, granularity: str) -> str:
    if granularity == "day":
        return day.isoformat()
    if granularity == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{day.year}-{day.month:02d}"


def _periods(period: DateRange, granularity: str) -> list[str]:
    seen: dict[str, None] = {}
    for offset in range(period.days):
        seen[_period_of(period.start + timedelta(days=offset), granularity)] = None
    return list(seen)


def traffic(session: Session, events: list[Event], period: DateRange, k: int) -> Traffic:
    granularity = "day" if period.days <= 31 else "week" if period.days <= 183 else "month"
    periods = _periods(period, granularity)
    per_page: dict[str, set[str]] = defaultdict(set)
    per_cell: dict[tuple[str, str], set[str]] = defaultdict(set)
    for e in events:
        if e.kind == EventKind.VIEW:
            per_page[e.path].add(e.visitor)
            per_cell[(e.path, _period_of(e.at.date(), granularity))].add(e.visitor)
    ranked = sorted(_distinct(per_page), key=lambda item: (-item[1], item[0]))
    totals = suppress(ranked, k)
    top_pages = [c.label for c in totals if not c.suppressed][:6]
    pages = [
        (path, suppress([(p, len(per_cell.get((path, p), ()))) for p in periods], k))
        for path in top_pages
    ]
    statement = (
        select(PageTotal.path, func.sum(PageTotal.count))
        .where(PageTotal.day >= period.start, PageTotal.day <= period.end)
        .group_by(PageTotal.path)
        .order_by(func.sum(PageTotal.count).desc(), PageTotal.path)
        .limit(30)
    )
    anonymous = [(path, int(n)) for path, n in session.execute(statement)]
    return Traffic(periods, granularity, pages, totals[:30], anonymous)


def times(events: list[Event], k: int, page: str | None) -> Times:
    grid_sets: list[list[set[str]]] = [[set() for _ in range(24)] for _ in range(7)]
    pages: set[str] = set()
    for e in events:
        if e.kind != EventKind.VIEW:
            continue
        pages.add(e.path)
        if page is None or e.path == page:
            grid_sets[e.at.weekday()][e.at.hour].add(e.visitor)
    grid = [
        [cell.subjects for cell in suppress([(h, len(s)) for h, s in enumerate(row)], k)]
        for row in grid_sets
    ]
    return Times(page, sorted(pages), grid)


def _visits(events: Iterable[Event]) -> dict[str, list[Event]]:
    visits: dict[str, list[Event]] = defaultdict(list)
    for e in events:
        if e.visit:
            visits[e.visit].append(e)
    return visits


def paths(events: list[Event], k: int) -> Paths:
    transitions: dict[str, set[str]] = defaultdict(set)
    entries: dict[str, set[str]] = defaultdict(set)
    exits: dict[str, set[str]] = defaultdict(set)
    for e in events:
        if e.kind == EventKind.VIEW and e.previous and e.previous != e.path:
            transitions[f"{e.previous} → {e.path}"].add(e.visitor)
    for visit in _visits(events).values():
        views = [e for e in visit if e.kind == EventKind.VIEW]
        if views:
            entries[views[0].path].add(views[0].visitor)
            exits[views[-1].path].add(views[-1].visitor)
    return Paths(_ranked(transitions, k), _ranked(entries, k), _ranked(exits, k))


def visit_lengths(events: list[Event], k: int) -> list[Cell]:
    """Visits per length bucket (seconds on pages summed over the visit), shown only when the
    bucket's visits come from at least k visitors."""
    visits: dict[str, set[str]] = {label: set() for label, _ in LENGTH_BUCKETS}
    visitors: dict[str, set[str]] = {label: set() for label, _ in LENGTH_BUCKETS}
    for visit_id, visit in _visits(events).items():
        seconds = sum(e.seconds or 0 for e in visit if e.kind == EventKind.LEAVE)
        if not any(e.kind == EventKind.LEAVE for e in visit):
            continue
        label = next(label for label, limit in LENGTH_BUCKETS if seconds < limit)
        visits[label].add(visit_id)
        visitors[label].add(visit[0].visitor)
    decided = suppress(_distinct(visitors), k)
    return [Cell(c.label, None if c.suppressed else len(visits[c.label])) for c in decided]


def campaigns(events: list[Event], k: int) -> list[Campaign]:
    """Visitors who arrived through a pixel-tracked campaign, and what their visits did."""
    by_visit = _visits(events)
    groups: dict[str, set[str]] = defaultdict(set)
    visits: dict[str, set[str]] = defaultdict(set)
    for e in events:
        if e.kind == EventKind.PIXEL and any(e.campaign):
            label = " / ".join(
                part or "–" for part in (e.campaign[2], e.campaign[0], e.campaign[1])
            )
            groups[label].add(e.visitor)
            if e.visit:
                visits[label].add(e.visit)
    result = []
    ranked = sorted(_distinct(groups), key=lambda item: (-item[1], item[0]))
    for cell in suppress(ranked, k):
        if cell.suppressed:
            result.append(Campaign(cell.label, None))
            continue
        tracked = [by_visit[v] for v in visits[cell.label] if v in by_visit]
        views = [sum(1 for e in v if e.kind == EventKind.VIEW) for v in tracked]
        seconds = [sum(e.seconds or 0 for e in v if e.kind == EventKind.LEAVE) for v in tracked]
        result.append(
            Campaign(
                cell.label,
                cell.subjects,
                visits=len(visits[cell.label]),
                pages_per_visit=round(sum(views) / len(views), 1) if views else None,
                median_seconds=int(statistics.median(seconds)) if seconds else None,
            )
        )
    return result


REPORTS = ("traffic", "times", "paths", "visits", "campaigns")


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


def build_web_report(
    session: Session,
    ctx: AccessContext,
    *,
    policy: Policy,
    report: str,
    start: date | None = None,
    end: date | None = None,
    page: str | None = None,
    today: date | None = None,
) -> WebReport:
    ctx.require(Permission.STATISTICS_READ)
    if report not in REPORTS:
        raise InvalidInput("report", Msg("must be one of {values}", values=", ".join(REPORTS)))
    period = DateRange.of(start, end, today=today)
    k = decide_read(session, policy, ctx, what=report, start=period.start, end=period.end)
    events = _events(session, period)
    parts: dict[str, Any] = {}
    if report == "traffic":
        parts["traffic"] = traffic(session, events, period, k)
    elif report == "times":
        parts["times"] = times(events, k, page)
    elif report == "paths":
        parts["paths"] = paths(events, k)
    elif report == "visits":
        parts["visit_lengths"] = visit_lengths(events, k)
    else:
        parts["campaigns"] = campaigns(events, k)
    return WebReport(k=k, range=period, events=len(events), **parts)
