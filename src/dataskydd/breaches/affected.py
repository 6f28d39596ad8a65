"""Which subjects a breach touched, selected by a query over the data map: everyone who still
holds data of the chosen categories in the chosen system, e.g. every subject with a value of
the contact category in the register, or everyone with an order in the web shop's database.

The query never reads a value to show or log: whether a column is empty is all it asks of a
row. The subjects' addresses are read later, one access decision each (subject_notice.py).

- In the register one statement per batch finds the subjects, by subject id.
- Another system of the data map knows no subject id: its rows reach a subject through the
  identifiers the register holds (e-mail, phone, personnummer, customer number; data-map.md).
  The register's subjects are walked in keyset batches; each batch's identifiers are read in
  two statements (only the kinds the system's links use), and the system is asked, per mapped
  table holding a chosen category, which of them have rows still holding a value of it
  (`datamap.external.subjects_with_rows`, read-only, bounded waits). Memory stays at a batch.
  A system that cannot be reached, or has no URL, is `SystemUnavailable` naming the system,
  before any subject is yielded, so nothing is sent. docs/breaches.md."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, exists, func, or_, select
from sqlalchemy.orm import Session

from dataskydd.access import guard
from dataskydd.config import get_settings
from dataskydd.datamap import connections, entries, external, queries
from dataskydd.datamap.entries import SystemMap, TableMap
from dataskydd.datamap.identifiers import SubjectIdentifiers
from dataskydd.datamap.map_schema import Identifier
from dataskydd.datamap.still_held import holding
from dataskydd.errors import ConfigurationError, InvalidInput
from dataskydd.messages_i18n import Msg
from dataskydd.policy.schema import Policy
from dataskydd.register.enums import ContactKind
from dataskydd.register.models import ContactPoint, Subject

MAX_BATCH = 1000
# Register subjects asked about in one statement per table and link of another system: their
# spellings are that statement's parameters (a few per subject, far below every server's limit).
SUBJECTS_PER_QUESTION = 500


@dataclass(frozen=True)
class Selection:
    categories: tuple[str, ...]
    system: str

    def as_dict(self) -> dict[str, Any]:
        return {"categories": list(self.categories), "system": self.system}


def register_key() -> str:
    return entries.current().register.key


def selection(policy: Policy, categories: Sequence[str], system: str | None) -> Selection:
    chosen = tuple(dict.fromkeys(c.strip() for c in categories if c.strip()))
    if not chosen:
        raise InvalidInput("categories", Msg("choose at least one category"))
    unknown = [c for c in chosen if c not in policy.categories]
    if unknown:
        raise InvalidInput(
            "categories", Msg("unknown (valid: {values})", values=", ".join(policy.categories))
        )
    data_map = entries.current()
    key = (system or data_map.register.key).strip()
    known = [s.key for s in data_map.systems]
    if key not in known:
        raise InvalidInput(
            "system", Msg("unknown system (valid: {values})", values=", ".join(known))
        )
    return Selection(chosen, key)


def _condition(chosen: Selection) -> ColumnElement[bool]:
    subject_id = cast(Any, Subject.__table__.c.id)  # correlated: the outer subject's id
    holds_any = [
        exists(
            select(1)
            .select_from(queries.table_of(entry))
            .where(queries.subject_condition(entry, subject_id), holding(entry, category))
        )
        for category in chosen.categories
        for entry in entries.current().register.tables
        if category in entry.categories
    ]
    if not holds_any:
        return Subject.id.is_(None)  # no table of the register holds these categories
    return or_(*holds_any)


def _register_batches(session: Session, chosen: Selection, size: int) -> Iterator[list[int]]:
    after = 0
    while True:
        with guard.internal():
            ids = list(
                session.scalars(
                    select(Subject.id)
                    .where(Subject.id > after, _condition(chosen))
                    .order_by(Subject.id)
                    .limit(size)
                )
            )
        if not ids:
            return
        yield ids
        after = ids[-1]


# ---------------------------------------------------------------------------------------------
# Another system of the data map


class _Holding:
    """The entry's row holds a value of any of the categories: a condition on its reflected
    table (external.Holding)."""

    def __init__(self, entry: TableMap, categories: Collection[str]) -> None:
        self._entry = entry
        self._categories = [c for c in categories if c in entry.categories]

    def __call__(self, table: Table) -> ColumnElement[bool]:
        return or_(*(holding(self._entry, category, table) for category in self._categories))


def _url(system: SystemMap) -> str:
    try:
        return connections.system_url(system.key, get_settings())
    except ConfigurationError as error:
        # No URL: the selection cannot be made, said as for a system that is down.
        raise connections.SystemUnavailable(error.message) from None


def _identifiers(
    session: Session, ids: list[int], kinds: frozenset[Identifier]
) -> dict[int, SubjectIdentifiers]:
    """The subjects' identifiers of the kinds asked for, as `subject_identifiers` gives them,
    in at most two statements for the batch. Kinds no link uses are not read (a personnummer
    is decrypted only when a link matches on it). Subjects with none are left out."""
    values: dict[int, dict[Identifier, dict[str, None]]] = {i: {} for i in ids}

    def add(subject_id: int, kind: Identifier, value: str | None) -> None:
        if value:
            values[subject_id].setdefault(kind, {})[value] = None

    with guard.internal():  # identifiers leave only as matching conditions, never shown
        if kinds & {Identifier.PERSONNUMMER, Identifier.ORGANISATIONSNUMMER}:
            columns = [Subject.id]
            if Identifier.PERSONNUMMER in kinds:
                columns.append(cast(Any, Subject.personnummer))
            if Identifier.ORGANISATIONSNUMMER in kinds:
                columns.append(cast(Any, Subject.organisationsnummer))
            for row in session.execute(select(*columns).where(Subject.id.in_(ids))):
                mapping = row._mapping
                add(row.id, Identifier.PERSONNUMMER, mapping.get("personnummer"))
                add(row.id, Identifier.ORGANISATIONSNUMMER, mapping.get("organisationsnummer"))
        contact = {ContactKind.EMAIL: Identifier.EMAIL, ContactKind.PHONE: Identifier.PHONE}
        wanted = [k for k, identifier in contact.items() if identifier in kinds]
        if wanted:
            points = session.execute(
                select(ContactPoint.subject_id, ContactPoint.kind, ContactPoint.value)
                .where(ContactPoint.subject_id.in_(ids), ContactPoint.kind.in_(wanted))
                .order_by(ContactPoint.subject_id, ContactPoint.id)
            )
            for subject_id, kind, value in points:
                add(subject_id, contact[kind], value)
    if Identifier.CUSTOMER_NUMBER in kinds:
        for subject_id in ids:
            add(subject_id, Identifier.CUSTOMER_NUMBER, str(subject_id))
    found: dict[int, SubjectIdentifiers] = {}
    for subject_id, by_kind in values.items():
        if by_kind:
            found[subject_id] = SubjectIdentifiers(
                **{kind.value: tuple(spelt) for kind, spelt in by_kind.items()}
            )
    return found


def _other_system_ids(session: Session, system: SystemMap, chosen: Selection) -> Iterator[int]:
    """The register's subjects with rows in `system` holding a chosen category, ascending."""
    tables = {
        entry.table: _Holding(entry, chosen.categories)
        for entry in system.tables
        if entry.categories.intersection(chosen.categories)
    }
    if not tables:
        return  # the system holds none of these categories
    kinds = frozenset(
        link.match.identifier
        for entry in system.tables
        if entry.table in tables
        for link in entry.links
        if link.match is not None
    )
    url = _url(system)
    external.reflect(system, url)  # unreachable: said now, before any subject is yielded
    after = 0
    while True:
        with guard.internal():
            ids = list(
                session.scalars(
                    select(Subject.id)
                    .where(Subject.id > after)
                    .order_by(Subject.id)
                    .limit(SUBJECTS_PER_QUESTION)
                )
            )
        if not ids:
            return
        after = ids[-1]
        known = _identifiers(session, ids, kinds)
        if known:
            yield from sorted(external.subjects_with_rows(system, url, known, tables))


def _chunks(ids: Iterator[int], size: int) -> Iterator[list[int]]:
    batch: list[int] = []
    for subject_id in ids:
        batch.append(subject_id)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


# ---------------------------------------------------------------------------------------------
# The selection


def count(session: Session, chosen: Selection) -> int:
    """The preview before anyone is told: how many subjects the selection finds. In another
    system this walks the whole register (a batch in memory at a time)."""
    if chosen.system == register_key():
        with guard.internal():
            statement = select(func.count()).select_from(Subject).where(_condition(chosen))
            return session.scalar(statement) or 0
    return sum(len(batch) for batch in batches(session, chosen, size=MAX_BATCH))


def batches(session: Session, chosen: Selection, *, size: int) -> Iterator[list[int]]:
    """The selected subjects' ids in ascending batches of at most `size` (keyset: no OFFSET,
    no long cursor, in the register and in another system alike)."""
    size = max(1, min(size, MAX_BATCH))
    if chosen.system == register_key():
        yield from _register_batches(session, chosen, size)
        return
    system = entries.current().system(chosen.system)
    yield from _chunks(_other_system_ids(session, system, chosen), size)
