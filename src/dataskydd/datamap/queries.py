"""Generic reads over the data map: the rows of any mapped table that belong to a subject."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, Select, Table, or_, select
from sqlalchemy.orm import Session

from dataskydd.datamap.entries import SubjectLink, TableMap, register_tables
from dataskydd.db.base import Base
from dataskydd.mail import models as _mail_models  # noqa: F401  (registers the table)
from dataskydd.register import models as _register_models  # noqa: F401  (registers the tables)


def table_of(entry: TableMap) -> Table:
    return Base.metadata.tables[entry.table]


SubjectId = int | BindParameter[int]


def _link_condition(
    entry: TableMap, link: SubjectLink, subject_id: SubjectId
) -> ColumnElement[bool]:
    """`row belongs to subject` as a condition on the mapped table, via IN-subqueries per hop."""
    table = table_of(entry)
    # The register's links end in its subject id (map_schema refuses `match` for it).
    subject_column = link.subject_column
    assert subject_column is not None
    if not link.via:
        return table.c[subject_column] == subject_id
    # Walk from the subject back towards the table: innermost hop first.
    hops = list(link.via)
    last = Base.metadata.tables[hops[-1].table]
    ids: Select[Any] = select(last.c.id).where(last.c[subject_column] == subject_id)
    for index in range(len(hops) - 1, 0, -1):
        parent = Base.metadata.tables[hops[index - 1].table]
        ids = select(parent.c.id).where(parent.c[hops[index].column].in_(ids))
    return table.c[hops[0].column].in_(ids)


def _readable(entry: TableMap, table: Table, column: str) -> Any:
    """The column, or for a catalogue reference the catalogue's text under the same name."""
    if column not in entry.references:
        return table.c[column]
    target_name, text_column = entry.references[column]
    target = Base.metadata.tables[target_name]
    text = select(target.c[text_column]).where(target.c.id == table.c[column])
    return text.scalar_subquery().label(column)


def subject_condition(entry: TableMap, subject_id: SubjectId) -> ColumnElement[bool]:
    return or_(*(_link_condition(entry, link, subject_id) for link in entry.links))


def select_rows_for_subject(
    entry: TableMap, subject_id: SubjectId, columns: list[str] | None = None
) -> Select[Any]:
    table = table_of(entry)
    chosen = ["id", *(columns if columns is not None else list(entry.columns))]
    statement = select(*(_readable(entry, table, name) for name in dict.fromkeys(chosen)))
    statement = statement.where(subject_condition(entry, subject_id))
    order = table.c[entry.time_column] if entry.time_column else table.c.id
    return statement.order_by(order, table.c.id)


def iter_rows_for_subject(
    session: Session,
    entry: TableMap,
    subject_id: int,
    columns: list[str] | None = None,
    *,
    batch_size: int = 1000,
) -> Iterator[dict[str, Any]]:
    """Rows streamed in batches, so a subject with millions of events needs flat memory."""
    result = session.execute(
        select_rows_for_subject(entry, subject_id, columns),
        execution_options={"yield_per": batch_size},
    )
    for row in result.mappings():
        yield dict(row)


def mapped_tables() -> tuple[TableMap, ...]:
    return register_tables()


def plain(value: Any) -> Any:
    """A row value as JSON can hold it: dates in ISO form, amounts as exact strings, codes."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    return value
