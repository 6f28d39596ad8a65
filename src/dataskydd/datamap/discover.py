"""Propose a data map for another system by looking at its database (docs/discovery.md).

`discover(url)` connects read-only (`connections.open_engine(url, read_only=True)`), reflects
the tables (columns, types, primary and foreign keys), reads at most `sample_rows` rows of
each table with a LIMIT, classifies every column (`classify.py`) and proposes how each table
reaches its subject: a `match` on an identifier column of its own, else `via` foreign keys to
a table that has one. Tables without anything personal are proposed as unmapped.

What it reads is bounded: one SELECT … LIMIT per table (on PostgreSQL, tables the planner
estimates at more than ten times the sample are read with TABLESAMPLE SYSTEM, so the sample
spreads over the table instead of its first pages); long text is cut to its first
`TEXT_PREFIX` characters in the SELECT itself; binary, JSON and other structured columns are
not read at all. Row counts are the catalogue's estimates (`pg_class.reltuples`,
`information_schema.tables.table_rows`), never `count(*)`.

Sampled values live only inside `_sample_table` while its columns are classified; the
`Proposal` holds names, kinds and counts, and nothing it renders quotes a value.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, column, func, inspect, select, table, tablesample, text
from sqlalchemy import types as sqltypes
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine.interfaces import ReflectedColumn
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import FromClause

from dataskydd.datamap.classify import (
    LABELS,
    Basis,
    Classification,
    Kind,
    TypeFamily,
    classify_column,
)
from dataskydd.datamap.connections import (
    SystemUnavailable,
    describe,
    open_engine,
    parse_url,
)
from dataskydd.datamap.map_schema import Identifier
from dataskydd.errors import ConfigurationError, InvalidInput
from dataskydd.messages_i18n import Msg

DEFAULT_SAMPLE_ROWS = 200
MAX_SAMPLE_ROWS = 10_000
DEFAULT_MAX_TABLES = 500
TEXT_PREFIX = 1_000  # characters of a long text value read: enough to tell prose from codes
# Above this many times the sample, a PostgreSQL table is read with TABLESAMPLE SYSTEM.
_TABLESAMPLE_FACTOR = 10
_MAX_LINKS = 8  # map_schema.TableSpec.links
_MAX_HOPS = 8  # map_schema.LinkSpec.via

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")  # map_schema.Name
_KEY = re.compile(r"^[a-z][a-z0-9_]*$")  # policy.schema.KEY_PATTERN

CATEGORIES: dict[Kind, str] = {
    Kind.EMAIL: "review_contact",
    Kind.PHONE: "review_contact",
    Kind.PERSONNUMMER: "review_national_id",
    Kind.ORGANISATIONSNUMMER: "review_identity",
    Kind.PERSON_NAME: "review_identity",
    Kind.CUSTOMER_NUMBER: "review_identity",
    Kind.IP_ADDRESS: "review_online_id",
    Kind.MAC_ADDRESS: "review_online_id",
    Kind.FREE_TEXT: "review_free_text",
}
# The columns of a table that is personal only through its link (an order of a customer).
LINKED_CATEGORY = "review_linked"

_IDENTIFIERS: dict[Kind, Identifier] = {
    Kind.PERSONNUMMER: Identifier.PERSONNUMMER,
    Kind.CUSTOMER_NUMBER: Identifier.CUSTOMER_NUMBER,
    Kind.ORGANISATIONSNUMMER: Identifier.ORGANISATIONSNUMMER,
    Kind.EMAIL: Identifier.EMAIL,
    Kind.PHONE: Identifier.PHONE,
}
_STRENGTH = list(_IDENTIFIERS)  # strongest identifier first

_TIME_WORDS = (
    "created",
    "inserted",
    "registered",
    "skapad",
    "registrerad",
    "occurred",
    "opened",
    "ordered",
    "placed",
    "received",
    "logged",
    "sent",
    "timestamp",
    "ts",
)
_CATALOGUE_LABELS = ("name", "title", "label", "namn", "benamning", "description")


# --- what was found ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ForeignKey:
    column: str
    table: str
    key: str


@dataclass(frozen=True)
class ColumnFinding:
    name: str
    sql_type: str
    classification: Classification
    foreign_key: ForeignKey | None = None
    family: TypeFamily = TypeFamily.OTHER

    @property
    def kind(self) -> Kind:
        return self.classification.kind


@dataclass(frozen=True)
class TableFinding:
    name: str
    primary_key: tuple[str, ...]
    columns: tuple[ColumnFinding, ...]
    rows_sampled: int
    estimated_rows: int | None  # the catalogue's estimate; None when it has none
    method: str  # how it was sampled, e.g. "LIMIT 200"
    error: str | None = None  # set when the table could not be read

    def column(self, name: str) -> ColumnFinding:
        return next(c for c in self.columns if c.name == name)


# --- what is proposed --------------------------------------------------------------------------


@dataclass(frozen=True)
class Hop:
    column: str
    table: str
    key: str


@dataclass(frozen=True)
class Link:
    match_column: str
    identifier: Identifier
    via: tuple[Hop, ...] = ()


@dataclass(frozen=True)
class TableProposal:
    finding: TableFinding
    key: str
    links: tuple[Link, ...]
    columns: dict[str, str]  # personal-data column → placeholder category
    technical: tuple[str, ...]
    time_column: str | None
    references: dict[str, tuple[str, str]] = field(default_factory=dict)  # column → table, label
    notes: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.finding.name


@dataclass(frozen=True)
class Proposal:
    source: str  # the URL without its password
    sample_rows: int
    findings: tuple[TableFinding, ...]
    tables: tuple[TableProposal, ...]
    unmapped: dict[str, str]
    not_read: tuple[str, ...] = ()  # beyond max_tables, or names a map cannot hold
    seconds: float = 0.0

    @property
    def tables_read(self) -> int:
        return sum(1 for finding in self.findings if finding.error is None)

    @property
    def rows_sampled(self) -> int:
        return sum(finding.rows_sampled for finding in self.findings)

    def table(self, name: str) -> TableProposal:
        return next(t for t in self.tables if t.name == name)

    def summary(self) -> str:
        """One line for standard error: counts and time, no value."""
        return (
            f"{self.tables_read} tables read, {self.rows_sampled} rows sampled "
            f"(at most {self.sample_rows} per table), {len(self.tables)} proposed for the map, "
            f"{len(self.unmapped)} unmapped, in {self.seconds:.2f} s"
        )

    def to_yaml(self, system_key: str) -> str:
        return _render(self, system_key)


# --- reading -----------------------------------------------------------------------------------


def _family(column_type: Any) -> TypeFamily:
    network = (postgresql.INET, postgresql.CIDR, postgresql.MACADDR, postgresql.MACADDR8)
    if isinstance(column_type, network):
        return TypeFamily.NETWORK
    if isinstance(column_type, sqltypes.Boolean):
        return TypeFamily.BOOLEAN
    if isinstance(column_type, sqltypes.Integer):
        return TypeFamily.INTEGER
    if isinstance(column_type, sqltypes.Numeric):
        return TypeFamily.NUMERIC
    if isinstance(column_type, sqltypes.Date | sqltypes.DateTime | sqltypes.Time):
        return TypeFamily.DATE_TIME
    if isinstance(column_type, sqltypes.String | sqltypes.NullType):
        return TypeFamily.TEXT
    if isinstance(column_type, sqltypes.LargeBinary | sqltypes._Binary):
        return TypeFamily.BINARY
    return TypeFamily.OTHER


def _type_name(column_type: Any) -> str:
    try:
        return str(column_type)
    except SQLAlchemyError:
        return type(column_type).__name__


def _is_long_text(column_type: Any) -> bool:
    if isinstance(column_type, sqltypes.Enum):
        return False
    if isinstance(column_type, sqltypes.NullType):
        return True
    length = getattr(column_type, "length", None)
    return length is None or length > TEXT_PREFIX


def _estimates(connection: Connection) -> dict[str, int]:
    """Rows per table as the catalogue estimates them; nothing is counted."""
    backend = connection.dialect.name
    if backend == "postgresql":
        rows = connection.execute(
            text(
                "SELECT c.relname, c.reltuples FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')"
            )
        )
        # reltuples is -1 for a table never analysed: no estimate.
        return {str(name): int(count) for name, count in rows if count is not None and count >= 0}
    if backend in ("mysql", "mariadb"):
        rows = connection.execute(
            text(
                "SELECT table_name, table_rows FROM information_schema.tables "
                "WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE'"
            )
        )
        return {str(name): int(count) for name, count in rows if count is not None}
    return {}


def _tablesample_percent(estimated: int | None, sample_rows: int, backend: str) -> float | None:
    if backend != "postgresql" or estimated is None:
        return None
    if estimated <= _TABLESAMPLE_FACTOR * sample_rows:
        return None
    # Four times the rows needed, in expectation: SYSTEM picks whole pages at random.
    return max(0.0001, min(100.0, 400.0 * sample_rows / estimated))


def _select(
    name: str,
    columns: Sequence[ReflectedColumn],
    families: dict[str, TypeFamily],
    sample_rows: int,
    percent: float | None,
) -> Any:
    source: FromClause = table(name, *(column(c["name"]) for c in columns))
    if percent is not None:
        source = tablesample(source, func.system(percent), name="sampled")
    selected: list[ColumnElement[Any]] = []
    for reflected in columns:
        expression: ColumnElement[Any] = source.c[reflected["name"]]
        if families[reflected["name"]] is TypeFamily.TEXT and _is_long_text(reflected["type"]):
            expression = func.substr(expression, 1, TEXT_PREFIX).label(reflected["name"])
        selected.append(expression)
    return select(*selected).select_from(source).limit(sample_rows)


def _sample_table(
    connection: Connection,
    name: str,
    reflected: Sequence[ReflectedColumn],
    primary_key: tuple[str, ...],
    foreign_keys: dict[str, ForeignKey],
    estimated: int | None,
    sample_rows: int,
) -> TableFinding:
    families = {c["name"]: _family(c["type"]) for c in reflected}
    readable = [
        c
        for c in reflected
        if families[c["name"]] not in (TypeFamily.BINARY, TypeFamily.OTHER, TypeFamily.BOOLEAN)
    ]
    percent = _tablesample_percent(estimated, sample_rows, connection.dialect.name)
    method = f"LIMIT {sample_rows}"
    rows: list[Sequence[Any]] = []
    try:
        if readable and percent is not None:
            rows = list(connection.execute(_select(name, readable, families, sample_rows, percent)))
            method = f"TABLESAMPLE SYSTEM ({percent:.4g} %) LIMIT {sample_rows}"
        if readable and len(rows) < sample_rows:
            # Small tables, or a page sample that came up short: the first rows will do.
            rows = list(connection.execute(_select(name, readable, families, sample_rows, None)))
            method = f"LIMIT {sample_rows}"
    except DBAPIError as error:
        connection.rollback()
        return TableFinding(
            name, primary_key, (), 0, estimated, method, error=type(error.orig).__name__
        )
    connection.rollback()  # end the read's transaction (and its snapshot) table by table
    positions = {c["name"]: i for i, c in enumerate(readable)}
    findings = []
    for reflected_column in reflected:
        column_name = reflected_column["name"]
        position = positions.get(column_name)
        values = [row[position] for row in rows] if position is not None else []
        foreign_key = foreign_keys.get(column_name)
        classification = classify_column(
            column_name,
            families[column_name],
            values,
            table=name,
            is_primary_key=primary_key == (column_name,),
            references=foreign_key.table if foreign_key else None,
        )
        findings.append(
            ColumnFinding(
                column_name,
                _type_name(reflected_column["type"]),
                classification,
                foreign_key,
                families[column_name],
            )
        )
    return TableFinding(name, primary_key, tuple(findings), len(rows), estimated, method)


def _connect_error(error: DBAPIError, url: str) -> SystemUnavailable:
    """One line naming the problem: the driver's first line, without the password."""
    reason = str(error.orig).strip().splitlines()[0] if str(error.orig).strip() else ""
    password = parse_url(url).password
    if password:
        reason = reason.replace(str(password), "***")
    reason = reason[:200] or type(error.orig).__name__
    return SystemUnavailable(
        Msg("cannot read {describe}: {reason}", describe=describe(url), reason=reason)
    )


