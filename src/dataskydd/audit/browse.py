"""One page of the audit log for reading on screen: filtered, newest first, keyset-paged."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dataskydd.audit.models import AuditEntry


@dataclass(frozen=True)
class EntryRow:
    id: int
    at: datetime
    actor: str
    action: str
    subject_id: int | None
    purpose: str | None
    detail: dict[str, Any]


@dataclass(frozen=True)
class EntryPage:
    entries: list[EntryRow]
    # Pass as `before_id` to get the next, older page; None on the last page.
    older_before_id: int | None


def browse_entries(
    session: Session,
    *,
    actor: str | None = None,
    action: str | None = None,
    subject_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> EntryPage:
    """`since` inclusive, `until` exclusive; keyset paging on the id (no growing OFFSET).
    `action` is one event ("subject.show") or, ending in ".", every event of an area
    ("subject." for subject.show, subject.find, ...)."""
    statement = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit + 1)
    if actor:
        statement = statement.where(AuditEntry.actor == actor)
    if action and action.endswith("."):
        statement = statement.where(AuditEntry.action.startswith(action, autoescape=True))
    elif action:
        statement = statement.where(AuditEntry.action == action)
    if subject_id is not None:
        statement = statement.where(AuditEntry.subject_id == subject_id)
    if since is not None:
        statement = statement.where(AuditEntry.at >= since)
    if until is not None:
        statement = statement.where(AuditEntry.at < until)
    if before_id is not None:
        statement = statement.where(AuditEntry.id < before_id)
    found = list(session.scalars(statement))
    rows = [
        EntryRow(e.id, e.at, e.actor, e.action, e.subject_id, e.purpose, e.detail)
        for e in found[:limit]
    ]
    older = rows[-1].id if len(found) > limit else None
    return EntryPage(rows, older)
