"""Everything about one subject, grouped by policy category, for one stated purpose.

The policy decides which categories the purpose may use (SPEC 3); every call is audited,
refusals included (AccessRefused makes the entry point keep the audit row).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from sqlalchemy import Integer, Select, and_, bindparam, func, or_, select
from sqlalchemy.orm import Session

from dataskydd.audit import service as audit_service
from dataskydd.datamap import queries
from dataskydd.datamap.entries import BY_TABLE, tables_for_category
from dataskydd.errors import AccessRefused
from dataskydd.policy.retention import describe_retention
from dataskydd.policy.schema import Lang, Policy
from dataskydd.register import repository as register_repository
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
    withheld: list[str]

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
            "withheld_categories": self.withheld,
        }


@cache
def _statements(
    table_name: str, category: str, rows_per_table: int
) -> tuple[Select[Any], Select[Any]]:
    """The page query (newest first, one row more than shown) and the count query for one
    table and category, built once: building SQL expressions costs more than running them."""
    entry = BY_TABLE[table_name]
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


def _refuse(session: Session, actor: str, subject_id: int, purpose: str, why: str) -> AccessRefused:
    audit_service.record(
        session,
        actor=actor,
        action="subject.show.refused",
        subject_id=subject_id,
        purpose=purpose,
        detail={"reason": why},
    )
    return AccessRefused(why)


def show_subject(
    session: Session,
    *,
    actor: str,
    policy: Policy,
    subject_id: int,
    purpose: str,
    categories: list[str] | None = None,
    lang: Lang = "sv",
    rows_per_table: int = 50,
) -> SubjectView:
    stated = policy.purpose(purpose)
    subject = register_service.get_subject(session, subject_id)
    if stated.aggregates_only:
        raise _refuse(
            session,
            actor,
            subject_id,
            purpose,
            f"purpose {purpose} may only use aggregates, never one subject's data",
        )
    # Restricted categories (art. 18) are only for the purposes the policy allows on them.
    restricted = (
        set()
        if stated.allowed_on_restricted
        else register_repository.restricted_categories(session, subject_id)
    )
    allowed = [
        key for key in policy.categories if key in stated.categories and key not in restricted
    ]
    if categories:
        for key in categories:
            policy.category(key)
        denied = [key for key in categories if key not in stated.categories or key in restricted]
        if denied:
            raise _refuse(
                session,
                actor,
                subject_id,
                purpose,
                f"purpose {purpose} may not use categor{'y' if len(denied) == 1 else 'ies'} "
                f"{', '.join(denied)} (it may use: {', '.join(allowed)})",
            )
        allowed = [key for key in allowed if key in categories]
    basis = stated.legal_basis.value if stated.legal_basis else "not stated"
    groups = []
    for key in allowed:
        category = policy.categories[key]
        group = CategoryGroup(
            category=key,
            title=category.title.get(lang),
            purpose=stated.title.get(lang),
            legal_basis=basis,
            retention=describe_retention(category.retention, lang),
        )
        for entry in tables_for_category(key):
            page, count = _statements(entry.table, key, rows_per_table)
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
    withheld = [k for k in policy.categories if k not in stated.categories or k in restricted]
    audit_service.record(
        session,
        actor=actor,
        action="subject.show",
        subject_id=subject_id,
        purpose=purpose,
        detail={"categories": [group.category for group in groups]},
    )
    return SubjectView(subject_id, subject.display_name, purpose, groups, withheld)
