"""The analyst's detailed web analytics: visitor-days per page over time, busy hours,
navigation paths, visit length and the tracking pixel's campaigns.

Read as the overview is (web_stats): closed days from their daily rollups, today (and a
closed day not rolled up yet) from its events grouped by the database. So a report costs
days × values, not events, and holds no event in memory, however long the range and however
busy the site. The same k-anonymity rule as the overview: a figure is shown only when some
single day of it had at least k distinct visitors (policy.security.k_anonymity), else "< k"
(docs/web-analytics.md, "Visitors, and k-anonymity").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dataskydd.analytics import rollups, web_stats
from dataskydd.analytics.models import PageEvent, PageTotal
from dataskydd.analytics.reports import Cell
from dataskydd.analytics.rollup_models import WebRollupDay
from dataskydd.analytics.web_stats import Counts, Period, Store
from dataskydd.auth.access import AccessContext, Permission
from dataskydd.clock import today_in_sweden
from dataskydd.errors import InvalidInput
from dataskydd.messages_i18n import Msg
from dataskydd.policy.schema import Policy

DEFAULT_DAYS = 90
TOP = 15
WEEKDAYS = web_stats.WEEKDAYS


def detail_range(start: date | None, end: date | None, *, today: date | None = None) -> Period:
    """The detailed pages' range: `start`..`end` (Swedish dates), checked as the overview's
    custom range is (web_stats.period); without them the DEFAULT_DAYS up to today, or up to
    `end`."""
    today = today or today_in_sweden()
    start = start or (end or today) - timedelta(days=DEFAULT_DAYS - 1)
    return web_stats.period(None, start, end, today=today)


@dataclass(frozen=True)
class Traffic:
    periods: list[str]
    granularity: str
    # (page, one cell per period), pages with the most visitors first
    pages: list[tuple[str, list[Cell]]]
    totals: list[Cell]  # visitor-days per page over the whole range, most first (30)
    hidden: int  # pages not shown: no day with k visitors
    anonymous_views: list[tuple[str, int]]  # PageTotal: views with or without consent

    @property
    def series(self) -> list[tuple[str, list[int | None]]]:
        return [(path, [cell.subjects for cell in cells]) for path, cells in self.pages]


@dataclass(frozen=True)
class Times:
    grid: list[list[int | None]]  # weekday × hour, visitor-days; None = suppressed


@dataclass(frozen=True)
class Ranked:
    shown: list[Cell]
    hidden: int  # further rows, suppressed (no day with k visitors)


@dataclass(frozen=True)
class Paths:
    transitions: Ranked
    entries: Ranked
    exits: Ranked


@dataclass(frozen=True)
class Campaign:
    label: str
    visitors: int | None  # visitor-days; None: suppressed
    visits: int | None = None
    views: int | None = None  # times the pixel was loaded

    @property
    def cell(self) -> Cell:
        return Cell(self.label, self.visitors)


@dataclass(frozen=True)
class WebReport:
    k: int
    range: Period
    events: int
    traffic: Traffic | None = None
    times: Times | None = None
    paths: Paths | None = None
    visit_lengths: list[Cell] = field(default_factory=list)
    campaigns: list[Campaign] = field(default_factory=list)


def _period_of(day: date, granularity: str) -> str:
    if granularity == "day":
        return day.isoformat()
    if granularity == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{day.year}-{day.month:02d}"


def _parts(period: Period, granularity: str) -> list[tuple[str, Period]]:
    """The range cut into its days, ISO weeks or months (the first and last cut to the
    range), each with its label."""
    parts: dict[str, Period] = {}
    for offset in range(period.days):
        day = period.start + timedelta(days=offset)
        label = _period_of(day, granularity)
        first = parts[label].start if label in parts else day
        parts[label] = Period(first, day)
    return list(parts.items())


def _top(store: Store, dimension: str, period: Period, k: int) -> Ranked:
    shown, hidden = store.ranked(dimension, period, k, TOP)
    return Ranked([row.cell for row in shown], hidden)


def traffic(session: Session, store: Store, period: Period, k: int) -> Traffic:
    granularity = "day" if period.days <= 31 else "week" if period.days <= 183 else "month"
    parts = _parts(period, granularity)
    shown, hidden = store.ranked("path", period, k, 30)
    totals = [row.cell for row in shown]
    top_pages = [cell.label for cell in totals][:6]
    pages: list[tuple[str, list[Cell]]] = [(path, []) for path in top_pages]
    if top_pages:
        for label, part in parts:
            sums = store.sums("path", part)
            for path, cells in pages:
                cells.append(Cell(label, sums.get(path, Counts()).row(label, k).visitor_days))
    statement = (
        select(PageTotal.path, func.sum(PageTotal.count))
        .where(PageTotal.day >= period.start, PageTotal.day <= period.end)
        .group_by(PageTotal.path)
        .order_by(func.sum(PageTotal.count).desc(), PageTotal.path)
        .limit(30)
    )
    anonymous = [(path, int(n)) for path, n in session.execute(statement)]
    return Traffic([label for label, _ in parts], granularity, pages, totals, hidden, anonymous)


REPORTS = ("traffic", "times", "paths", "visits", "campaigns")


def _events(session: Session, store: Store, period: Period) -> int:
    """The events the range held: as counted when each closed day was rolled up, and
    counted now for the days that are not (today's, by the occurred_at index)."""
    rolled = session.scalar(
        select(func.coalesce(func.sum(WebRollupDay.events), 0)).where(
            WebRollupDay.day >= period.start, WebRollupDay.day <= period.end
        )
    )
    total = int(rolled or 0)
    for day in store.raw_days(period):
        start, end = rollups.day_bounds(day)
        total += (
            session.scalar(
                select(func.count()).where(
                    PageEvent.occurred_at >= start, PageEvent.occurred_at < end
                )
            )
            or 0
        )
    return total


def build_web_report(
    session: Session,
    ctx: AccessContext,
    *,
    policy: Policy,
    report: str,
    start: date | None = None,
    end: date | None = None,
    today: date | None = None,
) -> WebReport:
    ctx.require(Permission.STATISTICS_READ)
    if report not in REPORTS:
        raise InvalidInput("report", Msg("must be one of {values}", values=", ".join(REPORTS)))
    period = detail_range(start, end, today=today)
    reports = web_stats.open_reports(session, policy, ctx, period, what=report, today=today)
    store, k = reports.store, reports.k
    parts: dict[str, Any] = {}
    if report == "traffic":
        parts["traffic"] = traffic(session, store, period, k)
    elif report == "times":
        parts["times"] = Times(reports.weekday_hours().values)
    elif report == "paths":
        parts["paths"] = Paths(
            _top(store, "transition", period, k),
            _top(store, "entry", period, k),
            _top(store, "exit", period, k),
        )
    elif report == "visits":
        lengths = store.sums("length", period)
        parts["visit_lengths"] = [
            Cell(label, lengths.get(label, Counts()).row(label, k).visits)
            for label, _ in rollups.LENGTH_BUCKETS
        ]
    else:
        shown, _hidden = store.ranked("pixel", period, k, TOP)
        parts["campaigns"] = [
            Campaign(row.label, row.visitor_days, row.visits, row.views) for row in shown
        ]
    return WebReport(k=k, range=period, events=_events(session, store, period), **parts)