def discover(
    url: str,
    *,
    sample_rows: int = DEFAULT_SAMPLE_ROWS,
    max_tables: int = DEFAULT_MAX_TABLES,
) -> Proposal:
    """Read the database at `url` read-only, a bounded sample of each table, and propose a
    map. Raises InvalidInput for a bad URL or bound, SystemUnavailable when it cannot be read."""
    if not 1 <= sample_rows <= MAX_SAMPLE_ROWS:
        raise InvalidInput(
            "sample_rows",
            Msg("must be between 1 and {MAX_SAMPLE_ROWS}", MAX_SAMPLE_ROWS=MAX_SAMPLE_ROWS),
        )
    if max_tables < 1:
        raise InvalidInput("max_tables", Msg("must be at least 1"))
    started = time.perf_counter()
    try:
        engine = open_engine(url, read_only=True)
    except ConfigurationError as error:
        raise InvalidInput("url", error.message) from None
    try:
        with engine.connect() as connection:
            findings, not_read = _read(connection, sample_rows, max_tables)
    except DBAPIError as error:
        raise _connect_error(error, url) from None
    finally:
        engine.dispose()
    proposal = propose(findings, source=describe(url), sample_rows=sample_rows)
    return Proposal(
        source=proposal.source,
        sample_rows=sample_rows,
        findings=proposal.findings,
        tables=proposal.tables,
        unmapped=proposal.unmapped,
        not_read=tuple(not_read) + proposal.not_read,
        seconds=time.perf_counter() - started,
    )


