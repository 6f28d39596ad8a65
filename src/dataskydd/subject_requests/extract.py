"""Registerutdrag (GDPR art. 15) as JSON, streamed: every row of every mapped table linked to
the subject, grouped by policy category, with the art. 15 information from the policy.

The document is written piece by piece, rows fetched in batches, so memory stays flat however
many usage events a subject has. Its shape is documented in docs/registerutdrag-schema.md
(version EXTRACT_SCHEMA); change the version when the shape changes.

Besides the data, the subject learns its processing state (processing_state.py): their
requests, restrictions, objections and consents. A category kept restricted after an erasure
states the date it is kept until and why, not the policy's general retention rule, which no
longer describes what happens to it.
"""

from __future__ import annotations

import itertools
import json
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, TextIO, cast

from sqlalchemy import Integer, Select, bindparam, func, or_, select
from sqlalchemy.orm import Session

from dataskydd.clock import SWEDEN, utc_now
from dataskydd.datamap import entries, external, labels, queries
from dataskydd.datamap.entries import TableMap, tables_for_category
from dataskydd.datamap.identifiers import SubjectIdentifiers
from dataskydd.policy import labels as policy_labels
from dataskydd.policy.retention import describe_retention
from dataskydd.policy.schema import Lang, Policy
from dataskydd.register import service as register_service
from dataskydd.register.models import Restriction
from dataskydd.subject_requests import rights, systems
from dataskydd.subject_requests.processing_state import (
    StateList,
    processing_state,
    standing_restrictions,
)

EXTRACT_SCHEMA = "dataskydd-registerutdrag/1"


@dataclass
class ExtractStats:
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.rows.values())


_ENCODE = json.JSONEncoder(ensure_ascii=False).encode
# Values JSON holds as they are; the rest (dates, amounts, codes) go through queries.plain.
_AS_IS = frozenset({str, int, float, bool, type(None)})
_ROWS_PER_WRITE = 500


def _dump(value: Any) -> str:
    return _ENCODE(value)


def _write_rows(
    out: TextIO,
    rows: Iterator[Mapping[str, Any]],
    names: list[str],
    last: deque[Mapping[str, Any]] | None,
) -> int:
    """The rows as JSON objects, comma-separated, written a few hundred at a time: for a
    subject with a million rows this loop is the extract, so it does per value only what
    the value needs. Returns how many rows."""
    count = 0
    pending: list[str] = []
    plain = queries.plain
    for row in rows:
        values = {}
        for name in names:
            value = row[name]
            values[name] = value if type(value) in _AS_IS else plain(value)
        pending.append(_ENCODE(values))
        if last is not None:
            last.append(row)
        if len(pending) == _ROWS_PER_WRITE:
            out.write(("" if count == 0 else ", ") + ", ".join(pending))
            count += len(pending)
            pending.clear()
    if pending:
        out.write(("" if count == 0 else ", ") + ", ".join(pending))
        count += len(pending)
    return count


def purposes_of(policy: Policy, category: str, lang: Lang) -> list[dict[str, Any]]:
    result = []
    for key in policy.purposes_using(category):
        purpose = policy.purposes[key]
        interest = purpose.legitimate_interest.get(lang) if purpose.legitimate_interest else None
        result.append(
            {
                "key": key,
                "title": purpose.title.get(lang),
                "legal_basis": purpose.legal_basis.value if purpose.legal_basis else None,
                "legal_basis_text": policy_labels.legal_basis(purpose.legal_basis, lang),
                "legitimate_interest": interest,
                "objectable": purpose.objectable,
                "profiling": purpose.profiling,
            }
        )
    return result


def recipients_of(policy: Policy, category: str, lang: Lang) -> list[dict[str, Any]]:
    return [
        {
            "name": recipient.name,
            "role": recipient.role.value,
            "description": recipient.description.get(lang),
            "country": recipient.country,
            "transfer_mechanism": (
                recipient.transfer_mechanism.value if recipient.transfer_mechanism else None
            ),
        }
        for recipient in policy.recipients_of((category,))
    ]


def _controller(policy: Policy, lang: Lang) -> dict[str, Any]:
    controller = policy.controller
    return {
        "controller": {
            "name": controller.name,
            "postal_address": controller.postal_address.model_dump(),
            "phone": controller.phone,
            "website": controller.website,
        },
        "dpo": policy.dpo.model_dump() if policy.dpo else None,
        "supervisory_authority": {
            "name": policy.supervisory_authority.name.get(lang),
            "website": policy.supervisory_authority.website,
        },
    }


