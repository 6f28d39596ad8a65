"""Reads and erasure in the company's other systems (docs/data-map.md): PostgreSQL,
MariaDB/MySQL or SQLite databases that dataskydd does not own, described by a `SystemMap`.

A row of another system belongs to the subject when a column matches one of the subject's
identifiers (`identifiers.py`), possibly after foreign-key hops to another mapped table. Only
the mapped tables are reflected, so a large system costs what the map names, and the map is
checked against them before anything is read or written: a missing table or column is a
`DataMapError` naming system, table and column.

Every failure of the other database (refused connection, timeout, a table gone since start-up)
is a `SystemUnavailable` without URL, password or value, after rolling back: erasure in one
system is one transaction, so it either happened or can be tried again from the start.
The callers take each system's URL from `connections.system_url` and pass it in (or an
engine); nothing here reads settings. The reads of one piece of work (a registerutdrag) share
one read-only connection per system through a `Reader`, which hands them all back when the
work ends, however it ends.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from types import MappingProxyType
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Connection,
    CursorResult,
    Date,
    DateTime,
    Engine,
    Enum,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    Select,
    String,
    Table,
    Time,
    TypeDecorator,
    UniqueConstraint,
    bindparam,
    case,
    cast,
    delete,
    false,
    func,
    inspect,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.exc import InvalidRequestError, SQLAlchemyError

from dataskydd.datamap import connections
from dataskydd.datamap.entries import Hop, OnErase, SubjectLink, SystemMap, TableMap
from dataskydd.datamap.identifiers import SubjectIdentifiers
from dataskydd.datamap.map_files import DataMapError
from dataskydd.datamap.map_schema import Identifier
from dataskydd.errors import DataskyddError
from dataskydd.messages_i18n import Msg, joined

__all__ = [
    "Reader",
    "Source",
    "SystemReceipt",
    "TableReceipt",
    "count_by_category",
    "count_rows",
    "erase",
    "iter_rows",
    "reflect",
    "subject_condition",
    "subjects_with_rows",
]

# A system is reached by its URL (engines come from connections.engine_for, one per process)
# or by an engine the caller made.
Source = str | Engine

_EPOCH_DATE = date(1970, 1, 1)


@dataclass(frozen=True)
class TableReceipt:
    table: str
    action: OnErase  # what was done: the map's on_erase, or anonymise where a row must stay
    found: int  # the subject's rows before erasure
    deleted: int = 0
    changed: int = 0  # rows blanked or anonymised


@dataclass(frozen=True)
class SystemReceipt:
    system: str
    tables: tuple[TableReceipt, ...]

    @property
    def found(self) -> int:
        return sum(t.found for t in self.tables)

    @property
    def deleted(self) -> int:
        return sum(t.deleted for t in self.tables)

    @property
    def changed(self) -> int:
        return sum(t.changed for t in self.tables)

    def as_dict(self) -> dict[str, object]:
        return {
            "system": self.system,
            "tables": {
                t.table: {
                    "action": t.action.value,
                    "found": t.found,
                    "deleted": t.deleted,
                    "changed": t.changed,
                }
                for t in self.tables
            },
        }


# ---------------------------------------------------------------------------------------------
# Engines and errors


def _unavailable(system: str, error: BaseException) -> connections.SystemUnavailable:
    # The type name only: driver messages carry host names, and integrity errors the values.
    return connections.SystemUnavailable(
        Msg(
            "system '{system}' could not be reached ({error_type}); nothing was changed there",
            system=system,
            error_type=type(error).__name__,
        )
    )


@contextmanager
def _reaching(system: str, engine: Engine | None = None) -> Iterator[None]:
    """Database failures of another system as SystemUnavailable; a `with engine.begin()`
    inside has already rolled back when this sees the error."""
    kinds: tuple[type[BaseException], ...] = (SQLAlchemyError, OSError)
    dbapi = getattr(engine.dialect, "loaded_dbapi", None) if engine is not None else None
    if dbapi is not None:
        # Errors a driver raises outside SQLAlchemy's wrapping (while streaming, on close).
        kinds += (dbapi.Error,)
    try:
        yield
    except DataskyddError:
        raise
    except kinds as error:
        # `from None`: the chained driver error would print its statement parameters.
        raise _unavailable(system, error) from None


def _engine(system: SystemMap, source: Source, *, read_only: bool) -> Engine:
    if isinstance(source, Engine):
        return source
    parsed = connections.parse_url(source)
    if parsed.get_backend_name() == "sqlite" and not read_only:
        # SQLite would create a missing file and then find no tables: the system is absent.
        database = parsed.database or ""
        if not database or database == ":memory:" or not Path(database).is_file():
            raise _unavailable(system.key, FileNotFoundError())
    try:
        return connections.engine_for(source, read_only)
    except connections.SystemUnavailable:
        # A missing SQLite file, found while opening read-only: the same message as any other.
        raise _unavailable(system.key, FileNotFoundError()) from None


# ---------------------------------------------------------------------------------------------
# Reflection and the map's check against the live tables


@dataclass(frozen=True)
class _Schema:
    tables: Mapping[str, Table]
    # Mapped tables each table's foreign keys point at: erased before those (children first).
    parents: Mapping[str, frozenset[str]]
    # The reads' statements built on these tables (_kept), by what they read.
    statements: dict[tuple[Any, ...], Select[Any]] = field(
        default_factory=dict, compare=False, repr=False
    )


# Per engine, per set of table names: reflected once, never changed afterwards (read-only
# configuration like the map). A changed schema in the other system needs a restart.
_reflected: weakref.WeakKeyDictionary[Engine, dict[frozenset[str], _Schema]] = (
    weakref.WeakKeyDictionary()
)
_reflecting = threading.Lock()


def _wanted(system: SystemMap) -> frozenset[str]:
    names = {entry.table for entry in system.tables}
    names |= {target for entry in system.tables for target, _text in entry.references.values()}
    return frozenset(names)


def _schema(system: SystemMap, engine: Engine) -> _Schema:
    names = _wanted(system)
    with _reflecting:
        cached = _reflected.get(engine, {}).get(names)
    if cached is not None:
        return cached
    with _reaching(system.key, engine), engine.connect() as connection:
        present = set(inspect(connection).get_table_names())
        missing = sorted(names - present)
        if missing:
            raise DataMapError(
                Msg(
                    "{source}: system '{system}' has no table {tables}",
                    source=system.source or system.key,
                    system=system.key,
                    tables=", ".join(repr(name) for name in missing),
                )
            )
        metadata = MetaData()
        # resolve_fks=False: tables outside the map stay unreflected even when referred to.
        metadata.reflect(bind=connection, only=sorted(names), resolve_fks=False)
    parents: dict[str, frozenset[str]] = {}
    for name, table in metadata.tables.items():
        targets = set()
        for foreign_key in table.foreign_keys:
            try:
                targets.add(foreign_key.column.table.name)
            except InvalidRequestError:
                continue  # points at a table outside the map
        parents[name] = frozenset(targets - {name})
    schema = _Schema(MappingProxyType(dict(metadata.tables)), MappingProxyType(parents))
    with _reflecting:
        _reflected.setdefault(engine, {})[names] = schema
    return schema


def _problems(system: SystemMap, tables: Mapping[str, Table]) -> list[str]:
    problems: list[str] = []

    def need(table: str, column: str) -> None:
        if column not in tables[table].c:
            problems.append(
                Msg("table '{table}' has no column '{column}'", table=table, column=column)
            )

    for entry in system.tables:
        named = {*entry.columns, *entry.technical, entry.key, *entry.references}
        if entry.time_column:
            named.add(entry.time_column)
        for column in sorted(named):
            need(entry.table, column)
        for link in entry.links:
            current = entry.table
            for hop in link.via:
                need(current, hop.column)
                need(hop.table, hop.key)
                current = hop.table
            if link.match is not None:
                need(current, link.match.column)
        for target, text in entry.references.values():
            need(target, text)
            need(target, _catalogue_key(tables[target]))
    return list(dict.fromkeys(problems))


def reflect(system: SystemMap, source: Source) -> Mapping[str, Table]:
    """The mapped tables of another system (and the catalogues they refer to), checked against
    the map: DataMapError naming system, table and column when the map names what is not
    there; SystemUnavailable when the system cannot be reached."""
    return _checked(system, _engine(system, source, read_only=True)).tables


# Schemas already checked against a map, by identity: an extract reads a system once per
# category and table, and checking every named column each time cost more than the reads.
# The pair is kept alongside its ids, so an id reused by a new object never matches.
_clean: dict[tuple[int, int], tuple[_Schema, SystemMap]] = {}
_MAX_CLEAN = 256


def _checked(system: SystemMap, engine: Engine) -> _Schema:
    if system.builtin:
        raise ValueError("the built-in register is read by datamap/queries.py")
    schema = _schema(system, engine)
    key = (id(schema), id(system))
    with _reflecting:
        seen = _clean.get(key)
    if seen is not None and seen[0] is schema and seen[1] is system:
        return schema
    problems = _problems(system, schema.tables)
    if problems:
        raise DataMapError(
            Msg(
                "{source}: system '{system}': {problems}",
                source=system.source or system.key,
                system=system.key,
                problems=joined(problems),
            )
        )
    with _reflecting:
        if len(_clean) >= _MAX_CLEAN:
            _clean.clear()
        _clean[key] = (schema, system)
    return schema


# ---------------------------------------------------------------------------------------------
# The subject's rows


def _catalogue_key(table: Table) -> str:
    """The column a reference points at: the catalogue's own primary key when it has one
    column (the map records only the text column), else `id`."""
    key = list(table.primary_key.columns)
    return key[0].name if len(key) == 1 else "id"


def _as_column_type(table: Table, column: str, values: tuple[str, ...]) -> list[Any]:
    """Spellings compared in the column's own type: a customer number kept in an integer
    column is compared as a number (PostgreSQL refuses integer = text)."""
    try:
        python_type = table.c[column].type.python_type
    except NotImplementedError:
        return list(values)
    if issubclass(python_type, int) and not issubclass(python_type, bool):
        return list(dict.fromkeys(int(v) for v in values if v.isdigit()))
    return list(values)


def _matched_table(tables: Mapping[str, Table], entry: TableMap, link: SubjectLink) -> Table:
    """The table whose column the link compares: the last hop's, or the entry's own."""
    return tables[link.via[-1].table] if link.via else tables[entry.table]


# The subject's spellings of one kind of identifier (SubjectIdentifiers.spellings, or a
# Reader's memo of it: a phone number's spellings take ~0.1 ms to work out).
_Spell = Callable[[Identifier], tuple[str, ...]]


def _remembered(
    identifiers: SubjectIdentifiers,
    memo: dict[tuple[SubjectIdentifiers, Identifier], tuple[str, ...]],
) -> _Spell:
    """The identifiers' spellings, each kind worked out once into `memo`."""

    def spell(identifier: Identifier) -> tuple[str, ...]:
        key = (identifiers, identifier)
        found = memo.get(key)
        if found is None:
            found = memo[key] = identifiers.spellings(identifier)
        return found

    return spell