def _read(
    connection: Connection, sample_rows: int, max_tables: int
) -> tuple[list[TableFinding], list[str]]:
    inspector = inspect(connection)
    names = sorted(inspector.get_table_names())
    not_read = [f"{name}: a map cannot name it" for name in names if not _NAME.match(name)]
    names = [name for name in names if _NAME.match(name)]
    not_read += [f"{name}: beyond --max-tables {max_tables}" for name in names[max_tables:]]
    names = names[:max_tables]
    if not names:
        return [], not_read
    columns = inspector.get_multi_columns(filter_names=names)
    keys = inspector.get_multi_pk_constraint(filter_names=names)
    foreign = inspector.get_multi_foreign_keys(filter_names=names)
    default_schema = inspector.default_schema_name
    estimates = _estimates(connection)
    connection.rollback()
    findings = []
    for (schema, name), reflected in sorted(columns.items(), key=lambda item: item[0][1]):
        constraint_of_key = keys.get((schema, name))
        primary_key = tuple(constraint_of_key["constrained_columns"] if constraint_of_key else ())
        foreign_keys = {}
        for constraint in foreign.get((schema, name), []):
            own, referred = constraint["constrained_columns"], constraint["referred_columns"]
            same_schema = constraint.get("referred_schema") in (None, default_schema)
            if len(own) == 1 and len(referred) == 1 and same_schema:
                foreign_keys[own[0]] = ForeignKey(own[0], constraint["referred_table"], referred[0])
        findings.append(
            _sample_table(
                connection,
                name,
                reflected,
                primary_key,
                foreign_keys,
                estimates.get(name),
                sample_rows,
            )
        )
    return findings, not_read