@dataclass
class TableSection:
    table: str
    title: str
    columns: list[tuple[str, str]]  # (column, label)
    rows: Iterator[Mapping[str, Any]]  # a row's values by column name
    # With `newest`: rows holds only the newest rows, newest first, and total counts them all.
    total: int | None = None
    system: str = "register"  # the data map's system key (docs/data-map.md)


@dataclass
class CategorySection:
    meta: dict[str, Any]
    tables: Iterator[TableSection]


@dataclass
class Collected:
    """A reader's view gathered while the JSON is written, for the PDF of the same package
    (`write_extract_pdf(..., collected=...)`), so the package reads the subject's data once:
    the head, the processing state, and per table its newest `newest` rows, newest first,
    with its total. Memory stays bounded by `newest` rows a table."""

    newest: int = 500
    head: dict[str, Any] = field(default_factory=dict)
    state: list[StateList] = field(default_factory=list)
    categories: list[tuple[dict[str, Any], list[TableSection]]] = field(default_factory=list)

    def sections(self) -> list[CategorySection]:
        return [CategorySection(meta, iter(tables)) for meta, tables in self.categories]


def head_of(policy: Policy, subject_name: str, subject_id: int, lang: Lang) -> dict[str, Any]:
    return {
        "schema": EXTRACT_SCHEMA,
        "language": lang,
        "generated_at": utc_now().isoformat(),
        **_controller(policy, lang),
        "subject": {"id": subject_id, "name": subject_name},
        "rights": rights.rights(policy, lang),
    }


def state_of(lists: list[StateList]) -> dict[str, Any]:
    """The processing state as the JSON holds it: per list its title, shown fields, total
    and items (newest first)."""
    return {
        state.key: {
            "title": state.title,
            **({"intro": state.intro} if state.intro else {}),
            "columns": [{"key": c, "label": label} for c, label in state.columns],
            "total": state.total,
            "items": [{k: queries.plain(v) for k, v in item.items()} for item in state.items],
        }
        for state in lists
    }


_KEPT = {
    "sv": "Sparas till och med {until}, därefter raderas uppgifterna. Skäl: {reason}. Till dess "
    "är behandlingen begränsad: uppgifterna används bara för det skälet (artikel 18).",
    "en": "Kept until {until}, then erased. Reason: {reason}. Until then processing is "
    "restricted: the data is used for that reason only (Article 18).",
}
_RESTRICTED = {
    "sv": "Behandlingen är begränsad sedan {since} (artikel 18). Skäl: {reason}.",
    "en": "Processing has been restricted since {since} (Article 18). Reason: {reason}.",
}


def retention_of(policy: Policy, category: str, restriction: Restriction | None, lang: Lang) -> str:
    """How long the category is kept: the restriction's end date and reason when one with an
    end stands (a category kept under a legal duty after erasure), else the policy's rule."""
    general = describe_retention(policy.categories[category].retention, lang)
    if restriction is None:
        return general
    reason = restriction.reason.rstrip(". ")
    if restriction.until is not None:
        return _KEPT[lang].format(until=restriction.until.isoformat(), reason=reason)
    since = restriction.restricted_at.astimezone(SWEDEN).date().isoformat()
    return f"{general} {_RESTRICTED[lang].format(since=since, reason=reason)}"


def _restriction_meta(restriction: Restriction | None) -> dict[str, Any] | None:
    if restriction is None:
        return None
    return {
        "since": restriction.restricted_at.isoformat(),
        "until": restriction.until.isoformat() if restriction.until else None,
        "reason": restriction.reason,
    }


# Per policy (by identity, the policy object kept so its id is not reused) and language, the
# texts a category's section takes from it: the same for every subject, and building them
# (purposes, legal bases, recipients) cost a typical subject's extract more than its rows.
_TEXTS_OF: dict[tuple[int, str, str], tuple[Policy, dict[str, Any], dict[str, Any]]] = {}


def _category_texts(policy: Policy, key: str, lang: Lang) -> tuple[dict[str, Any], dict[str, Any]]:
    """The category's meta before and after its subject-specific retention and restriction."""
    found = _TEXTS_OF.get((id(policy), key, lang))
    if found is not None and found[0] is policy:
        return found[1], found[2]
    if len(_TEXTS_OF) > 4096:  # many policies in one process (tests): start again
        _TEXTS_OF.clear()
    category = policy.categories[key]
    before = {
        "key": key,
        "title": category.title.get(lang),
        "description": category.description.get(lang),
        "source": category.source.value,
    }
    after = {
        "purposes": purposes_of(policy, key, lang),
        "recipients": recipients_of(policy, key, lang),
    }
    _TEXTS_OF[(id(policy), key, lang)] = (policy, before, after)
    return before, after


