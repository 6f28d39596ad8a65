"""Whether a mapped row still holds a value of a category, as a condition on the row: what
an erasure empties is not empty. Retention counts and erases by it, and a breach's affected
subjects are selected by it, in the register and in the company's other systems."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Enum, String, Table, and_, or_, true

from dataskydd.datamap import external, queries
from dataskydd.datamap.entries import OnErase, TableMap


def holding(entry: TableMap, category: str, table: Table | None = None) -> ColumnElement[bool]:
    """The row still holds a value of `category`: a column an erasure empties is not empty.
    Enum, number and date columns get a neutral value that still looks like data, so they
    count only when the category has no other column."""
    # Another system's table comes reflected (external_rows.py); the register's is the model's.
    table = queries.table_of(entry) if table is None else table
    if entry.on_erase is OnErase.DELETE and entry.categories == frozenset({category}):
        return true()  # the row itself is the data, and goes whole
    checks: list[ColumnElement[bool]] = []
    for name, of in entry.columns.items():
        if of != category:
            continue
        column = table.c[name]
        if column.nullable:
            checks.append(column.is_not(None))
        elif isinstance(column.type, String) and not isinstance(column.type, Enum):
            # A UNIQUE column erased holds "-" and the row's key (external.erase_step).
            if external.is_unique(table, name):
                checks.append(and_(column != "", ~column.startswith("-")))
            else:
                checks.append(column != "")
    return or_(*checks) if checks else true()
