"""A watch on every SQL statement: reading personal data needs an access decision (issue 8).

While a `SqlGuard` is active, a SQLAlchemy `before_cursor_execute` listener on the Engine
class (so every engine: the test's, the CLI's, the app's) looks at each SELECT, UPDATE and
DELETE. The columns it touches — selected, filtered on, ordered by, set — that the data map
(`datamap.entries.BY_TABLE`) gives a policy category must all be among the categories an
access decision granted in the current context (`access.guard.granted()`), unless the
statement runs inside `access.guard.internal()` (the decision's own reads, identity
verification). A DELETE touches every category of its table. SQL written as text is checked
by table name: any mapped table it reads counts as all of that table's categories.

Anything else is recorded as a `Violation` naming the tables, the categories not granted and
the innermost frames in src/dataskydd that ran the statement.

Use it as the `sql_guard` fixture (tests/conftest.py):

    def test_x(sql_guard: SqlGuard) -> None:
        with sql_guard.watching():
            ...  # drive routes, commands, services
        sql_guard.assert_clean()
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import ColumnClause, TextClause
from sqlalchemy.sql.schema import Table

from dataskydd.access import guard
from dataskydd.datamap import entries

_SRC = "/src/dataskydd/"
_VERB = re.compile(r"^\s*(\w+)", re.IGNORECASE)
_TABLE_AFTER = re.compile(r"\b(FROM|JOIN|UPDATE|INTO)\s+(?:\"?\w+\"?\.)?\"?(\w+)\"?", re.IGNORECASE)
_UPDATE_SET = re.compile(r"\bSET\s+(.*?)(?:\bWHERE\b|\bRETURNING\b|$)", re.IGNORECASE | re.DOTALL)
_ASSIGNED = re.compile(r"\"?(\w+)\"?\s*=")


@dataclass(frozen=True)
class Violation:
    verb: str
    tables: tuple[str, ...]
    # The categories the statement touched that no decision granted.
    categories: tuple[str, ...]
    granted: tuple[str, ...]
    # Innermost first: "datamap/search.py:57 find_subjects".
    frames: tuple[str, ...]
    sql: str

    @property
    def where(self) -> str:
        return self.frames[0] if self.frames else "(no frame in src/dataskydd)"

    def __str__(self) -> str:
        chain = " ← ".join(self.frames[:4]) or "(no frame in src/dataskydd)"
        granted = ", ".join(self.granted) or "nothing"
        return (
            f"{self.verb} {', '.join(self.tables)} reads {', '.join(self.categories)} "
            f"(granted: {granted}) at {chain}\n      {self.sql}"
        )


def _table_name(clause: Any) -> str | None:
    """The table a column belongs to, also through an alias of the table."""
    if isinstance(clause, Table):
        return clause.name
    inner = getattr(clause, "element", None)
    return inner.name if isinstance(inner, Table) else None


def _category(table: str | None, column: str) -> str | None:
    entry = entries.current().register.by_table.get(table or "")
    return entry.columns.get(column) if entry else None


def touched(statement: str, context: Any) -> tuple[str, dict[str, set[str]]]:
    """The statement's verb and, per mapped table it touches, the categories touched."""
    compiled = getattr(context, "compiled", None)
    core = getattr(compiled, "statement", None)
    match = _VERB.match(statement)
    verb = match.group(1).upper() if match else "?"
    found: dict[str, set[str]] = {}

    def add(table: str | None, category: str | None) -> None:
        if table in entries.current().register.by_table and category:
            found.setdefault(table, set()).add(category)

    if core is None or isinstance(core, TextClause):
        if verb == "INSERT":
            return verb, {}
        for _keyword, name in _TABLE_AFTER.findall(statement):
            for category in _categories_of(name):
                add(name, category)
        return verb, found
    if getattr(compiled, "isinsert", False):
        # Only INSERT … SELECT reads anything: what its SELECT reads.
        core = getattr(core, "select", None)
        if core is None:
            return "INSERT", {}
    for element in visitors.iterate(core):
        if isinstance(element, ColumnClause):
            table = _table_name(getattr(element, "table", None))
            add(table, _category(table, element.name))
    for entry in getattr(compiled, "_result_columns", None) or ():
        for obj in entry.objects:
            if isinstance(obj, ColumnClause):
                table = _table_name(getattr(obj, "table", None))
                add(table, _category(table, obj.name))
    target = _table_name(getattr(core, "table", None))
    if getattr(compiled, "isupdate", False) and target is not None:
        assigned = _UPDATE_SET.search(statement)
        for column in _ASSIGNED.findall(assigned.group(1) if assigned else ""):
            add(target, _category(target, column))
    if getattr(compiled, "isdelete", False) and target in entries.current().register.by_table:
        for category in entries.by_table(target).categories:
            add(target, category)
    return verb, found


