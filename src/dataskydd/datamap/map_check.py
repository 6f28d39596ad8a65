"""The policy and the data map checked together (`dataskydd policy check`, the DPO's
`/systems` page; docs/data-map-checks.md).

`check_maps` needs no connection: every category a map names must be in the policy, every
category of the policy should be held somewhere, and the built-in register's map must match
dataskydd's own tables column by column. `check_live` connects to each other system read-only
(bounded by the connect timeout) and compares its map with the schema the database reports;
given a session it also makes sure the register tables the map calls unused hold no rows.

Findings name the map file, the line and the field; never a URL, a password or a value.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, MetaData, inspect, literal, select
from sqlalchemy import types as sqltypes
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from dataskydd.config import Settings
from dataskydd.datamap import connections
from dataskydd.datamap.entries import INTERNAL_TABLES, DataMap, OnErase, SystemMap, TableMap
from dataskydd.errors import ConfigurationError, DataskyddError
from dataskydd.policy.checks import Finding, Severity
from dataskydd.policy.schema import Policy
from dataskydd.yaml_files import Locations, YamlPath, format_path, line_of

__all__ = [
    "NO_ANSWER",
    "UNREACHABLE_REASONS",
    "LiveResult",
    "MapFinding",
    "check_live",
    "check_maps",
    "check_unused_tables",
    "findings_of",
    "inspect_system",
    "url_setting",
]

# Register columns the code itself asks the category of (datamap/entries.py, history.py,
# subject_requests/outbox.py): a company's register map must keep them personal-data columns.
_COLUMNS_THE_CODE_NAMES: tuple[tuple[str, str], ...] = (
    ("subject", "given_name"),
    ("contact_point", "value"),
    ("rectification", "old_value"),
    ("outbox_mail", "to_address"),
)


@dataclass(frozen=True)
class MapFinding(Finding):
    """A finding in a data map file (or, for a category no system holds, the policy file)."""

    source: str = ""  # the file's name
    system: str = ""  # the system's key; empty for a finding about the policy


class _Report:
    """Findings about one file, with lines looked up in its locations."""

    def __init__(self, source: str, system: str, locations: Locations | None) -> None:
        self.source = source
        self.system = system
        self.locations: Locations = locations or {}
        self.findings: list[MapFinding] = []

    def add(self, severity: Severity, code: str, path: YamlPath, message: str) -> None:
        self.findings.append(
            MapFinding(
                severity=severity,
                code=code,
                path=format_path(path),
                message=message,
                line=line_of(self.locations, path),
                source=self.source,
                system=self.system,
            )
        )

    def error(self, code: str, path: YamlPath, message: str) -> None:
        self.add("error", code, path, message)

    def warning(self, code: str, path: YamlPath, message: str) -> None:
        self.add("warning", code, path, message)


def _report(system: SystemMap, locations: Mapping[str, Locations] | None) -> _Report:
    return _Report(system.source, system.key, (locations or {}).get(system.key))


# --- static checks --------------------------------------------------------------------------


def check_maps(
    policy: Policy,
    data_map: DataMap,
    *,
    register_metadata: MetaData,
    locations: Mapping[str, Locations] | None = None,
    policy_source: str = "policy",
    policy_locations: Locations | None = None,
) -> list[MapFinding]:
    """Every finding that needs no connection. `register_metadata` is dataskydd's own schema
    (`dataskydd.db.base.Base.metadata` with every model module imported)."""
    findings: list[MapFinding] = []
    for system in data_map.systems:
        report = _report(system, locations)
        _categories_in_policy(policy, system, report)
        if system.builtin:
            _register_schema(system, register_metadata, report)
        findings.extend(report.findings)
    policy_report = _Report(policy_source, "", policy_locations)
    _categories_held(policy, data_map, policy_report)
    findings.extend(policy_report.findings)
    return findings


def _categories_in_policy(policy: Policy, system: SystemMap, report: _Report) -> None:
    for entry in system.tables:
        unknown: dict[str, list[str]] = {}
        for column, category in entry.columns.items():
            if category not in policy.categories:
                unknown.setdefault(category, []).append(column)
        for category, columns in unknown.items():
            noun = "column" if len(columns) == 1 else "columns"
            report.error(
                "unknown_category",
                ("tables", entry.table, "columns", columns[0]),
                f"table {entry.table}, {noun} {', '.join(columns)}: category {category!r} is "
                "not declared under the policy's categories, so a registerutdrag could not "
                "say what the data is",
            )


def _categories_held(policy: Policy, data_map: DataMap, report: _Report) -> None:
    held = set(data_map.categories) | _website_categories(policy)
    for key in policy.categories:
        if key not in held:
            report.warning(
                "category_not_held",
                ("categories", key),
                f"category {key!r} is declared in the policy, but no system of the data map "
                "holds it (map the columns that hold it, or remove it from the policy)",
            )


def _website_categories(policy: Policy) -> set[str]:
    """Categories dataskydd's own website events hold: those of the purposes the banner's
    visit-measuring and tracking-pixel choices are consent for (anonymous visitors, so in no
    system map)."""
    banner = policy.consent_banner
    if banner is None:
        return set()
    purposes = {
        choice.policy_purpose
        for choice in banner.purposes.values()
        if (choice.measures_visits or choice.tracking_pixel) and choice.policy_purpose
    }
    return {
        category
        for key in purposes
        if key in policy.purposes
        for category in policy.purposes[key].categories
    }


def _register_schema(system: SystemMap, metadata: MetaData, report: _Report) -> None:
    tables = metadata.tables
    listed = set(system.by_table) | set(system.unmapped) | set(system.unused)
    for name in sorted(tables):
        if name not in listed and name not in INTERNAL_TABLES:
            report.error(
                "register_table_not_listed",
                ("tables",),
                f"register table {name} is neither mapped, unmapped nor "
                "unused; say which columns hold personal data, or why none does",
            )
    for section, names in (("unmapped", sorted(system.unmapped)), ("unused", system.unused)):
        for name in sorted(names):
            if name not in tables:
                path: YamlPath = (section, name) if section == "unmapped" else (section,)
                report.error(
                    "unknown_table",
                    path,
                    f"{section} names table {name}, which the register does not have",
                )
    for entry in system.tables:
        if entry.table not in tables:
            report.error(
                "unknown_table",
                ("tables", entry.table),
                f"table {entry.table} is not a table of the register",
            )
            continue
        _register_table(system, entry, metadata, report)
    for table, column in _COLUMNS_THE_CODE_NAMES:
        mapped = system.by_table.get(table)
        if table in tables and (mapped is None or column not in mapped.columns):
            report.error(
                "code_needs_column",
                ("tables", table) if mapped else ("tables",),
                f"the software shows and erases {table}.{column} as personal "
                "data, so the register map must give it a category",
            )


def _register_table(
    system: SystemMap, entry: TableMap, metadata: MetaData, report: _Report
) -> None:
    table = metadata.tables[entry.table]
    actual = {column.name for column in table.columns}
    base: YamlPath = ("tables", entry.table)
    for section, names in (("columns", list(entry.columns)), ("technical", entry.technical)):
        for name in sorted(names):
            if name not in actual:
                report.error(
                    "unknown_column",
                    (*base, section, name) if section == "columns" else (*base, section),
                    f"table {entry.table} has no column {name}",
                )
    for name in sorted(actual - set(entry.columns) - set(entry.technical)):
        report.error(
            "column_not_classified",
            base,
            f"column {entry.table}.{name} is neither a personal-data column "
            "(under columns, with its category) nor listed as technical",
        )
    for index in range(len(entry.links)):
        _register_link(system, entry, index, metadata, report)
    for column, (target, text) in entry.references.items():
        other = metadata.tables.get(target)
        if other is None or text not in other.c:
            report.error(
                "broken_reference",
                (*base, "references", column),
                f"tables.{entry.table}.references.{column} points at "
                f"{target}.{text}, which the register does not have",
            )


def _register_link(
    system: SystemMap, entry: TableMap, index: int, metadata: MetaData, report: _Report
) -> None:
    link = entry.links[index]
    path: YamlPath = ("tables", entry.table, "links", index)
    current = metadata.tables[entry.table]
    for position, hop in enumerate(link.via):
        target = metadata.tables.get(hop.table)
        where: YamlPath = (*path, "via", position)
        if hop.column not in current.c or target is None or hop.key not in target.c:
            report.error(
                "broken_link",
                where,
                f"tables.{entry.table}: the link's hop {current.name}."
                f"{hop.column} -> {hop.table}.{hop.key} names a column or table the register "
                "does not have",
            )
            return
        if not any(fk.column is target.c[hop.key] for fk in current.c[hop.column].foreign_keys):
            report.error(
                "broken_link",
                where,
                f"tables.{entry.table}: {current.name}.{hop.column} does not "
                f"refer to {hop.table}.{hop.key}",
            )
            return
        current = target
    column = link.subject_column or ""
    if column not in current.c:
        report.error(
            "broken_link",
            (*path, "subject_column"),
            f"tables.{entry.table}: table {current.name} has no column "
            f"{column} to reach the subject by",
        )


# --- live checks ----------------------------------------------------------------------------


@dataclass(frozen=True)
class LiveResult:
    """What connecting to one system found: whether it answered, why not, and the findings."""

    system: str
    reachable: bool
    reason: str | None = None  # why it could not be reached; no URL, no password
    findings: list[MapFinding] = field(default_factory=list)


def url_setting(system: str) -> str:
    """The name of the setting that holds the system's URL (never the URL itself)."""
    variable = connections.url_variable(system)
    return variable if os.environ.get(variable) else "DATASKYDD_SYSTEMS_SECRETS_FILE"


