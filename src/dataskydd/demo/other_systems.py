"""Demo data for the company's other systems (docs/data-map.md, "Demo data"), generated from
the data map alone: no code knows the web shop's or any other system's tables.

For every other system of the map whose URL is configured, the mapped tables are reflected and
a deterministic share of the register's customers get rows there: tables in dependency order
(a table that hops to another comes after it), `match` columns holding the customer's
identifier as the register knows it, hop columns the key of a parent row of the same customer,
`references` an existing catalogue key, and every other column a value made from its SQL type
and name (Swedish names, addresses and texts; dates within the last three years). So every row
written is reachable from its register subject through the map, which is what a registerutdrag
or an erasure walks.

A second run is idempotent per customer: a customer whose identifier a system's matched
columns already hold gets nothing more there, so `demo` may run again (new register customers
get rows, earlier ones keep theirs) without doubling anyone or breaking a unique constraint.

Each system is written in one transaction of its own. A system without URL, unreachable, or
whose tables do not fit the map is skipped with the reason (never a URL, password or value).
"""

from __future__ import annotations

import hashlib
import random
import unicodedata
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from faker import Faker
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Connection,
    Date,
    DateTime,
    Engine,
    Enum,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    PrimaryKeyConstraint,
    Select,
    String,
    Table,
    Time,
    UniqueConstraint,
    Uuid,
    column,
    func,
    insert,
    select,
    table,
)
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from dataskydd.access import guard
from dataskydd.audit import service as audit_service
from dataskydd.clock import today_in_sweden
from dataskydd.config import Settings
from dataskydd.datamap import connections, external
from dataskydd.datamap.entries import DataMap, SystemMap, TableMap
from dataskydd.datamap.identifiers import SubjectIdentifiers, spellings
from dataskydd.datamap.map_files import DataMapError
from dataskydd.datamap.map_schema import Identifier
from dataskydd.errors import ConfigurationError, DataskyddError, InvalidInput
from dataskydd.messages_i18n import Msg
from dataskydd.register.enums import ContactKind, RoleKind
from dataskydd.register.models import ContactPoint, Subject, SubjectRole

__all__ = ["DEFAULT_SHARE", "OtherSystemsSummary", "fill_other_systems"]

# Half the register's customers also use each other system: enough rows to look at, and
# enough customers without any to see that an extract only lists systems that hold something.
DEFAULT_SHARE = 0.5
YEARS_BACK = 3
CHUNK_SUBJECTS = 500  # customers whose rows are built and inserted together (executemany)
_POOL_SIZE = 300
_CATALOGUE_KEYS = 1000  # keys read from a catalogue to choose among
_UNIQUE_TRIES = 20

# Rows per parent row (a table hopping to another) and per customer for a matched table that
# nothing hops to (fraud checks, newsletters): most have one, some a few, some none.
_CHILD_COUNTS = ((1, 2, 3), (5, 3, 2))
_LEAF_COUNTS = ((0, 1, 2), (3, 5, 2))

_STATUSES = ("ny", "behandlas", "skickad", "levererad", "avbruten")
_WORDS = (
    "kontroll",
    "avvikelse",
    "granskad",
    "normal",
    "förhöjd",
    "manuell",
    "automatisk",
    "ny",
    "återkommande",
    "godkänd",
    "låg",
    "hög",
)
_SENTENCES = (
    "Tack för senast!",
    "Grattis på födelsedagen!",
    "Hoppas att du tycker om den.",
    "Ring gärna innan leverans.",
    "Lämnas hos grannen om ingen är hemma.",
    "Kontrollerad manuellt, inga avvikelser.",
    "Uppgifterna stämmer med tidigare beställningar.",
    "Kunden har kontaktats per telefon.",
    "En liten present till dig.",
    "Med vänliga hälsningar.",
    "Leveransadressen skiljer sig från tidigare.",
    "Ingen åtgärd behövs.",
)


class OtherSystemsSummary(dict[str, dict[str, int]]):
    """Rows written per system and table; every other system of the map is a key. `skipped`
    says, per system that got nothing, why (without URL, password or value)."""

    def __init__(self) -> None:
        super().__init__()
        self.skipped: dict[str, str] = {}

    @property
    def total_rows(self) -> int:
        return sum(sum(tables.values()) for tables in self.values())