# --- proposing ---------------------------------------------------------------------------------


def _own_links(finding: TableFinding) -> list[Link]:
    links = []
    for column_finding in finding.columns:
        identifier = _IDENTIFIERS.get(column_finding.kind)
        if identifier is None or not _NAME.match(column_finding.name):
            continue
        if column_finding.kind is Kind.CUSTOMER_NUMBER and column_finding.foreign_key:
            continue  # a foreign key: a hop to the customers table, not a number to match
        links.append(Link(column_finding.name, identifier))
    links.sort(key=lambda link: _STRENGTH.index(_kind_of(link.identifier)))
    return links


def _kind_of(identifier: Identifier) -> Kind:
    return next(kind for kind, value in _IDENTIFIERS.items() if value is identifier)


def _hops(finding: TableFinding) -> list[ForeignKey]:
    return [
        c.foreign_key
        for c in finding.columns
        if c.foreign_key is not None
        and c.foreign_key.table != finding.name
        and _NAME.match(c.foreign_key.table)
        and _NAME.match(c.foreign_key.key)
    ]


def _links(findings: dict[str, TableFinding]) -> dict[str, list[Link]]:
    """Each table's links: its own identifier columns, then its foreign keys to tables that
    reach a subject by the fewest hops (breadth first, at most 8 hops and 8 links)."""
    shortest: dict[str, list[Link]] = {}
    for name, finding in findings.items():
        own = _own_links(finding)
        if own:
            shortest[name] = own
    frontier = set(shortest)
    while frontier:
        reached: dict[str, list[Link]] = {}
        for name, finding in findings.items():
            if name in shortest:
                continue
            for foreign_key in _hops(finding):
                if foreign_key.table not in frontier:
                    continue
                hop = Hop(foreign_key.column, foreign_key.table, foreign_key.key)
                for link in shortest[foreign_key.table]:
                    if len(link.via) < _MAX_HOPS:
                        reached.setdefault(name, []).append(
                            Link(link.match_column, link.identifier, (hop, *link.via))
                        )
        shortest.update(reached)
        frontier = set(reached)
    result: dict[str, list[Link]] = {}
    for name, links in shortest.items():
        combined = list(links)
        if not links[0].via:
            # A table with identifiers of its own may also reach subjects through a key.
            for foreign_key in _hops(findings[name]):
                hop = Hop(foreign_key.column, foreign_key.table, foreign_key.key)
                combined += [
                    Link(link.match_column, link.identifier, (hop, *link.via))
                    for link in shortest.get(foreign_key.table, [])
                    if len(link.via) < _MAX_HOPS and not link.via
                ]
        unique = list(dict.fromkeys(combined))
        result[name] = unique[:_MAX_LINKS]
    return result


