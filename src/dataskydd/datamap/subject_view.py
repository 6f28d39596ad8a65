"""Everything about one subject, grouped by policy category, for one stated purpose.

The access decision (dataskydd.access) decides which categories may be shown (SPEC 3); it
audits every call, refusals included (AccessRefused makes the entry point keep the audit row).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from sqlalchemy import Integer, Select, and_, bindparam, func, or_, select
from sqlalchemy.orm import Session

from dataskydd.access import service as access_service
from dataskydd.access.rules import Action
from dataskydd.access.state import StandingRestriction
from dataskydd.auth.access import AccessContext
from dataskydd.datamap import queries
from dataskydd.datamap.entries import by_table, tables_for_category
from dataskydd.policy.retention import describe_retention
from dataskydd.policy.schema import Lang, Policy, RetentionRule
from dataskydd.register import service as register_service


@dataclass
class TableRows:
    table: str
    total: int
    rows: list[dict[str, Any]]


@dataclass
class CategoryGroup:
    category: str
    title: str
    purpose: str
    legal_basis: str
    retention: str
    tables: list[TableRows] = field(default_factory=list)


@dataclass
class SubjectView:
    subject_id: int
    name: str
    purpose: str
    groups: list[CategoryGroup]
    # Category -> why it is not shown (not the purpose's, restricted, ...).
    withheld: dict[str, str]
    # Category -> the subject's standing restriction of it (art. 18), shown or not.
    restrictions: dict[str, StandingRestriction] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "subject_id": self.subject_id,
            "name": self.name,
            "purpose": self.purpose,
            "categories": [
                {
                    "category": group.category,
                    "title": group.title,
                    "purpose": group.purpose,
                    "legal_basis": group.legal_basis,
                    "retention": group.retention,
                    "tables": [
                        {
                            "table": rows.table,
                            "total": rows.total,
                            "rows": [
                                {k: queries.plain(v) for k, v in row.items()} for row in rows.rows
                            ],
                        }
                        for rows in group.tables
                    ],
                }
                for group in self.groups
            ],
            "withheld_categories": list(self.withheld),
            "withheld_reasons": self.withheld,
            "restrictions": {
                key: {
                    "since": r.since.isoformat(),
                    "until": r.until.isoformat() if r.until else None,
                    "reason": r.reason,
                }
                for key, r in self.restrictions.items()
            },
        }


@cache
def table_statements(
    table_name: str, category: str, rows_per_table: int
) -> tuple[Select[Any], Select[Any]]:
    """The page query (newest first, one row more than shown) and the count query for one
    table and category, built once: building SQL expressions costs more than running them."""
    entry = by_table(table_name)
    columns = entry.shown_columns(category)
    table = queries.table_of(entry)
    subject = bindparam("subject_id", type_=Integer)
    # Rows whose columns of this category are all empty hold nothing of it (an
    # organisation's subject row has no personnummer).
    condition = and_(
        queries.subject_condition(entry, subject),
        or_(*(table.c[name].is_not(None) for name in columns)),
    )
    order = table.c[entry.time_column] if entry.time_column else table.c.id
    page = (
        queries.select_rows_for_subject(entry, subject, columns)
        .where(condition)
        .order_by(None)
        .order_by(order.desc(), table.c.id.desc())
        .limit(rows_per_table + 1)
    )
    return page, select(func.count()).select_from(table).where(condition)


def show_subject(
    session: Session,
    *,
    caller: AccessContext,
    policy: Policy,
    subject_id: int,
    purpose: str,
    categories: list[str] | None = None,
    case: str | None = None,
    lang: Lang = "sv",
    rows_per_table: int = 50,
) -> SubjectView:
    """The categories the access decision allows; the rest are listed as withheld, each with
    its reason. Asked for named categories, one refused refuses the read."""
    stated = policy.purpose(purpose)
    register_service.require_subject(session, subject_id)
    decision = access_service.decide(
        session,
        policy,
        caller,
        action=Action.READ,
        purpose=purpose,
        subject_id=subject_id,
        categories=categories,
        case=case,
        audit_action="subject.show",
    )
    allowed = [key for key in policy.categories if key in decision.allowed]
    basis = stated.legal_basis.value if stated.legal_basis else "not stated"
    groups = []
    for key in allowed:
        category = policy.categories[key]
        group = CategoryGroup(
            category=key,
            title=category.title.get(lang),
            purpose=stated.title.get(lang),
            legal_basis=basis,
            retention=_retention(category.retention, decision.restricted.get(key), lang),
        )
        for entry in tables_for_category(key):
            page, count = table_statements(entry.table, key, rows_per_table)
            params = {"subject_id": subject_id}
            rows = [dict(r) for r in session.execute(page, params).mappings()]
            if not rows:
                continue
            total = len(rows)
            if total > rows_per_table:
                rows = rows[:rows_per_table]
                total = session.scalar(count, params) or 0
            group.tables.append(TableRows(entry.table, total, rows))
        groups.append(group)
    withheld = {
        key: decision.withheld.get(key, f"purpose {purpose} may not use category {key}")
        for key in policy.categories
        if key not in decision.allowed
    }
    # The name is shown only when the decision allowed the category the data map puts it in.
    name = (
        register_service.get_subject(session, subject_id).display_name
        if by_table("subject").columns["given_name"] in decision.allowed
        else ""
    )
    return SubjectView(
        subject_id, name, purpose, groups, withheld, restrictions=dict(decision.restricted)
    )


def _retention(
    rule: RetentionRule | None, restriction: StandingRestriction | None, lang: Lang
) -> str:
    """A restricted category is kept until its restriction's date, not by the general rule
    (e.g. after an erasure, bokföringslagen's period), and the reason says why."""
    if restriction is None or restriction.until is None:
        return describe_retention(rule, lang)
    until = restriction.until.isoformat()
    if lang == "sv":
        return f"Begränsad (artikel 18) och sparas till och med {until}: {restriction.reason}"
    return f"Restricted (Article 18) and kept until {until}: {restriction.reason}"
