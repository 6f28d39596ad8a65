"""Retention in the company's other systems (the data map's systems with a URL).

A rule counted from the row's own date is a condition on the mapped table's time column, and
the rows are worked in key order in batches, as in the register. A rule counted from the
subject (the relationship's end, consent) has no such column there: the run takes the
subjects the register found due when it started (retention_subject) and erases each one's
rows, found by the identifiers the register holds for them, as an erasure request does. That
is why a run works the other systems before the register: the register's e-mail addresses
and personnummer are what find the rows elsewhere.

Held and restricted subjects are left alone everywhere: their rows are excluded by their
identifiers. Each batch commits in the other system first, then its counts in ours: a run
stopped between the two has erased rows its report does not count (docs/retention.md)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    DateTime,
    Table,
    and_,
    delete,
    false,
    func,
    not_,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session, sessionmaker

from dataskydd.access import guard
from dataskydd.datamap import external
from dataskydd.datamap.entries import OnErase, SystemMap, TableMap
from dataskydd.datamap.identifiers import SubjectIdentifiers, subject_identifiers
from dataskydd.datamap.still_held import holding
from dataskydd.db.session import transaction
from dataskydd.errors import NotFound
from dataskydd.retention import register_rows, subjects
from dataskydd.retention.models import RetentionSubject
from dataskydd.retention.rules import Cutoff, Trigger

SUBJECTS_PER_BATCH = 100


@dataclass(frozen=True)
class Target:
    """What one task needs of the other system: its tables and how to reach it."""

    system: SystemMap
    entry: TableMap
    category: str
    cut: Cutoff
    url: str


def _identifiers(session: Session, ids: list[int]) -> dict[int, SubjectIdentifiers]:
    found: dict[int, SubjectIdentifiers] = {}
    with guard.internal():  # identifiers leave only as matching conditions, never shown
        for subject_id in ids:
            try:
                found[subject_id] = subject_identifiers(session, subject_id)
            except NotFound:
                continue
    return found


def _spared(session: Session, category: str, today: dt.date) -> set[int]:
    """Subjects held, or restricted in `category`: never erased here."""
    ids = set(session.scalars(subjects.held(category)))
    ids |= set(session.scalars(subjects.restricted(category, today, expired=False)))
    return ids


def _identified(session: Session, ids: set[int]) -> list[SubjectIdentifiers]:
    return [i for i in _identifiers(session, sorted(ids)).values() if not i.empty]


def excluded(session: Session, category: str, today: dt.date) -> list[SubjectIdentifiers]:
    """The identifiers of the subjects `_spared` names."""
    return _identified(session, _spared(session, category, today))


def _on_or_before(table: Table, column: str, day: dt.date) -> ColumnElement[bool]:
    values = table.c[column]
    if isinstance(values.type, DateTime):
        start = subjects.start_of(day + dt.timedelta(1))
        # A column without a zone holds UTC by the convention of the other systems' maps.
        bound = start if values.type.timezone else start.replace(tzinfo=None)
        return values < bound
    if isinstance(values.type, Date):
        return values <= day
    return values <= day.isoformat()  # text dates in ISO form sort as dates


def _dated(
    tables: Mapping[str, Table], system: SystemMap, entry: TableMap, category: str, cut: Cutoff
) -> ColumnElement[bool]:
    """A row-dated rule has passed for the row, or (through a parent of the same single
    category) for its parent, which goes whole."""
    table = tables[entry.table]
    own = _on_or_before(table, entry.time_column, cut.last_due) if entry.time_column else false()
    parents: list[ColumnElement[bool]] = []
    for link in entry.links:
        if not link.via:
            continue
        hop = link.via[0]
        parent = system.by_table[hop.table]
        if parent.categories == frozenset({category}):
            due_parents = select(tables[hop.table].c[hop.key]).where(
                _dated(tables, system, parent, category, cut)
            )
            parents.append(table.c[hop.column].in_(due_parents))
    return or_(own, *parents)


def _step(target: Target, table: Table) -> Callable[[ColumnElement[bool]], Any]:
    step = external.erase_step(target.system, table, target.entry, frozenset({target.category}))
    if step.action is OnErase.DELETE:
        return lambda condition: delete(table).where(condition)
    values = dict(step.values)
    return lambda condition: update(table).where(condition).values(values)


def count_dated(target: Target, today: dt.date, excluded: list[SubjectIdentifiers]) -> int:
    engine, tables = external.writable_tables(target.system, target.url)
    table = tables[target.entry.table]
    condition = _dated_condition(target, tables, excluded)
    with external.reaching(target.system.key, engine), engine.connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(table).where(condition)) or 0)


def _dated_condition(
    target: Target, tables: Mapping[str, Table], excluded: list[SubjectIdentifiers]
) -> ColumnElement[bool]:
    table = tables[target.entry.table]
    spared = [external.subject_condition(tables, target.entry, i) for i in excluded]
    return and_(
        holding(target.entry, target.category, table),
        _dated(tables, target.system, target.entry, target.category, target.cut),
        not_(or_(false(), *spared)),
    )


def work(
    factory: sessionmaker[Session],
    target: Target,
    *,
    run_id: int,
    today: dt.date,
    batch_size: int,
    counted: Callable[[int], None],
) -> None:
    """Erase the due rows of one category of one table of another system; `counted` records
    each committed batch's rows in the run's line (in our database)."""
    dated = target.cut.trigger == Trigger.CREATED
    with transaction(factory) as session:
        spared_ids = _spared(session, target.category, today)
        # A row-dated rule spares rows by the subjects' identifiers; a subject-dated one
        # skips the subjects themselves.
        spared = _identified(session, spared_ids) if dated else []
    engine, tables = external.writable_tables(target.system, target.url)
    table = tables[target.entry.table]
    key = table.c[target.entry.key]
    statement = _step(target, table)
    if dated:
        condition = _dated_condition(target, tables, spared)
        last: Any = None
        while True:
            with external.reaching(target.system.key, engine), engine.begin() as connection:
                chosen = select(key).where(condition)
                if last is not None:
                    chosen = chosen.where(key > last)
                ids = list(connection.scalars(chosen.order_by(key).limit(batch_size)))
                if not ids:
                    return
                erased = connection.execute(statement(key.in_(ids))).rowcount
            counted(erased)
            last = ids[-1]
    scope = register_rows.scope(target.category, target.cut)
    listed = select(RetentionSubject.subject_id).where(
        RetentionSubject.run_id == run_id, RetentionSubject.scope == scope
    )
    after = 0
    held = holding(target.entry, target.category, table)
    while True:
        with transaction(factory) as session:
            batch = list(
                session.scalars(
                    listed.where(RetentionSubject.subject_id > after)
                    .order_by(RetentionSubject.subject_id)
                    .limit(SUBJECTS_PER_BATCH)
                )
            )
            if not batch:
                return
            found = _identifiers(session, [i for i in batch if i not in spared_ids])
        conditions = [
            external.subject_condition(tables, target.entry, identifiers)
            for identifiers in found.values()
            if not identifiers.empty
        ]
        erased = 0
        if conditions:
            with external.reaching(target.system.key, engine), engine.begin() as connection:
                condition = and_(held, or_(*conditions))
                erased = connection.execute(statement(condition)).rowcount
        counted(erased)
        after = batch[-1]
