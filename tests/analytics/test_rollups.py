"""Daily rollups: the same counts as the raw events, idempotent, no identifier; and the report
interface on top of them (web_stats): k-anonymity, presets, exports."""

from __future__ import annotations

import csv
import io
import random
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session, sessionmaker

from dataskydd.analytics import day_sql, rollups, web_stats
from dataskydd.analytics.models import PageEvent
from dataskydd.analytics.rollup_models import WebRollup, WebRollupDay
from dataskydd.auth.access import staff_context
from dataskydd.clock import SWEDEN
from dataskydd.errors import AccessRefused, InvalidInput
from tests.policy_keys import ANALYST, COMPANY, CUSTOMER_SERVICE

POLICY = COMPANY
K = POLICY.security.k_anonymity
TODAY = date(2026, 11, 24)
CALLER = staff_context(policy=POLICY, username="alex", role=ANALYST, user_id=1)
PATHS = ("/", "/bredband", "/tv", "/kundservice", "/om-oss")
SITES = (None, "google.se", "facebook.com")
UTM = ((None, None, None), ("nyhetsbrev", "email", "vinter"), ("google", "cpc", "fiber"))


def generated(seed: int, days: list[date], visitors: int = 40) -> list[dict[str, Any]]:
    """Visits of `visitors` visitors over `days`, with views, leaves and pixels."""
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    for n in range(visitors * len(days)):
        visitor = f"{rng.randrange(visitors):032x}"
        day = rng.choice(days)
        local = datetime(day.year, day.month, day.day, rng.randrange(24), rng.randrange(50), 0)
        at = local.replace(tzinfo=SWEDEN).astimezone(UTC)
        visit_id = f"{n:032x}"
        site, utm = rng.choice(SITES), rng.choice(UTM)
        device, browser = rng.choice((("desktop", "firefox"), ("mobile", "safari")))
        previous = None
        for index in range(rng.randint(1, 4)):
            path = rng.choice(PATHS)
            common = {
                "visitor_id": visitor,
                "visit_id": visit_id,
                "path": path,
                "device": device,
                "browser": browser,
            }
            first = {"referrer_site": site} if index == 0 else {}
            if index == 0:
                first.update(zip(("utm_source", "utm_medium", "utm_campaign"), utm, strict=True))
            rows.append(
                {**common, **first, "kind": "view", "occurred_at": at, "referrer_path": previous}
            )
            if index == 0 and utm[0] and rng.random() < 0.5:
                rows.append(
                    {
                        **common,
                        "kind": "pixel",
                        "occurred_at": at,
                        "utm_source": utm[0],
                        "utm_medium": utm[1],
                        "utm_campaign": utm[2],
                    }
                )
            seconds = rng.randint(1, 400)
            if rng.random() < 0.8:
                rows.append(
                    {
                        **common,
                        "kind": "leave",
                        "occurred_at": at + timedelta(seconds=seconds),
                        "seconds_on_page": seconds,
                    }
                )
            previous = path
            at += timedelta(seconds=seconds + 1)
    return rows


def add(session: Session, rows: list[dict[str, Any]]) -> None:
    session.execute(insert(PageEvent), rows)
    session.flush()


def stored(session: Session, day: date) -> dict[tuple[str, str], tuple[int, ...]]:
    rows = session.scalars(select(WebRollup).where(WebRollup.day == day)).all()
    return {
        (r.dimension, r.value): (
            r.visitors,
            r.visits,
            r.views,
            r.bounces,
            r.seconds,
            r.timed_visits,
        )
        for r in rows
    }


def naive(rows: list[dict[str, Any]], day: date) -> dict[tuple[str, str], tuple[int, int]]:
    """Distinct visitors and views per path, hour and total for one Swedish day, counted the
    plain way, independently of rollups.aggregate."""
    visitors: dict[tuple[str, str], set[str]] = defaultdict(set)
    views: dict[tuple[str, str], int] = defaultdict(int)
    for r in rows:
        local = r["occurred_at"].astimezone(SWEDEN)
        if r["kind"] != "view" or local.date() != day:
            continue
        for key in (("total", ""), ("path", r["path"]), ("hour", f"{local.hour:02d}")):
            visitors[key].add(r["visitor_id"])
            views[key] += 1
    return {key: (len(v), views[key]) for key, v in visitors.items()}


DAYS = [date(2026, 10, 24), date(2026, 10, 25), date(2026, 10, 26)]  # over the clock change


