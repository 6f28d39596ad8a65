"""Engines, sessions and the transaction boundary used by the CLI, the web app and jobs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from dataskydd.errors import DataskyddError

# How long a SQLite connection waits for another's write lock before "database is locked".
# Writers queue on it (see _begin_immediate), so it must outlast a burst of them, not one.
SQLITE_BUSY_TIMEOUT_MS = 30_000
# FastAPI runs sync routes and dependencies in a pool of 40 threads; a request holds one
# connection from its first query to its commit, across several of those threads. Up to 40
# at once (10 kept open), so every thread can hold one; PostgreSQL's default max_connections
# is 100. The web app must also keep fewer requests than threads inside a transaction (a
# request waiting for a connection or a lock holds a thread that the holder may need next).
_POSTGRES_POOL = {"pool_size": 10, "max_overflow": 30, "pool_timeout": 60}
_AFTER_COMMIT = "dataskydd.after_commit"


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite would open transactions itself, lazily and only before writes; _begin_immediate
    # takes that over (SQLAlchemy's SQLite docs, "Enabling Non-Legacy SQLite Transactional
    # Modes"). This also makes SAVEPOINT and DDL transactional.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    # Deleted content is overwritten with zeros, so erased personal data does not linger in
    # free pages of the database file.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    # WAL: readers never block the writer nor the writer them, and a commit is one append
    # to the log instead of a journal written, synced and deleted. Old page images stay in
    # the -wal file until a checkpoint copies them back; erasure ends with a truncating
    # checkpoint (db/maintenance.py checkpoint_wal), so erased values leave that file too.
    # FULL: a commit is synced before it returns, so what was answered as stored survives
    # a power cut as well as a killed process (NORMAL would only survive the latter).
    # An in-memory database answers "memory" and stays as it is.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


def _begin_immediate(connection: Connection) -> None:
    """Every transaction takes SQLite's write lock when it begins, not at its first write.

    A deferred transaction that reads first holds a SHARED lock; when two such transactions
    then both write (every personal-data read writes its audit entry), one waits for the
    other's commit while holding the SHARED lock that commit waits for. SQLite sees the
    deadlock and fails one at once with "database is locked", without waiting. IMMEDIATE
    makes writers queue for the lock (up to the busy timeout) before they hold anything.
    Little concurrency is lost: nearly every request writes (an audit entry, a session's
    last_seen_at), and in WAL mode a commit is one append to the log.
    """
    if connection.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
        return  # VACUUM and the like: no transaction at all
    # SQLAlchemy's isolation-level reset (after an AUTOCOMMIT use) hands pysqlite its own
    # transaction control back; take it again before beginning.
    connection.connection.driver_connection.isolation_level = None  # type: ignore[union-attr]
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def pool_for(concurrent_requests: int) -> dict[str, int]:
    """Connection pool of a server process admitting `concurrent_requests` at once
    (web/admission.py): one connection each, and a few for the work beside requests (the
    /collect writer, rate limits, checkpoints). A request never waits long for a connection,
    because admission control already queued it before it got a thread; the short timeout
    only catches a pool shared beyond its size."""
    total = concurrent_requests + 4
    size = min(10, total)
    return {"pool_size": size, "max_overflow": total - size, "pool_timeout": 10}


def make_engine(url: str, **kwargs: Any) -> Engine:
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "postgresql" and parsed.get_driver_name() in ("", "psycopg2"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if backend == "postgresql":
        kwargs = _POSTGRES_POOL | kwargs
    engine = create_engine(parsed, **kwargs)
    if backend == "sqlite":
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _begin_immediate)
    return engine


def make_nowait_engine(url: str) -> Engine | None:
    """A one-connection engine of a SQLite file whose transactions fail at once with
    "database is locked" instead of waiting for another writer: for writes made in an event
    loop's own thread, which must never block (the collector, analytics/writer.py). None for
    an in-memory database (another connection would be another database) and for servers
    (their writes cross a network and wait there)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    # One connection, used by one thread one batch at a time: the pool never makes it wait.
    engine = make_engine(url, pool_size=1, max_overflow=0, pool_timeout=1)
    event.listen(engine, "connect", _never_wait)
    return engine


def _never_wait(dbapi_connection: Any, _record: Any) -> None:
    # After _sqlite_connect (listeners run in the order added), which set the long wait.
    dbapi_connection.execute("PRAGMA busy_timeout=0")
    # Nor does a commit here checkpoint the log: that copies and syncs up to 4 MB, and the
    # loop would stand still meanwhile. The user runs checkpoints in a thread
    # (maintenance.passive_checkpoint); other connections keep SQLite's automatic ones.
    dbapi_connection.execute("PRAGMA wal_autocheckpoint=0")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def call_after_commit(session: Session, key: str, callback: Callable[[Session], None]) -> None:
    """Have `transaction()` call `callback(session)` once it has committed this session's work.

    For work that must follow a commit and never precede it (an audit checkpoint must not
    name an entry that could still be rolled back). Keyed, so a service registering on every
    call runs once per transaction; dropped when the transaction rolls back. The callback must
    not raise, and should leave the session's objects alone (the caller still reads them).
    """
    session.info.setdefault(_AFTER_COMMIT, {})[key] = callback


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit when the block ends normally, roll back on any exception."""
    session = factory()
    try:
        try:
            yield session
            session.commit()
        except DataskyddError as error:
            if error.keeps_work:
                session.commit()
                _run_after_commit(session)
            else:
                _roll_back(session)
            raise
        except BaseException:
            _roll_back(session)
            raise
        _run_after_commit(session)
    finally:
        session.close()


def _roll_back(session: Session) -> None:
    session.info.pop(_AFTER_COMMIT, None)
    session.rollback()


def _run_after_commit(session: Session) -> None:
    callbacks: dict[str, Callable[[Session], None]] = session.info.pop(_AFTER_COMMIT, {})
    for callback in callbacks.values():
        callback(session)