def _match_values(matched: Table, link: SubjectLink, spell: _Spell) -> list[Any]:
    """The spellings one link compares; empty when the subject has no identifier of its kind,
    and the link then matches no row (never an empty IN that matches everything)."""
    if link.match is None:
        return []  # a register link (subject_column); the map schema refuses it here
    return _as_column_type(matched, link.match.column, spell(link.match.identifier))


def _compared(matched: Table, link: SubjectLink) -> ColumnElement[Any]:
    assert link.match is not None  # only links with values reach here
    column: ColumnElement[Any] = matched.c[link.match.column]
    if link.match.identifier is Identifier.EMAIL:
        column = func.lower(column)
    return column


# One link's `the matched table's row is the subject's` (the link's place in the entry, the
# link, the matched table), or None when the link can match no row.
_Match = Callable[[int, SubjectLink, Table], ColumnElement[bool] | None]


def _path_condition(
    tables: Mapping[str, Table],
    entry: TableMap,
    via: tuple[Hop, ...],
    links: list[tuple[int, SubjectLink]],
    match: _Match,
) -> ColumnElement[bool] | None:
    """`row belongs to the subject` along one hop path, for every link that ends on it.

    The links' matches are ORed on the matched table and the hops walked once: one IN-subquery
    per hop whose inner condition can use the matched table's indexes. ORing whole paths
    instead (`a IN (by e-mail) OR a IN (by number)`) makes PostgreSQL and MariaDB scan the
    entry's table (bench_systems_extract.py: 7-9x the index-friendly floor)."""
    matched = tables[via[-1].table] if via else tables[entry.table]
    matches = [
        condition for index, link in links if (condition := match(index, link, matched)) is not None
    ]
    if not matches:
        return None
    condition = or_(*matches)
    # Walk back from the matched table to the entry's own: innermost hop first.
    for index in range(len(via) - 1, -1, -1):
        hop = via[index]
        source = tables[via[index - 1].table] if index > 0 else tables[entry.table]
        target = tables[hop.table]
        keys = select(target.c[hop.key]).where(condition)
        condition = source.c[hop.column].in_(keys)
    return condition


