"""A subject's rows of the exported categories, through the data map's own readers: the
register's (`datamap.queries`) and the company's other systems' (`datamap.external`), as the
registerutdrag reads them. Streamed per table, so memory stays flat however many rows a
subject has; called only after the access decision allowed the categories."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from dataskydd.access import guard
from dataskydd.config import get_settings
from dataskydd.datamap import connections, entries, external, queries
from dataskydd.datamap.entries import SystemMap, TableMap
from dataskydd.datamap.identifiers import SubjectIdentifiers, subject_identifiers
from dataskydd.errors import ConfigurationError


@dataclass(frozen=True)
class TableRows:
    system: str
    table: str
    columns: tuple[str, ...]
    rows: Iterator[dict[str, Any]]  # "id" and the columns; each has a value of the category


@dataclass(frozen=True)
class OtherSystem:
    system: SystemMap
    url: str


def other_systems(categories: Sequence[str]) -> list[OtherSystem]:
    """The other systems holding any of the categories, with their URLs. One without a URL
    stops the export before anything is written: a file never leaves a system out quietly."""
    found = []
    for system in entries.current().external:
        if not system.categories.intersection(categories):
            continue
        try:
            url = connections.system_url(system.key, get_settings())
        except ConfigurationError as error:
            raise connections.SystemUnavailable(error.message) from None
        found.append(OtherSystem(system, url))
    return found


class SubjectReader:
    """Reads for one export: the other systems on one connection each (`external.Reader`),
    closed by the caller's `with` whatever happens."""

    def __init__(self, session: Session, others: list[OtherSystem], batch_size: int) -> None:
        self._session = session
        self._others = others
        self._batch_size = batch_size
        self._reader = external.Reader()

    def __enter__(self) -> SubjectReader:
        return self

    def __exit__(self, *_exc: object) -> None:
        self._reader.close()

    def identifiers(self, subject_id: int) -> SubjectIdentifiers:
        """What finds the subject in the other systems. Read to match rows, not exported,
        so it is the reader's own read (like the decision's), not one the export grants."""
        if not self._others:
            return SubjectIdentifiers()
        with guard.internal():
            return subject_identifiers(self._session, subject_id)

    def tables(
        self, subject_id: int, category: str, identifiers: SubjectIdentifiers
    ) -> Iterator[TableRows]:
        """The tables where the subject has a value of the category, register first."""
        for entry in entries.tables_for_category(category):
            columns = tuple(entry.shown_columns(category))
            rows = queries.iter_rows_for_subject(
                self._session, entry, subject_id, list(columns), batch_size=self._batch_size
            )
            yield from _non_empty("register", entry.table, columns, rows, "id")
        for other in self._others:
            for entry in other.system.tables:
                if category not in entry.categories:
                    continue
                yield from self._other(other, entry, category, identifiers)

    def _other(
        self, other: OtherSystem, entry: TableMap, category: str, identifiers: SubjectIdentifiers
    ) -> Iterator[TableRows]:
        if identifiers.empty:
            return
        columns = tuple(entry.shown_columns(category))
        rows = self._reader.iter_rows(
            other.system, other.url, entry, identifiers, columns, batch_size=self._batch_size
        )
        yield from _non_empty(other.system.key, entry.table, columns, rows, entry.key)


def _non_empty(
    system: str,
    table: str,
    columns: tuple[str, ...],
    rows: Iterator[dict[str, Any]],
    key: str,
) -> Iterator[TableRows]:
    """The table, when the subject has a row holding a value of the category (a row whose
    category columns are all empty, blanked by an erasure, says nothing about them)."""
    holding = (
        {"id": row[key], **{c: row[c] for c in columns}}
        for row in rows
        if any(row[c] is not None for c in columns)
    )
    first = next(holding, None)
    if first is None:
        return
    yield TableRows(system, table, columns, _chain(first, holding))


def _chain(first: dict[str, Any], rest: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    yield first
    yield from rest
