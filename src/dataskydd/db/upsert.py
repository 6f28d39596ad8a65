"""INSERT … ON CONFLICT on the register's databases, PostgreSQL and SQLite, which spell it
alike (`on_conflict_do_update`, `excluded`)."""

from __future__ import annotations

import importlib
from typing import Any


def conflict_insert(dialect: str, table: Any) -> Any:
    """The INSERT of `table` of PostgreSQL's dialect for "postgresql", else SQLite's. The
    dialect's module is imported when used: a server on SQLite never loads PostgreSQL's (a few
    MB of memory in every worker)."""
    module: Any = importlib.import_module(
        "sqlalchemy.dialects." + ("postgresql" if dialect == "postgresql" else "sqlite")
    )
    return module.insert(table)
