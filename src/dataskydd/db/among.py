"""`column IN values` for a list of values of any length, as few conditions as the database
takes: on PostgreSQL one array parameter (`= ANY(:values)`), because an IN list of hundreds
of parameters is parsed by the driver for every statement (5 ms for 500); elsewhere IN lists
of at most `chunk` values, as a database takes so many parameters in one statement."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, any_, bindparam


def batches(values: Sequence[Any], dialect: str, *, chunk: int = 500) -> list[Sequence[Any]]:
    """`values` cut into one statement's worth each (none for no values): all of them on
    PostgreSQL, `chunk` at a time elsewhere. For a caller that puts the same batch to several
    columns (`within` each)."""
    if not values:
        return []
    if dialect == "postgresql":
        return [values]
    return [values[start : start + chunk] for start in range(0, len(values), chunk)]


def within(column: Any, batch: Sequence[Any], dialect: str) -> ColumnElement[bool]:
    """`column` among one batch of `batches`, as one condition."""
    condition: ColumnElement[bool]
    if dialect == "postgresql":
        condition = column == any_(bindparam(None, list(batch), type_=ARRAY(column.type)))
    else:
        condition = column.in_(batch)
    return condition


def among(
    column: Any, values: Sequence[Any], dialect: str, *, chunk: int = 500
) -> list[ColumnElement[bool]]:
    """One condition per statement to run (none for no values); together they cover
    `values`."""
    return [within(column, batch, dialect) for batch in batches(values, dialect, chunk=chunk)]
