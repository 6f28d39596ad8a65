"""Migration 0018 scrubs what was stored before the collector did: paths, previous paths and
campaign values with personal data are rewritten, page totals moved to their new path."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from alembic import command
from sqlalchemy import text

from dataskydd.db.migrate import alembic_config
from dataskydd.db.session import make_engine


def test_rows_stored_before_are_scrubbed(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    command.upgrade(alembic_config(engine), "0017")
    event = (
        "INSERT INTO page_event (visitor_id, occurred_at, kind, path, referrer_path, utm_source,"
        " utm_campaign, device) VALUES (:v, :at, 'view', :path, :previous, :source, 'vinter',"
        " 'mobile')"
    )
    at = datetime(2026, 11, 1, 12, tzinfo=UTC)
    day = date(2026, 11, 1)
    with engine.begin() as connection:
        for path, previous, source in [
            ("/konto/anna@example.se/order", "/kund/811218-9876", "nyhetsbrev"),
            ("/konto/0701234567/order", None, "anna@example.se"),
            ("/bredband", "/start", "fb"),
        ]:
            connection.execute(
                text(event),
                {"v": "a" * 32, "at": at, "path": path, "previous": previous, "source": source},
            )
        connection.execute(
            text("INSERT INTO page_total (day, path, count) VALUES (:d, :p, :c)"),
            [
                {"d": day, "p": "/konto/anna@example.se/order", "c": 2},
                {"d": day, "p": "/konto/0701234567/order", "c": 3},
                {"d": day, "p": "/konto/*/order", "c": 1},
                {"d": day, "p": "/bredband", "c": 7},
            ],
        )
    command.upgrade(alembic_config(engine), "0018")
    with engine.connect() as connection:
        events = connection.execute(
            text("SELECT path, referrer_path, utm_source, utm_campaign FROM page_event ORDER BY id")
        ).all()
        totals = connection.execute(text("SELECT path, count FROM page_total ORDER BY path")).all()
    assert [tuple(row) for row in events] == [
        ("/konto/*/order", "/kund/*", "nyhetsbrev", "vinter"),
        ("/konto/*/order", None, None, "vinter"),
        ("/bredband", "/start", "fb", "vinter"),
    ]
    assert [tuple(row) for row in totals] == [("/bredband", 7), ("/konto/*/order", 6)]
    engine.dispose()