def _condition(tables: Mapping[str, Table], entry: TableMap, match: _Match) -> ColumnElement[bool]:
    paths: dict[tuple[Hop, ...], list[tuple[int, SubjectLink]]] = {}
    for index, link in enumerate(entry.links):
        paths.setdefault(link.via, []).append((index, link))
    conditions = [
        condition
        for via, links in paths.items()
        if (condition := _path_condition(tables, entry, via, links, match)) is not None
    ]
    return or_(*conditions) if conditions else false()


def subject_condition(
    tables: Mapping[str, Table], entry: TableMap, identifiers: SubjectIdentifiers
) -> ColumnElement[bool]:
    """The entry's rows of the subject: any of its links (tables from `reflect`), with the
    identifiers' spellings in the statement."""

    def match(_index: int, link: SubjectLink, matched: Table) -> ColumnElement[bool] | None:
        values = _match_values(matched, link, identifiers.spellings)
        return _compared(matched, link).in_(values) if values else None

    return _condition(tables, entry, match)


# A row holding what the caller asks about: a condition on the entry's own reflected table.
Holding = Callable[[Table], ColumnElement[bool]]


def _owner_key(value: Any) -> str:
    # How a matched value is looked up again: as compared by the database (MariaDB's default
    # collations ignore case and trailing spaces; e-mail addresses are lower-cased anyway).
    return str(value).rstrip(" ").lower()