def _time_column(finding: TableFinding, candidates: Iterable[str]) -> str | None:
    allowed = set(candidates)
    ranked = []
    for column_finding in finding.columns:
        # A date or time type: retention counts from it (text that holds dates will not do).
        if column_finding.family is not TypeFamily.DATE_TIME or column_finding.name not in allowed:
            continue
        words = re.split(r"[^a-z0-9]+", column_finding.name.lower())
        for rank, word in enumerate(_TIME_WORDS):
            if word in words:
                ranked.append((rank, column_finding.name))
                break
    return min(ranked)[1] if ranked else None


def _key(finding: TableFinding) -> str | None:
    if len(finding.primary_key) == 1 and _NAME.match(finding.primary_key[0]):
        return finding.primary_key[0]
    for column_finding in finding.columns:
        if column_finding.name.lower() == "id":
            return column_finding.name
    return None


def _catalogue_label(finding: TableFinding | None) -> str | None:
    if finding is None:
        return None
    names = {c.name.lower(): c.name for c in finding.columns if _NAME.match(c.name)}
    return next((names[label] for label in _CATALOGUE_LABELS if label in names), None)


def _table_proposal(
    finding: TableFinding,
    links: list[Link],
    unmapped: set[str],
    findings: dict[str, TableFinding],
) -> TableProposal:
    key = _key(finding)
    notes: list[str] = []
    if key is None:
        key = next(c.name for c in finding.columns if _NAME.match(c.name))
        notes.append(f"REVIEW key: no single-column primary key; {key} is a guess")
    usable = [c for c in finding.columns if _NAME.match(c.name)]
    skipped = [c.name for c in finding.columns if not _NAME.match(c.name)]
    if skipped:
        notes.append(f"REVIEW: a map cannot name the columns {', '.join(skipped)}")
    hop_columns = {hop.column for link in links for hop in link.via[:1]}
    columns: dict[str, str] = {}
    for column_finding in usable:
        category = CATEGORIES.get(column_finding.kind)
        if column_finding.name == key or category is None:
            continue
        if column_finding.name in hop_columns and column_finding.kind is Kind.CUSTOMER_NUMBER:
            continue  # the key the hop follows: technical, like subject_id in the register
        columns[column_finding.name] = category
    rest = [c.name for c in usable if c.name not in columns and c.name != key]
    time_column = _time_column(finding, rest)
    references: dict[str, tuple[str, str]] = {}
    if not columns:
        # Personal only through its link (an order line of a customer's order): what the
        # table says is about that subject. Keep the key, the hop and the time technical.
        linked = (
            [c for c in rest if c not in hop_columns and c != time_column]
            or [c for c in rest if c not in hop_columns]
            or rest[:1]
        )
        for name in linked:
            columns[name] = LINKED_CATEGORY
            foreign_key = finding.column(name).foreign_key
            if foreign_key is not None and foreign_key.table in unmapped:
                label = _catalogue_label(findings.get(foreign_key.table))
                if label is not None and foreign_key.key == "id":
                    references[name] = (foreign_key.table, label)
    technical = (key, *(c for c in rest if c not in columns))
    return TableProposal(
        finding=finding,
        key=key,
        links=tuple(links),
        columns=columns,
        technical=technical,
        time_column=time_column,
        references=references,
        notes=tuple(notes),
    )


