"""Making erased values leave the database files, not only the visible rows.

SQLite overwrites deleted content as it goes (`secure_delete`, db/session.py); VACUUM rebuilds
the file without free pages and a truncating checkpoint empties the write-ahead log.

PostgreSQL keeps deleted and replaced row versions in the table's heap, TOAST and index files:
plain VACUUM only marks their space reusable and leaves the bytes (tested in
tests/db/test_physical_erasure_postgres.py). So `reclaim_space` rewrites each table with
VACUUM FULL, which writes new files holding only the live rows, rebuilds every index, and
truncates the old files when it commits. ANALYZE copies sample values of every column into
`pg_statistic`, where erasure never reaches them: `exclude_from_statistics` sets the
statistics target of every personal-data column to 0 and deletes what was collected before.
docs/postgresql.md has the design, the measured lock times and what remains (WAL, backups).

Every statement runs with a lock timeout and a statement timeout: a rewrite that cannot get
its lock soon, or that would hold it too long, is cancelled, left as it was, and reported;
nothing waits unbounded. VACUUM cannot run in a transaction, so all of this uses an
autocommit connection of its own. This module names no table: the caller passes the
personal-data tables and columns from the data map (db sits below datamap).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

__all__ = [
    "Limits",
    "Outcome",
    "Step",
    "checkpoint_wal",
    "exclude_from_statistics",
    "incomplete",
    "reclaim_space",
]

# SQLSTATEs of the timeouts set below: lock_not_available, query_canceled.
_LOCK_TIMEOUT = "55P03"
_CANCELLED = "57014"
_NO_PRIVILEGE = "42501"
# How often the wait for older transactions looks again.
_POLL_SECONDS = 0.1
# Bound of the catalogue queries around the locking statements; they take milliseconds.
_QUERY_SECONDS = 30.0


class Outcome(StrEnum):
    DONE = "done"
    # Erased values may still be in the files because of this: the command exits non-zero.
    NOT_DONE = "not done"
    # Skipped for lack of a privilege, where no erased value depends on it: said, not failed.
    NOT_RUN = "not run"
    # Outside what this command can reach; said on every run so no one assumes otherwise.
    NOT_COVERED = "not covered"


@dataclass(frozen=True)
class Step:
    """One thing reclaim did, or could not do, as the operator reads it. Texts name tables,
    columns, process ids and error kinds, never a value (they reach logs)."""

    outcome: Outcome
    text: str

    def __str__(self) -> str:
        return f"{self.outcome}: {self.text}"


@dataclass(frozen=True)
class Limits:
    """lock_wait: seconds a statement waits for its lock (lock_timeout), and reclaim for
    transactions older than itself to end. While a rewrite waits for its lock, every later
    query of that table queues behind it, so this is also how long traffic may stall.
    max_lock: seconds a statement that locks a table may run (statement_timeout); a rewrite
    holds its exclusive lock for as long as it runs, so this bounds how long the table is
    blocked."""

    lock_wait: float = 2.0
    max_lock: float = 30.0


def incomplete(steps: Iterable[Step]) -> bool:
    return any(step.outcome is Outcome.NOT_DONE for step in steps)


# How long a checkpoint after an erasure waits for readers of older snapshots. It runs after
# the erasure's commit, before the answer: a long reader must not hold the DPO's page (or a
# test's open transaction the suite) for the full busy timeout. The next checkpoint truncates.
CHECKPOINT_WAIT_MS = 2000


def checkpoint_wal(engine: Engine) -> bool:
    """SQLite in WAL mode: copy the log back into the database file and truncate it to zero
    bytes, so page images from before an erasure do not survive in the -wal file.

    Waits up to CHECKPOINT_WAIT_MS for readers of older snapshots to finish; returns False if
    one still held the log then (the next checkpoint truncates it). Nothing to do elsewhere.
    """
    if engine.dialect.name != "sqlite":
        return True
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        return _sqlite_checkpoint(connection, wait_ms=CHECKPOINT_WAIT_MS)


def passive_checkpoint(engine: Engine) -> None:
    """SQLite in WAL mode: copy what the log holds back into the database file without
    waiting for anyone (as SQLite's automatic checkpoint does), for writers whose own
    connection does not checkpoint (db/session.py make_nowait_engine)."""
    if engine.dialect.name != "sqlite":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("PRAGMA wal_checkpoint(PASSIVE)"))


def _sqlite_checkpoint(connection: Connection, *, wait_ms: int | None = None) -> bool:
    """`wait_ms`: the busy wait for this checkpoint only (the connection's own is put back)."""
    before = connection.execute(text("PRAGMA busy_timeout")).scalar_one() if wait_ms else None
    try:
        if wait_ms:
            connection.execute(text(f"PRAGMA busy_timeout = {int(wait_ms)}"))
        row = connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)")).one()
    finally:
        if before is not None:
            connection.execute(text(f"PRAGMA busy_timeout = {int(before)}"))
    # (busy, frames in the log, frames checkpointed); busy = 1 when a reader blocked it
    return bool(row[0] == 0)


def exclude_from_statistics(
    engine: Engine, columns: Mapping[str, Iterable[str]], limits: Limits | None = None
) -> list[Step]:
    """PostgreSQL: keep the given personal-data columns ({table: columns}) out of
    `pg_statistic`, and remove what ANALYZE collected from them before. Idempotent; run by
    `init` after migrating and by every `reclaim`. Nothing to do on other databases."""
    if engine.dialect.name != "postgresql":
        return []
    limits = limits or Limits()
    with _autocommit(engine, limits) as connection:
        return _exclude_from_statistics(connection, columns, limits)


def reclaim_space(
    engine: Engine,
    columns: Mapping[str, Iterable[str]],
    *,
    tables: Sequence[str] | None = None,
    limits: Limits | None = None,
) -> list[Step]:
    """Let values erased before this call leave the database files; returns what it did.

    `columns` is every personal-data table of the data map with its personal-data columns;
    `tables`, when given, limits the rewrites to these (statistics are handled for all).
    """
    limits = limits or Limits()
    if engine.dialect.name == "sqlite":
        return _reclaim_sqlite(engine, tables)
    if engine.dialect.name != "postgresql":
        return [Step(Outcome.NOT_DONE, f"reclaim does not support {engine.dialect.name}")]
    with _autocommit(engine, limits) as connection:
        # Erasures committed before this snapshot are the ones this run must remove.
        before = _snapshot_xmax(connection)
        steps = _exclude_from_statistics(connection, columns, limits)
        steps += _extended_statistics(connection, columns)
        chosen = sorted(set(columns) if tables is None else set(tables))
        steps += _rewrite_tables(connection, chosen, before, limits)
        steps += _rewrite_statistics(connection, limits)
        steps.append(_checkpoint(connection))
    steps.append(
        Step(
            Outcome.NOT_COVERED,
            "the write-ahead log (pg_wal and any WAL archive) and base backups keep the old "
            "values until they rotate out; streaming replicas replay these rewrites, logical "
            "replicas and the company's other systems need their own; the file system does "
            "not overwrite the blocks the old files freed (docs/postgresql.md)",
        )
    )
    return steps


@contextmanager
def _autocommit(engine: Engine, limits: Limits) -> Iterator[Connection]:
    """An autocommit connection with the run's lock timeout; its catalogue queries are
    bounded by _QUERY_SECONDS, the statements that lock a table by max_lock (`_locking`)."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        try:
            _set(connection, "lock_timeout", limits.lock_wait)
            _set(connection, "statement_timeout", max(limits.max_lock, _QUERY_SECONDS))
            yield connection
        finally:
            # The pool would hand the timeouts on to the next user of this connection.
            connection.invalidate()


def _set(connection: Connection, name: str, seconds: float) -> None:
    # set_config takes parameters; SET does not.
    connection.execute(
        text("SELECT set_config(:name, :value, false)"),
        {"name": name, "value": f"{round(seconds * 1000)}ms"},
    )


@contextmanager
def _locking(connection: Connection, limits: Limits) -> Iterator[None]:
    """A statement holds its lock for as long as it runs: cancel it after max_lock."""
    _set(connection, "statement_timeout", limits.max_lock)
    try:
        yield
    finally:
        if not connection.invalidated:
            _set(connection, "statement_timeout", max(limits.max_lock, _QUERY_SECONDS))


def _reclaim_sqlite(engine: Engine, tables: Sequence[str] | None) -> list[Step]:
    steps: list[Step] = []
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        try:
            connection.execute(text("VACUUM"))
        except DBAPIError as error:
            return [Step(Outcome.NOT_DONE, f"VACUUM failed ({_kind(error)})")]
        steps.append(
            Step(
                Outcome.DONE,
                "VACUUM: rebuilt the database file without free pages (deleted content was "
                "already overwritten with zeros: secure_delete)",
            )
        )
        # In WAL mode VACUUM writes the rebuilt file through the log: empty it too.
        if _sqlite_checkpoint(connection):
            steps.append(
                Step(Outcome.DONE, "PRAGMA wal_checkpoint(TRUNCATE): the -wal file is empty")
            )
        else:
            steps.append(
                Step(
                    Outcome.NOT_DONE,
                    "PRAGMA wal_checkpoint(TRUNCATE): a reader still held the write-ahead log, "
                    "which may keep page images from before the erasures: run again",
                )
            )
    if tables is not None:
        steps.append(Step(Outcome.DONE, "on SQLite the whole file is rebuilt; --table is ignored"))
    steps.append(
        Step(
            Outcome.NOT_COVERED,
            "copies of the database file (backups, snapshots) keep the old values until they "
            "rotate out; the file system does not overwrite blocks the file freed",
        )
    )
    return steps


def _kind(error: DBAPIError) -> str:
    """The error's class and SQLSTATE: driver messages can quote values, so never those."""
    state = getattr(error.orig, "sqlstate", None)
    name = type(error.orig).__name__
    return f"{name}, SQLSTATE {state}" if state else name


def _sqlstate(error: DBAPIError) -> str | None:
    state = getattr(error.orig, "sqlstate", None)
    return state if isinstance(state, str) else None


def _quote(connection: Connection, name: str) -> str:
    return connection.dialect.identifier_preparer.quote(name)


def _relation(connection: Connection, table: str) -> int | None:
    """The table's oid as the unqualified statements below resolve it (search_path)."""
    oid = connection.execute(
        text("SELECT to_regclass(quote_ident(:table))::oid"), {"table": table}
    ).scalar()
    return int(oid) if oid is not None else None


def _is_superuser(connection: Connection) -> bool:
    return connection.execute(text("SELECT current_setting('is_superuser')")).scalar() == "on"


def _exclude_from_statistics(
    connection: Connection, columns: Mapping[str, Iterable[str]], limits: Limits
) -> list[Step]:
    """Statistics target 0 on every personal-data column and on every expression column of
    those tables' indexes (an index on lower(value) gets statistics of its own), then the
    removal of statistics collected before."""
    steps: list[Step] = []
    targets: dict[int, set[int]] = {}  # relation oid → attnums kept out of statistics
    kept = newly = expressions_kept = 0
    for table in sorted(columns):
        wanted = set(columns[table])
        oid = _relation(connection, table)
        if oid is None:
            steps.append(Step(Outcome.NOT_DONE, f"table {table} of the data map does not exist"))
            continue
        rows = connection.execute(
            text(
                "SELECT attname, attnum, attstattarget IS DISTINCT FROM 0 FROM pg_attribute "
                "WHERE attrelid = :oid AND attnum > 0 AND NOT attisdropped "
                "AND attname = ANY(:names)"
            ),
            {"oid": oid, "names": sorted(wanted)},
        ).all()
        missing = wanted - {row[0] for row in rows}
        if missing:
            steps.append(
                Step(
                    Outcome.NOT_DONE,
                    f"columns of the data map missing from table {table}: "
                    + ", ".join(sorted(missing)),
                )
            )
        # Looked for in pg_statistic even if the target cannot be set below.
        targets.setdefault(oid, set()).update(int(row[1]) for row in rows)
        to_set = sorted(str(row[0]) for row in rows if row[2])
        expressions = connection.execute(
            text(
                "SELECT i.indexrelid, i.indexrelid::regclass::text, a.attnum, "
                "a.attstattarget IS DISTINCT FROM 0 FROM pg_index i "
                "JOIN pg_attribute a ON a.attrelid = i.indexrelid "
                "WHERE i.indrelid = :oid AND i.indkey[a.attnum - 1] = 0"
            ),
            {"oid": oid},
        ).all()
        for index_oid, _name, attnum, _needs in expressions:
            targets.setdefault(int(index_oid), set()).add(int(attnum))
        try:
            # SHARE UPDATE EXCLUSIVE: reads and writes of the table go on meanwhile.
            with _locking(connection, limits):
                if to_set:
                    clauses = ", ".join(
                        f"ALTER COLUMN {_quote(connection, name)} SET STATISTICS 0"
                        for name in to_set
                    )
                    connection.execute(text(f"ALTER TABLE {_quote(connection, table)} {clauses}"))
                for _oid, index_name, attnum, needs in expressions:
                    if needs:
                        # index_name is regclass output, quoted where needed already.
                        connection.execute(
                            text(
                                f"ALTER INDEX {index_name} "
                                f"ALTER COLUMN {int(attnum)} SET STATISTICS 0"
                            )
                        )
            newly += len(to_set) + sum(1 for row in expressions if row[3])
            kept += len(rows)
            expressions_kept += len(expressions)
        except DBAPIError as error:
            steps.append(
                Step(
                    Outcome.NOT_DONE,
                    f"statistics target of table {table} not set ({_kind(error)}"
                    + (": not its owner" if _sqlstate(error) == _NO_PRIVILEGE else "")
                    + ")",
                )
            )
    also = f" and {expressions_kept} index expressions" if expressions_kept else ""
    steps.append(
        Step(
            Outcome.DONE,
            f"{kept} personal-data columns{also} have statistics target 0, so ANALYZE and "
            f"autovacuum copy none of their values into pg_statistic ({newly} set now)",
        )
    )
    steps.append(_remove_collected(connection, targets, limits))
    return steps


def _remove_collected(
    connection: Connection, targets: Mapping[int, set[int]], limits: Limits
) -> Step:
    """Delete the statistics ANALYZE collected before the target was 0: a target of 0 only
    stops new ones (tested: neither ANALYZE nor VACUUM FULL removes them). pg_statistic can
    be changed by a superuser only; anyone can see through pg_stats what is left."""
    if not targets:
        return Step(Outcome.DONE, "no personal-data columns to look for in pg_statistic")
    rows = connection.execute(
        text(
            "SELECT c.oid, a.attnum FROM pg_stats s "
            "JOIN pg_namespace n ON n.nspname = s.schemaname "
            "JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = s.tablename "
            "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = s.attname "
            "WHERE c.oid = ANY(CAST(:oids AS oid[]))"
        ),
        {"oids": sorted(targets)},
    ).all()
    collected: dict[int, set[int]] = {}
    for oid, attnum in rows:
        if int(attnum) in targets[int(oid)]:
            collected.setdefault(int(oid), set()).add(int(attnum))
    count = sum(len(attnums) for attnums in collected.values())
    if not count:
        return Step(Outcome.DONE, "pg_statistic holds no statistics of these columns")
    if not _is_superuser(connection):
        return Step(
            Outcome.NOT_DONE,
            f"pg_statistic still holds values of {count} personal-data columns, collected "
            "before their target was 0; only a superuser can delete them: run "
            "`dataskydd reclaim` once as one (docs/postgresql.md)",
        )
    try:
        for oid, attnums in sorted(collected.items()):
            with _locking(connection, limits):
                connection.execute(
                    text(
                        "DELETE FROM pg_statistic "
                        "WHERE starelid = :oid AND staattnum = ANY(CAST(:attnums AS int2[]))"
                    ),
                    {"oid": oid, "attnums": sorted(attnums)},
                )
    except DBAPIError as error:
        return Step(Outcome.NOT_DONE, f"statistics in pg_statistic not deleted ({_kind(error)})")
    return Step(Outcome.DONE, f"deleted the statistics of {count} columns from pg_statistic")


def _extended_statistics(
    connection: Connection, columns: Mapping[str, Iterable[str]]
) -> list[Step]:
    """CREATE STATISTICS objects keep their own samples (pg_statistic_ext_data), which
    nothing here removes. dataskydd creates none; one added by hand is reported."""
    rows = connection.execute(
        text(
            "SELECT x.stxname, c.relname FROM pg_statistic_ext x "
            "JOIN pg_class c ON c.oid = x.stxrelid "
            "WHERE x.stxrelid = ANY(SELECT to_regclass(quote_ident(t))::oid "
            "FROM unnest(CAST(:tables AS text[])) AS t)"
        ),
        {"tables": sorted(columns)},
    ).all()
    return [
        Step(
            Outcome.NOT_DONE,
            f"extended statistics {name} on table {table} can hold personal values that "
            "reclaim does not remove: drop it (DROP STATISTICS)",
        )
        for name, table in rows
    ]


def _snapshot_xmax(connection: Connection) -> int:
    """The first transaction id not yet committed when this run began."""
    value = connection.execute(text("SELECT pg_snapshot_xmax(pg_current_snapshot())::text"))
    return int(str(value.scalar()))


def _older_transactions(connection: Connection, before: int, *, catalog: bool) -> list[str]:
    """Whatever holds the horizon of removable rows back to before `before`: VACUUM FULL
    copies a deleted row version into the new file (tested) while any of these may count.

    A transaction id still running in any database: every snapshot, the rewrite's own
    included, treats it and everything after it as in progress (measured: a long COPY in
    another database made the rewrite keep erased rows; a mere snapshot there did not). A
    snapshot held in this database or sent back by a replica (walsender). Prepared
    transactions. Replication slots; for catalogs (pg_statistic) also a logical slot's
    catalog_xmin. age() compares the 32-bit ids across wraparound. This database's
    sessions come first: the likeliest to be the operator's own."""
    rows = connection.execute(
        text(
            "WITH ref AS (SELECT age(CAST(:ref AS xid)) AS age) "
            "SELECT label FROM ("
            "SELECT 'session ' || a.pid || coalesce(' (database ' || a.datname || ')', '') "
            "AS label, CASE WHEN a.datname = current_database() THEN 0 ELSE 1 END AS rank "
            "FROM pg_stat_activity a, ref WHERE a.pid <> pg_backend_pid() "
            "AND (age(a.backend_xid) > ref.age OR (age(a.backend_xmin) > ref.age "
            "AND (a.datname = current_database() OR a.backend_type = 'walsender'))) "
            "UNION ALL SELECT 'prepared transaction', 2 FROM pg_prepared_xacts p, ref "
            "WHERE age(p.transaction) > ref.age "
            "UNION ALL SELECT 'replication slot ' || s.slot_name, 3 "
            "FROM pg_replication_slots s, ref "
            "WHERE (s.database IS NULL OR s.database = current_database()) "
            "AND (age(s.xmin) > ref.age OR (:catalog AND age(s.catalog_xmin) > ref.age))"
            ") holders ORDER BY rank, label"
        ),
        # xid is the 32-bit form of the 64-bit id the snapshot gives.
        {"ref": str(before % 2**32), "catalog": catalog},
    ).scalars()
    return [str(row) for row in rows]


def _wait_for_older(
    connection: Connection, before: int, limits: Limits, *, catalog: bool = False
) -> list[str]:
    """Wait (at most lock_wait) for transactions older than `before` to end; those left."""
    deadline = time.monotonic() + limits.lock_wait
    while True:
        holders = _older_transactions(connection, before, catalog=catalog)
        if not holders or time.monotonic() >= deadline:
            return holders
        time.sleep(_POLL_SECONDS)


def _may_vacuum(connection: Connection, oid: int) -> bool:
    """VACUUM skips, with only a warning, a table the role may not vacuum (PostgreSQL 15:
    superuser, the table's owner or the database's owner): ask first."""
    return bool(
        connection.execute(
            text(
                "SELECT current_setting('is_superuser') = 'on' "
                "OR pg_has_role(c.relowner, 'USAGE') OR pg_has_role(d.datdba, 'USAGE') "
                "FROM pg_class c, pg_database d "
                "WHERE c.oid = :oid AND d.datname = current_database()"
            ),
            {"oid": oid},
        ).scalar()
    )


def _held_back(holders: list[str], what: str, since: str = "this run") -> Step:
    shown = ", ".join(holders[:5]) + (f" and {len(holders) - 5} more" if len(holders) > 5 else "")
    return Step(
        Outcome.NOT_DONE,
        f"{what} was rewritten, but {shown} began before {since} and may still see rows "
        "deleted before it, so the rewrite may have kept them: run again once they have ended",
    )


def _vacuum_full(connection: Connection, name: str, oid: int | None, limits: Limits) -> Step:
    if oid is None:
        return Step(Outcome.NOT_DONE, f"table {name} of the data map does not exist")
    if not _may_vacuum(connection, oid):
        return Step(
            Outcome.NOT_DONE,
            f"VACUUM FULL {name}: not run, the role is not the owner of the table (nor the "
            "database's owner or a superuser)",
        )
    started = time.monotonic()
    try:
        with _locking(connection, limits):
            connection.execute(text(f"VACUUM (FULL) {_quote(connection, name)}"))
    except DBAPIError as error:
        state = _sqlstate(error)
        if state == _LOCK_TIMEOUT:
            why = f"its lock was not granted within {limits.lock_wait:g} s (--lock-wait)"
        elif state == _CANCELLED:
            why = f"cancelled after {limits.max_lock:g} s (--max-lock)"
        else:
            why = f"failed ({_kind(error)})"
        return Step(
            Outcome.NOT_DONE,
            f"VACUUM FULL {name}: {why}; the table is as it was, erased values stay in its "
            "files until a run succeeds",
        )
    seconds = time.monotonic() - started
    # Measured from before the lock was granted: the table was blocked at most this long.
    return Step(Outcome.DONE, f"VACUUM FULL {name} (exclusive lock held at most {seconds:.2f} s)")


def _rewrite_tables(
    connection: Connection, tables: Sequence[str], before: int, limits: Limits
) -> list[Step]:
    steps: list[Step] = []
    # Once none is left, none can appear: a later snapshot starts after every id older than
    # `before` has ended. So only the first table waits; later ones look again, since those
    # left may have ended meanwhile.
    holders = _wait_for_older(connection, before, limits) if tables else []
    for table in tables:
        if holders:
            holders = _older_transactions(connection, before, catalog=False)
        # Looked at before the rewrite: one that ends during it may still have counted.
        held = list(holders)
        step = _vacuum_full(connection, table, _relation(connection, table), limits)
        steps.append(step)
        if step.outcome is Outcome.DONE and held:
            steps.append(_held_back(held, f"table {table}"))
    rewritten = sum(1 for step in steps if step.outcome is Outcome.DONE)
    steps.append(
        Step(
            Outcome.DONE if rewritten == len(tables) else Outcome.NOT_DONE,
            f"{rewritten} of {len(tables)} tables rewritten: VACUUM FULL writes new table, TOAST "
            "and index files without deleted or replaced row versions and truncates the old "
            "ones when it commits",
        )
    )
    return steps


def _rewrite_statistics(connection: Connection, limits: Limits) -> list[Step]:
    """VACUUM FULL pg_statistic: rows deleted from it, or replaced by later ANALYZEs, keep
    their bytes in its file like any table's (measured; the test reads its file after
    reclaim). A few milliseconds on a register's catalogue; a superuser or the database's
    owner may run it."""
    oid = _relation(connection, "pg_statistic")
    if oid is None or not _may_vacuum(connection, oid):
        # Not a failure of this run: deleting from pg_statistic needs a superuser, who may
        # rewrite it too, so this role deleted nothing whose bytes it leaves behind.
        return [
            Step(
                Outcome.NOT_RUN,
                "VACUUM FULL pg_statistic (needs a superuser or the database's owner); "
                "statistics deleted or replaced before may remain in its file",
            )
        ]
    # Our own DELETE is newer than the run's start: wait for transactions older than it.
    holders = _wait_for_older(connection, _snapshot_xmax(connection), limits, catalog=True)
    step = _vacuum_full(connection, "pg_statistic", oid, limits)
    if step.outcome is Outcome.DONE and holders:
        return [step, _held_back(holders, "pg_statistic", "the statistics were deleted")]
    return [step]


def _checkpoint(connection: Connection) -> Step:
    """The rewritten files are complete when VACUUM FULL commits and the old ones are
    truncated then (tested: the marker is gone before any CHECKPOINT). A checkpoint also
    unlinks the emptied files and lets the server recycle WAL written before it sooner; the
    server runs one every checkpoint_timeout anyway, so a role without the right is told."""
    try:
        connection.execute(text("CHECKPOINT"))
    except DBAPIError as error:
        if _sqlstate(error) == _NO_PRIVILEGE:
            return Step(
                Outcome.NOT_RUN,
                "CHECKPOINT (needs a superuser or pg_checkpoint); the server's next scheduled "
                "checkpoint does the same",
            )
        return Step(Outcome.NOT_RUN, f"CHECKPOINT failed ({_kind(error)})")
    return Step(
        Outcome.DONE,
        "CHECKPOINT: the emptied old files are unlinked and WAL from before may be recycled",
    )