class _Skip(Exception):
    """A system is left as it is; the reason goes into the summary."""


# ---------------------------------------------------------------------------------------------
# Entry point


def fill_other_systems(
    session: Session,
    data_map: DataMap,
    *,
    settings: Settings,
    seed: int,
    share: float = DEFAULT_SHARE,
    reference_date: date | None = None,
    actor: str = "demo",
) -> OtherSystemsSummary:
    """Write demo rows for a share of the register's customers into every other system of
    the map that has a URL. The register is only read (and the run audited); each system is
    one transaction, so a failing system is left as it was and reported in the summary."""
    if not 0 < share <= 1:
        raise InvalidInput("share", Msg("must be more than 0 and at most 1"))
    reference = reference_date or today_in_sweden()
    summary = OtherSystemsSummary()
    if not data_map.external:
        return summary
    # The operator writing demo data: customer ids and identifiers are read to be copied into
    # the other systems, for no purpose of the policy and shown to no one (access.guard).
    with guard.internal():
        customers = _customer_ids(session)
    for system in data_map.external:
        chosen = [s for s in customers if _chosen(seed, system.key, s, share)]
        try:
            summary[system.key] = _fill_system(
                session, system, settings, chosen, seed=seed, reference=reference
            )
        except _Skip as skip:
            summary[system.key] = {}
            summary.skipped[system.key] = str(skip)
    audit_service.record(
        session,
        actor=actor,
        action="demo.other_systems",
        detail={
            "seed": seed,
            "share": share,
            "rows": {key: sum(tables.values()) for key, tables in summary.items()},
            "skipped": sorted(summary.skipped),
        },
    )
    return summary


def _customer_ids(session: Session) -> list[int]:
    """The register's customers (present and former): the people a shop or a newsletter
    tool would know. Suppliers and contact persons are left out."""
    statement = (
        select(SubjectRole.subject_id)
        .where(SubjectRole.role == RoleKind.CUSTOMER)
        .distinct()
        .order_by(SubjectRole.subject_id)
    )
    return list(session.scalars(statement))