def _frames() -> tuple[str, ...]:
    frames = []
    for frame in reversed(traceback.extract_stack()):
        name = frame.filename.replace("\\", "/")
        if _SRC in name:
            short = name.split(_SRC, 1)[1]
            frames.append(f"{short}:{frame.lineno} {frame.name}")
    return tuple(frames)


@dataclass
class SqlGuard:
    violations: list[Violation] = field(default_factory=list)
    # Statements seen and statements touching personal data, to show the watch saw something.
    statements: int = 0
    personal: int = 0
    # Judge only statements run through these parts of src/dataskydd (e.g. "web/", "cli/"):
    # a test's own setup calling services directly is not a route or a command.
    only_through: tuple[str, ...] = ()

    def _before_execute(
        self,
        _connection: Any,
        _cursor: Any,
        statement: str,
        _parameters: Any,
        context: Any,
        _executemany: bool,
    ) -> None:
        self.statements += 1
        verb, tables = touched(statement, context)
        if not tables:
            return
        frames = _frames()
        if not frames:
            return  # the test's own statements (setting up, looking at the outbox)
        if self.only_through and not any(f.startswith(self.only_through) for f in frames):
            return
        self.personal += 1
        if guard.is_internal():
            return
        granted = guard.granted()
        missing = sorted({c for categories in tables.values() for c in categories} - granted)
        if missing:
            self.violations.append(
                Violation(
                    verb=verb,
                    tables=tuple(sorted(tables)),
                    categories=tuple(missing),
                    granted=tuple(sorted(granted)),
                    frames=frames,
                    sql=" ".join(statement.split())[:240],
                )
            )

    @contextmanager
    def watching(self) -> Iterator[SqlGuard]:
        event.listen(Engine, "before_cursor_execute", self._before_execute)
        try:
            yield self
        finally:
            event.remove(Engine, "before_cursor_execute", self._before_execute)

    def report(self) -> str:
        """Each distinct violation once (by place and categories), with how often it happened."""
        counts: dict[tuple[str, tuple[str, ...]], list[Violation]] = {}
        for violation in self.violations:
            counts.setdefault((violation.where, violation.categories), []).append(violation)
        lines = [
            f"  ×{len(items)} {items[0]}"
            for items in sorted(counts.values(), key=lambda v: v[0].where)
        ]
        return f"{len(self.violations)} reads of personal data without a decision:\n" + "\n".join(
            lines
        )

    def assert_clean(self, *, saw_personal_data: bool = True) -> None:
        """No violation; and, unless told otherwise, some statement on personal data was seen
        (a guard that watched nothing proves nothing)."""
        if saw_personal_data:
            assert self.personal, "the guard saw no statement on personal data: is it installed?"
        assert not self.violations, self.report()


def _categories_of(table: str) -> frozenset[str]:
    """The categories a register table holds; none for a table outside the map."""
    mapped = entries.current().register.by_table
    return mapped[table].categories if table in mapped else frozenset()