# The subject's id, bound at execution: statements are built once per table and category,
# since building SQL expressions costs more than running them for a typical subject.
_SUBJECT = bindparam("subject_id", type_=Integer)


@lru_cache(maxsize=1024)
def _holding(entry: TableMap, category: str) -> Select[Any]:
    """The subject's rows of the table that hold a value of the category; a row whose
    category columns are all empty (blanked by an erasure) says nothing about the subject."""
    columns = entry.shown_columns(category)
    statement = queries.select_rows_for_subject(entry, _SUBJECT, columns)
    shown = [statement.selected_columns[c] for c in columns]
    statement = statement.where(or_(*(c.is_not(None) for c in shown)))
    if entry.time_column:
        # Oldest first with rows without a time first on every database (PostgreSQL puts
        # them last by default): read from the end, the newest are then what `_newest_first`
        # gives, so a PDF made from the JSON's pass shows the same rows (`Collected`).
        table = queries.table_of(entry)
        time = table.c[entry.time_column]
        statement = statement.order_by(None).order_by(time.asc().nulls_first(), table.c.id)
    return statement


@lru_cache(maxsize=1024)
def _holding_first(entry: TableMap, category: str, rows: int) -> Select[Any]:
    return _holding(entry, category).limit(rows)


def _holding_rows(
    session: Session, entry: TableMap, category: str, params: dict[str, Any], batch_size: int
) -> Iterator[Mapping[str, Any]]:
    """`_holding`'s rows, streamed in batches (`yield_per`), so a subject with millions of
    events needs flat memory.

    A subject has a few rows in most tables: where streaming means a server-side cursor
    (PostgreSQL: four round trips, DECLARE, describe, FETCH, CLOSE), the first batch and one
    row more, to learn whether there are more, come in one plain statement. Only a table with
    more than a batch is then read again from one statement, streamed, so that a change in
    between can neither double nor drop a row."""
    # Core, on the session's connection and transaction: the ORM's execution path costs more
    # than a small subject's SELECT itself, and these are plain table rows.
    # The rows are handed on as the driver's mappings, not copied into dicts.
    connection = session.connection()
    if connection.dialect.supports_server_side_cursors:
        first = connection.execute(_holding_first(entry, category, batch_size + 1), params)
        rows = first.mappings().all()
        if len(rows) <= batch_size:
            yield from cast("list[Mapping[str, Any]]", rows)
            return
        del rows
    result = connection.execute(
        _holding(entry, category), params, execution_options={"yield_per": batch_size}
    )
    yield from cast("Iterator[Mapping[str, Any]]", result.mappings())


@lru_cache(maxsize=1024)
def _newest_first(entry: TableMap, category: str, newest: int) -> tuple[Select[Any], Select[Any]]:
    """How many rows `_holding` gives, and the newest `newest` of them, newest first."""
    statement = _holding(entry, category)
    table = queries.table_of(entry)
    order = table.c[entry.time_column] if entry.time_column else table.c.id
    counting = select(func.count()).select_from(statement.order_by(None).subquery())
    page = (
        statement.order_by(None)
        .order_by(order.desc().nulls_last(), table.c.id.desc())
        .limit(newest)
    )
    return counting, page


@dataclass(frozen=True)
class Elsewhere:
    """The other systems a registerutdrag reads, and what finds the subject's rows there."""

    reached: list[systems.Reached]
    identifiers: SubjectIdentifiers


def elsewhere_of(session: Session, subject_id: int) -> Elsewhere:
    """Every other system with its URL; one without a URL makes the extract wait (never a
    registerutdrag that silently leaves a system out)."""
    reached = [
        systems.Reached(system, systems.url_of(system)) for system in systems.other_systems()
    ]
    return Elsewhere(reached, systems.identifiers_for_others(session, subject_id))


# The most rows of one table in another system kept in memory for its later categories.
_AHEAD_ROWS = 500


