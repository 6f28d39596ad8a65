"""subject ids never reused

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 21:30:00.000000

SQLite gives a new INTEGER PRIMARY KEY row max(id) + 1, so once the highest subject was erased
the next new subject got its id, and with it the requests, objections, consents and audit
entries that refer to subjects by id only (they outlive erasure as evidence). AUTOINCREMENT
never hands out an id twice. PostgreSQL needs nothing: a sequence never goes back.

How, on SQLite: the usual rebuild (create a copy, drop `subject`, rename) cannot be used.
Dropping `subject` runs an implicit DELETE that cascades through the ON DELETE CASCADE foreign
keys of some twenty tables, and `PRAGMA foreign_keys` cannot be switched off inside the
transaction Alembic runs migrations in (SQLite ignores it there). AUTOINCREMENT does not change
how rows are stored (the id stays the rowid); it is the table's declared SQL plus a row in
sqlite_sequence. So the declared SQL is edited in place, by the procedure SQLite documents for
schema changes that leave stored content alone (lang_altertable.html, "Making Other Kinds Of
Table Schema Changes": writable_schema, then a new schema_version), inside the migration's
transaction: any failure rolls it back with the rest. No row is copied or touched.

The counter starts at the highest subject id, or higher where a table still refers to a
subject that was erased and deleted: that id must not come back either.
"""

import re
from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# What SQLAlchemy declares for the models: the key inline, without the named table constraint.
_PLAIN_ID = re.compile(r"\bid INTEGER NOT NULL(?=\s*,)")
_AUTOINCREMENT_ID = re.compile(r"\bid INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT(?=\s*,)")
_PK_CONSTRAINT = re.compile(r",\s*CONSTRAINT pk_subject PRIMARY KEY \(id\)")
_FIRST_CONSTRAINT = re.compile(r",(\s*)CONSTRAINT ")
_CLOSE = re.compile(r"\s*\)\s*$")


def _replace_once(pattern: re.Pattern[str], replacement: str, sql: str) -> str:
    """Refuses rather than guesses when the table is not declared as the migrations left it."""
    changed, count = pattern.subn(lambda _match: replacement, sql)
    if count != 1:
        raise RuntimeError(
            f"subject table not declared as expected ({pattern.pattern!r} found {count} times); "
            "not changing it"
        )
    return changed


def _with_autoincrement(sql: str) -> str:
    sql = _replace_once(_PK_CONSTRAINT, "", sql)
    return _replace_once(_PLAIN_ID, "id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT", sql)


def _without_autoincrement(sql: str) -> str:
    sql = _replace_once(_AUTOINCREMENT_ID, "id INTEGER NOT NULL", sql)
    first = _FIRST_CONSTRAINT.search(sql)
    if first is None:
        return _replace_once(_CLOSE, ", \n\tCONSTRAINT pk_subject PRIMARY KEY (id)\n)", sql)
    space = first.group(1)
    constraint = f",{space}CONSTRAINT pk_subject PRIMARY KEY (id),{space}CONSTRAINT "
    return sql[: first.start()] + constraint + sql[first.end() :]


def _declared(bind: sa.Connection) -> str:
    sql = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'subject'"
    ).scalar_one()
    return str(sql)


def _redeclare(bind: sa.Connection, change: Callable[[str], str]) -> None:
    declared = change(_declared(bind))
    version = int(bind.exec_driver_sql("PRAGMA schema_version").scalar_one())
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    try:
        bind.exec_driver_sql(
            "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'subject'",
            (declared,),
        )
        # A new schema version makes every connection, this one included, read the schema
        # again, so the new declaration takes effect now.
        bind.exec_driver_sql(f"PRAGMA schema_version = {version + 1}")
    finally:
        bind.exec_driver_sql("PRAGMA writable_schema = OFF")
    # Reading the table parses the new declaration: a mistake fails here, inside the
    # transaction, and is rolled back, rather than at the next start of the application.
    bind.exec_driver_sql("SELECT count(*) FROM subject").scalar_one()
    if _declared(bind) != declared:
        raise RuntimeError("the subject table's new declaration did not take effect")


def _highest_subject_id(bind: sa.Connection) -> int:
    """The highest id of a subject that exists or is still referred to anywhere."""
    inspector = sa.inspect(bind)
    highest = int(bind.exec_driver_sql("SELECT coalesce(max(id), 0) FROM subject").scalar_one())
    for table in inspector.get_table_names():
        if any(column["name"] == "subject_id" for column in inspector.get_columns(table)):
            found = bind.exec_driver_sql(
                f'SELECT coalesce(max(subject_id), 0) FROM "{table}"'  # noqa: S608 - a table name from the schema
            ).scalar_one()
            highest = max(highest, int(found))
    return highest


def _ensure_sequence_table(bind: sa.Connection) -> None:
    """sqlite_sequence comes into being with the first AUTOINCREMENT table SQLite creates; it
    cannot be created directly. The declaration edit does not create it, so make it so."""
    exists = bind.exec_driver_sql(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'"
    ).scalar_one()
    if not exists:
        bind.exec_driver_sql(
            "CREATE TABLE _alembic_tmp_sequence_maker (id INTEGER PRIMARY KEY AUTOINCREMENT)"
        )
        bind.exec_driver_sql("DROP TABLE _alembic_tmp_sequence_maker")


def _verification_code_autoincrement(on: bool) -> None:
    """Verification tickets name their row id: a purged code's id must not come back as a
    stranger's code. Nothing refers to this table, so the usual rebuild is safe here."""
    with op.batch_alter_table(
        "verification_code", recreate="always", table_kwargs={"sqlite_autoincrement": on}
    ):
        pass


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    _verification_code_autoincrement(True)
    _ensure_sequence_table(bind)
    if "AUTOINCREMENT" not in _declared(bind).upper():
        _redeclare(bind, _with_autoincrement)
    start = _highest_subject_id(bind)
    current = bind.exec_driver_sql(
        "SELECT coalesce(max(seq), 0) FROM sqlite_sequence WHERE name = 'subject'"
    ).scalar_one()
    bind.exec_driver_sql("DELETE FROM sqlite_sequence WHERE name = 'subject'")
    bind.exec_driver_sql(
        "INSERT INTO sqlite_sequence (name, seq) VALUES ('subject', ?)",
        (max(start, int(current)),),
    )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    _verification_code_autoincrement(False)
    if "AUTOINCREMENT" in _declared(bind).upper():
        _redeclare(bind, _without_autoincrement)
    bind.exec_driver_sql("DELETE FROM sqlite_sequence WHERE name = 'subject'")