def _link_owners(
    connection: Connection,
    tables: Mapping[str, Table],
    entry: TableMap,
    link: SubjectLink,
    identifiers: Mapping[int, SubjectIdentifiers],
    holding: Holding,
) -> set[int]:
    """The subjects of `identifiers` one link finds rows of `entry` for that satisfy
    `holding`: one statement with every subject's spellings, reading back only the matched
    column's distinct values, turned into subject ids here."""
    matched = _matched_table(tables, entry, link)
    owners: dict[str, set[int]] = {}
    values: dict[Any, None] = {}
    for subject_id, known in identifiers.items():
        for value in _match_values(matched, link, known.spellings):
            values[value] = None
            owners.setdefault(_owner_key(value), set()).add(subject_id)
    if not values:
        return set()
    table = tables[entry.table]
    compared = _compared(matched, link)
    statement = select(compared).distinct().where(compared.in_(list(values)))
    if link.via:
        # Forward from the entry's rows that hold: the keys each hop reaches, as IN-subqueries
        # (uncorrelated, so a table met twice on the path is read twice).
        reached = select(table.c[link.via[0].column]).where(holding(table)).correlate(None)
        for previous, hop in zip(link.via, link.via[1:], strict=False):
            source = tables[previous.table]
            reached = (
                select(source.c[hop.column])
                .where(source.c[previous.key].in_(reached))
                .correlate(None)
            )
        statement = statement.where(matched.c[link.via[-1].key].in_(reached))
    else:
        statement = statement.where(holding(table))
    found: set[int] = set()
    for value in connection.scalars(statement):
        found |= owners.get(_owner_key(value), set())
    return found


def subjects_with_rows(
    system: SystemMap,
    source: Source,
    identifiers: Mapping[int, SubjectIdentifiers],
    holding: Mapping[str, Holding],
) -> set[int]:
    """The batch form of `subject_condition`: which of the subjects (id → identifiers) have
    rows in the mapped tables named by `holding` that satisfy the table's condition (built on
    the reflected table, e.g. "still holds a value of category X"). Per table and link, one
    read-only statement carrying every subject's spellings; a subject already found is not
    asked about again. Values read stay here: the caller gets subject ids. The system
    unreachable: SystemUnavailable naming it, never its URL."""
    engine = _engine(system, source, read_only=True)
    found: set[int] = set()
    with _reaching(system.key, engine):
        schema = _checked(system, engine)
        with engine.connect() as connection:
            for entry in system.tables:
                condition = holding.get(entry.table)
                if condition is None:
                    continue
                for link in entry.links:
                    left = {i: known for i, known in identifiers.items() if i not in found}
                    if not left:
                        return found
                    found |= _link_owners(connection, schema.tables, entry, link, left, condition)
    return found


# The statements of the reads below are built once per reflected schema and kept in it
# (`_Schema.statements`), with the subject's spellings bound at execution: building SQL
# expressions cost more than running them (bench_systems_extract.py). A link's spellings are
# the expanding parameter `match_<its place in the entry>`; a statement is kept per set of
# links the subject's identifiers can use, since a link without values must be left out.
_MAX_STATEMENTS = 1024


def _parameter(index: int) -> str:
    return f"match_{index}"


def _bound_values(
    tables: Mapping[str, Table], entry: TableMap, spell: _Spell
) -> dict[str, list[Any]]:
    """Per link with values: its parameter and the spellings it compares."""
    values: dict[str, list[Any]] = {}
    for index, link in enumerate(entry.links):
        found = _match_values(_matched_table(tables, entry, link), link, spell)
        if found:
            values[_parameter(index)] = found
    return values