# Why a system could not be reached, in fixed words (the DPO's page translates them) that
# carry neither the URL nor the password, by words in the driver's message.
NO_ANSWER = "no answer in time"
_REASONS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("password", "authentication", "access denied"), "the server refused the credentials"),
    (("does not exist", "unknown database"), "the database does not exist on the server"),
    (("timeout", "timed out"), NO_ANSWER),
    (("refused", "can't connect", "could not connect"), "the connection was refused"),
    (("name or service", "could not translate", "resolve"), "the host name is not known"),
    (("unable to open", "readonly", "read-only"), "the database file could not be opened"),
)


_NO_FILE = "the database file does not exist"
_NO_URL = "no usable connection URL is configured"
_MISCONFIGURED = "the connection is not configured correctly"
_OTHER = "the database answered with an error"
UNREACHABLE_REASONS = frozenset(
    {_NO_FILE, _NO_URL, _MISCONFIGURED, _OTHER, *(reason for _words, reason in _REASONS)}
)


def _reason(error: BaseException) -> str:
    if isinstance(error, connections.SystemUnavailable):
        return _NO_FILE
    if isinstance(error, ConfigurationError):
        return _NO_URL
    if isinstance(error, DataskyddError):
        return _MISCONFIGURED
    text = str(getattr(error, "orig", None) or error).lower()
    for words, reason in _REASONS:
        if any(word in text for word in words):
            return reason
    return _OTHER


