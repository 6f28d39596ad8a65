"""`column IN values` for a list of values of any length, as few conditions as the database
takes: on PostgreSQL one array parameter (`= ANY(:values)`), because an IN list of hundreds
of parameters is parsed by the driver for every statement (5 ms for 500); elsewhere IN lists
of at most `chunk` values, as a database takes so many parameters in one statement."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, any_, bindparam


def among(
    column: Any, values: Sequence[Any], dialect: str, *, chunk: int = 500
) -> list[ColumnElement[bool]]:
    """One condition per statement to run (none for no values); together they cover
    `values`."""
    if not values:
        return []
    if dialect == "postgresql":
        return [column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))]
    return [column.in_(values[start : start + chunk]) for start in range(0, len(values), chunk)]
