"""audit entries MACed, checkpoints

Format 1 chained audit entries with plain SHA-256, which anyone able to write to the database
could recompute after changing a row. Format 2 (dataskydd.audit.chain) uses HMAC-SHA256 with a
key derived from the secret key. This migration first checks the whole format-1 chain and
refuses to go on if it is broken (a MAC would vouch for the tampering), then replaces every
entry's hash by its format-2 MAC with the append-only triggers lifted for that moment. No
format-1 entry is left, so a chain recomputed with plain SHA-256 never verifies again.

Needs the secret key when there are entries: `dataskydd init` loads it; plain `alembic`
reads it like the CLI does (DATASKYDD_SECRET_KEY or the key file). Checkpoints live outside
the database (dataskydd.audit.checkpoint_file) and need no schema.

The payload functions are copied here rather than imported, so this migration keeps meaning
format 1 → 2 when chain.py moves on to a later format.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 21:30:00.000000
"""

import hashlib
import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from dataskydd import crypto
from dataskydd.audit import ddl
from dataskydd.config import get_settings
from dataskydd.errors import ConfigurationError
from dataskydd.messages_i18n import Msg

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS = "0" * 64
_BATCH = 2_000
_entry = sa.table(
    "audit_entry",
    sa.column("id", sa.Integer()),
    sa.column("at", sa.DateTime(timezone=True)),
    sa.column("actor", sa.String()),
    sa.column("action", sa.String()),
    sa.column("subject_id", sa.BigInteger()),
    sa.column("purpose", sa.String()),
    sa.column("detail", sa.Text()),
    sa.column("prev_hash", sa.String()),
    sa.column("hash", sa.String()),
)
Digest = Callable[[str, Any], str]


def upgrade() -> None:
    # `dataskydd promises` counts decisions per purpose over time.
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.create_index("ix_audit_entry_purpose_at", ["purpose", "at"], unique=False)
    keyring = _keyring_if_entries()
    if keyring is not None:
        _rewrite_chain(
            old=_sha256_v1,
            new=lambda prev, row: keyring.audit_mac(_payload(2, "prev_mac", prev, row)),
            old_name="format 1 (SHA-256)",
        )


def downgrade() -> None:
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_entry_purpose_at")
    keyring = _keyring_if_entries()
    if keyring is not None:
        _rewrite_chain(
            old=lambda prev, row: keyring.audit_mac(_payload(2, "prev_mac", prev, row)),
            new=_sha256_v1,
            old_name="format 2 (HMAC-SHA256)",
        )


def _keyring_if_entries() -> crypto.Keyring | None:
    if op.get_bind().scalar(sa.select(_entry.c.id).limit(1)) is None:
        return None
    try:
        return crypto.current_keyring()
    except ConfigurationError:
        pass
    settings = get_settings()
    if settings.secret_key is not None:
        return crypto.Keyring(settings.secret_key.get_secret_value())
    if settings.key_file.exists():
        return crypto.Keyring(crypto.read_key_file(settings.key_file))
    raise ConfigurationError(
        Msg(
            "migration 0008 re-MACs the audit log and needs the secret "
            "key: set DATASKYDD_SECRET_KEY or put the key file at "
            "{key_file}",
            key_file=settings.key_file,
        )
    )


def _rewrite_chain(*, old: Digest, new: Digest, old_name: str) -> None:
    """Check every entry against `old`, then store `new` in prev_hash and hash, page by page."""
    connection = op.get_bind()
    dialect = connection.dialect.name
    for statement in ddl.drop_append_only_trigger_sql(dialect):
        op.execute(statement)
    last_id, last_old, last_new = 0, GENESIS, GENESIS
    while True:
        rows = connection.execute(
            sa.select(_entry).where(_entry.c.id > last_id).order_by(_entry.c.id).limit(_BATCH)
        ).all()
        if not rows:
            break
        updates = []
        for row in rows:
            if row.id != last_id + 1 or row.prev_hash != last_old or not _matches(old, row):
                raise ConfigurationError(
                    Msg(
                        "audit_entry #{id} does not verify as {old_name}; not "
                        "rewriting a log that was tampered with (find out what "
                        "happened, restore it from a backup, then migrate)",
                        id=row.id,
                        old_name=old_name,
                    )
                )
            mac = new(last_new, row)
            updates.append({"key": row.id, "new_prev": last_new, "new_hash": mac})
            last_id, last_old, last_new = row.id, row.hash, mac
        connection.execute(
            _entry.update()
            .where(_entry.c.id == sa.bindparam("key"))
            .values(prev_hash=sa.bindparam("new_prev"), hash=sa.bindparam("new_hash")),
            updates,
        )
    for statement in ddl.append_only_trigger_sql(dialect):
        op.execute(statement)


def _matches(digest: Digest, row: Any) -> bool:
    try:
        return bool(digest(row.prev_hash, row) == row.hash)
    except ValueError:  # detail is not JSON
        return False


def _sha256_v1(prev: str, row: Any) -> str:
    return hashlib.sha256(_payload(1, "prev_hash", prev, row)).hexdigest()


def _payload(version: int, prev_field: str, prev: str, row: Any) -> bytes:
    at: datetime = row.at if row.at.tzinfo else row.at.replace(tzinfo=UTC)
    payload = {
        "v": version,
        prev_field: prev,
        "id": row.id,
        "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": row.actor,
        "action": row.action,
        "subject_id": row.subject_id,
        "purpose": row.purpose,
        "detail": json.loads(row.detail),
    }
    serialised = json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return serialised.encode("utf-8")