class _ReadAhead:
    """The other systems' rows for one document, on `reader`'s connections (one per system).

    At a system's first table in the document, each of its tables is read once, with the
    columns of all its categories, when the subject has at most `_AHEAD_ROWS` rows there (most
    subjects), and kept until the table's last category is written: memory stays bounded, and
    the system's connection is handed back at once. One statement per table, system after
    system, instead of one per table and category with the systems taking turns, took the
    other systems' part of the benchmark's extract from ~20 to ~14 ms
    (bench_systems_extract.py). A table with more rows is read per category, streamed."""

    def __init__(
        self,
        reader: external.Reader,
        identifiers: SubjectIdentifiers,
        categories: list[str],
        batch_size: int,
    ) -> None:
        self._reader = reader
        self._identifiers = identifiers
        self._places = {key: place for place, key in enumerate(categories)}
        self._batch_size = batch_size
        self._systems: set[str] = set()
        self._kept: dict[TableMap, list[dict[str, Any]]] = {}
        self._last: dict[TableMap, str] = {}

    def rows(
        self, part: systems.Reached, entry: TableMap, key: str, columns: list[str]
    ) -> Iterator[dict[str, Any]]:
        if part.system.key not in self._systems:
            self._systems.add(part.system.key)
            self._read_ahead(part)
        kept = self._kept.get(entry)
        if kept is None:
            return self._reader.iter_rows(
                part.system,
                part.url,
                entry,
                self._identifiers,
                columns,
                batch_size=self._batch_size,
            )
        if key == self._last[entry]:
            del self._kept[entry]
        return iter(kept)

    def _read_ahead(self, part: systems.Reached) -> None:
        limit = min(self._batch_size, _AHEAD_ROWS)
        for entry in part.system.tables:
            written = [key for key in entry.categories if key in self._places]
            if not written:
                continue
            columns = [c for c in entry.columns if c not in entry.derived]
            few = self._reader.few_rows(
                part.system, part.url, entry, self._identifiers, columns, limit=limit
            )
            if few is not None:
                self._kept[entry] = few
                self._last[entry] = max(written, key=self._places.__getitem__)
        # Its reads are done for now (a table with more rows is read when its turn comes):
        # nothing is held in the system while the register is read and the document written.
        self._reader.release(part.system, part.url)


def _other_tables(
    key: str,
    lang: Lang,
    batch_size: int,
    newest: int | None,
    elsewhere: Elsewhere,
    ahead: _ReadAhead | None,
) -> Iterator[TableSection]:
    for part in elsewhere.reached:
        for entry in part.system.tables:
            if key not in entry.categories:
                continue
            columns = entry.shown_columns(key)
            labelled = [(c, labels.entry_column_label(entry, c, lang)) for c in columns]
            if ahead is not None:
                found = ahead.rows(part, entry, key, columns)
            else:
                found = external.iter_rows(
                    part.system,
                    part.url,
                    entry,
                    elsewhere.identifiers,
                    columns,
                    batch_size=batch_size,
                )
            # As in the register: a row whose columns of the category are all empty says
            # nothing about the subject. The key is shown as the row's id.
            holding = (
                {"id": row[entry.key], **{c: row[c] for c in columns}}
                for row in found
                if any(row[c] is not None for c in columns)
            )
            title = labels.entry_title(entry, lang)
            if newest is not None:
                # Oldest first from the system: the newest are the last `newest`, kept as they
                # pass, so memory stays bounded by `newest` rows.
                last: deque[dict[str, Any]] = deque(maxlen=newest)
                total = 0
                for row in holding:
                    last.append(row)
                    total += 1
                if total:
                    yield TableSection(
                        entry.table, title, labelled, reversed(last), total, part.system.key
                    )
                continue
            first = next(holding, None)
            if first is not None:
                rows = itertools.chain([first], holding)
                yield TableSection(entry.table, title, labelled, rows, system=part.system.key)


def _tables(
    session: Session,
    key: str,
    subject_id: int,
    lang: Lang,
    batch_size: int,
    newest: int | None,
    elsewhere: Elsewhere,
    ahead: _ReadAhead | None,
) -> Iterator[TableSection]:
    yield from _register_tables(session, key, subject_id, lang, batch_size, newest)
    yield from _other_tables(key, lang, batch_size, newest, elsewhere, ahead)


def _register_tables(
    session: Session, key: str, subject_id: int, lang: Lang, batch_size: int, newest: int | None
) -> Iterator[TableSection]:
    params = {"subject_id": subject_id}
    for entry in tables_for_category(key):
        columns = entry.shown_columns(key)
        labelled = [(c, labels.column_label(entry.table, c, lang)) for c in columns]
        title = labels.table_label(entry.table, lang)
        if newest is not None:
            counting, page = _newest_first(entry, key, newest)
            total = session.scalar(counting, params) or 0
            if total:
                result = session.execute(page, params)
                rows = (dict(row) for row in result.mappings())
                yield TableSection(entry.table, title, labelled, rows, total)
            continue
        holding = _holding_rows(session, entry, key, params, batch_size)
        first = next(holding, None)
        if first is not None:
            yield TableSection(entry.table, title, labelled, itertools.chain([first], holding))