def _bound_condition(
    tables: Mapping[str, Table], entry: TableMap, usable: frozenset[str]
) -> ColumnElement[bool]:
    """subject_condition with each usable link's spellings as its expanding parameter."""

    def match(index: int, link: SubjectLink, matched: Table) -> ColumnElement[bool] | None:
        name = _parameter(index)
        if name not in usable:
            return None
        return _compared(matched, link).in_(bindparam(name, expanding=True))

    return _condition(tables, entry, match)


def _kept(schema: _Schema, key: tuple[Any, ...], build: Callable[[], Select[Any]]) -> Select[Any]:
    statements = schema.statements
    built = statements.get(key)
    if built is None:
        built = build()
        if len(statements) >= _MAX_STATEMENTS:
            statements.clear()  # a caller asking for ever other columns; the map's are few
        statements[key] = built
    return built


def _readable(tables: Mapping[str, Table], entry: TableMap, column: str) -> Any:
    """The column, or for a catalogue reference the catalogue's text under the same name."""
    table = tables[entry.table]
    if column not in entry.references:
        return table.c[column]
    target_name, text_column = entry.references[column]
    target = tables[target_name]
    text = select(target.c[text_column]).where(target.c[_catalogue_key(target)] == table.c[column])
    return text.scalar_subquery().label(column)


def _select_rows(
    tables: Mapping[str, Table],
    entry: TableMap,
    columns: tuple[str, ...] | None,
    usable: frozenset[str],
) -> Select[Any]:
    table = tables[entry.table]
    chosen = [entry.key, *(columns if columns is not None else entry.columns)]
    unknown = sorted(c for c in chosen if c not in table.c)
    if unknown:
        raise DataMapError(
            Msg(
                "system '{system}': table '{table}' has no column {columns}",
                system=entry.system,
                table=entry.table,
                columns=", ".join(repr(c) for c in unknown),
            )
        )
    statement = select(*(_readable(tables, entry, name) for name in dict.fromkeys(chosen)))
    statement = statement.where(_bound_condition(tables, entry, usable))
    key = table.c[entry.key]
    order = [table.c[entry.time_column], key] if entry.time_column else [key]
    return statement.order_by(*order)


def _rows_statement(
    schema: _Schema,
    entry: TableMap,
    usable: frozenset[str],
    columns: Collection[str] | None,
    limit: int | None = None,
) -> Select[Any]:
    chosen = tuple(columns) if columns is not None else None
    key = ("rows", entry, chosen, usable)
    statement = _kept(schema, key, lambda: _select_rows(schema.tables, entry, chosen, usable))
    if limit is None:
        return statement
    return _kept(schema, (*key, limit), lambda: statement.limit(limit))


def _count_statement(schema: _Schema, entry: TableMap, usable: frozenset[str]) -> Select[Any]:
    def build() -> Select[Any]:
        table = schema.tables[entry.table]
        condition = _bound_condition(schema.tables, entry, usable)
        return select(func.count()).select_from(table).where(condition)

    return _kept(schema, ("count", entry, usable), build)


def _categories_statement(schema: _Schema, entry: TableMap, usable: frozenset[str]) -> Select[Any]:
    """Per category of the entry (sorted), the subject's rows holding a value of it."""

    def build() -> Select[Any]:
        table = schema.tables[entry.table]
        # One statement per table: COUNT(CASE ...) counts the rows holding the category.
        holding: list[ColumnElement[Any]] = [
            func.count(
                case(
                    (
                        or_(
                            *(
                                table.c[c].is_not(None)
                                for c, cat in entry.columns.items()
                                if cat == category
                            )
                        ),
                        1,
                    )
                )
            )
            for category in sorted(entry.categories)
        ]
        return select(*holding).where(_bound_condition(schema.tables, entry, usable))

    return _kept(schema, ("categories", entry, usable), build)


def _close_quietly(connection: Connection) -> None:
    """Roll back a read connection and hand it back to its pool. One that cannot even roll
    back (its server gone) is invalidated instead: its socket closed and the pool's count
    freed. Nothing read needs keeping, and the error that ended the work is the one to tell."""
    try:
        connection.close()
    except Exception:
        with suppress(Exception):
            connection.invalidate()


