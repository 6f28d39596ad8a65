"""Mina sidor's "my data" (art. 15): the registerutdrag's content as a page a customer can
find their way in. An overview first, one line per category the subject has data in (its
name, how many items, what it is used for, how long it is kept), then a section per
category with its tables, each showing its newest PAGE_ROWS rows; a longer table is read on
further pages (`my_rows`), each page through the same access decision as the page and
audited like it. The downloadable registerutdrag has every row.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import islice
from typing import Any

from sqlalchemy.orm import Session

from dataskydd.access.rules import Action
from dataskydd.datamap.labels import display_value
from dataskydd.datamap.queries import plain
from dataskydd.errors import InvalidInput
from dataskydd.messages_i18n import Msg
from dataskydd.policy.schema import Lang, Policy
from dataskydd.subject_requests import rights_access
from dataskydd.subject_requests.extract import TableSection, iter_extract

PAGE_ROWS = 25  # rows of a table on the page, and on each further page
# The newest rows a subject can page through here; older ones are in the registerutdrag.
MAX_ROWS = 5000
MAX_PAGE = MAX_ROWS // PAGE_ROWS


@dataclass(frozen=True)
class Table:
    key: str  # "system.table", what the further pages are asked for by
    title: str
    columns: list[tuple[str, str]]
    rows: list[dict[str, Any]]
    total: int
    page: int
    pages: int


def _key(table: TableSection) -> str:
    return f"{table.system}.{table.table}"


def _shown(
    table: TableSection, rows: Iterable[Mapping[str, Any]], lang: Lang
) -> list[dict[str, Any]]:
    # As a person reads them: codes in words, a personnummer in its usual form.
    return [
        {
            name: plain(display_value(table.table, name, row[name], lang))
            for name, _ in table.columns
        }
        for row in rows
    ]


def _pages(total: int) -> int:
    return max(1, min(MAX_PAGE, -(-total // PAGE_ROWS)))


def _decide(session: Session, policy: Policy, subject_id: int) -> None:
    rights_access.decide_own(
        session,
        policy,
        subject_id,
        action=Action.READ,
        audit_action="subject.show",
        view="mina_sidor",
    )


def my_data(
    session: Session, *, policy: Policy, subject_id: int, lang: Lang
) -> tuple[dict[str, Any], list[dict[str, Any]], list[str]]:
    """The head, the categories the subject has data in (the policy's texts, `count` items,
    and their tables' first pages), and the titles of the categories without."""
    _decide(session, policy, subject_id)
    # The newest rows, like the PDF: the page never hides the latest data behind old rows.
    head, sections = iter_extract(
        session, policy=policy, subject_id=subject_id, lang=lang, newest=PAGE_ROWS
    )
    shown: list[dict[str, Any]] = []
    empty: list[str] = []
    for section in sections:
        tables = []
        for table in section.tables:
            total = table.total or 0
            rows = _shown(table, table.rows, lang)
            tables.append(
                Table(_key(table), table.title, table.columns, rows, total, 1, _pages(total))
            )
        if tables:
            count = sum(t.total for t in tables)
            shown.append({**section.meta, "tables": tables, "count": count})
        else:
            empty.append(section.meta["title"])
    return head, shown, empty


def my_rows(
    session: Session,
    *,
    policy: Policy,
    subject_id: int,
    lang: Lang,
    category: str,
    table: str,
    page: int,
) -> tuple[dict[str, Any], Table]:
    """One further page of one of the subject's tables: the category's texts and the table
    with rows (page - 1) * PAGE_ROWS up to page * PAGE_ROWS, newest first."""
    if category not in policy.categories:
        raise InvalidInput("kategori", Msg("is not a category of the policy"))
    if not 1 <= page <= MAX_PAGE:
        raise InvalidInput("sida", Msg("must be a page from 1 to {last}", last=MAX_PAGE))
    _decide(session, policy, subject_id)
    _head, sections = iter_extract(
        session, policy=policy, subject_id=subject_id, lang=lang, newest=page * PAGE_ROWS
    )
    for section in sections:
        if section.meta["key"] != category:
            continue  # its tables are never read: they are read lazily
        for found in section.tables:
            if _key(found) != table:
                continue
            total = found.total or 0
            pages = _pages(total)
            if page > pages:
                raise InvalidInput("sida", Msg("must be a page from 1 to {last}", last=pages))
            rows = _shown(found, islice(found.rows, (page - 1) * PAGE_ROWS, None), lang)
            shown = Table(table, found.title, found.columns, rows, total, page, pages)
            return section.meta, shown
    raise InvalidInput("tabell", Msg("is not a table of yours in this category"))
