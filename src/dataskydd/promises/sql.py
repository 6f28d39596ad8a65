"""SQL the checks share: the audit entry's JSON detail read in the database (SQLite JSON1,
PostgreSQL jsonb), and a count with a short sample of offending ids, so that no check ever
loads the rows it counts into Python."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Row,
    Select,
    String,
    and_,
    cast,
    exists,
    func,
    literal,
    not_,
    select,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from dataskydd.audit.models import AuditEntry
from dataskydd.promises.registry import MAX_OFFENDING

AnySelect = Select[*tuple[Any, ...]]


def _postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def detail_text(session: Session, key: str) -> ColumnElement[Any]:
    """`detail[key]` of the audit entry, as text (NULL when absent)."""
    if _postgres(session):
        value: ColumnElement[Any] = cast(AuditEntry.detail_json, JSONB)[key].astext
        return value
    return cast(func.json_extract(AuditEntry.detail_json, f"$.{key}"), String)


def detail_int(session: Session, key: str) -> ColumnElement[Any]:
    return cast(detail_text(session, key), Integer)


def allowed(session: Session) -> ColumnElement[bool]:
    """Entries that record an access decision that allowed the use (access.service)."""
    return and_(
        AuditEntry.action.not_like("%.refused"), detail_text(session, "decision") == "allow"
    )


# What access.service.decide_new_subject recorded before it marked its entries "new_subject".
_NEW_SUBJECT_ACTION_BEFORE_MARK = "subject.create.decision"


def aggregate_decisions(session: Session) -> AnySelect:
    """Allowed decisions (id, purpose) under a purpose that name no subject at all: not in
    `subject_id`, not as the subjects of a list decision (detail "subjects",
    access.service.decide_list) and not as a subject being created (decide_new_subject)."""
    return select(AuditEntry.id, AuditEntry.purpose).where(
        AuditEntry.subject_id.is_(None),
        AuditEntry.purpose.is_not(None),
        allowed(session),
        detail_text(session, "subjects").is_(None),
        detail_text(session, "new_subject").is_(None),
        AuditEntry.action != _NEW_SUBJECT_ACTION_BEFORE_MARK,
    )


def allowed_uses(session: Session, purpose: str, *, of_a_subject: bool = True) -> AnySelect:
    """Allowed decisions under `purpose` (id, subject_id), those about one subject by default."""
    statement = select(AuditEntry.id, AuditEntry.subject_id).where(
        AuditEntry.purpose == purpose, allowed(session)
    )
    return statement.where(AuditEntry.subject_id.is_not(None)) if of_a_subject else statement


def categories_include(session: Session, category: Any) -> ColumnElement[bool]:
    """The decision granted `category` (detail "categories"; withheld ones are not listed)."""
    if _postgres(session):
        granted = cast(AuditEntry.detail_json, JSONB)["categories"]
        return granted.has_key(category)  # type: ignore[no-any-return]
    each = func.json_each(AuditEntry.detail_json, "$.categories").table_valued("value")
    return exists(select(1).select_from(each).where(each.c.value == category))


def categories_outside(session: Session, allowed: Sequence[str]) -> ColumnElement[bool]:
    """The decision granted some category not among `allowed` (detail "categories")."""
    if _postgres(session):
        granted = cast(AuditEntry.detail_json, JSONB)["categories"]
        within = cast(literal(json.dumps(list(allowed))), JSONB)
        return not_(granted.contained_by(within))  # type: ignore[no-any-return]
    each = func.json_each(AuditEntry.detail_json, "$.categories").table_valued("value")
    return exists(select(1).select_from(each).where(each.c.value.not_in(list(allowed))))


def count_and_sample(
    session: Session, statement: AnySelect, describe: Callable[[Row[Any]], str]
) -> tuple[int, list[str]]:
    """How many rows `statement` yields, and the first MAX_OFFENDING (by its first column)
    described as ids."""
    rows = statement.subquery()
    total = session.scalar(select(func.count()).select_from(rows)) or 0
    if not total:
        return 0, []
    first = next(iter(rows.c))
    sample = session.execute(select(rows).order_by(first).limit(MAX_OFFENDING)).all()
    return total, [describe(row) for row in sample]


def count(session: Session, statement: AnySelect) -> int:
    return session.scalar(select(func.count()).select_from(statement.subquery())) or 0
