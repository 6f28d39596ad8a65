"""Reclaiming the space of deleted rows, so erased values leave the database files.

SQLite already overwrites deleted content (`secure_delete`); VACUUM also rebuilds the file
without free pages. PostgreSQL keeps deleted tuples in the heap until VACUUM; this runs it
per table (without the exclusive lock of VACUUM FULL). VACUUM cannot run in a transaction, so
this uses its own autocommit connection.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Engine, text


def reclaim_space(engine: Engine, tables: Iterable[str]) -> list[str]:
    """VACUUM the given tables (PostgreSQL) or the whole file (SQLite); returns what ran."""
    done: list[str] = []
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        if engine.dialect.name == "sqlite":
            connection.execute(text("VACUUM"))
            return ["VACUUM"]
        preparer = engine.dialect.identifier_preparer
        for table in sorted(set(tables)):
            statement = f"VACUUM (ANALYZE) {preparer.quote(table)}"
            connection.execute(text(statement))
            done.append(statement)
    return done
