"""Reclaiming space after erasure runs on both backends, outside any transaction.

The physical proof on PostgreSQL (the data files read after an erasure) is in
test_physical_erasure_postgres.py.
"""

import sqlite3
from pathlib import Path

from sqlalchemy import Engine, event, text

from dataskydd.db.maintenance import Outcome, incomplete, reclaim_space
from dataskydd.db.migrate import upgrade_to_head
from dataskydd.db.session import make_engine
from tests.conftest import postgres_schema

COLUMNS = {"subject": ["given_name", "search_name"], "usage_event": ["item"]}


def test_postgres_rewrites_each_table_once() -> None:
    with postgres_schema("reclaim") as engine:
        upgrade_to_head(engine)
        with engine.connect() as connection:
            before = connection.execute(
                text("SELECT pg_relation_filenode('subject'), pg_relation_filenode('usage_event')")
            ).one()
        steps = reclaim_space(engine, COLUMNS, tables=["usage_event", "subject", "usage_event"])
        rewrites = [step.text.split(" (")[0] for step in steps if step.text.startswith("VACUUM")]
        assert rewrites[:2] == ["VACUUM FULL subject", "VACUUM FULL usage_event"]
        with engine.connect() as connection:
            after = connection.execute(
                text("SELECT pg_relation_filenode('subject'), pg_relation_filenode('usage_event')")
            ).one()
        # new files: the old ones, with whatever they held, are gone
        assert before[0] != after[0]
        assert before[1] != after[1]


def test_sqlite_rebuilds_the_file_without_free_pages(tmp_path: Path) -> None:
    engine: Engine = make_engine(f"sqlite:///{tmp_path / 'r.db'}")
    upgrade_to_head(engine)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE filler (v TEXT)"))
        connection.execute(
            text(
                "INSERT INTO filler SELECT hex(randomblob(500)) FROM "
                "(WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)"
                " SELECT i FROM n)"
            )
        )
        connection.execute(text("DELETE FROM filler"))
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA freelist_count")).scalar() > 0
    steps = reclaim_space(engine, COLUMNS)
    assert not incomplete(steps)
    assert [step.outcome for step in steps] == [Outcome.DONE, Outcome.DONE, Outcome.NOT_COVERED]
    assert str(steps[0]).startswith("done: VACUUM: rebuilt the database file")
    assert str(steps[1]) == "done: PRAGMA wal_checkpoint(TRUNCATE): the -wal file is empty"
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA freelist_count")).scalar() == 0
        # the rebuilt pages are in the file, not waiting in the write-ahead log
        assert (tmp_path / "r.db-wal").stat().st_size == 0
    engine.dispose()


def test_sqlite_says_when_a_reader_kept_the_log(tmp_path: Path) -> None:
    engine: Engine = make_engine(f"sqlite:///{tmp_path / 'r.db'}")
    # Registered after the engine's own: the checkpoint gives up on the reader at once.
    event.listen(engine, "connect", lambda dbapi, _record: dbapi.execute("PRAGMA busy_timeout=50"))
    upgrade_to_head(engine)
    reader = sqlite3.connect(tmp_path / "r.db", isolation_level=None)
    try:
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM subject").fetchall()  # an open read snapshot
        steps = reclaim_space(engine, COLUMNS)
    finally:
        reader.close()
    assert incomplete(steps)
    assert "not done: PRAGMA wal_checkpoint(TRUNCATE): a reader still held" in "\n".join(
        str(step) for step in steps
    )
    engine.dispose()