def _chosen(seed: int, system: str, subject_id: int, share: float) -> bool:
    """Whether the customer uses the system: a hash, so the choice of one customer does not
    depend on who else is in the register or on the order of reading."""
    digest = hashlib.sha256(f"{seed}/{system}/{subject_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share


def _identifiers(session: Session, subject_ids: Sequence[int]) -> dict[int, SubjectIdentifiers]:
    """What `identifiers.subject_identifiers` reads, for a chunk of subjects in two statements
    instead of two per subject: a large demo has hundreds of thousands of them."""
    people = session.execute(
        select(Subject.id, Subject.personnummer, Subject.organisationsnummer).where(
            Subject.id.in_(subject_ids)
        )
    ).all()
    contacts: dict[int, dict[ContactKind, list[str]]] = {
        s: {ContactKind.EMAIL: [], ContactKind.PHONE: []} for s in subject_ids
    }
    points = session.execute(
        select(ContactPoint.subject_id, ContactPoint.kind, ContactPoint.value)
        .where(ContactPoint.subject_id.in_(subject_ids))
        .order_by(ContactPoint.id)
    )
    for subject_id, kind, value in points:
        contacts[subject_id][kind].append(value)
    return {
        row.id: SubjectIdentifiers(
            email=tuple(dict.fromkeys(contacts[row.id][ContactKind.EMAIL])),
            phone=tuple(dict.fromkeys(contacts[row.id][ContactKind.PHONE])),
            personnummer=(row.personnummer,) if row.personnummer else (),
            organisationsnummer=(row.organisationsnummer,) if row.organisationsnummer else (),
            customer_number=(str(row.id),),
        )
        for row in people
    }


# ---------------------------------------------------------------------------------------------
# One system


def _open(system: SystemMap, settings: Settings) -> Engine:
    try:
        url = connections.system_url(system.key, settings)
        parsed = connections.parse_url(url)
    except ConfigurationError as error:
        raise _Skip(str(error)) from None
    if parsed.get_backend_name() == "sqlite":
        # A writing SQLite engine would create a missing file and then find no tables.
        database = parsed.database or ""
        if database in ("", ":memory:") or not Path(database).is_file():
            raise _Skip(f"SQLite file not found: {Path(database).name or '(none)'}")
    return connections.open_engine(url, read_only=False)


def _fill_system(
    session: Session,
    system: SystemMap,
    settings: Settings,
    chosen: list[int],
    *,
    seed: int,
    reference: date,
) -> dict[str, int]:
    engine = _open(system, settings)
    dbapi = getattr(engine.dialect, "loaded_dbapi", None)
    failures: tuple[type[BaseException], ...] = (SQLAlchemyError, OSError)
    if dbapi is not None:
        failures += (dbapi.Error,)
    try:
        tables = _writable(external.reflect(system, engine))
        with engine.begin() as connection:
            writer = _SystemWriter(system, tables, connection, seed=seed, reference=reference)
            for start in range(0, len(chosen), CHUNK_SUBJECTS):
                chunk = chosen[start : start + CHUNK_SUBJECTS]
                with guard.internal():  # see fill_other_systems
                    known = _identifiers(session, chunk)
                writer.write_chunk([(s, known[s]) for s in chunk if s in known])
            return writer.written
    except (DataMapError, connections.SystemUnavailable) as error:
        raise _Skip(str(error)) from None
    except DataskyddError:
        raise
    except failures as error:
        # The type name only: driver messages carry host names, and integrity errors values.
        raise _Skip(
            f"system {system.key!r} could not be written ({type(error).__name__}); "
            "nothing was changed there"
        ) from None
    finally:
        engine.dispose()


def _writable(reflected: Mapping[str, Table]) -> dict[str, Table]:
    """Copies of the reflected tables (those are shared, cached for the engine) with every
    primary-key column NOT NULL: SQLite reports INTEGER PRIMARY KEY as nullable, and
    SQLAlchemy's RETURNING in the order of the rows needs to know a key is never NULL."""
    metadata = MetaData()
    copies = {
        name: reflected_table.to_metadata(metadata) for name, reflected_table in reflected.items()
    }
    for copy in copies.values():
        for key_column in copy.primary_key.columns:
            key_column.nullable = False
    return copies


# ---------------------------------------------------------------------------------------------
# Values


@dataclass(frozen=True)
class _Pools:
    """Faker's Swedish values drawn once per run (a Faker call costs ~50 µs); rows pick from
    these with their own seeded Random, so a run is reproducible and fast."""

    given: list[str]
    family: list[str]
    streets: list[str]
    postcodes: list[str]
    cities: list[str]
    phones: list[str]

    @classmethod
    def make(cls, seed: int) -> _Pools:
        faker = Faker("sv_SE")
        faker.seed_instance(seed)
        n = _POOL_SIZE
        return cls(
            given=[faker.first_name() for _ in range(n)],
            family=[faker.last_name() for _ in range(n)],
            streets=[faker.street_address() for _ in range(n)],
            postcodes=[faker.postcode() for _ in range(n)],
            cities=[faker.city() for _ in range(n)],
            phones=[faker.phone_number() for _ in range(n)],
        )


def _tokens(name: str) -> list[str]:
    return [t for t in name.lower().split("_") if t]


def _names_a(name: str, *words: str) -> bool:
    """Whether a column or category name says what it holds: a word of it is one of `words`,
    or ends in one of the longer ones (Swedish compounds: efternamn, leveransadress)."""
    return any(t == w or (len(w) >= 4 and t.endswith(w)) for t in _tokens(name) for w in words)


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum())


def _fit(value: str, length: int | None) -> str:
    return value if length is None else value[:length]