def propose(findings: Sequence[TableFinding], *, source: str, sample_rows: int) -> Proposal:
    """The proposal from what was read: pure, so it can be tested without a database."""
    readable = {f.name: f for f in findings if f.error is None and f.columns}
    links = _links(readable)
    unmapped: dict[str, str] = {}
    for finding in findings:
        if finding.error is not None:
            unmapped[finding.name] = (
                f"REVIEW: could not be read ({finding.error}); look at it by hand"
            )
            continue
        if finding.name in links:
            continue
        personal = [c for c in finding.columns if c.classification.personal]
        if personal:
            kinds = ", ".join(dict.fromkeys(LABELS[c.kind] for c in personal))
            unmapped[finding.name] = (
                f"REVIEW: holds personal data ({kinds}) but no column links its rows to a "
                "subject; add a link and map it, or state why it stays unmapped"
            )
        else:
            unmapped[finding.name] = (
                f"no personal data found in a sample of {finding.rows_sampled} rows"
            )
    tables = tuple(
        _table_proposal(readable[name], links[name], set(unmapped), readable)
        for name in sorted(links)
    )
    return Proposal(
        source=source,
        sample_rows=sample_rows,
        findings=tuple(findings),
        tables=tables,
        unmapped=unmapped,
    )


def default_system_key(url: str) -> str:
    """A key for the system from its database's name: `shop` for sqlite:///data/shop.db."""
    try:
        database = parse_url(url).database or ""
    except ConfigurationError:
        database = ""
    stem = Path(database).stem if "/" in database or database.endswith(".db") else database
    key = re.sub(r"[^a-z0-9_]+", "_", stem.lower()).strip("_")
    if not key or not key[0].isalpha():
        key = f"system_{key}".rstrip("_")
    return key


# --- rendering ---------------------------------------------------------------------------------

_YAML_WORDS = frozenset({"true", "false", "null", "yes", "no", "on", "off", "y", "n", "~"})


def _scalar(name: str) -> str:
    """A table or column name as YAML: plain where YAML reads it as text, else quoted."""
    if name.lower() in _YAML_WORDS or not _NAME.match(name):
        return json.dumps(name)
    return name


def _comment(classification: Classification) -> str:
    return classification.describe()


def _link_lines(link: Link, indent: str) -> list[str]:
    match = f"match: {{column: {_scalar(link.match_column)}, identifier: {link.identifier.value}}}"
    note = ""
    if link.identifier is Identifier.CUSTOMER_NUMBER:
        note = "  # REVIEW: is this the register's customer number?"
    if not link.via:
        return [f"{indent}- {match}{note}"]
    lines = [f"{indent}- via:"]
    for hop in link.via:
        lines.append(
            f"{indent}    - {{column: {_scalar(hop.column)}, table: {_scalar(hop.table)}, "
            f"key: {_scalar(hop.key)}}}"
        )
    lines.append(f"{indent}  {match}{note}")
    return lines


