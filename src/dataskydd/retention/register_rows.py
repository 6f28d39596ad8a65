"""The register's rows a rule has made due, as one SQL condition per table and category.

A row is due for a category when it still holds a value of it, its subject is not held, and
either the category's rule has passed and the subject's category is not restricted, or the
restriction's own keep-until has passed. A row reached through a parent (a message through
its case) is also due when its parent row is: the parent goes whole, children first."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    TypeDecorator,
    and_,
    exists,
    false,
    or_,
    select,
)
from sqlalchemy.orm import Session

from dataskydd.datamap import queries
from dataskydd.datamap.entries import SubjectLink, TableMap, by_table
from dataskydd.datamap.still_held import holding
from dataskydd.db.base import Base
from dataskydd.retention import subjects
from dataskydd.retention.models import RetentionSubject
from dataskydd.retention.rules import Cutoff, Trigger

ONE_DAY = dt.timedelta(days=1)


def _link_in(entry: TableMap, link: SubjectLink, ids: Select[Any]) -> ColumnElement[bool]:
    """`the row's subject (along one link) is among ids`, via IN-subqueries per hop."""
    table = queries.table_of(entry)
    subject_column = link.subject_column
    assert subject_column is not None  # the register links by subject id (map_schema)
    if not link.via:
        return table.c[subject_column].in_(ids)
    hops = list(link.via)
    last = Base.metadata.tables[hops[-1].table]
    keys: Select[Any] = select(last.c[hops[-1].key]).where(last.c[subject_column].in_(ids))
    for index in range(len(hops) - 1, 0, -1):
        parent = Base.metadata.tables[hops[index - 1].table]
        keys = select(parent.c[hops[index - 1].key]).where(parent.c[hops[index].column].in_(keys))
    return table.c[hops[0].column].in_(keys)


def subject_in(entry: TableMap, ids: Select[Any]) -> ColumnElement[bool]:
    return or_(*(_link_in(entry, link, ids) for link in entry.links))


def subject_of(entry: TableMap) -> ColumnElement[Any]:
    """The subject id of a row along its first link (for counting subjects)."""
    table = queries.table_of(entry)
    link = entry.links[0]
    assert link.subject_column is not None
    if not link.via:
        return table.c[link.subject_column]
    hops = list(link.via)
    value: ColumnElement[Any] = Base.metadata.tables[hops[-1].table].c[link.subject_column]
    for index in range(len(hops) - 1, -1, -1):
        target = Base.metadata.tables[hops[index].table]
        source = (
            queries.table_of(entry) if index == 0 else Base.metadata.tables[hops[index - 1].table]
        )
        value = (
            select(value).where(target.c[hops[index].key] == source.c[hops[index].column])
        ).scalar_subquery()
    return value


def _dated_on_or_before(table: Table, column: str, day: dt.date) -> ColumnElement[bool]:
    values = table.c[column]
    kind = values.type
    if isinstance(kind, TypeDecorator):  # UtcDateTime: compared as what it stores
        kind = kind.impl_instance
    python_type = kind.python_type
    if issubclass(python_type, dt.datetime):
        return values < subjects.start_of(day + ONE_DAY)
    return values <= day


def scope(category: str, cut: Cutoff) -> str:
    return f"{cut.trigger}:{category}"


def due_subjects(
    category: str,
    cut: Cutoff,
    today: dt.date,
    consent_purposes: tuple[str, ...],
    snapshot: int | None = None,
) -> Select[Any] | None:
    """The subjects a subject-level rule has made due: live, or as run `snapshot` listed them
    when it started (retention_subject). None for a rule counted from the row's own date."""
    if cut.trigger == Trigger.CREATED:
        return None
    if snapshot is not None:
        return select(RetentionSubject.subject_id).where(
            RetentionSubject.run_id == snapshot,
            RetentionSubject.scope == scope(category, cut),
        )
    if cut.trigger == Trigger.RELATIONSHIP_ENDED:
        return subjects.relationship_ended(cut.last_due, today)
    return subjects.consent_ended(consent_purposes, cut.last_due)


def rule_passed(
    entry: TableMap,
    category: str,
    cut: Cutoff,
    today: dt.date,
    consent_purposes: tuple[str, ...],
    snapshot: int | None = None,
) -> ColumnElement[bool]:
    """The category's rule has passed for the row (or, through a parent, for its parent)."""
    table = queries.table_of(entry)
    if cut.trigger == Trigger.CREATED:
        own = (
            _dated_on_or_before(table, entry.time_column, cut.last_due)
            if entry.time_column
            else false()
        )
    elif cut.trigger == Trigger.CONSENT_ENDED and not consent_purposes:
        own = false()
    else:
        ids = due_subjects(category, cut, today, consent_purposes, snapshot)
        assert ids is not None
        own = subject_in(entry, ids)
    parents: list[ColumnElement[bool]] = []
    for link in entry.links:
        if not link.via:
            continue
        hop = link.via[0]
        parent = by_table(hop.table)
        if parent.categories == frozenset({category}):
            parent_table = queries.table_of(parent)
            due_parents = select(parent_table.c[hop.key]).where(
                rule_passed(parent, category, cut, today, consent_purposes, snapshot)
            )
            parents.append(table.c[hop.column].in_(due_parents))
    return or_(own, *parents)


@dataclass(frozen=True)
class Exceptions:
    """Which kinds of exception exist for a category now. A kind with no row is left out of
    the condition: each batch is then the plain date condition the database's index serves
    (bench_retention.py), not one with three subqueries that can match nothing."""

    held: bool = True
    restricted: bool = True
    restriction_ended: bool = True


# Every kind assumed present: the full condition, for counts and plans.
ANY_EXCEPTION = Exceptions()


def exceptions(session: Session, category: str, today: dt.date) -> Exceptions:
    def some(ids: Select[Any]) -> bool:
        return session.scalar(select(exists(ids))) is True

    return Exceptions(
        held=some(subjects.held(category)),
        restricted=some(subjects.restricted(category, today, expired=False)),
        restriction_ended=some(subjects.restricted(category, today, expired=True)),
    )


def due(
    entry: TableMap,
    category: str,
    cut: Cutoff,
    today: dt.date,
    consent_purposes: tuple[str, ...],
    snapshot: int | None = None,
    present: Exceptions = ANY_EXCEPTION,
) -> ColumnElement[bool]:
    passed = rule_passed(entry, category, cut, today, consent_purposes, snapshot)
    if present.restricted:
        passed = and_(
            passed, ~subject_in(entry, subjects.restricted(category, today, expired=False))
        )
    if present.restriction_ended:
        passed = or_(passed, subject_in(entry, subjects.restricted(category, today, expired=True)))
    kept = [~subject_in(entry, subjects.held(category))] if present.held else []
    return and_(holding(entry, category), *kept, passed)


def passed_but_held(
    entry: TableMap, category: str, cut: Cutoff, today: dt.date, consent_purposes: tuple[str, ...]
) -> ColumnElement[bool]:
    return and_(
        holding(entry, category),
        rule_passed(entry, category, cut, today, consent_purposes),
        subject_in(entry, subjects.held(category)),
    )


def passed_but_restricted(
    entry: TableMap, category: str, cut: Cutoff, today: dt.date, consent_purposes: tuple[str, ...]
) -> ColumnElement[bool]:
    return and_(
        holding(entry, category),
        rule_passed(entry, category, cut, today, consent_purposes),
        ~subject_in(entry, subjects.held(category)),
        subject_in(entry, subjects.restricted(category, today, expired=False)),
    )