def _unreachable_message(system: str, error: BaseException) -> str:
    if isinstance(error, ConfigurationError):
        # Its messages name the setting to fix, never the URL (datamap/connections.py).
        return f"system {system!r} cannot be reached: {error}"
    detail = str(error) if isinstance(error, DataskyddError) else _reason(error)
    return f"system {system!r} cannot be reached: {detail} (its URL is in {url_setting(system)})"


def inspect_system(
    system: SystemMap, settings: Settings, *, locations: Mapping[str, Locations] | None = None
) -> LiveResult:
    """Connect read-only to another system and compare its map with the live schema."""
    report = _report(system, locations)
    try:
        url = connections.system_url(system.key, settings)
        engine = connections.engine_for(url, True)
        with engine.connect() as connection:
            schema = _LiveSchema.read(connection.engine, connection, _named_tables(system))
    except (SQLAlchemyError, DataskyddError, OSError) as error:
        report.error("unreachable", ("system",), _unreachable_message(system.key, error))
        return LiveResult(system.key, False, _reason(error), report.findings)
    _compare(system, schema, report)
    return LiveResult(system.key, True, None, report.findings)


def check_live(
    data_map: DataMap,
    settings: Settings,
    *,
    session: Session | None = None,
    register_metadata: MetaData | None = None,
    locations: Mapping[str, Locations] | None = None,
) -> list[MapFinding]:
    """Every other system against its live schema; with a session of dataskydd's database,
    also the register tables its map calls unused (they must hold no rows)."""
    findings: list[MapFinding] = []
    if session is not None and register_metadata is not None:
        findings.extend(
            check_unused_tables(data_map.register, session, register_metadata, locations)
        )
    for system in data_map.external:
        findings.extend(inspect_system(system, settings, locations=locations).findings)
    return findings


