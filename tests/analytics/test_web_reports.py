"""The analyst's detailed web analytics: k-anonymous cells (a figure is shown when one day of
it had k visitors), paths, visit lengths, campaigns - read from the rollups for closed days and
from the events for the rest, the same figures either way."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, insert
from sqlalchemy.orm import Session

from dataskydd.analytics import rollups, web_reports
from dataskydd.analytics.models import PageEvent
from dataskydd.auth.access import staff_context
from dataskydd.errors import Forbidden, InvalidInput
from dataskydd.policy.loader import load_bundled_policy

POLICY = load_bundled_policy()
K = POLICY.security.k_anonymity
TODAY = date(2026, 11, 24)
# Tuesday 2026-11-17 10:00 UTC = 11:00 in Sweden
AT = datetime(2026, 11, 17, 10, 0, tzinfo=UTC)
ANALYST = staff_context(policy=load_bundled_policy(), username="alex", role="analyst", user_id=1)


def visit(
    number: int, pages: list[str], *, seconds: int = 20, campaign: str | None = None
) -> list[dict[str, Any]]:
    visitor, visit_id = f"{number:032x}", f"{number + 10_000:032x}"
    rows: list[dict[str, Any]] = []
    previous = None
    at = AT
    for index, path in enumerate(pages):
        common = {"visitor_id": visitor, "visit_id": visit_id, "path": path, "device": "desktop"}
        rows.append({**common, "kind": "view", "occurred_at": at, "referrer_path": previous})
        rows.append({**common, "kind": "leave", "occurred_at": at, "seconds_on_page": seconds})
        if index == 0 and campaign:
            rows.append(
                {
                    **common,
                    "kind": "pixel",
                    "occurred_at": at,
                    "utm_campaign": campaign,
                    "utm_source": "nyhetsbrev",
                }
            )
        previous = path
        at += timedelta(seconds=seconds)
    return rows


def add(session: Session, rows: list[dict[str, Any]]) -> None:
    session.execute(insert(PageEvent), rows)
    session.flush()


def build(session: Session, report: str, **extra: Any) -> web_reports.WebReport:
    return web_reports.build_web_report(
        session, ANALYST, policy=POLICY, report=report, today=TODAY, **extra
    )


class TestKAnonymity:
    def test_k_visitors_are_shown_and_k_minus_one_are_suppressed(self, session: Session) -> None:
        rows: list[dict[str, Any]] = []
        for n in range(K):
            rows += visit(n, ["/start", "/bredband"])
        for n in range(K, 2 * K - 1):
            rows += visit(n, ["/start", "/tv"])
        add(session, rows)
        report = build(session, "traffic")
        assert report.traffic is not None
        totals = {c.label: c.subjects for c in report.traffic.totals}
        assert totals == {"/start": 2 * K - 1, "/bredband": K}
        assert report.traffic.hidden == 1  # /tv
        paths = build(session, "paths").paths
        assert paths is not None
        assert [c.label for c in paths.transitions.shown] == ["/start → /bredband"]
        assert paths.transitions.hidden == 1
        assert [(c.label, c.subjects) for c in paths.entries.shown] == [("/start", 2 * K - 1)]
        exits = {c.label: c.subjects for c in paths.exits.shown}
        assert exits == {"/bredband": K}
        assert paths.exits.hidden == 1

    def test_one_visitor_many_visits_is_still_one_visitor(self, session: Session) -> None:
        rows = []
        for n in range(K + 5):
            rows += [dict(r, visit_id=f"{n:032x}") for r in visit(1, ["/start"])]
        add(session, rows)
        report = build(session, "times")
        assert report.times is not None
        assert all(cell is None for row in report.times.grid for cell in row)
        traffic = build(session, "traffic").traffic
        assert traffic is not None
        assert (traffic.totals, traffic.hidden) == ([], 1)

    def test_busy_times_are_in_swedish_time(self, session: Session) -> None:
        rows: list[dict[str, Any]] = []
        for n in range(K):
            rows += visit(n, ["/start"])
        add(session, rows)
        times = build(session, "times").times
        assert times is not None
        assert times.grid[1][11] == K  # Tuesday, 11:00 Swedish time
        assert sum(v or 0 for row in times.grid for v in row) == K


class TestVisitsAndCampaigns:
    def test_visit_length_counts_visits_from_enough_visitors(self, session: Session) -> None:
        rows: list[dict[str, Any]] = []
        for n in range(K):
            rows += visit(n, ["/a", "/b", "/c"], seconds=30)  # 90 s
        rows += visit(99, ["/a"], seconds=5)
        add(session, rows)
        cells = {c.label: c.subjects for c in build(session, "visits").visit_lengths}
        assert cells["1–3 min"] == K
        assert cells["under 10 s"] is None

    def test_campaign_effect(self, session: Session) -> None:
        rows: list[dict[str, Any]] = []
        for n in range(K):
            rows += visit(n, ["/erbjudande", "/bredband"], seconds=40, campaign="vinter")
        add(session, rows)
        (campaign,) = build(session, "campaigns").campaigns
        assert campaign.label == "vinter / nyhetsbrev / –"
        assert (campaign.visitors, campaign.visits, campaign.views) == (K, K, K)


class TestRules:
    def test_needs_the_statistics_permission(self, session: Session) -> None:
        agent = staff_context(
            policy=load_bundled_policy(), username="kim", role="customer_service", user_id=2
        )
        with pytest.raises(Forbidden):
            web_reports.build_web_report(session, agent, policy=POLICY, report="traffic")

    @pytest.mark.parametrize(
        ("start", "end", "field"),
        [
            (date(2026, 5, 2), date(2026, 5, 1), "from"),
            (date(2024, 1, 1), TODAY, "from"),
            (TODAY, TODAY + timedelta(days=1), "to"),
        ],
    )
    def test_date_range_is_checked(self, start: date, end: date, field: str) -> None:
        """The overview's rules for a custom range (web_stats.period), named by field."""
        with pytest.raises(InvalidInput) as refused:
            web_reports.detail_range(start, end, today=TODAY)
        assert refused.value.field == field

    def test_without_a_range_the_last_ninety_days(self) -> None:
        chosen = web_reports.detail_range(None, None, today=TODAY)
        assert (chosen.start, chosen.end, chosen.days) == (TODAY - timedelta(days=89), TODAY, 90)
        ending = web_reports.detail_range(None, date(2026, 5, 1), today=TODAY)
        assert (ending.start, ending.end) == (date(2026, 2, 1), date(2026, 5, 1))

    def test_rolled_up_days_give_the_same_figures_as_their_events(self, session: Session) -> None:
        rows: list[dict[str, Any]] = []
        for n in range(K):
            rows += visit(n, ["/start", "/bredband"], seconds=30)
        for n in range(K, K + 2):
            rows += visit(n, ["/start", "/tv"], campaign="vinter")
        add(session, rows)
        before = {name: build(session, name) for name in web_reports.REPORTS}
        day = AT.date()
        assert rollups.roll_up_day(session, day) > 0
        session.flush()
        # The day's events could go now (retention): the reports read the rollup.
        session.execute(delete(PageEvent))
        after = {name: build(session, name) for name in web_reports.REPORTS}
        for name in web_reports.REPORTS:
            assert after[name].traffic == before[name].traffic, name
            assert after[name].times == before[name].times, name
            assert after[name].paths == before[name].paths, name
            assert after[name].visit_lengths == before[name].visit_lengths, name
            assert after[name].campaigns == before[name].campaigns, name
        assert before["traffic"].events == after["traffic"].events == len(rows)

    def test_a_long_range_is_cut_into_weeks_with_their_own_figures(self, session: Session) -> None:
        rows: list[dict[str, Any]] = []
        for n in range(K):
            rows += visit(n, ["/start"])
            rows += [
                dict(r, occurred_at=r["occurred_at"] - timedelta(days=14))
                for r in visit(n, ["/start"])
            ]
        add(session, rows)
        traffic = build(session, "traffic", start=date(2026, 9, 1)).traffic
        assert traffic is not None
        assert traffic.granularity == "week"
        ((path, cells),) = traffic.pages
        assert path == "/start"
        by_week = {cell.label: cell.subjects for cell in cells if cell.subjects}
        assert by_week == {"2026-W45": K, "2026-W47": K}  # 3 and 17 November
        assert [(c.label, c.subjects) for c in traffic.totals] == [("/start", 2 * K)]

    def test_granularity_follows_the_range(self, session: Session) -> None:
        short = build(session, "traffic", start=date(2026, 11, 1)).traffic
        long = build(session, "traffic", start=date(2026, 1, 1)).traffic
        assert short is not None
        assert short.granularity == "day"
        assert len(short.periods) == 24
        assert long is not None
        assert long.granularity == "month"
        assert long.periods[0] == "2026-01"