def _text_kind(name: str) -> str | None:
    """What a text column holds, judged by its name."""
    checks = (
        ("email", ("email", "epost", "mail", "mejl")),
        ("phone", ("phone", "telefon", "mobile", "mobil", "tel")),
        ("given", ("firstname", "given", "fornamn", "förnamn")),
        ("family", ("lastname", "surname", "family", "efternamn")),
        ("name", ("name", "namn", "recipient", "mottagare")),
        ("postcode", ("postcode", "zip", "postnummer", "postnr")),
        ("street", ("street", "address", "adress", "gata", "gatuadress", "line1")),
        ("city", ("city", "town", "ort", "stad", "postort")),
        ("country", ("country", "land")),
        ("status", ("status", "state", "tillstand", "tillstånd")),
        ("text", ("message", "comment", "note", "notes", "text", "description", "assessment")),
        ("text", ("meddelande", "kommentar", "anteckning", "beskrivning", "bedomning")),
    )
    for kind, words in checks:
        if _names_a(name, *words):
            return kind
    # A postal-code column is often spelled postal_code: two words, neither a hint alone.
    if {"postal", "code"} <= set(_tokens(name)):
        return "postcode"
    return None


def _is_token(name: str) -> bool:
    """A number or code the system hands out (order number, reference): unique-looking."""
    return _names_a(name, "number", "nummer", "nr", "no", "code", "kod", "reference", "ref")


@dataclass
class _Row:
    values: dict[str, Any]
    moment: datetime  # when the row came into being; its children come later


@dataclass
class _TablePlan:
    entry: TableMap
    table: Table
    auto_key: Column[Any] | None  # the key the database assigns
    parent_hop: tuple[str, str, str] | None  # (column, parent table, parent key) of link 1
    other_hops: dict[str, tuple[str, str]]  # column → (mapped table, key), same subject
    matches: dict[str, Identifier]  # column of this table → identifier it holds
    catalogues: dict[str, list[Any]]  # column → existing keys to choose from
    uniques: list[tuple[str, ...]]
    unique_seen: dict[tuple[str, ...], set[tuple[Any, ...]]]
    has_children: bool = False
    defaulted: frozenset[str] = frozenset()  # technical columns the database fills


