"""Monthly rollups: always the sum of their days' rows; reports over whole months read them
and give the same figures as the days do."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import delete, select, text, update
from sqlalchemy.orm import Session

from dataskydd.analytics import rollups, web_stats
from dataskydd.analytics.models import PageEvent
from dataskydd.analytics.rollup_models import WebRollup, WebRollupMonth, WebRollupValue
from dataskydd.db.migrate import alembic_config
from dataskydd.db.session import make_engine
from tests.analytics.test_rollups import K, add, generated, one_day_visits

TODAY = date(2026, 11, 24)
# From the end of August to 20 November: September and October whole, days around them.
SPAN = web_stats.Period(date(2026, 8, 29), date(2026, 11, 20))
# Through today: November from its monthly row too, as nothing after yesterday is rolled.
TO_TODAY = web_stats.Period(SPAN.start, TODAY)
DAYS = [SPAN.start + timedelta(days=n) for n in range(0, (TODAY - SPAN.start).days, 4)]


def month_rows(session: Session) -> dict[tuple[date, str, str], tuple[int, ...]]:
    return {
        (r.month, r.dimension, r.value): (
            r.visitor_days,
            r.peak_visitors,
            r.visits,
            r.views,
            r.bounces,
            r.seconds,
            r.timed_visits,
        )
        for r in session.scalars(select(WebRollupMonth))
    }


def days_summed(session: Session) -> dict[tuple[date, str, str], tuple[int, ...]]:
    """What the monthly rows must be: the daily rows summed per month, here in Python."""
    sums: dict[tuple[date, str, str], list[int]] = defaultdict(lambda: [0] * 7)
    for r in session.scalars(select(WebRollup)):
        cell = sums[r.day.replace(day=1), r.dimension, r.value]
        for index, number in enumerate(
            (r.visitors, None, r.visits, r.views, r.bounces, r.seconds, r.timed_visits)
        ):
            if index == 1:
                cell[1] = max(cell[1], r.visitors)
            else:
                assert number is not None
                cell[index] += number
    return {key: tuple(numbers) for key, numbers in sums.items()}


@pytest.fixture
def rolled(session: Session) -> Session:
    add(session, generated(21, DAYS, visitors=12))
    for day in DAYS:
        rollups.roll_up_day(session, day)
    return session


def test_month_rows_are_the_sum_of_their_days(rolled: Session) -> None:
    expected = days_summed(rolled)
    assert {month for month, _, _ in expected} == {
        date(2026, 8, 1),
        date(2026, 9, 1),
        date(2026, 10, 1),
        date(2026, 11, 1),
    }
    assert month_rows(rolled) == expected
    rollups.roll_up_day(rolled, DAYS[5])  # rolled again: the same rows
    assert month_rows(rolled) == expected


@pytest.mark.parametrize(
    ("span", "read_months"),
    [
        (SPAN, (date(2026, 9, 1), date(2026, 10, 1))),
        (TO_TODAY, (date(2026, 9, 1), date(2026, 11, 1))),
    ],
)
def test_reports_over_whole_months_equal_the_days(
    rolled: Session,
    monkeypatch: pytest.MonkeyPatch,
    span: web_stats.Period,
    read_months: tuple[date, date],
) -> None:
    read = []
    split = web_stats.month_split

    def spy(closed: web_stats.Period, *, open_end: bool = False) -> Any:
        found = split(closed, open_end=open_end)
        read.append(found[0])
        return found

    def figures() -> tuple[Any, ...]:
        store = web_stats.Store(rolled, TODAY)
        return tuple(
            (
                dict(store.sums(spec.dimension, span)),
                store.ranked(spec.dimension, span, K, 100) if spec.ranked else None,
            )
            for spec in web_stats.TABLES.values()
        )

    with monkeypatch.context() as patch:
        patch.setattr(web_stats, "month_split", spy)
        from_months = figures()
    assert set(read) == {read_months}  # the months read
    with monkeypatch.context() as patch:
        patch.setattr(
            web_stats, "month_split", lambda closed, **_: (None, [(closed.start, closed.end)])
        )
        from_days = figures()
    assert from_months == from_days
    assert any(sums for sums, _ in from_days)
    # And they are read indeed: a changed monthly row changes the figures.
    rolled.execute(
        update(WebRollupMonth).where(WebRollupMonth.month == read_months[1]).values(views=0)
    )
    assert figures() != from_days


@pytest.mark.parametrize(
    ("start", "end", "months", "days"),
    [
        (date(2026, 9, 1), date(2026, 9, 30), (date(2026, 9, 1), date(2026, 9, 1)), []),
        (
            date(2026, 8, 29),
            date(2026, 11, 20),
            (date(2026, 9, 1), date(2026, 10, 1)),
            [(date(2026, 8, 29), date(2026, 8, 31)), (date(2026, 11, 1), date(2026, 11, 20))],
        ),
        (date(2026, 9, 5), date(2026, 10, 20), None, [(date(2026, 9, 5), date(2026, 10, 20))]),
        (
            date(2026, 9, 5),
            date(2026, 10, 31),
            (date(2026, 10, 1), date(2026, 10, 1)),
            [(date(2026, 9, 5), date(2026, 9, 30))],
        ),
        (
            date(2024, 2, 10),
            date(2024, 3, 31),
            (date(2024, 3, 1), date(2024, 3, 1)),
            [(date(2024, 2, 10), date(2024, 2, 29))],
        ),
        (date(2026, 12, 1), date(2026, 12, 1), None, [(date(2026, 12, 1), date(2026, 12, 1))]),
        (
            date(2025, 11, 30),
            date(2026, 11, 29),
            (date(2025, 12, 1), date(2026, 10, 1)),
            [(date(2025, 11, 30), date(2025, 11, 30)), (date(2026, 11, 1), date(2026, 11, 29))],
        ),
    ],
)
def test_month_split(
    start: date, end: date, months: tuple[date, date] | None, days: list[tuple[date, date]]
) -> None:
    assert web_stats.month_split(web_stats.Period(start, end)) == (months, days)


@pytest.mark.parametrize(
    ("start", "end", "months", "days"),
    [
        # Through yesterday: this month's row holds its days so far.
        (date(2026, 9, 1), date(2026, 11, 23), (date(2026, 9, 1), date(2026, 11, 1)), []),
        (
            date(2026, 8, 29),
            date(2026, 11, 23),
            (date(2026, 9, 1), date(2026, 11, 1)),
            [(date(2026, 8, 29), date(2026, 8, 31))],
        ),
        # A period that starts within this month still reads its days.
        (date(2026, 11, 17), date(2026, 11, 23), None, [(date(2026, 11, 17), date(2026, 11, 23))]),
    ],
)
def test_month_split_through_the_last_closed_day(
    start: date, end: date, months: tuple[date, date] | None, days: list[tuple[date, date]]
) -> None:
    assert web_stats.month_split(web_stats.Period(start, end), open_end=True) == (months, days)


def test_the_migration_sums_the_days_already_rolled(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    command.upgrade(alembic_config(engine), "0026")
    insert = text(
        "INSERT INTO web_rollup (day, dimension, value, visitors, visits, views, bounces,"
        " seconds, timed_visits) VALUES (:day, 'path', :value, :n, :n, :n, 1, 10, 1)"
    )
    with engine.begin() as connection:
        connection.execute(
            insert,
            [
                {"day": date(2026, 9, 30), "value": "/a", "n": 4},
                {"day": date(2026, 10, 1), "value": "/a", "n": 2},
                {"day": date(2026, 10, 31), "value": "/a", "n": 5},
                {"day": date(2026, 10, 31), "value": "/b", "n": 1},
            ],
        )
    command.upgrade(alembic_config(engine), "head")
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT month, value, visitor_days, peak_visitors, views, bounces, seconds "
                "FROM web_rollup_month ORDER BY month, value"
            )
        ).all()
    assert [tuple(row) for row in rows] == [
        ("2026-09-01", "/a", 4, 4, 4, 1, 10),
        ("2026-10-01", "/a", 7, 5, 7, 2, 20),
        ("2026-10-01", "/b", 1, 1, 1, 1, 10),
    ]
    with engine.connect() as connection:
        values = connection.execute(
            text("SELECT value, last_day FROM web_rollup_value ORDER BY value")
        ).all()
    assert [tuple(row) for row in values] == [("/a", "2026-10-31"), ("/b", "2026-10-31")]
    engine.dispose()


def last_days(session: Session) -> dict[tuple[str, str], date]:
    return {(r.dimension, r.value): r.last_day for r in session.scalars(select(WebRollupValue))}


def days_last(session: Session) -> dict[tuple[str, str], date]:
    """What WebRollupValue must hold: each value's latest day among the daily rows."""
    found: dict[tuple[str, str], date] = {}
    for r in session.scalars(select(WebRollup)):
        key = (r.dimension, r.value)
        found[key] = max(found.get(key, r.day), r.day)
    return found


def test_each_value_keeps_its_last_day(session: Session) -> None:
    add(session, generated(22, DAYS, visitors=6))
    early, late = DAYS[3], DAYS[-1]
    add(session, one_day_visits(2, 7000, "/twice", early) + one_day_visits(2, 7100, "/twice", late))
    add(session, one_day_visits(2, 7200, "/once", late))
    for day in sorted(DAYS, key=lambda day: (day.day * 7) % 31):  # in no particular order
        rollups.roll_up_day(session, day)
    assert last_days(session) == days_last(session)
    assert month_rows(session) == days_summed(session)  # each day added to its month
    assert last_days(session)["path", "/twice"] == late
    # The late day's events of two pages are gone before it is rolled again: "/twice" is
    # last seen on the early day, "/once" nowhere.
    session.execute(
        delete(PageEvent).where(
            PageEvent.path.in_(["/twice", "/once"]),
            PageEvent.occurred_at >= rollups.day_bounds(late)[0],
        )
    )
    rollups.roll_up_day(session, late)
    assert month_rows(session) == days_summed(session)  # rolled again: its month rebuilt
    assert last_days(session) == days_last(session)
    assert last_days(session)["path", "/twice"] == early
    assert ("path", "/once") not in last_days(session)
