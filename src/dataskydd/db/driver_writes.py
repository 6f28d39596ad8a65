"""Rows written through the session's own driver connection: COPY on PostgreSQL, executemany
of tuples on SQLite, Core executemany elsewhere. Used by the bulk import and the collector
(SQLAlchemy Core's executemany of dicts cost them more per row than the database did); the
demo has its own form of it (demo/bulk.py: quick date text, column defaults).

Each value goes through its column type's own bind processor, as an INSERT binds it (the
personnummer encrypted, enums as their values, datetimes in UTC), in the session's
transaction: what is stored is what `insert()` stores, and a failure rolls it all back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

Row = dict[str, Any]


class DriverWriter:
    def __init__(self, session: Session) -> None:
        self._session = session
        self._dialect = session.get_bind().dialect
        self._processors: dict[tuple[str, tuple[str, ...]], list[Any]] = {}

    def write(self, table: Table, columns: Sequence[str], rows: list[Row]) -> None:
        """`rows` as dicts with every one of `columns` (None for NULL)."""
        if not rows:
            return
        if self._dialect.name not in ("postgresql", "sqlite"):
            self._session.execute(insert(table), rows)
            return
        processors = [
            (index, process)
            for index, process in enumerate(self._processors_for(table, tuple(columns)))
            if process is not None
        ]
        get = itemgetter(*columns)
        tuples: list[tuple[Any, ...]] = []
        for row in rows:
            values = list(get(row)) if len(columns) > 1 else [get(row)]
            for index, process in processors:
                value = values[index]
                if value is not None:  # NULL binds as None through every type here
                    values[index] = process(value)
            tuples.append(tuple(values))
        driver: Any = self._session.connection().connection.driver_connection
        preparer = self._dialect.identifier_preparer
        target = preparer.format_table(table)
        names = ", ".join(preparer.quote(column) for column in columns)
        if self._dialect.name == "postgresql":
            with (
                driver.cursor() as cursor,
                cursor.copy(f"COPY {target} ({names}) FROM STDIN") as copy,
            ):
                for converted in tuples:
                    copy.write_row(converted)
            return
        marks = ", ".join("?" * len(columns))
        driver.executemany(
            f"INSERT INTO {target} ({names}) VALUES ({marks})",  # noqa: S608 - mapped names
            tuples,
        )

    def _processors_for(
        self, table: Table, columns: tuple[str, ...]
    ) -> list[Callable[[Any], Any] | None]:
        key = (table.name, columns)
        if key not in self._processors:
            self._processors[key] = [
                table.c[name].type._cached_bind_processor(self._dialect) for name in columns
            ]
        return self._processors[key]