class Reader:
    """Reads of the company's other systems for one piece of work (a registerutdrag), at most
    one read-only connection per system: opened at the system's first read and kept for the
    next, so a system costs one pool checkout, one ping and one transaction instead of one per
    table read (bench_systems_extract.py).

    Use it as a context manager around the whole work: leaving the `with` block closes every
    connection on every path, so an extract that fails in one system leaves no transaction
    open in another (MariaDB's DROP DATABASE, for one, waits for it). A read that fails gives
    its connection back at once; the next read of that system opens a new one. One read at a
    time per system: its rows are read (or the read dropped) before the next one starts."""

    def __init__(self) -> None:
        self._connections: dict[Engine, Connection] = {}
        self._engines: dict[Source, Engine] = {}
        # Results being read, closed before their connection (a server-side cursor left
        # behind would otherwise be closed later on a connection someone else holds).
        self._reading: dict[int, CursorResult[Any]] = {}
        # Spellings worked out once per piece of work, and forgotten with it (personal data).
        self._spellings: dict[tuple[SubjectIdentifiers, Identifier], tuple[str, ...]] = {}

    def __enter__(self) -> Reader:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        reading, self._reading = self._reading, {}
        for result in reading.values():
            with suppress(Exception):
                result.close()
        held, self._connections = self._connections, {}
        for connection in held.values():
            _close_quietly(connection)

    def _release(self, engine: Engine) -> None:
        connection = self._connections.pop(engine, None)
        if connection is not None:
            _close_quietly(connection)

    def release(self, system: SystemMap, source: Source) -> None:
        """Hand the system's connection back now, its transaction ended, when no more reads
        of it are due soon: nothing is then held there while the rest of the work goes on. A
        later read of the system takes a connection again."""
        self._release(self._engine(system, source))

    def _engine(self, system: SystemMap, source: Source) -> Engine:
        # Kept per source: parsing the URL again for every read cost more than the lookup.
        engine = self._engines.get(source)
        if engine is None:
            engine = self._engines[source] = _engine(system, source, read_only=True)
        return engine

    def _connection(self, engine: Engine) -> Connection:
        connection = self._connections.get(engine)
        if connection is None or connection.closed or connection.invalidated:
            connection = engine.connect()
            self._connections[engine] = connection
        return connection

    @contextmanager
    def _releasing_on_error(self, engine: Engine) -> Iterator[None]:
        try:
            yield
        except GeneratorExit:
            raise  # the rows were dropped: the connection stays good for the next read
        except BaseException:
            # A failed statement leaves the transaction unusable (PostgreSQL aborts it).
            self._release(engine)
            raise

    def _prepared(
        self,
        system: SystemMap,
        source: Source,
        entry: TableMap,
        identifiers: SubjectIdentifiers,
        columns: Collection[str] | None,
        limit: int | None = None,
    ) -> tuple[Engine, Select[Any], dict[str, list[Any]]]:
        engine = self._engine(system, source)
        schema = _checked(system, engine)
        values = _bound_values(schema.tables, entry, _remembered(identifiers, self._spellings))
        return engine, _rows_statement(schema, entry, frozenset(values), columns, limit), values

    def few_rows(
        self,
        system: SystemMap,
        source: Source,
        entry: TableMap,
        identifiers: SubjectIdentifiers,
        columns: Collection[str] | None = None,
        *,
        limit: int,
    ) -> list[dict[str, Any]] | None:
        """The subject's rows of one mapped table as `iter_rows` gives them, when there are
        at most `limit`: read in one plain statement (the first `limit` and one more, to
        learn whether there are more), one round trip. None when there are more."""
        engine, statement, values = self._prepared(
            system, source, entry, identifiers, columns, limit + 1
        )
        with _reaching(system.key, engine), self._releasing_on_error(engine):
            rows = self._connection(engine).execute(statement, values).mappings().all()
        return [dict(row) for row in rows] if len(rows) <= limit else None

    def iter_rows(
        self,
        system: SystemMap,
        source: Source,
        entry: TableMap,
        identifiers: SubjectIdentifiers,
        columns: Collection[str] | None = None,
        *,
        batch_size: int = 1000,
    ) -> Iterator[dict[str, Any]]:
        """As the module's `iter_rows`, on the system's connection of this reader."""
        engine, statement, values = self._prepared(system, source, entry, identifiers, columns)
        streams = engine.dialect.supports_server_side_cursors
        if streams:
            # A subject has a few rows in most tables: a batch in one plain statement, one
            # round trip, where a server-side cursor takes four on PostgreSQL (DECLARE,
            # describe, FETCH, CLOSE). At most a batch in memory, as when streaming.
            few = self.few_rows(system, source, entry, identifiers, columns, limit=batch_size)
            if few is not None:
                yield from few
                return
            # More than a batch: all of them again from one statement, streamed, so that a
            # change in between can neither double nor drop a row.
        with _reaching(system.key, engine), self._releasing_on_error(engine):
            connection = self._connection(engine)
            yield from self._streamed(connection, statement, values, batch_size, streams)

    def _streamed(
        self,
        connection: Connection,
        statement: Select[Any],
        values: dict[str, list[Any]],
        batch_size: int,
        server_side: bool,
    ) -> Iterator[dict[str, Any]]:
        # psycopg: a named cursor; PyMySQL: SSCursor. SQLite's cursor already reads lazily.
        options = {"yield_per": batch_size} if server_side else {}
        result = connection.execute(statement, values, execution_options=options)
        self._reading[id(result)] = result
        try:
            rows = result.mappings()
            while True:
                batch = rows.fetchmany(batch_size)
                for row in batch:
                    yield dict(row)
                # A short batch is the last (DB-API fetchmany): no further round trip to
                # learn that the cursor is done.
                if len(batch) < batch_size:
                    break
        finally:
            self._reading.pop(id(result), None)
            result.close()


