"""Types for what routes read from the URL and forms, so hostile input is a 422 naming the field.

- `RowId`: a row id in the path. Ids are 32-bit in the schema; 0, negative and larger numbers
  name no row and are refused before they reach the database (SQLite raises OverflowError,
  PostgreSQL a DataError, for numbers past their integer types).
- `Line` / `Text` (from dataskydd.validation): text without NUL bytes and, for `Line`, without
  control characters; `Text` is multi-line free text. Every text form field and query
  parameter uses one of them (tests/web/test_hostile_input.py walks the routes for it).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

from dataskydd.validation import MAX_ROW_ID, Line, Text

__all__ = ["MAX_ROW_ID", "Line", "QueryRowId", "RowId", "Text"]

RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]
QueryRowId = Annotated[int | None, Query(ge=1, le=MAX_ROW_ID)]