def check_unused_tables(
    register: SystemMap,
    session: Session,
    metadata: MetaData,
    locations: Mapping[str, Locations] | None = None,
) -> list[MapFinding]:
    report = _report(register, locations)
    for name in sorted(register.unused):
        table = metadata.tables.get(name)
        if table is None:
            continue  # reported by check_maps
        if session.execute(select(literal(1)).select_from(table).limit(1)).first() is not None:
            report.error(
                "unused_table_has_rows",
                ("unused",),
                f"table {name} is listed as unused but holds rows; map it "
                "so that registerutdrag, erasure and retention reach them",
            )
    return report.findings


@dataclass(frozen=True)
class _Column:
    type: Any
    type_name: str
    nullable: bool


@dataclass(frozen=True)
class _LiveSchema:
    tables: dict[str, dict[str, _Column]]  # the columns of the tables the map names
    names: frozenset[str]  # every table and view of the system

    @classmethod
    def read(cls, engine: Engine, connection: Any, wanted: set[str]) -> _LiveSchema:
        inspector = inspect(connection)
        names = frozenset(inspector.get_table_names()) | frozenset(inspector.get_view_names())
        tables: dict[str, dict[str, _Column]] = {}
        for name in sorted(names & wanted):
            columns: dict[str, _Column] = {}
            for column in inspector.get_columns(name):
                columns[column["name"]] = _Column(
                    column["type"],
                    _type_name(column["type"], engine),
                    bool(column.get("nullable", True)),
                )
            tables[name] = columns
        return cls(tables, names)


def _named_tables(system: SystemMap) -> set[str]:
    named = set(system.by_table)
    for entry in system.tables:
        named |= {target for target, _text in entry.references.values()}
        named |= {hop.table for link in entry.links for hop in link.via}
    return named


def _type_name(column_type: Any, engine: Engine) -> str:
    try:
        return str(column_type.compile(dialect=engine.dialect))
    except Exception:  # a reflected type the dialect cannot print
        return type(column_type).__name__