@dataclass
class _SystemWriter:
    system: SystemMap
    tables: Mapping[str, Table]  # the mapped tables and their catalogues
    connection: Connection
    seed: int
    reference: date
    written: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.pools = _Pools.make(self.seed)
        self.end = datetime.combine(self.reference, time(), UTC)
        self.plans = [self._plan(entry) for entry in self._parents_first()]
        hopped_to = {p.parent_hop[1] for p in self.plans if p.parent_hop} | {
            target for p in self.plans for target, _key in p.other_hops.values()
        }
        for plan in self.plans:
            plan.has_children = plan.entry.table in hopped_to
        self.written = {plan.entry.table: 0 for plan in self.plans}
        self.counters: dict[tuple[str, str], int] = {}
        self.present = self._present_identifiers()

    # -- planning -------------------------------------------------------------------------

    def _parents_first(self) -> list[TableMap]:
        """Mapped tables ordered so that every table comes after the tables it hops to or
        has a foreign key to: a child's hop column needs its parent's key."""
        names = [entry.table for entry in self.system.tables]
        parents: dict[str, set[str]] = {name: set() for name in names}
        for entry in self.system.tables:
            parents[entry.table] |= {hop.table for link in entry.links for hop in link.via}
            for foreign_key in self.tables[entry.table].foreign_keys:
                target = foreign_key.target_fullname.rsplit(".", 1)[0].split(".")[-1]
                if target in parents:
                    parents[entry.table].add(target)
            parents[entry.table].discard(entry.table)
        ordered: list[str] = []
        visiting: set[str] = set()

        def visit(name: str) -> None:
            if name in visiting:
                return  # done, or a cycle: the map's order breaks it
            visiting.add(name)
            for parent in sorted(parents[name], key=names.index):
                visit(parent)
            ordered.append(name)

        for name in names:
            visit(name)
        return [self.system.by_table[name] for name in ordered]

    def _plan(self, entry: TableMap) -> _TablePlan:
        table: Table = self.tables[entry.table]
        auto_key = table.autoincrement_column
        parent_hop: tuple[str, str, str] | None = None
        other_hops: dict[str, tuple[str, str]] = {}
        matches: dict[str, Identifier] = {}
        for link in entry.links:
            if link.via:
                first = link.via[0]
                if parent_hop is None:
                    parent_hop = (first.column, first.table, first.key)
                elif first.column != parent_hop[0]:
                    other_hops.setdefault(first.column, (first.table, first.key))
            elif link.match is not None:
                matches[link.match.column] = link.match.identifier
        catalogues: dict[str, list[Any]] = {}
        for name, (target, _text) in entry.references.items():
            catalogue = self.tables[target]
            keys = list(catalogue.primary_key.columns)
            key = keys[0].name if len(keys) == 1 else "id"
            catalogues[name] = self._keys(catalogue.name, key, catalogue.schema)
        hop_columns = {parent_hop[0]} if parent_hop else set()
        hop_columns |= set(other_hops)
        for foreign_key in table.foreign_keys:
            name = foreign_key.parent.name
            if name in hop_columns or name in catalogues or name in matches:
                continue
            *where, key = foreign_key.target_fullname.split(".")
            target = where[-1]
            if target in self.system.by_table:
                other_hops[name] = (target, key)  # a row of the same customer, if any
            else:
                schema = where[-2] if len(where) > 1 else None
                catalogues[name] = self._keys(target, key, schema)
        linked = {*matches, *other_hops, *catalogues}
        if parent_hop:
            linked.add(parent_hop[0])
        defaulted = frozenset(
            c.name
            for c in table.columns
            if c.server_default is not None
            and c.name not in entry.columns
            and c.name not in linked
            and c.name != entry.time_column
        )
        uniques = _unique_sets(table, auto_key, self._sqlite_uniques(table))
        seen = {
            columns: {
                tuple(row)
                for row in self.connection.execute(select(*(table.c[c] for c in columns)))
                if None not in tuple(row)
            }
            for columns in uniques
        }
        return _TablePlan(
            entry=entry,
            table=table,
            auto_key=auto_key,
            parent_hop=parent_hop,
            other_hops=other_hops,
            matches=matches,
            catalogues=catalogues,
            uniques=uniques,
            unique_seen=seen,
            defaulted=defaulted,
        )

    def _sqlite_uniques(self, table: Table) -> list[tuple[str, ...]]:
        """SQLite's own unique indexes: SQLAlchemy does not reflect a UNIQUE written on the
        column (CREATE TABLE t (n TEXT UNIQUE)), which SQLite keeps as an automatic index."""
        if self.connection.dialect.name != "sqlite":
            return []
        quoted = self.connection.dialect.identifier_preparer.quote(table.name)
        found = []
        for index in self.connection.exec_driver_sql(f"PRAGMA index_list({quoted})"):
            if index.unique:
                name = self.connection.dialect.identifier_preparer.quote(index.name)
                info = self.connection.exec_driver_sql(f"PRAGMA index_info({name})")
                found.append(tuple(row.name for row in info if row.name is not None))
        return found

    def _keys(self, name: str, key: str, schema: str | None) -> list[Any]:
        statement: Select[Any] = (
            select(column(key)).select_from(table(name, schema=schema)).order_by(column(key))
        )
        return list(self.connection.scalars(statement.limit(_CATALOGUE_KEYS)))

    def _present_identifiers(self) -> dict[Identifier, set[str]]:
        """Identifiers the system's directly matched columns already hold: their customers
        got rows in an earlier run (or are the shop's own) and get none now."""
        present: dict[Identifier, set[str]] = {}
        for plan in self.plans:
            for name, identifier in plan.matches.items():
                values = self.connection.scalars(select(plan.table.c[name]).distinct())
                present.setdefault(identifier, set()).update(
                    _normal(identifier, v) for v in values if v is not None
                )
        return present

    def _is_present(self, identifiers: SubjectIdentifiers) -> bool:
        return any(
            _normal(identifier, spelling) in values
            for identifier, values in self.present.items()
            for spelling in identifiers.spellings(identifier)
        )

    # -- writing --------------------------------------------------------------------------

    def write_chunk(self, subjects: list[tuple[int, SubjectIdentifiers]]) -> None:
        fresh = [(s, ids) for s, ids in subjects if not self._is_present(ids)]
        rngs = {s: random.Random(f"{self.seed}/{self.system.key}/{s}") for s, _ids in fresh}
        since = {
            s: self.end - timedelta(seconds=rngs[s].randrange(YEARS_BACK * 365 * 86400))
            for s, _ids in fresh
        }
        made: dict[int, dict[str, list[_Row]]] = {s: {} for s, _ids in fresh}
        for plan in self.plans:
            batch: list[_Row] = []
            for subject_id, identifiers in fresh:
                rows = self._rows(
                    plan, rngs[subject_id], since[subject_id], identifiers, made[subject_id]
                )
                made[subject_id][plan.entry.table] = rows
                batch.extend(rows)
            self._insert(plan, batch)

    def _rows(
        self,
        plan: _TablePlan,
        rng: random.Random,
        since: datetime,
        identifiers: SubjectIdentifiers,
        made: dict[str, list[_Row]],
    ) -> list[_Row]:
        # Which rows come into being: one per parent row (or a few), else per customer.
        births: list[tuple[_Row | None, datetime]] = []
        if plan.parent_hop is not None:
            for parent in made.get(plan.parent_hop[1], []):
                for _ in range(rng.choices(*_CHILD_COUNTS)[0]):
                    births.append((parent, self._after(rng, parent.moment, days=30)))
        else:
            count = 1 if plan.has_children else rng.choices(*_LEAF_COUNTS)[0]
            births = [(None, self._after(rng, since, days=None)) for _ in range(count)]
        rows: list[_Row] = []
        for born_of, moment in births:
            row = self._row(plan, rng, moment, born_of, identifiers, made)
            if row is not None:
                rows.append(row)
        return rows

    def _after(self, rng: random.Random, start: datetime, *, days: int | None) -> datetime:
        span = (self.end - start).total_seconds()
        if days is not None:
            span = min(span, days * 86400)
        return start + timedelta(seconds=rng.randrange(max(1, int(span))))

    def _row(
        self,
        plan: _TablePlan,
        rng: random.Random,
        moment: datetime,
        parent: _Row | None,
        identifiers: SubjectIdentifiers,
        made: dict[str, list[_Row]],
    ) -> _Row | None:
        """One row, or None when it could not reach its customer or keep a constraint."""
        table = plan.table
        values: dict[str, Any] = {}
        linked = False
        for name, identifier in plan.matches.items():
            values[name] = _identifier_value(table.c[name], identifier, identifiers, rng)
            linked = linked or values[name] is not None
        if plan.parent_hop is not None and parent is not None:
            values[plan.parent_hop[0]] = parent.values.get(plan.parent_hop[2])
            linked = linked or values[plan.parent_hop[0]] is not None
        for name, (target, key) in plan.other_hops.items():
            candidates = [r.values.get(key) for r in made.get(target, [])]
            values[name] = rng.choice(candidates) if candidates else None
        for name, keys in plan.catalogues.items():
            values[name] = rng.choice(keys) if keys else None
        if not linked:
            return None  # a row no link reaches would belong to no one
        free = [
            c
            for c in table.columns
            if c.name not in values
            and c is not plan.auto_key
            and c.computed is None
            and c.name not in plan.defaulted
        ]
        for col in free:
            values[col.name] = self._value(plan, col, rng, moment)
        if any(
            values[c.name] is None and not c.nullable for c in table.columns if c.name in values
        ):
            return None  # e.g. a NOT NULL column for an identifier the customer lacks
        if not self._unique(plan, values, {c.name for c in free}, rng, moment):
            return None
        return _Row(values, moment)

    def _unique(
        self,
        plan: _TablePlan,
        values: dict[str, Any],
        free: set[str],
        rng: random.Random,
        moment: datetime,
    ) -> bool:
        """Keep the table's unique constraints: new values for the generated columns of a
        colliding set, a few times; a row whose linked values collide is not written."""
        for columns in plan.uniques:
            seen = plan.unique_seen[columns]
            for _attempt in range(_UNIQUE_TRIES):
                key = tuple(values.get(c) for c in columns)
                if None in key or key not in seen:
                    break
                regenerable = [c for c in columns if c in free]
                if not regenerable:
                    return False
                for name in regenerable:
                    values[name] = self._value(plan, plan.table.c[name], rng, moment)
            else:
                return False
        for columns in plan.uniques:
            key = tuple(values.get(c) for c in columns)
            if None not in key:
                plan.unique_seen[columns].add(key)
        return True

    def _value(self, plan: _TablePlan, col: Column[Any], rng: random.Random, at: datetime) -> Any:
        kind = col.type
        name = col.name
        category = plan.entry.columns.get(name, "")
        unique = any(name in columns for columns in plan.uniques)
        if isinstance(kind, Enum) and kind.enums:  # before String: an Enum is a String
            return rng.choice(kind.enums)
        if isinstance(kind, Boolean):
            return rng.random() < 0.5
        if isinstance(kind, DateTime):
            moment = at if name == plan.entry.time_column else self._after(rng, at, days=2)
            return moment if kind.timezone else moment.replace(tzinfo=None)
        if isinstance(kind, Date):
            return at.date()
        if isinstance(kind, Time):
            return time(rng.randrange(24), rng.randrange(60))
        if isinstance(kind, Integer):
            if unique or name == plan.entry.key:
                return self._counter(plan, name)
            return _integer(name, rng)
        if isinstance(kind, Float):
            return round(rng.uniform(0, 100), 2)
        if isinstance(kind, Numeric):
            return _amount(kind, rng)
        if isinstance(kind, String):
            length = kind.length
            if unique or name == plan.entry.key or (_is_token(name) and not _text_kind(name)):
                return self._token(plan, name, length)
            return _fit(self._text(name, category, length, rng), length)
        if isinstance(kind, Uuid):
            made = uuid.UUID(int=rng.getrandbits(128), version=4)
            return made if kind.as_uuid else str(made)
        if isinstance(kind, LargeBinary):
            return rng.randbytes(16)
        if isinstance(kind, JSON):
            return {}
        return None  # no generator for the type: NULL, or the row is not written

    def _counter(self, plan: _TablePlan, name: str) -> int:
        key = (plan.entry.table, name)
        if key not in self.counters:
            highest = self.connection.scalar(
                select(plan.table.c[name]).order_by(plan.table.c[name].desc()).limit(1)
            )
            self.counters[key] = int(highest or 0)
        self.counters[key] += 1
        return self.counters[key]

    def _token(self, plan: _TablePlan, name: str, length: int | None) -> str:
        """A number the system hands out, e.g. an order number: the table's initial and a
        running count. Running past values already there is _unique's business."""
        key = (plan.entry.table, name)
        if key not in self.counters:
            # Past the rows already there, so a later run rarely meets its own numbers.
            count = select(func.count()).select_from(plan.table)
            self.counters[key] = int(self.connection.scalar(count) or 0)
        self.counters[key] += 1
        prefix = plan.entry.table[:1].upper()
        width = 7 if length is None else min(7, length - len(prefix))
        if width < 1:
            prefix, width = "", length or 1
        number = self.counters[key] % 10**width
        return f"{prefix}{number:0{width}d}"

    def _text(self, name: str, category: str, length: int | None, rng: random.Random) -> str:
        pools = self.pools
        kind = _text_kind(name) or _text_kind(category)
        if kind == "email":
            given, family = rng.choice(pools.given), rng.choice(pools.family)
            return f"{_ascii(given)}.{_ascii(family)}{rng.randrange(100)}@example.com"
        if kind == "phone":
            return rng.choice(pools.phones)
        if kind == "given":
            return rng.choice(pools.given)
        if kind == "family":
            return rng.choice(pools.family)
        if kind == "name":
            return f"{rng.choice(pools.given)} {rng.choice(pools.family)}"
        if kind == "street":
            return rng.choice(pools.streets)
        if kind == "postcode":
            code = rng.choice(pools.postcodes)
            return code if length is None or len(code) <= length else code.replace(" ", "")
        if kind == "city":
            return rng.choice(pools.cities)
        if kind == "country":
            return "SE" if length is not None and length < 7 else "Sverige"
        if kind == "status":
            return rng.choice(_STATUSES)
        if kind == "text" or length is None or length > 100:
            return " ".join(rng.sample(_SENTENCES, rng.randint(1, 3)))
        return rng.choice(_WORDS)

    def _insert(self, plan: _TablePlan, rows: list[_Row]) -> None:
        if not rows:
            return
        table, auto_key = plan.table, plan.auto_key
        values = [row.values for row in rows]
        dialect = self.connection.dialect
        if not plan.has_children or auto_key is None:
            self.connection.execute(insert(table), values)
        elif dialect.insert_executemany_returning_sort_by_parameter_order:
            # The keys the database assigned, in the order of the rows: the children need them.
            statement = insert(table).returning(auto_key, sort_by_parameter_order=True)
            keys = self.connection.execute(statement, values).scalars().all()
            for row, key in zip(rows, keys, strict=True):
                row.values[auto_key.name] = key
        else:
            # MySQL (not MariaDB) has no RETURNING: one statement per parent row.
            for row in rows:
                result = self.connection.execute(insert(table).values(row.values))
                assigned = result.inserted_primary_key
                row.values[auto_key.name] = assigned[0] if assigned else None
        self.written[plan.entry.table] += len(rows)