class TestRollups:
    @pytest.mark.parametrize("seed", [1, 2, 3])
    def test_rolled_counts_equal_the_raw_events(self, session: Session, seed: int) -> None:
        rows = generated(seed, DAYS)
        add(session, rows)
        for day in DAYS:
            rollups.roll_up_day(session, day)
            cells = stored(session, day)
            expected = naive(rows, day)
            got = {
                key: (value[0], value[2])
                for key, value in cells.items()
                if key[0] in ("total", "path", "hour")
            }
            assert got == expected
            total = cells[("total", "")]
            entries = sum(v[1] for key, v in cells.items() if key[0] == "entry")
            per_referrer = sum(v[1] for key, v in cells.items() if key[0] == "referrer")
            assert entries == per_referrer == total[1]  # every visit has one entry, one source

    @pytest.mark.parametrize("seed", [1, 2, 3])
    def test_the_databases_grouping_equals_the_rollup(self, session: Session, seed: int) -> None:
        """day_sql (today's cells at request time) gives what rollups.aggregate gives."""
        add(session, generated(seed, DAYS))
        for day in DAYS:
            expected = rollups.cells_from_raw(session, day)
            for dimension in rollups.DIMENSIONS:
                got = day_sql.cells(session, day, dimension)
                if got is None:  # the hour the clocks go back: aggregated instead
                    assert dimension == "hour"
                    assert day == DAYS[1]
                    continue
                want = [c for c in expected if c.dimension == dimension]
                assert sorted(got, key=str) == sorted(want, key=str), (day, dimension)

    @pytest.mark.parametrize("seed", [4, 5])
    def test_reports_are_the_same_rolled_or_from_raw(self, session: Session, seed: int) -> None:
        add(session, generated(seed, DAYS, visitors=25))
        chosen = web_stats.Period(DAYS[0], DAYS[-1])
        raw = web_stats.open_reports(session, POLICY, CALLER, chosen, what="t", today=TODAY)
        before = {key: raw.table(key) for key in web_stats.TABLES}
        summary = raw.summary()
        for day in DAYS:
            rollups.roll_up_day(session, day)
        rolled = web_stats.open_reports(session, POLICY, CALLER, chosen, what="t", today=TODAY)
        assert {key: rolled.table(key) for key in web_stats.TABLES} == before
        assert rolled.summary() == summary
        assert rolled.weekday_hours() == raw.weekday_hours()

    def test_rolling_again_replaces_the_day(self, session: Session) -> None:
        add(session, generated(7, DAYS[:1]))
        rollups.roll_up_day(session, DAYS[0])
        first = stored(session, DAYS[0])
        rollups.roll_up_day(session, DAYS[0])
        assert stored(session, DAYS[0]) == first
        days = session.scalars(select(WebRollupDay).where(WebRollupDay.day == DAYS[0])).all()
        assert len(days) == 1
        assert days[0].events > 0

    def test_a_day_whose_events_are_gone_keeps_its_rollup(self, session: Session) -> None:
        add(session, generated(6, DAYS[:1]))
        rollups.roll_up_day(session, DAYS[0])
        first = stored(session, DAYS[0])
        session.execute(delete(PageEvent))  # retention removed the raw events
        assert rollups.roll_up_day(session, DAYS[0]) == 0
        assert stored(session, DAYS[0]) == first

    def test_rollups_hold_no_identifier(self, session: Session) -> None:
        rows = generated(8, DAYS[:1])
        add(session, rows)
        rollups.roll_up_day(session, DAYS[0])
        ids = {r["visitor_id"] for r in rows} | {r["visit_id"] for r in rows}
        values = set(session.scalars(select(WebRollup.value)))
        assert values
        assert not values & ids
        assert {c.name for c in WebRollup.__table__.columns}.isdisjoint(
            {"visitor_id", "visit_id", "ip_network"}
        )

    def test_the_job_rolls_closed_days_once_in_batches(self, session: Session) -> None:
        add(session, generated(9, [*DAYS, TODAY]))
        factory = sessionmaker(bind=session.connection(), join_transaction_mode="create_savepoint")
        first = rollups.roll_up_closed_days(factory, TODAY, limit=2)
        assert first == DAYS[:2]
        rest = rollups.roll_up_closed_days(factory, TODAY, limit=2)
        assert rest == [DAYS[2], DAYS[2] + timedelta(days=1)]
        while rollups.roll_up_closed_days(factory, TODAY, limit=10):
            pass
        rolled = rollups.rolled_days(session, DAYS[0], TODAY)
        assert rolled == {DAYS[0] + timedelta(days=n) for n in range((TODAY - DAYS[0]).days)}
        assert rollups.days_to_roll(session, TODAY) == []
        before = stored(session, DAYS[0])
        rollups.roll_up_closed_days(factory, TODAY)  # a rolled day is not rolled again
        assert stored(session, DAYS[0]) == before