def _compare(system: SystemMap, schema: _LiveSchema, report: _Report) -> None:
    for entry in system.tables:
        base: YamlPath = ("tables", entry.table)
        columns = schema.tables.get(entry.table)
        if columns is None:
            report.error(
                "missing_table",
                base,
                f"system {system.key!r} has no table {entry.table}",
            )
            continue
        for section, names in (("columns", list(entry.columns)), ("technical", entry.technical)):
            for name in sorted(names):
                if name not in columns:
                    report.error(
                        "missing_column",
                        (*base, section, name) if section == "columns" else (*base, section),
                        f"system {system.key!r}: table {entry.table} has no column {name}",
                    )
        for name in sorted(set(columns) - set(entry.columns) - set(entry.technical)):
            report.warning(
                "column_not_classified",
                base,
                f"system {system.key!r}: column {entry.table}.{name} is neither a "
                "personal-data column nor listed as technical",
            )
        _live_links(system, entry, schema, report)
        _live_time_column(system, entry, columns, report)
        if entry.on_erase is OnErase.BLANK:
            for name in sorted(entry.columns):
                column = columns.get(name)
                if column is not None and not column.nullable:
                    report.error(
                        "blank_not_null",
                        (*base, "on_erase"),
                        f"system {system.key!r}: on_erase is blank, but {entry.table}.{name} "
                        "is NOT NULL, so it cannot be blanked (use anonymise)",
                    )
        for column_name, (target, text) in entry.references.items():
            if text not in schema.tables.get(target, {}):
                report.error(
                    "broken_reference",
                    (*base, "references", column_name),
                    f"system {system.key!r}: {entry.table}.{column_name} points at "
                    f"{target}.{text}, which the system does not have",
                )
    for name in sorted(system.unmapped):
        if name not in schema.names:
            report.warning(
                "missing_table",
                ("unmapped", name),
                f"system {system.key!r} has no table {name} (listed as unmapped)",
            )
    listed = set(system.by_table) | set(system.unmapped)
    for name in sorted(schema.names - listed):
        report.warning(
            "table_not_listed",
            ("tables",),
            f"system {system.key!r}: table {name} is neither mapped nor unmapped; say which "
            "columns hold personal data, or why none does",
        )


def _live_links(system: SystemMap, entry: TableMap, schema: _LiveSchema, report: _Report) -> None:
    for index, link in enumerate(entry.links):
        path: YamlPath = ("tables", entry.table, "links", index)
        current = entry.table
        broken = False
        for position, hop in enumerate(link.via):
            here = schema.tables.get(current, {})
            target = schema.tables.get(hop.table)
            missing = _first_missing(
                ((current, hop.column, here), (hop.table, hop.key, target or {})),
            )
            if missing is not None:
                report.error(
                    "broken_link",
                    (*path, "via", position),
                    f"system {system.key!r}: tables.{entry.table}: the link's hop "
                    f"{current}.{hop.column} -> {hop.table}.{hop.key} cannot be followed: "
                    f"{missing}",
                )
                broken = True
                break
            current = hop.table
        if broken or link.match is None:
            continue
        if link.match.column not in schema.tables.get(current, {}):
            report.error(
                "broken_link",
                (*path, "match", "column"),
                f"system {system.key!r}: tables.{entry.table}: table {current} has no column "
                f"{link.match.column} to match the subject's {link.match.identifier.value}",
            )


def _first_missing(wanted: Iterable[tuple[str, str, Mapping[str, _Column]]]) -> str | None:
    for table, column, columns in wanted:
        if not columns:
            return f"there is no table {table}"
        if column not in columns:
            return f"table {table} has no column {column}"
    return None


def _live_time_column(
    system: SystemMap, entry: TableMap, columns: Mapping[str, _Column], report: _Report
) -> None:
    if entry.time_column is None or entry.time_column not in columns:
        return
    column = columns[entry.time_column]
    if not isinstance(column.type, sqltypes.Date | sqltypes.DateTime):
        report.error(
            "time_column_type",
            ("tables", entry.table, "time_column"),
            f"system {system.key!r}: time_column {entry.table}.{entry.time_column} is of type "
            f"{column.type_name}, not a date or time; retention cannot count from it",
        )


def findings_of(findings: Iterable[Finding], system: str) -> Iterator[Finding]:
    """The findings about one system."""
    return (f for f in findings if isinstance(f, MapFinding) and f.system == system)
