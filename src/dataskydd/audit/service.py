"""Append to and verify the audit log. Takes plain values so every package can log."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from dataskydd.audit import chain
from dataskydd.audit.models import AuditEntry
from dataskydd.clock import utc_now

# Key for pg_advisory_xact_lock: the ASCII bytes "dsk:audt" as a positive int64.
_PG_CHAIN_LOCK = int.from_bytes(b"dsk:audt", "big")
_VERIFY_BATCH = 5_000


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    first_broken_id: int | None = None
    reason: str = ""


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    subject_id: int | None = None,
    purpose: str | None = None,
    detail: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry. `detail` holds category and field names or counts, never values."""
    detail_json = chain.canonical_detail(detail)
    _lock_chain(session)
    head = session.execute(
        select(AuditEntry.id, AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)
    ).first()
    last_id, prev_hash = (head.id, head.hash) if head else (0, chain.GENESIS)
    entry = AuditEntry(
        id=last_id + 1,
        at=utc_now(),
        actor=actor,
        action=action,
        subject_id=subject_id,
        purpose=purpose,
        detail_json=detail_json,
        prev_hash=prev_hash,
    )
    entry.hash = _hash_of(entry.prev_hash, entry)
    session.add(entry)
    session.flush()
    return entry


def _lock_chain(session: Session) -> None:
    """Serialise appenders until this transaction ends, so no two entries share a parent.

    Even without the lock a fork is impossible: the parent's id + 1 is the primary key, so a
    writer that read a stale head fails on insert. The lock turns that failure into a wait.
    PostgreSQL: a transaction-scoped advisory lock; under READ COMMITTED the head read after it
    sees the previous holder's committed entry.
    SQLite: one writer per database file. A zero-row UPDATE takes the write lock before the
    head is read (pysqlite starts the transaction lazily at the first write, not at a read).
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(select(text("pg_advisory_xact_lock(:key)")), {"key": _PG_CHAIN_LOCK})
    elif dialect == "sqlite":
        session.execute(text("UPDATE audit_entry SET id = id WHERE 0"))


def _hash_of(prev_hash: str, row: Any) -> str:
    return chain.entry_hash(
        prev_hash,
        id=row.id,
        at=row.at,
        actor=row.actor,
        action=row.action,
        subject_id=row.subject_id,
        purpose=row.purpose,
        detail=chain.json_detail(row.detail_json),
    )


def verify_chain(session: Session, *, batch_size: int = _VERIFY_BATCH) -> ChainReport:
    """Walk the whole log in id order and report the first entry that does not fit.

    Names the first row whose content was changed (hash), whose predecessor is missing (id gap
    or prev_hash) or that was moved. Deleting the newest entries leaves a shorter valid chain;
    compare `checked` with a count kept elsewhere to catch that.
    """
    columns = (
        AuditEntry.id,
        AuditEntry.at,
        AuditEntry.actor,
        AuditEntry.action,
        AuditEntry.subject_id,
        AuditEntry.purpose,
        AuditEntry.detail_json,
        AuditEntry.prev_hash,
        AuditEntry.hash,
    )
    checked, last_id, last_hash = 0, 0, chain.GENESIS
    while True:
        # Keyset pagination on the primary key: constant memory, no growing OFFSET scans.
        rows = session.execute(
            select(*columns)
            .where(AuditEntry.id > last_id)
            .order_by(AuditEntry.id)
            .limit(batch_size)
        ).all()
        if not rows:
            return ChainReport(ok=True, checked=checked)
        for row in rows:
            problem = _problem(row, expected_id=last_id + 1, expected_prev=last_hash)
            if problem:
                return ChainReport(
                    ok=False, checked=checked, first_broken_id=row.id, reason=problem
                )
            checked, last_id, last_hash = checked + 1, row.id, row.hash


def _problem(row: Any, *, expected_id: int, expected_prev: str) -> str:
    if row.id != expected_id:
        missing = (
            f"#{expected_id}" if row.id == expected_id + 1 else f"#{expected_id}–#{row.id - 1}"
        )
        return f"entry {missing} missing (deleted)"
    if row.prev_hash != expected_prev:
        return "does not follow the previous entry (deleted or re-ordered entries)"
    try:
        recomputed = _hash_of(row.prev_hash, row)
    except ValueError:
        return "detail is not valid JSON (modified)"
    if recomputed != row.hash:
        return "content does not match its hash (modified)"
    return ""


def list_entries(
    session: Session,
    *,
    subject_id: int | None = None,
    actor: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 100,
) -> list[AuditEntry]:
    """Newest first; `since` is inclusive, `until` exclusive."""
    statement = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if subject_id is not None:
        statement = statement.where(AuditEntry.subject_id == subject_id)
    if actor is not None:
        statement = statement.where(AuditEntry.actor == actor)
    if action is not None:
        statement = statement.where(AuditEntry.action == action)
    if since is not None:
        statement = statement.where(AuditEntry.at >= since)
    if until is not None:
        statement = statement.where(AuditEntry.at < until)
    return list(session.scalars(statement))
