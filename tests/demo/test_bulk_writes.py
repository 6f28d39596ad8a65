"""The demo's driver writes (PostgreSQL COPY, SQLite executemany of tuples) store what
SQLAlchemy's own inserts stored; the builder's quicker draws are the ones it made before."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session
from stdnum import luhn

import dataskydd.all_models  # noqa: F401 - every table on Base.metadata
from dataskydd.db.base import Base
from dataskydd.db.driver_writes import bind_processor
from dataskydd.db.migrate import upgrade_to_head
from dataskydd.db.session import make_engine
from dataskydd.demo import draws, generate_demo, identities
from dataskydd.demo.generator import plan_demo, write_batch
from dataskydd.demo.records import ASSIGNED_ID_TABLES, TABLE_ORDER
from dataskydd.register import service
from tests.conftest import postgres_schema

REFERENCE = date(2026, 11, 24)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def fresh(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty migrated register of its own: demo ids and seeds depend on what is there."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
        upgrade_to_head(engine)
        yield engine
        engine.dispose()
        return
    with postgres_schema("demo") as engine:
        upgrade_to_head(engine)
        yield engine


def _dump(engine: Engine, table: str) -> list[dict[str, Any]]:
    columns = Base.metadata.tables[table]
    with engine.connect() as connection:
        rows = connection.execute(select(columns).order_by(columns.c.id)).mappings()
        return [dict(row) for row in rows]


def test_every_value_reads_back_as_built(fresh: Engine) -> None:
    with Session(fresh) as session, session.begin():
        builder = plan_demo(session, seed=4, reference_date=REFERENCE)
        batches = [builder.suppliers(3), builder.customers(25)]
        for batch in batches:
            write_batch(session, batch)
    for table in TABLE_ORDER:
        built = [row for batch in batches for row in batch.rows[table]]
        stored = _dump(fresh, table)
        assert len(stored) == len(built), table
        for row, back in zip(built, stored, strict=True):
            assert {name: back[name] for name in row} == row, table


@pytest.mark.postgres
def test_both_backends_store_the_same_demo(tmp_path: Path) -> None:
    sqlite_engine = make_engine(f"sqlite:///{tmp_path / 'same.db'}")
    upgrade_to_head(sqlite_engine)
    try:
        with postgres_schema("demo") as postgres:
            upgrade_to_head(postgres)
            for engine in (sqlite_engine, postgres):
                generate_demo(engine, customers=40, seed=9, reference_date=REFERENCE)
            for table in (*TABLE_ORDER, "service", "activity"):
                assert _dump(sqlite_engine, table) == _dump(postgres, table), table
    finally:
        sqlite_engine.dispose()


def test_the_application_continues_after_the_demo_ids(fresh: Engine) -> None:
    for _ in range(2):
        summary = generate_demo(fresh, customers=15, seed=2, reference_date=REFERENCE)
        assert summary.rows["usage_event"] > 0
    with Session(fresh) as session, session.begin():
        if fresh.dialect.name == "postgresql":
            # COPY with explicit ids leaves the serial sequences behind; setval moved them.
            for table in ASSIGNED_ID_TABLES:
                sequence = session.scalar(text(f"SELECT pg_get_serial_sequence('{table}', 'id')"))
                last = session.scalar(text(f"SELECT last_value FROM {sequence}"))
                highest = session.scalar(text(f"SELECT max(id) FROM {table}"))
                assert last >= highest, table
        highest = max(row["id"] for row in _dump(fresh, "subject"))
        subject = service.create_subject(
            session, actor="test", data={"given_name": "Efter", "family_name": "Demo"}
        )
        assert subject.id > highest
    indexes = [s["personnummer_index"] for s in _dump(fresh, "subject") if s["personnummer_index"]]
    assert len(indexes) == len(set(indexes)) > 15


def test_quick_sqlite_texts_are_sqlalchemys() -> None:
    dialect = sqlite.pysqlite.dialect()
    stamp = Base.metadata.tables["usage_event"].c.occurred_at
    day = Base.metadata.tables["invoice"].c.issued_on
    quick_stamp, quick_day = bind_processor(stamp, dialect), bind_processor(day, dialect)
    assert quick_stamp is not None
    assert quick_day is not None
    assert quick_stamp.__name__ == "utc_text"
    assert quick_day.__name__ == "day_text"
    reference_stamp = stamp.type._cached_bind_processor(dialect)
    reference_day = day.type._cached_bind_processor(dialect)
    rng = random.Random(13)
    for _ in range(2000):
        moment = datetime(1, 1, 1, tzinfo=UTC) + timedelta(
            seconds=rng.randrange(3_000 * 365 * 86400), microseconds=rng.choice((0, 1, 999_999))
        )
        zone = timezone(timedelta(minutes=rng.randrange(-600, 600)))
        local = moment.astimezone(zone) if moment.year > 1 else moment
        assert quick_stamp(local) == reference_stamp(local)
        assert quick_day(local.date()) == reference_day(local.date())
    with pytest.raises(ValueError, match="naive"):
        quick_stamp(datetime(2026, 1, 1))


def test_luhn_check_digit_is_stdnums() -> None:
    rng = random.Random(5)
    for number in [*range(3000), *(rng.randrange(10**15) for _ in range(3000))]:
        digits = str(number)
        assert identities.luhn_check_digit(digits) == luhn.calc_check_digit(digits)


def test_below_draws_what_randrange_and_choice_draw() -> None:
    ours, theirs = random.Random("same"), random.Random("same")
    below = draws.below_function(ours)
    items = tuple(range(37))
    for n in [*range(1, 300), 7080, 86340, 2**31 + 5, 34_128_000] * 5:
        assert below(n) == theirs.randrange(n)
        assert items[below(len(items))] == theirs.choice(items)
        assert 120 + below(n) == theirs.randrange(120, 120 + n)
