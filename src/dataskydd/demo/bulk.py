"""Bulk writes of demo rows through the driver: PostgreSQL COPY, SQLite executemany of tuples.

SQLAlchemy Core's executemany spends more time per row than the database does (issue 13:
5,500 rows/s on PostgreSQL against ~160,000 for a COPY of the same rows). Here each value is
converted exactly as SQLAlchemy would bind it - every column type's own bind processor: the
personnummer encrypted, enums as their values, datetimes in UTC, SQLite's dates as text - and
the rows go straight to the driver connection of the session's own transaction, so what is
stored is what `insert()` stored, and a failure still rolls the whole demo back.
Other backends keep Core executemany.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from sqlalchemy import Column, Dialect, Table, insert
from sqlalchemy.orm import Session

from dataskydd.db.base import Base
from dataskydd.db.driver_writes import bind_processor

Row = dict[str, Any]
# Backends written through their driver; any other keeps SQLAlchemy Core's executemany.
_DRIVER_WRITES = ("postgresql", "sqlite")
_Convert = Callable[[Row], tuple[Any, ...]]


def _default(column: Column[Any]) -> Callable[[], Any] | None:
    """A Python-side default of a column the rows leave out, as an INSERT would fill it."""
    default = column.default
    if default is None or not (default.is_scalar or default.is_callable):
        return None
    arg: Any = getattr(default, "arg", None)
    if default.is_scalar:
        return lambda: arg
    return lambda: arg(None)  # SQLAlchemy wraps a callable default to take a context


class Shape:
    """How one table's rows become tuples for the driver: the columns, in the rows' own key
    order plus any Python-side defaults they leave out, and one converter per row."""

    def __init__(self, table: Table, dialect: Dialect, sample: Row) -> None:
        given = [name for name in sample if name in table.c]
        defaults = {
            column.name: made
            for column in table.columns
            if column.name not in sample and (made := _default(column)) is not None
        }
        self.columns: list[str] = [*given, *defaults]
        processors = [(i, bind_processor(table.c[name], dialect)) for i, name in enumerate(given)]
        self._processors = [(i, p) for i, p in processors if p is not None]
        self._defaults = list(defaults.values())
        # itemgetter of one name returns the value itself, not a tuple.
        self._get: Callable[[Row], Any] = (
            itemgetter(*given) if len(given) > 1 else (lambda row: (row[given[0]],))
        )
        self.convert: _Convert = self._convert if self._processors or defaults else self._get

    def _convert(self, row: Row) -> tuple[Any, ...]:
        values = list(self._get(row))
        for index, process in self._processors:
            value = values[index]
            # None binds as NULL through every type here; skipping it saves a call per empty cell.
            if value is not None:
                values[index] = process(value)
        if self._defaults:
            values.extend(made() for made in self._defaults)
        return tuple(values)


@dataclass(frozen=True)
class Prepared:
    """One table's rows ready for the driver: tuples in `columns` order, or (other backends)
    the row dicts themselves for Core executemany (`columns` None)."""

    table: str
    columns: list[str] | None
    rows: list[Any]


class BulkWriter:
    """Writes lists of row dicts into tables, in the session's transaction: `prepare`
    converts them (no connection used), `write` sends what it made."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._dialect = session.get_bind().dialect
        self._shapes: dict[tuple[str, tuple[str, ...]], Shape] = {}

    def prepare(self, table: Table, rows: list[Row]) -> Prepared:
        if not rows or self._dialect.name not in _DRIVER_WRITES:
            return Prepared(table.name, None, rows)
        shape = self._shape(table, rows[0])
        return Prepared(table.name, shape.columns, list(map(shape.convert, rows)))

    def write(self, prepared: Prepared) -> None:
        if not prepared.rows:
            return
        table = Base.metadata.tables[prepared.table]
        if prepared.columns is None:
            self._session.execute(insert(table), prepared.rows)
            return
        driver: Any = self._session.connection().connection.driver_connection
        quote = self._dialect.identifier_preparer.quote
        target = self._dialect.identifier_preparer.format_table(table)
        columns = ", ".join(quote(column) for column in prepared.columns)
        if self._dialect.name == "postgresql":
            with (
                driver.cursor() as cursor,
                cursor.copy(f"COPY {target} ({columns}) FROM STDIN") as copy,
            ):
                for row in prepared.rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" * len(prepared.columns))
            driver.executemany(
                f"INSERT INTO {target} ({columns}) VALUES ({marks})",  # noqa: S608 - mapped names
                prepared.rows,
            )

    def _shape(self, table: Table, sample: Row) -> Shape:
        key = (table.name, tuple(sample))
        shape = self._shapes.get(key)
        if shape is None:
            shape = self._shapes[key] = Shape(table, self._dialect, sample)
        return shape