def _unique_sets(
    table: Table, auto_key: Column[Any] | None, extra: list[tuple[str, ...]]
) -> list[tuple[str, ...]]:
    """The table's unique column sets (constraints, unique indexes, the key), without those
    the database fills itself."""
    found: dict[tuple[str, ...], None] = dict.fromkeys(extra)
    for constraint in table.constraints:
        if isinstance(constraint, UniqueConstraint | PrimaryKeyConstraint):
            found[tuple(c.name for c in constraint.columns)] = None
    for index in table.indexes:
        if index.unique:
            found[tuple(c.name for c in index.columns)] = None
    for col in table.columns:
        if col.unique:
            found[(col.name,)] = None
    skip = auto_key.name if auto_key is not None else None
    return [columns for columns in found if columns and skip not in columns]


def _normal(identifier: Identifier, value: Any) -> str:
    text_value = str(value).strip()
    return text_value.lower() if identifier is Identifier.EMAIL else text_value


def _identifier_value(
    col: Column[Any], identifier: Identifier, identifiers: SubjectIdentifiers, rng: random.Random
) -> Any:
    """The customer's identifier of this kind as the system might have stored it: one of the
    spellings the map's matching knows (of the first value: a row holds one number), in the
    column's type and length; None when the customer has none or none fits."""
    values = identifiers.of(identifier)
    if not values:
        return None
    forms = spellings(identifier, values[0])
    if identifier is Identifier.EMAIL:
        forms = (values[0],)  # as typed; matching compares lower-cased
    try:
        numeric = issubclass(col.type.python_type, int)
    except NotImplementedError:
        numeric = False
    if numeric:
        digits = [int(s) for s in forms if s.isdigit()]
        return rng.choice(digits) if digits else None
    length = getattr(col.type, "length", None)
    fitting = [s for s in forms if length is None or len(s) <= length]
    return rng.choice(fitting) if fitting else None


def _integer(name: str, rng: random.Random) -> int:
    if _names_a(name, "quantity", "qty", "count", "antal"):
        return rng.choices((1, 2, 3, 4), (6, 3, 1, 1))[0]
    if _names_a(name, "score", "points", "poang", "poäng", "percent", "procent"):
        return rng.randrange(101)
    if _names_a(name, "amount", "price", "total", "cost", "belopp", "pris", "summa"):
        return rng.randrange(49, 1500)
    return rng.randrange(1, 100)


def _amount(kind: Numeric[Any], rng: random.Random) -> Decimal:
    scale = kind.scale if kind.scale is not None else 2
    highest = 1500.0
    if kind.precision is not None:
        highest = min(highest, 10.0 ** (kind.precision - scale) - 1)
    value = rng.uniform(min(49.0, highest / 2), highest)
    return Decimal(f"{value:.{scale}f}")