def _technical_comment(proposal: TableProposal, name: str) -> str:
    if name == proposal.key and proposal.finding.primary_key == (name,):
        return "primary key"
    column_finding = proposal.finding.column(name)
    if column_finding.foreign_key is not None:
        target = column_finding.foreign_key.table
        return f"foreign key to {target}"
    if column_finding.classification.basis is Basis.TYPE:
        return f"{column_finding.sql_type}: not sampled"
    return _comment(column_finding.classification)


def _table_lines(proposal: TableProposal) -> list[str]:
    finding = proposal.finding
    estimate = (
        f"about {finding.estimated_rows:,} rows by the catalogue; "
        if finding.estimated_rows is not None
        else ""
    )
    lines = [
        f"  {_scalar(proposal.name)}:",
        f"    # {estimate}{finding.rows_sampled} rows sampled ({finding.method})",
    ]
    lines += [f"    # {note}" for note in proposal.notes]
    if proposal.key != "id":
        lines.append(f"    key: {_scalar(proposal.key)}")
    lines.append("    links:  # REVIEW: keep the links that really identify the subject")
    for link in proposal.links:
        lines += _link_lines(link, "      ")
    lines.append("    columns:")
    for name, category in proposal.columns.items():
        column_finding = finding.column(name)
        if category == LINKED_CATEGORY:
            why = f"{LABELS[column_finding.kind]}; describes the subject the link reaches"
        else:
            why = _comment(column_finding.classification)
        lines.append(f"      {_scalar(name)}: {category}  # {why}")
    lines.append("    technical:")
    for name in proposal.technical:
        lines.append(f"      - {_scalar(name)}  # {_technical_comment(proposal, name)}")
    if proposal.references:
        lines.append("    references:")
        for name, (target, label) in proposal.references.items():
            lines.append(f"      {_scalar(name)}: {{table: {_scalar(target)}, column: {label}}}")
    if proposal.time_column is not None:
        lines.append(f"    time_column: {_scalar(proposal.time_column)}")
    return lines


def check_system_key(key: str, field: str = "system") -> str:
    """The key, if a map may use it: lower-case letters, digits and _, a letter first."""
    if not _KEY.match(key):
        raise InvalidInput(
            field,
            Msg("must be lower-case letters, digits and _, starting with a letter (e.g. webshop)"),
        )
    return key


def _render(proposal: Proposal, system_key: str) -> str:
    check_system_key(system_key)
    lines = [
        "# A data map proposed by `dataskydd systems discover` (docs/discovery.md).",
        f"# Read from {proposal.source}: {proposal.tables_read} tables, "
        f"{proposal.rows_sampled} rows sampled, at most {proposal.sample_rows} per table.",
        "# REVIEW everything before use: the title; every review_* category (replace it with a",
        "# category key of your policy); every link; every unmapped table. The comments say what",
        "# each column was taken for and the share of sampled values that matched; no value is",
        "# quoted.",
    ]
    for entry in proposal.not_read:
        lines.append(f"# not read: {entry}")
    lines += [
        f"system: {system_key}",
        "title:",
        '  sv: "GRANSKA: systemets namn"',
        '  en: "REVIEW: the system\'s name"',
        "builtin: false",
    ]
    if proposal.tables:
        lines.append("tables:")
        for table_proposal in proposal.tables:
            lines += _table_lines(table_proposal)
    else:
        lines.append("tables: {}  # REVIEW: nothing personal was found; a map needs one table")
    if proposal.unmapped:
        lines.append("unmapped:")
        for name, reason in proposal.unmapped.items():
            lines.append(f"  {_scalar(name)}: {json.dumps(reason, ensure_ascii=False)}")
    return "\n".join(lines) + "\n"