def iter_rows(
    system: SystemMap,
    source: Source,
    entry: TableMap,
    identifiers: SubjectIdentifiers,
    columns: Collection[str] | None = None,
    *,
    batch_size: int = 1000,
) -> Iterator[dict[str, Any]]:
    """The subject's rows of one mapped table, streamed: dicts of the key column and
    `columns` (default: every mapped column; references as their catalogue text), ordered by
    the table's time column, then its key. Memory stays flat however many rows there are:
    server-side cursors on PostgreSQL and MariaDB, fetchmany on SQLite.

    On a connection of its own, handed back when the rows end or are dropped; the reads of
    one piece of work share one per system through a `Reader`."""
    with Reader() as reader:
        yield from reader.iter_rows(
            system, source, entry, identifiers, columns, batch_size=batch_size
        )


def count_rows(
    system: SystemMap, source: Source, entry: TableMap, identifiers: SubjectIdentifiers
) -> int:
    engine = _engine(system, source, read_only=True)
    schema = _checked(system, engine)
    values = _bound_values(schema.tables, entry, identifiers.spellings)
    statement = _count_statement(schema, entry, frozenset(values))
    with _reaching(system.key, engine), engine.connect() as connection:
        return int(connection.scalar(statement, values) or 0)


def count_by_category(
    system: SystemMap, source: Source, identifiers: SubjectIdentifiers
) -> dict[str, dict[str, int]]:
    """Per policy category, per table: the subject's rows holding a value of it (as the
    register's erasure plan counts them). Categories and tables without rows are left out."""
    engine = _engine(system, source, read_only=True)
    schema = _checked(system, engine)
    counts: dict[str, dict[str, int]] = {}
    spell = _remembered(identifiers, {})
    with _reaching(system.key, engine), engine.connect() as connection:
        for entry in system.tables:
            values = _bound_values(schema.tables, entry, spell)
            statement = _categories_statement(schema, entry, frozenset(values))
            row = connection.execute(statement, values).one()
            for category, count in zip(sorted(entry.categories), row, strict=True):
                if count:
                    counts.setdefault(category, {})[entry.table] = int(count)
    return counts


# ---------------------------------------------------------------------------------------------
# Erasure


def _neutral(system: SystemMap, entry: TableMap, table: Table, column: str) -> Any:
    """A value that says nothing, for a NOT NULL column of a row that must stay; for a UNIQUE
    text column, one per row (the row's key after a prefix), so two erased rows never clash."""
    kind = table.c[column].type
    if isinstance(kind, TypeDecorator):  # e.g. the register's UtcDateTime: what it stores
        kind = kind.impl_instance
    if isinstance(kind, String) and not isinstance(kind, Enum) and is_unique(table, column):
        return literal("-") + cast(table.c[entry.key], String)
    if isinstance(kind, Enum) and kind.enums:  # before String: an Enum is a String
        return kind.enums[0]
    if isinstance(kind, String):
        return ""
    if isinstance(kind, Boolean):
        return False
    if isinstance(kind, Integer | Numeric):
        return 0
    if isinstance(kind, DateTime):
        # An aware value for TIMESTAMP WITH TIME ZONE, so the session's zone cannot shift it.
        return datetime.combine(_EPOCH_DATE, time(), UTC if kind.timezone else None)
    if isinstance(kind, Date):
        return _EPOCH_DATE
    if isinstance(kind, Time):
        return time()
    if isinstance(kind, LargeBinary):
        return b""
    raise DataMapError(
        Msg(
            "system '{key}': table '{table}' column '{column}' is NOT "
            "NULL and of a type ({error_type}) with no neutral value; map the "
            "table on_erase: delete",
            key=system.key,
            table=entry.table,
            column=column,
            error_type=type(kind).__name__,
        )
    )


def is_unique(table: Table, column: str) -> bool:
    if table.c[column].unique:
        return True
    keyed = [*table.constraints, *table.indexes]
    return any(
        isinstance(item, UniqueConstraint | Index)
        and (not isinstance(item, Index) or item.unique)
        and [c.name for c in item.columns] == [column]
        for item in keyed
    )


