"""Database triggers that make audit_entry append-only, for the migration to install.

The MAC chain and the checkpoints detect tampering after the fact; the triggers stop the
application's own database role (and careless manual SQL) from rewriting history in the first
place. A superuser can drop them, which is why verification exists as well. INSERT stays
allowed: that is how entries are written, and an entry inserted without the key has a MAC
that does not verify.
"""

from __future__ import annotations

from dataskydd.errors import ConfigurationError
from dataskydd.messages_i18n import Msg

MESSAGE = "audit_entry is append-only"

_SQLITE_CREATE = [
    f"""CREATE TRIGGER audit_entry_no_{event.lower()} BEFORE {event} ON audit_entry
BEGIN
    SELECT RAISE(ABORT, '{MESSAGE}');
END"""
    for event in ("UPDATE", "DELETE")
]
_SQLITE_DROP = [f"DROP TRIGGER IF EXISTS audit_entry_no_{e}" for e in ("update", "delete")]

_PG_CREATE = [
    f"""CREATE OR REPLACE FUNCTION audit_entry_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'insufficient_privilege';
END
$$""",
    """CREATE TRIGGER audit_entry_no_change BEFORE UPDATE OR DELETE ON audit_entry
FOR EACH ROW EXECUTE FUNCTION audit_entry_refuse_change()""",
    # TRUNCATE bypasses row triggers, so it needs its own statement-level one.
    """CREATE TRIGGER audit_entry_no_truncate BEFORE TRUNCATE ON audit_entry
FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_refuse_change()""",
]
_PG_DROP = [
    "DROP TRIGGER IF EXISTS audit_entry_no_truncate ON audit_entry",
    "DROP TRIGGER IF EXISTS audit_entry_no_change ON audit_entry",
    "DROP FUNCTION IF EXISTS audit_entry_refuse_change()",
]


def append_only_trigger_sql(dialect_name: str) -> list[str]:
    return list(_pick(dialect_name, sqlite=_SQLITE_CREATE, postgresql=_PG_CREATE))


def drop_append_only_trigger_sql(dialect_name: str) -> list[str]:
    return list(_pick(dialect_name, sqlite=_SQLITE_DROP, postgresql=_PG_DROP))


def _pick(dialect_name: str, *, sqlite: list[str], postgresql: list[str]) -> list[str]:
    if dialect_name == "sqlite":
        return sqlite
    if dialect_name == "postgresql":
        return postgresql
    raise ConfigurationError(
        Msg("audit triggers: unsupported database '{dialect_name}'", dialect_name=dialect_name)
    )