def one_day_visits(n: int, start: int, path: str, day: date) -> list[dict[str, Any]]:
    at = datetime(day.year, day.month, day.day, 10, 0, tzinfo=UTC)
    return [
        {
            "visitor_id": f"{start + i:032x}",
            "visit_id": f"{start + i + 5000:032x}",
            "kind": "view",
            "occurred_at": at,
            "path": path,
            "device": "desktop",
            "referrer_site": "google.se",
        }
        for i in range(n)
    ]


class TestKAnonymity:
    def test_every_table_shows_k_and_hides_fewer(self, session: Session) -> None:
        day = DAYS[0]
        add(session, one_day_visits(K, 0, "/many", day) + one_day_visits(K - 1, 100, "/few", day))
        rollups.roll_up_day(session, day)
        reports = web_stats.open_reports(
            session, POLICY, CALLER, web_stats.Period(day, day), what="t", today=TODAY
        )
        pages = reports.table("pages")
        assert [(r.label, r.visitor_days) for r in pages.rows] == [("/many", K)]
        assert pages.hidden == 1
        for key in web_stats.TABLES:
            table = reports.table(key)
            for row in table.rows:
                assert row.suppressed or (row.visitor_days or 0) >= K, (key, row)
                if row.suppressed:
                    assert all(getattr(row, f) is None for f in table.figures)

    @pytest.mark.parametrize(("seed", "in_list"), [(6, 30_000), (7, 30_000), (7, 3)])
    def test_ranked_rows_are_the_ranking_of_every_value(
        self, session: Session, seed: int, in_list: int, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Store.ranked asks the database only for the values some day shows, plus today's:
        the same rows and the same hidden count as ranking every value of `sums`; also when
        today's values take several statements (`in_list` values each)."""
        monkeypatch.setattr(web_stats, "_IN_LIST", in_list)
        closed = DAYS[-1]
        rows = generated(seed, DAYS, visitors=25) + generated(seed + 10, [TODAY], visitors=25)
        rows += one_day_visits(K - 1, 900, "/grows-today", closed)  # hidden until today
        rows += one_day_visits(K, 950, "/grows-today", TODAY)
        rows += one_day_visits(K - 1, 990, "/never", closed)
        rows += one_day_visits(K, 1100, "/only-today", TODAY)
        # Hidden on both sides: one of the hidden values, not two.
        rows += one_day_visits(K - 1, 1200, "/hidden-twice", closed)
        rows += one_day_visits(K - 1, 1300, "/hidden-twice", TODAY)
        add(session, rows)
        for day in DAYS:
            rollups.roll_up_day(session, day)
        store = web_stats.Store(session, TODAY)
        chosen = web_stats.Period(DAYS[0], TODAY)
        for spec in web_stats.TABLES.values():
            if not spec.ranked:
                continue
            every = [c.row(value, K) for value, c in store.sums(spec.dimension, chosen).items()]
            visible = sorted(
                (r for r in every if not r.suppressed),
                key=lambda r: (-(r.visitor_days or 0), r.label),
            )
            for top in (3, 100):
                expected = (visible[:top], len(every) - len(visible))
                assert store.ranked(spec.dimension, chosen, K, top) == expected, spec.dimension
        shown, _hidden = store.ranked("path", chosen, K, 100)
        labels = {row.label for row in shown}
        assert {"/grows-today", "/only-today"} <= labels
        assert "/never" not in labels

    def test_one_visitor_on_many_days_stays_hidden(self, session: Session) -> None:
        """K visitor-days from one visitor are not K visitors: the cell stays "< k"."""
        rows = []
        for offset in range(K + 2):
            day = DAYS[0] - timedelta(days=offset)
            rows += [dict(r, visitor_id="a" * 32) for r in one_day_visits(1, offset, "/x", day)]
        add(session, rows)
        chosen = web_stats.Period(DAYS[0] - timedelta(days=K + 1), DAYS[0])
        reports = web_stats.open_reports(session, POLICY, CALLER, chosen, what="t", today=TODAY)
        assert reports.table("pages").rows == []
        assert reports.summary().visits.value is None

    def test_summary_compares_with_the_previous_period(self, session: Session) -> None:
        add(session, one_day_visits(K, 0, "/a", DAYS[0]))
        add(session, one_day_visits(2 * K, 500, "/a", DAYS[0] + timedelta(days=1)))
        chosen = web_stats.Period(DAYS[1], DAYS[1])
        summary = web_stats.open_reports(
            session, POLICY, CALLER, chosen, what="t", today=TODAY
        ).summary()
        assert summary.previous == web_stats.Period(DAYS[0], DAYS[0])
        assert (summary.visits.value, summary.visits.previous) == (2 * K, K)
        assert summary.visits.change == 100.0
        assert summary.bounce_rate.value == 100.0

    def test_a_caller_without_the_purpose_is_refused(self, session: Session) -> None:
        agent = staff_context(policy=POLICY, username="kim", role=CUSTOMER_SERVICE, user_id=2)
        with pytest.raises(AccessRefused):
            web_stats.open_reports(session, POLICY, agent, web_stats.Period(TODAY, TODAY), what="t")


class TestPeriods:
    @pytest.mark.parametrize(
        ("preset", "today", "start", "end"),
        [
            ("today", date(2026, 3, 1), date(2026, 3, 1), date(2026, 3, 1)),
            ("7d", date(2026, 3, 1), date(2026, 2, 23), date(2026, 3, 1)),
            ("30d", date(2026, 3, 1), date(2026, 1, 31), date(2026, 3, 1)),
            ("this_month", date(2026, 3, 31), date(2026, 3, 1), date(2026, 3, 31)),
            ("last_month", date(2026, 3, 31), date(2026, 2, 1), date(2026, 2, 28)),
            ("last_month", date(2028, 3, 1), date(2028, 2, 1), date(2028, 2, 29)),
            ("last_month", date(2026, 1, 15), date(2025, 12, 1), date(2025, 12, 31)),
            ("12m", date(2026, 11, 30), date(2025, 12, 1), date(2026, 11, 30)),
            ("12m", date(2026, 11, 15), date(2025, 12, 1), date(2026, 11, 15)),
            ("12m", date(2026, 1, 1), date(2025, 2, 1), date(2026, 1, 1)),
            ("12m", date(2028, 2, 29), date(2027, 3, 1), date(2028, 2, 29)),
        ],
    )
    def test_presets(self, preset: str, today: date, start: date, end: date) -> None:
        chosen = web_stats.period(preset, today=today)
        assert (chosen.start, chosen.end) == (start, end)
        before = chosen.previous()
        assert before.days == chosen.days
        assert before.end == start - timedelta(days=1)

    @pytest.mark.parametrize(
        ("preset", "start", "end", "field"),
        [
            ("week", None, None, "preset"),
            (None, date(2026, 5, 2), date(2026, 5, 1), "from"),
            (None, None, date(2026, 5, 1), "from"),
            (None, date(2024, 1, 1), TODAY, "from"),
            (None, TODAY, TODAY + timedelta(days=1), "to"),
            ("7d", TODAY, TODAY, "preset"),
        ],
    )
    def test_bad_ranges_name_the_field(
        self, preset: str | None, start: date | None, end: date | None, field: str
    ) -> None:
        with pytest.raises(InvalidInput) as error:
            web_stats.period(preset, start, end, today=TODAY)
        assert error.value.field == field


class TestExports:
    def test_csv_and_json(self, session: Session) -> None:
        add(session, one_day_visits(K, 0, "=cmd", DAYS[0]))
        add(session, one_day_visits(K - 1, 100, "/few", DAYS[0]))
        reports = web_stats.open_reports(
            session, POLICY, CALLER, web_stats.Period(DAYS[0], DAYS[0]), what="t", today=TODAY
        )
        table = reports.table("pages")
        rows = list(csv.reader(io.StringIO(web_stats.to_csv(table))))
        assert rows == [["label", "visitor_days", "views"], ["'=cmd", str(K), str(K)]]
        data = web_stats.to_json(table)
        assert data["rows"] == [{"label": "=cmd", "visitor_days": K, "views": K}]
        assert data["hidden_rows"] == 1
        hours = web_stats.to_csv(reports.table("hours"))
        assert f"< {K}" in hours
