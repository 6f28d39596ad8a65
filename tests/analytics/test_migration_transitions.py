"""Migration 0026: days rolled up before the "transition" dimension existed are rolled up
again when their events are still kept; days whose events are gone keep their rollups."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from alembic import command
from sqlalchemy import text

from dataskydd.analytics import rollups
from dataskydd.db.migrate import alembic_config
from dataskydd.db.session import make_engine, make_session_factory


def test_days_with_events_are_rolled_up_again_with_their_steps(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    command.upgrade(alembic_config(engine), "0025")
    # 00:30 Swedish time on 2 November: still 1 November in UTC.
    at = datetime(2026, 11, 1, 23, 30, tzinfo=UTC)
    event = (
        "INSERT INTO page_event (visitor_id, visit_id, occurred_at, kind, path, referrer_path,"
        " device) VALUES (:v, :v, :at, 'view', :path, :previous, 'mobile')"
    )
    with engine.begin() as connection:
        connection.execute(text(event), {"v": "a" * 32, "at": at, "path": "/a", "previous": None})
        connection.execute(text(event), {"v": "a" * 32, "at": at, "path": "/b", "previous": "/a"})
        connection.execute(
            text("INSERT INTO web_rollup_day (day, events, rolled_at) VALUES (:d, 1, :at)"),
            [{"d": date(2026, 10, 30), "at": at}, {"d": date(2026, 11, 2), "at": at}],
        )
    command.upgrade(alembic_config(engine), "0026")
    with engine.connect() as connection:
        days = connection.execute(text("SELECT day FROM web_rollup_day")).scalars().all()
    assert [str(day) for day in days] == ["2026-10-30"]  # its events are gone: kept
    command.upgrade(alembic_config(engine), "head")  # what the rollup below writes to
    factory = make_session_factory(engine)
    rolled = rollups.roll_up_closed_days(factory, date(2026, 11, 10))
    assert date(2026, 11, 2) in rolled
    with engine.connect() as connection:
        steps = connection.execute(
            text("SELECT value FROM web_rollup WHERE dimension = 'transition'")
        ).scalars()
        assert list(steps) == ["/a → /b"]
    engine.dispose()
