"""The staff customer view (issue 15 item 7): the subject view plus what a reader needs to
find their way in it — a summary of how the subject's consent, objection and restrictions
affect the stated purpose, which purpose would show each hidden category, and further pages
of one long table.

Every read still goes through the access decision: the view through show_subject, a further
page through its own decision for that one category, audited with the table and page read.
The subject's consents, objections and restrictions are the decision's own state (not mapped
personal data); they are read only after the view was allowed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import Integer, Select, bindparam
from sqlalchemy.orm import Session

from dataskydd.access import service as access_service
from dataskydd.access.rules import Action
from dataskydd.access.state import SubjectState, load_state
from dataskydd.auth.access import AccessContext
from dataskydd.datamap.customer_overview import Overview, build_overview
from dataskydd.datamap.entries import tables_for_category
from dataskydd.datamap.subject_view import SubjectView, TableRows, show_subject, table_statements
from dataskydd.errors import NotFound
from dataskydd.messages_i18n import Msg
from dataskydd.policy.schema import Lang, LegalBasis, Policy

# Further pages are offset-paged from the newest; the bound keeps a hostile page number from
# asking the database to skip millions of rows.
MAX_PAGE = 200
# JSON values (survey answers) shown as lines: at most this many, nested keys joined by ".".
MAX_JSON_LINES = 50


@dataclass(frozen=True)
class Hidden:
    """A category not shown: why (not the purpose's, restricted) and the caller's purposes
    that would show it now (those needing a case say so)."""

    category: str
    restricted: bool
    shown_by: tuple[str, ...]
    shown_with_case: tuple[str, ...] = ()


@dataclass(frozen=True)
class Summary:
    consent_based: bool
    # The subject's standing consent to the purpose (None: the purpose is not consent-based).
    consent_stands: bool | None
    # A standing objection to the purpose: since when, and whether compelling grounds were
    # recorded (art. 21.1); None when there is none.
    objected_on: date | None
    objection_overridden: bool
    restricted: tuple[str, ...]
    hidden: tuple[Hidden, ...]


@dataclass
class MorePage:
    """One further page of one table in one category."""

    category: str
    table: str
    page: int
    rows: list[dict[str, Any]]
    has_next: bool


@dataclass
class CustomerView:
    view: SubjectView
    summary: Summary
    more: MorePage | None = None
    counts: dict[str, int] = field(default_factory=dict)
    # Customer since, products, open support cases: the summary's top (customer_overview.py).
    overview: Overview = field(default_factory=Overview)


@cache
def _page_statement(table_name: str, category: str, page_size: int) -> Select[Any]:
    """The rows of one table in one category, newest first, one page from `offset` (one row
    more than shown, so that the page knows whether another follows): the view's own query
    and order (subject_view.table_statements), paged."""
    page, _count = table_statements(table_name, category, page_size)
    return page.offset(bindparam("offset", type_=Integer))


def show_customer(
    session: Session,
    *,
    caller: AccessContext,
    policy: Policy,
    subject_id: int,
    purpose: str,
    case: str | None = None,
    lang: Lang = "sv",
    more: str | None = None,
    page: int = 1,
    rows_per_table: int = 50,
) -> CustomerView:
    """The view, its summary and, asked for `more` ("<category>.<table>") and a page > 1,
    that page of that table."""
    view = show_subject(
        session,
        caller=caller,
        policy=policy,
        subject_id=subject_id,
        purpose=purpose,
        case=case,
        lang=lang,
        rows_per_table=rows_per_table,
    )
    state = load_state(session, subject_id)
    result = CustomerView(view, _summary(policy, caller, view, state))
    result.counts = {
        group.category: sum(rows.total for rows in group.tables) for group in view.groups
    }
    result.overview = build_overview(
        session, subject_id=subject_id, shown=frozenset(group.category for group in view.groups)
    )
    if more and page > 1:
        result.more = _more(
            session,
            caller=caller,
            policy=policy,
            view=view,
            case=case,
            more=more,
            page=min(page, MAX_PAGE),
            page_size=rows_per_table,
        )
    return result


def _summary(
    policy: Policy, caller: AccessContext, view: SubjectView, state: SubjectState
) -> Summary:
    stated = policy.purpose(view.purpose)
    consent_based = stated.legal_basis is LegalBasis.CONSENT
    objection = state.objections.get(view.purpose) if stated.objectable else None
    usable = access_service.usable_purposes(policy, caller, Action.READ)
    hidden = []
    for key in view.withheld:
        shown_by: list[str] = []
        with_case: list[str] = []
        for other in usable:
            if other == view.purpose or key not in policy.purposes[other].categories:
                continue
            needs_case = policy.purposes[other].case_required
            why_not = access_service.may(
                policy,
                caller,
                action=Action.READ,
                purpose=other,
                state=state,
                category=key,
                has_case=needs_case,
            )
            if why_not is None:
                (with_case if needs_case else shown_by).append(other)
        hidden.append(Hidden(key, key in view.restrictions, tuple(shown_by), tuple(with_case)))
    return Summary(
        consent_based=consent_based,
        consent_stands=(view.purpose in state.consents) if consent_based else None,
        objected_on=objection.objected_at.date() if objection else None,
        objection_overridden=bool(objection and objection.overridden),
        restricted=tuple(k for k in view.restrictions if k in stated.categories),
        hidden=tuple(hidden),
    )


def _more(
    session: Session,
    *,
    caller: AccessContext,
    policy: Policy,
    view: SubjectView,
    case: str | None,
    more: str,
    page: int,
    page_size: int,
) -> MorePage:
    category, _, table = more.partition(".")
    shown = {group.category: group for group in view.groups}
    if category not in shown or table not in {e.table for e in tables_for_category(category)}:
        raise NotFound(Msg("no table {more} is shown for this purpose", more=more))
    # Its own decision for the one category, so the audit row names the table and page read.
    access_service.decide(
        session,
        policy,
        caller,
        action=Action.READ,
        purpose=view.purpose,
        subject_id=view.subject_id,
        categories=[category],
        case=case,
        audit_action="subject.show",
        audit_detail={"table": table, "page": page},
    )
    params = {"subject_id": view.subject_id, "offset": (page - 1) * page_size}
    statement = _page_statement(table, category, page_size)
    rows = [dict(r) for r in session.execute(statement, params).mappings()]
    return MorePage(category, table, page, rows[:page_size], len(rows) > page_size)


def table_of(view: CustomerView, category: str, table: str) -> TableRows | None:
    for group in view.view.groups:
        if group.category == category:
            return next((rows for rows in group.tables if rows.table == table), None)
    return None


def json_lines(value: object) -> list[tuple[str, str]] | None:
    """A JSON object stored as text (survey answers) as "key: value" lines; None for any
    other value. Nested objects give dotted keys, lists comma-joined values."""
    if not isinstance(value, str) or not value.lstrip().startswith("{"):
        return None
    try:
        parsed = json.loads(value)
    except ValueError:
        return None
    if not isinstance(parsed, dict):
        return None
    lines: list[tuple[str, str]] = []
    _flatten(parsed, "", lines)
    return lines


def _flatten(value: dict[str, Any], prefix: str, lines: list[tuple[str, str]]) -> None:
    for key, item in value.items():
        if len(lines) >= MAX_JSON_LINES:
            return
        name = f"{prefix}{key}"
        if isinstance(item, dict):
            _flatten(item, name + ".", lines)
        elif isinstance(item, list):
            lines.append((name, ", ".join(_scalar(v) for v in item)))
        else:
            lines.append((name, _scalar(item)))


def _scalar(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)
