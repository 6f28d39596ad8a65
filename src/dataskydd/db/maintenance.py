"""Reclaiming the space of deleted rows, so erased values leave the database files.

SQLite already overwrites deleted content (`secure_delete`); VACUUM also rebuilds the file
without free pages. PostgreSQL keeps deleted tuples in the heap until VACUUM; this runs it
per table (without the exclusive lock of VACUUM FULL). VACUUM cannot run in a transaction, so
this uses its own autocommit connection.

SQLite runs in WAL mode (db/session.py): `checkpoint_wal` empties the log after an erasure.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Engine, text


def checkpoint_wal(engine: Engine) -> bool:
    """SQLite in WAL mode: copy the log back into the database file and truncate it to zero
    bytes, so page images from before an erasure do not survive in the -wal file.

    Waits (up to the busy timeout) for readers of older snapshots to finish; returns False if
    one still held the log then (the next checkpoint truncates it). Nothing to do elsewhere.
    """
    if engine.dialect.name != "sqlite":
        return True
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        row = connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)")).one()
    # (busy, frames in the log, frames checkpointed); busy = 1 when a reader blocked it
    return bool(row[0] == 0)


def reclaim_space(engine: Engine, tables: Iterable[str]) -> list[str]:
    """VACUUM the given tables (PostgreSQL) or the whole file (SQLite); returns what ran."""
    done: list[str] = []
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        if engine.dialect.name == "sqlite":
            connection.execute(text("VACUUM"))
            # In WAL mode VACUUM writes the rebuilt file through the log: empty it too.
            connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
            return ["VACUUM", "PRAGMA wal_checkpoint(TRUNCATE)"]
        preparer = engine.dialect.identifier_preparer
        for table in sorted(set(tables)):
            statement = f"VACUUM (ANALYZE) {preparer.quote(table)}"
            connection.execute(text(statement))
            done.append(statement)
    return done
