"""Append to, verify and checkpoint the audit log. Takes plain values so every package can log."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Row, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from dataskydd import crypto
from dataskydd.audit import chain, checkpoint_file, checkpoints
from dataskydd.audit.checkpoints import Checkpoint
from dataskydd.audit.models import AuditEntry
from dataskydd.clock import utc_now
from dataskydd.config import get_settings
from dataskydd.db.session import call_after_commit
from dataskydd.errors import DataskyddError

# First key of pg_advisory_xact_lock(int4, int4): the ASCII bytes "audt". The second is the
# schema's hash: advisory locks are per database, and the chain is per schema (an installation,
# a test's throw-away schema), so a writer in one schema never waits for another's.
_PG_CHAIN_LOCK = int.from_bytes(b"audt", "big")
_VERIFY_BATCH = 5_000
_CHECKPOINT_BATCH = 1_000
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    first_broken_id: int | None = None
    reason: str = ""
    # The checkpoint with the most entries the chain was compared with; None when none was.
    checkpoint_at: datetime | None = None
    checkpoint_count: int | None = None
    checkpoints_checked: int = 0


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
    keyring = crypto.current_keyring()
    _lock_chain(session)
    head = session.execute(
        select(AuditEntry.id, AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)
    ).first()
    last_id, prev_mac = (head.id, head.hash) if head else (0, chain.GENESIS)
    entry = AuditEntry(
        id=last_id + 1,
        at=utc_now(),
        actor=actor,
        action=action,
        subject_id=subject_id,
        purpose=purpose,
        detail_json=detail_json,
        prev_hash=prev_mac,
    )
    entry.hash = _mac_of(keyring, entry.prev_hash, entry)
    session.add(entry)
    session.flush()
    call_after_commit(session, "audit.checkpoint", _checkpoint_after_commit)
    return entry


def _lock_chain(session: Session) -> None:
    """Serialise appenders until this transaction ends, so no two entries share a parent.

    Even without the lock a fork is impossible: the parent's id + 1 is the primary key, so a
    writer that read a stale head fails on insert. The lock turns that failure into a wait.
    PostgreSQL: a transaction-scoped advisory lock; under READ COMMITTED the head read after it
    sees the previous holder's committed entry.
    SQLite: one writer per database file. Engines from db/session.py begin every transaction
    IMMEDIATE, so it already holds the write lock; on any other connection the zero-row UPDATE
    takes it before the head is read.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(
            select(text("pg_advisory_xact_lock(:key, hashtext(current_schema()))")),
            {"key": _PG_CHAIN_LOCK},
        )
    elif dialect == "sqlite":
        session.execute(text("UPDATE audit_entry SET id = id WHERE 0"))


def _mac_of(keyring: crypto.Keyring, prev_mac: str, row: Any) -> str:
    return keyring.audit_mac(
        chain.entry_payload(
            prev_mac,
            id=row.id,
            at=row.at,
            actor=row.actor,
            action=row.action,
            subject_id=row.subject_id,
            purpose=row.purpose,
            detail=chain.json_detail(row.detail_json),
        )
    )


def verify_chain(session: Session, *, batch_size: int = _VERIFY_BATCH) -> ChainReport:
    """Walk the whole log in id order and report the first entry that does not fit.

    Names the first row whose content was changed or written without the key (MAC), whose
    predecessor is missing (id gap or prev MAC) or that was moved. Deleting the newest entries
    leaves a shorter valid chain: verify_against_checkpoint catches that.
    """
    return _walk(session, crypto.current_keyring(), batch_size)[0]


def verify_against_checkpoint(
    session: Session, checkpoint_path: Path, *, batch_size: int = _VERIFY_BATCH
) -> ChainReport:
    """verify_chain, then hold the chain against every checkpoint in `checkpoint_path`.

    Each checkpoint's entry must be in the chain with the MAC it had. All lines count, not
    only the newest: after the newest entries were deleted, new ones reuse their ids, and a
    later checkpoint would vouch for the shortened chain. No file, or no line: the chain
    alone is verified and `checkpoint_at` is None.
    """
    keyring = crypto.current_keyring()
    # Only lines already written when the walk starts: their entries were committed before
    # it, so the walk sees them. A line written during the walk may name newer entries.
    up_to = checkpoint_file.size(checkpoint_path)
    report, _last_mac = _walk(session, keyring, batch_size)
    if not report.ok:
        return report
    return _compare(session, keyring, report, checkpoint_path, up_to)


def write_checkpoint(
    session: Session, checkpoint_path: Path, *, batch_size: int = _VERIFY_BATCH
) -> tuple[ChainReport, Checkpoint | None]:
    """Verify the chain (against `checkpoint_path` too), then append a checkpoint of its head.

    Nothing is appended for a broken chain: its signature would vouch for the tampering.
    """
    keyring = crypto.current_keyring()
    up_to = checkpoint_file.size(checkpoint_path)
    report, last_mac = _walk(session, keyring, batch_size)
    if report.ok:
        report = _compare(session, keyring, report, checkpoint_path, up_to)
    if not report.ok:
        return report, None
    checkpoint = checkpoints.sign(keyring, last_id=report.checked, last_mac=last_mac, at=utc_now())
    checkpoint_file.append(checkpoint_path, checkpoint)
    return report, checkpoint