@dataclass(frozen=True)
class EraseStep:
    entry: TableMap
    action: OnErase
    values: Mapping[str, Any]  # for blank and anonymise


def erase_step(
    system: SystemMap, table: Table, entry: TableMap, erased: frozenset[str]
) -> EraseStep:
    columns = [c for c, category in entry.columns.items() if category in erased]
    keeps_some = any(category not in erased for category in entry.columns.values())
    action = entry.on_erase
    if action is OnErase.DELETE and keeps_some:
        # The row holds categories kept under a legal duty: it stays, the rest goes.
        action = OnErase.ANONYMISE
    if action is OnErase.DELETE:
        return EraseStep(entry, action, {})
    values: dict[str, Any] = {}
    for column in columns:
        if table.c[column].nullable:
            values[column] = None
        elif action is OnErase.BLANK:
            raise DataMapError(
                Msg(
                    "system '{key}': table '{table}' column '{column}' is NOT "
                    "NULL, so on_erase: blank cannot empty it; map the table "
                    "on_erase: anonymise",
                    key=system.key,
                    table=entry.table,
                    column=column,
                )
            )
        else:
            values[column] = _neutral(system, entry, table, column)
    return EraseStep(entry, action, values)


def _children_first(system: SystemMap, schema: _Schema) -> list[TableMap]:
    """Mapped tables ordered so that a table comes before every table it hops to or has a
    foreign key to: children go (or lose their link) before their parents, so foreign keys
    hold and a child is still found through its parent's identifiers."""
    parents: dict[str, set[str]] = {entry.table: set() for entry in system.tables}
    for entry in system.tables:
        parents[entry.table] |= {hop.table for link in entry.links for hop in link.via}
        parents[entry.table] |= schema.parents.get(entry.table, frozenset()) & parents.keys()
        parents[entry.table].discard(entry.table)
    children: dict[str, list[str]] = {name: [] for name in parents}
    for child, its_parents in parents.items():
        for parent in its_parents:
            children[parent].append(child)
    ordered: list[str] = []
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in visiting:
            return  # done or a cycle: the map order breaks it
        visiting.add(name)
        for child in children[name]:
            visit(child)
        ordered.append(name)

    for entry in system.tables:
        visit(entry.table)
    return [system.by_table[name] for name in ordered]


def erase(
    system: SystemMap,
    source: Source,
    categories: Collection[str],
    identifiers: SubjectIdentifiers,
) -> SystemReceipt:
    """Erase the subject's values of `categories` from one other system, in one transaction.

    Per table holding an erased category, the map's on_erase: delete the rows, blank (NULL)
    the erased columns, or anonymise them (NULL, or a neutral value where NOT NULL). A table
    that also holds categories not erased (kept under a legal duty) keeps its rows: their
    erased columns are anonymised and the rest is untouched. Tables are worked children first.
    Nothing is written unless the whole system's erasure can be planned and carried out."""
    erased = frozenset(categories)
    engine = _engine(system, source, read_only=False)
    schema = _checked(system, engine)
    steps = [
        erase_step(system, schema.tables[entry.table], entry, erased)
        for entry in _children_first(system, schema)
        if entry.categories & erased
    ]
    receipts: list[TableReceipt] = []
    with _reaching(system.key, engine), engine.begin() as connection:
        for step in steps:
            table = schema.tables[step.entry.table]
            condition = subject_condition(schema.tables, step.entry, identifiers)
            found = int(
                connection.scalar(select(func.count()).select_from(table).where(condition)) or 0
            )
            deleted = changed = 0
            if found and step.action is OnErase.DELETE:
                deleted = connection.execute(delete(table).where(condition)).rowcount
            elif found and step.values:
                statement = update(table).where(condition).values(dict(step.values))
                changed = connection.execute(statement).rowcount
            receipts.append(TableReceipt(step.entry.table, step.action, found, deleted, changed))
    return SystemReceipt(system.key, tuple(receipts))


# ---------------------------------------------------------------------------------------------
# Retention (retention/external_rows.py works the rows; this opens the way)


def writable_tables(system: SystemMap, source: Source) -> tuple[Engine, Mapping[str, Table]]:
    """The system's engine for writing and its mapped tables, checked against the map; a
    system that cannot be reached is SystemUnavailable, as for a request."""
    engine = _engine(system, source, read_only=False)
    with _reaching(system.key, engine):
        schema = _checked(system, engine)
    return engine, schema.tables


def reaching(system: str, engine: Engine) -> AbstractContextManager[None]:
    """Database failures of another system as SystemUnavailable (no value, no URL)."""
    return _reaching(system, engine)
