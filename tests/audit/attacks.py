"""What someone with write access to the database, but without the secret key, can do."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from dataskydd.audit import chain, ddl
from dataskydd.audit import service as audit_service


def append(session: Session, count: int) -> None:
    for n in range(count):
        audit_service.record(
            session,
            actor="staff:anna",
            action="subject.show",
            subject_id=100 + n,
            purpose="customer_service",
            detail={"categories": ["contact"], "n": n},
        )
    session.commit()


def as_attacker(engine: Engine, *statements: str) -> None:
    """Drops the append-only triggers, then rewrites history with plain SQL."""
    with engine.begin() as connection:
        for statement in ddl.drop_append_only_trigger_sql(engine.dialect.name):
            connection.exec_driver_sql(statement)
        for statement in statements:
            connection.exec_driver_sql(statement)


def _plain_sha256(prev: str, row: Mapping[str, Any]) -> str:
    at = row["at"]
    if isinstance(at, str):  # SQLite hands back text
        at = datetime.fromisoformat(at)
    payload = chain.entry_payload(
        prev,
        id=row["id"],
        at=at if at.tzinfo else at.replace(tzinfo=UTC),
        actor=row["actor"],
        action=row["action"],
        subject_id=row["subject_id"],
        purpose=row["purpose"],
        detail=chain.json_detail(row["detail"]),
    )
    return hashlib.sha256(payload).hexdigest()


def rechain_with_sha256(engine: Engine, *, change: str, from_id: int) -> None:
    """Change entries from `from_id` on (`change` is an UPDATE's SET clause), then recompute
    every link after them with plain SHA-256, as format 1 allowed anyone to."""
    as_attacker(engine, f"UPDATE audit_entry SET {change} WHERE id >= {from_id}")
    with engine.begin() as connection:
        rows = connection.execute(text("SELECT * FROM audit_entry ORDER BY id")).mappings().all()
        prev = chain.GENESIS
        for row in rows:
            if row["id"] >= from_id:
                digest = _plain_sha256(prev, dict(row))
                connection.execute(
                    text("UPDATE audit_entry SET prev_hash = :prev, hash = :hash WHERE id = :id"),
                    {"prev": prev, "hash": digest, "id": row["id"]},
                )
                prev = digest
            else:
                prev = row["hash"]


def forge_insert(engine: Engine, *, actor: str = "staff:mallory") -> int:
    """Appends an entry with INSERT (which the triggers allow), linked to the real head and
    'MAC'd' with plain SHA-256 for want of the key. Returns its id."""
    with engine.begin() as connection:
        head = connection.execute(
            text("SELECT id, hash FROM audit_entry ORDER BY id DESC LIMIT 1")
        ).first()
        last_id, prev = (head[0], head[1]) if head else (0, chain.GENESIS)
        now = datetime.now(UTC)
        row: dict[str, Any] = {
            "id": last_id + 1,
            "at": now,
            "actor": actor,
            "action": "subject.show",
            "subject_id": 1,
            "purpose": "customer_service",
            "detail": "{}",
        }
        connection.execute(
            text(
                "INSERT INTO audit_entry (id, at, actor, action, subject_id, purpose, detail, "
                "prev_hash, hash) VALUES (:id, :at, :actor, :action, :subject_id, :purpose, "
                ":detail, :prev, :hash)"
            ),
            {
                **row,
                # Stored the way SQLAlchemy stores it on SQLite (text without a zone).
                "at": now.strftime("%Y-%m-%d %H:%M:%S.%f")
                if engine.dialect.name == "sqlite"
                else now,
                "prev": prev,
                "hash": _plain_sha256(prev, row),
            },
        )
    return last_id + 1