def _walk(session: Session, keyring: crypto.Keyring, batch_size: int) -> tuple[ChainReport, str]:
    """The chain's report and the MAC of the last entry checked."""
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
    checked, last_id, last_mac = 0, 0, chain.GENESIS
    while True:
        # Keyset pagination on the primary key: constant memory, no growing OFFSET scans.
        rows = session.execute(
            select(*columns)
            .where(AuditEntry.id > last_id)
            .order_by(AuditEntry.id)
            .limit(batch_size)
        ).all()
        if not rows:
            return ChainReport(ok=True, checked=checked), last_mac
        for row in rows:
            problem = _problem(keyring, row, expected_id=last_id + 1, expected_prev=last_mac)
            if problem:
                broken = ChainReport(
                    ok=False, checked=checked, first_broken_id=row.id, reason=problem
                )
                return broken, last_mac
            checked, last_id, last_mac = checked + 1, row.id, row.hash


def _problem(keyring: crypto.Keyring, row: Any, *, expected_id: int, expected_prev: str) -> str:
    if row.id != expected_id:
        missing = (
            f"#{expected_id}" if row.id == expected_id + 1 else f"#{expected_id}–#{row.id - 1}"
        )
        return f"entry {missing} missing (deleted)"
    if row.prev_hash != expected_prev:
        return "does not follow the previous entry (deleted or re-ordered entries)"
    try:
        recomputed = _mac_of(keyring, row.prev_hash, row)
    except ValueError:
        return "detail is not valid JSON (modified)"
    if recomputed != row.hash:
        return "content does not match its MAC (modified, or written without the key)"
    return ""


def _compare(
    session: Session, keyring: crypto.Keyring, report: ChainReport, path: Path, up_to: int
) -> ChainReport:
    entries = report.checked
    newest: Checkpoint | None = None
    beyond: Checkpoint | None = None  # names the most entries past the end of the chain
    replaced: Checkpoint | None = None  # the earliest whose entry has another MAC now
    seen = 0
    try:
        for batch in _batches(checkpoint_file.read(path, keyring, up_to=up_to)):
            seen += len(batch)
            ids = {c.last_id for c in batch if 0 < c.last_id <= entries}
            found = session.execute(
                select(AuditEntry.id, AuditEntry.hash).where(AuditEntry.id.in_(ids))
            )
            stored = {row.id: row.hash for row in found}
            for point in batch:
                if newest is None or (point.count, point.at) > (newest.count, newest.at):
                    newest = point
                if point.last_id > entries:
                    if beyond is None or point.last_id > beyond.last_id:
                        beyond = point
                elif stored.get(point.last_id, chain.GENESIS) != point.last_mac and (
                    replaced is None or point.last_id < replaced.last_id
                ):
                    replaced = point
    except checkpoint_file.CheckpointFileError as error:
        return ChainReport(
            ok=False,
            checked=entries,
            reason=f"checkpoint file {path}, line {error.line}: {error.reason}",
            checkpoints_checked=seen,
        )
    if replaced is not None:
        return ChainReport(
            ok=False,
            checked=entries,
            first_broken_id=replaced.last_id,
            reason=(
                f"does not match the checkpoint of {describe_time(replaced.at)}: entries up to "
                f"#{replaced.last_id} were replaced after it was taken"
            ),
            checkpoints_checked=seen,
        )
    if beyond is not None:
        first, last = entries + 1, beyond.last_id
        missing = f"entry #{first}" if first == last else f"entries #{first}–#{last}"
        return ChainReport(
            ok=False,
            checked=entries,
            first_broken_id=first,
            reason=(
                f"{missing} missing (deleted): the checkpoint of {describe_time(beyond.at)} "
                f"had {beyond.count} entries, the log has {entries}"
            ),
            checkpoints_checked=seen,
        )
    return ChainReport(
        ok=True,
        checked=entries,
        checkpoint_at=newest.at if newest else None,
        checkpoint_count=newest.count if newest else None,
        checkpoints_checked=seen,
    )


def _batches(points: Iterable[Checkpoint]) -> Iterator[list[Checkpoint]]:
    iterator = iter(points)
    while batch := list(islice(iterator, _CHECKPOINT_BATCH)):
        yield batch


def describe_time(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _checkpoint_after_commit(session: Session) -> None:
    """After a commit that wrote entries: append a checkpoint when one is due.

    Due on the first such commit in a process (so a CLI command that logged ends with a
    checkpoint) and then at most every checkpoint_file.AUTOMATIC_EVERY (the web app). The head
    is read back after the commit, never taken from this session's memory, so a checkpoint
    only ever names committed entries. No full verification here (that is
    `dataskydd audit verify`): a checkpoint of a tampered head does not hide the tampering,
    which the MACs and the earlier checkpoints still show.
    """
    settings = get_settings()
    path = checkpoint_file.default_path(settings)
    try:
        if not checkpoint_file.automatic_due(path):
            return
        keyring = crypto.current_keyring()
        if not checkpoint_file.automatic_allowed(settings, keyring):
            return
        head = _committed_head(session)
        if head is None:
            return
        point = checkpoints.sign(keyring, last_id=head.id, last_mac=head.hash, at=utc_now())
        checkpoint_file.append(path, point)
    except (OSError, SQLAlchemyError, DataskyddError) as error:
        # The work is committed; failing the request now would only hide that. The missing
        # checkpoint shows as an older "matches checkpoint of" date in `audit verify`.
        logger.warning("audit checkpoint not appended to %s: %s", path, type(error).__name__)


def _committed_head(session: Session) -> Row[int, str] | None:
    """The newest entry, read on a connection of its own: the caller's objects stay as they
    are, and on SQLite the write lock this read takes is released at once."""
    statement = select(AuditEntry.id, AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)
    bind = session.get_bind()
    if isinstance(bind, Engine):
        with bind.connect() as connection:
            return connection.execute(statement).first()
    return bind.execute(statement).first()


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