def iter_extract(
    session: Session,
    *,
    policy: Policy,
    subject_id: int,
    lang: Lang,
    batch_size: int = 1000,
    newest: int | None = None,
    reader: external.Reader | None = None,
) -> tuple[dict[str, Any], Iterator[CategorySection]]:
    """The document head, and its categories as lazy sections (rows fetched on demand).

    The processing state is read apart, by `processing_state`. With `newest`, each table gives
    only its `newest` newest rows, newest first, and their total: a reader's view (the PDF)
    that never drops the latest data yet reads a bounded number of rows.

    With `reader`, the other systems are read on its connections (one per system), which the
    caller closes when the document is written, however that ends, and a subject's few rows of
    a table are read once for all its categories (`_ReadAhead`); without, every table's read
    takes a connection of its own and hands it back when its rows end.
    """
    # The register's tables are read on the session's connection (Core), which does not
    # flush what the session holds: flushed here, so the extract sees it.
    session.flush()
    subject = register_service.get_subject(session, subject_id)
    head = head_of(policy, subject.display_name, subject.id, lang)
    restricted = standing_restrictions(session, subject_id)
    elsewhere = elsewhere_of(session, subject_id)
    mapped = entries.current().categories
    written = [key for key in policy.categories if key in mapped]
    ahead = (
        _ReadAhead(reader, elsewhere.identifiers, written, batch_size)
        if reader is not None
        else None
    )

    def sections() -> Iterator[CategorySection]:
        for key in written:
            before, after = _category_texts(policy, key, lang)
            restriction = restricted.get(key)
            meta = {
                **before,
                "retention": retention_of(policy, key, restriction, lang),
                "restriction": _restriction_meta(restriction),
                **after,
            }
            tables = _tables(session, key, subject_id, lang, batch_size, newest, elsewhere, ahead)
            yield CategorySection(meta, tables)

    return head, sections()


def write_extract_json(
    session: Session,
    out: TextIO,
    *,
    policy: Policy,
    subject_id: int,
    lang: Lang = "sv",
    batch_size: int = 1000,
    collect: Collected | None = None,
) -> ExtractStats:
    """The JSON document; with `collect`, also what the PDF of the same package shows."""
    # The other systems are read on the reader's connections (one per system), all closed
    # here on every path: a generator's own clean-up would wait for it to be collected, and
    # an extract failing in one system would keep another's transaction open until then.
    with external.Reader() as reader:
        return _write_json(session, out, policy, subject_id, lang, batch_size, reader, collect)


def _write_json(
    session: Session,
    out: TextIO,
    policy: Policy,
    subject_id: int,
    lang: Lang,
    batch_size: int,
    reader: external.Reader,
    collect: Collected | None,
) -> ExtractStats:
    head, sections = iter_extract(
        session,
        policy=policy,
        subject_id=subject_id,
        lang=lang,
        batch_size=batch_size,
        reader=reader,
    )
    state = processing_state(session, policy=policy, subject_id=subject_id, lang=lang)
    if collect is not None:
        collect.head, collect.state = head, state
    head = {**head, "processing": state_of(state)}
    stats = ExtractStats()
    out.write(_dump(head)[:-1] + ', "categories": [')
    for number, section in enumerate(sections):
        out.write(("" if number == 0 else ", ") + _dump(section.meta)[:-1] + ', "tables": [')
        kept: list[TableSection] = []
        if collect is not None:
            collect.categories.append((section.meta, kept))
        for position, table in enumerate(section.tables):
            meta = {
                "system": table.system,
                "table": table.table,
                "title": table.title,
                "columns": [{"key": c, "label": label} for c, label in table.columns],
            }
            out.write(("" if position == 0 else ", ") + _dump(meta)[:-1] + ', "rows": [')
            names = ["id", *(c for c, _ in table.columns)]
            # Oldest first: the newest are the last `newest`, kept as they pass.
            last: deque[Mapping[str, Any]] | None = None
            if collect is not None:
                last = deque(maxlen=collect.newest)
            count = _write_rows(out, table.rows, names, last)
            out.write("]}")
            if last is not None:
                kept.append(
                    TableSection(
                        table.table, table.title, table.columns, reversed(last), count, table.system
                    )
                )
            where = table.table if table.system == "register" else f"{table.system}.{table.table}"
            stats.rows[f"{where}:{section.meta['key']}"] = count
        out.write("]}")
    out.write("]}")
    return stats
