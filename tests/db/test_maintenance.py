"""Reclaiming space after erasure runs on both backends, outside any transaction."""

from pathlib import Path

from sqlalchemy import Engine, text

from dataskydd.db.maintenance import reclaim_space
from dataskydd.db.migrate import upgrade_to_head
from dataskydd.db.session import make_engine
from tests.conftest import postgres_schema


def test_postgres_vacuums_each_table_once() -> None:
    with postgres_schema("reclaim") as engine:
        upgrade_to_head(engine)
        done = reclaim_space(engine, ["usage_event", "subject", "usage_event"])
        assert done == ["VACUUM (ANALYZE) usage_event", "VACUUM (ANALYZE) subject"][::-1]
        with engine.connect() as connection:
            vacuumed = connection.execute(
                text(
                    "SELECT relname FROM pg_stat_user_tables "
                    "WHERE relname IN ('subject', 'usage_event') AND last_vacuum IS NOT NULL"
                )
            ).scalars()
            assert set(vacuumed) == {"subject", "usage_event"}


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
    assert reclaim_space(engine, ["subject"]) == ["VACUUM", "PRAGMA wal_checkpoint(TRUNCATE)"]
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA freelist_count")).scalar() == 0
        # the rebuilt pages are in the file, not waiting in the write-ahead log
        assert (tmp_path / "r.db-wal").stat().st_size == 0
    engine.dispose()
