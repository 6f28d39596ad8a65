"""Rows written through the session's own driver connection: COPY on PostgreSQL, executemany
of tuples on SQLite, Core executemany elsewhere. Used by the bulk import and the collector
(SQLAlchemy Core's executemany of dicts cost them more per row than the database did); the
demo builds on `bind_processor` (demo/bulk.py: its rows are prepared apart, defaults filled).

Each value goes through its column type's own bind processor, as an INSERT binds it (the
personnummer encrypted, enums as their values, datetimes in UTC), in the session's
transaction: what is stored is what `insert()` stores, and a failure rolls it all back.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from operator import itemgetter
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Column, Date, Dialect, Table, insert
from sqlalchemy.orm import Session

from dataskydd.db.types import UtcDateTime

Row = dict[str, Any]


def bind_processor(column: Column[Any], dialect: Dialect) -> Callable[[Any], Any] | None:
    """How SQLAlchemy binds a value of `column`: the type's full bind chain (a TypeDecorator's
    process_bind_param, then its impl's), as it applies it to every parameter of an INSERT;
    on SQLite, dates and datetimes formatted by `isoformat` where that gives the same text."""
    processor: Callable[[Any], Any] | None = column.type._cached_bind_processor(dialect)
    if processor is None or dialect.name != "sqlite":
        return processor
    quick = _sqlite_quick(column, processor)
    return quick if quick is not None and _agrees(quick, processor, column) else processor


def _sqlite_quick(
    column: Column[Any], processor: Callable[[Any], Any]
) -> Callable[[Any], Any] | None:
    """SQLAlchemy formats SQLite's dates and datetimes field by field (3-5 µs a value, the
    largest part of writing a demo row); `isoformat` gives the same text in C. Anything
    else (a naive datetime, a datetime given for a date) still goes to SQLAlchemy."""
    if isinstance(column.type, UtcDateTime):

        def utc_text(value: Any) -> Any:
            if type(value) is datetime and value.tzinfo is not None:
                return value.astimezone(UTC).isoformat(" ", "microseconds")[:26]
            return processor(value)

        return utc_text
    if isinstance(column.type, Date):

        def day_text(value: Any) -> Any:
            return value.isoformat() if type(value) is date else processor(value)

        return day_text
    return None


_PROBES: dict[type, tuple[Any, ...]] = {
    UtcDateTime: (
        datetime(2026, 11, 24, 13, 5, 9, 120034, tzinfo=UTC),
        datetime(1999, 1, 2, 23, 59, 0, tzinfo=timezone(timedelta(hours=1))),
    ),
    Date: (date(2026, 11, 24), date(987, 1, 2)),
}


def _agrees(
    quick: Callable[[Any], Any], processor: Callable[[Any], Any], column: Column[Any]
) -> bool:
    """The quick form is used only where it gives SQLAlchemy's own text for sample values
    (a dialect configured with another storage format keeps SQLAlchemy's)."""
    probes = next(p for kind, p in _PROBES.items() if isinstance(column.type, kind))
    return all(quick(value) == processor(value) for value in probes)


# Per dialect (an engine's), the processors of each table's columns: the collector makes a
# writer for every batch, and looking them up again cost ~40 µs a batch.
_PROCESSORS: WeakKeyDictionary[Dialect, dict[tuple[str, tuple[str, ...]], list[Any]]] = (
    WeakKeyDictionary()
)


class DriverWriter:
    def __init__(self, session: Session) -> None:
        self._session = session
        self._dialect = session.get_bind().dialect

    def write(self, table: Table, columns: Sequence[str], rows: list[Row]) -> None:
        """`rows` as dicts with every one of `columns` (None for NULL)."""
        if not rows:
            return
        get = itemgetter(*columns)
        if len(columns) == 1:
            self.write_tuples(table, columns, [(get(row),) for row in rows])
        else:
            self.write_tuples(table, columns, [get(row) for row in rows])

    def write_tuples(
        self,
        table: Table,
        columns: Sequence[str],
        rows: Sequence[Sequence[Any]],
        constants: Mapping[str, Any] | None = None,
    ) -> None:
        """`rows` as tuples in the order of `columns`; `constants`: more columns with the same
        value in every row (a batch's timestamps), bound once rather than once a row."""
        if not rows:
            return
        constants = constants or {}
        names = (*columns, *constants)
        if self._dialect.name not in ("postgresql", "sqlite"):
            self._session.execute(
                insert(table),
                [{**dict(zip(columns, row, strict=True)), **constants} for row in rows],
            )
            return
        processors = [
            (index, process)
            for index, process in enumerate(self._processors_for(table, tuple(columns)))
            if process is not None
        ]
        tail = tuple(
            value if value is None or process is None else process(value)
            for process, value in zip(
                self._processors_for(table, tuple(constants)), constants.values(), strict=True
            )
        )
        tuples: list[tuple[Any, ...]] = []
        for row in rows:
            values = list(row)
            for index, process in processors:
                value = values[index]
                if value is not None:  # NULL binds as None through every type here
                    values[index] = process(value)
            values.extend(tail)
            tuples.append(tuple(values))
        driver: Any = self._session.connection().connection.driver_connection
        preparer = self._dialect.identifier_preparer
        target = preparer.format_table(table)
        quoted = ", ".join(preparer.quote(column) for column in names)
        if self._dialect.name == "postgresql":
            with (
                driver.cursor() as cursor,
                cursor.copy(f"COPY {target} ({quoted}) FROM STDIN") as copy,
            ):
                for converted in tuples:
                    copy.write_row(converted)
            return
        marks = ", ".join("?" * len(names))
        driver.executemany(
            f"INSERT INTO {target} ({quoted}) VALUES ({marks})",  # noqa: S608 - mapped names
            tuples,
        )

    def _processors_for(
        self, table: Table, columns: tuple[str, ...]
    ) -> list[Callable[[Any], Any] | None]:
        known = _PROCESSORS.setdefault(self._dialect, {})
        key = (table.name, columns)
        if key not in known:
            known[key] = [bind_processor(table.c[name], self._dialect) for name in columns]
        return known[key]
