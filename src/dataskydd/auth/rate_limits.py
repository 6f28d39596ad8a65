"""Attempts per client and action, counted in the database (SPEC 6): every worker process and
every instance on the database shares them, and a restart forgets nothing.

A sliding-window counter: attempts are counted per fixed window, and the previous window counts
in proportion to how much of it the sliding window still covers (with a window of 5 minutes,
2 minutes into the current one, 3/5 of the previous window's attempts). Two rows per client and
action at most; exact when attempts are spread evenly, and never more than twice the limit
inside any window however they are timed. Refused attempts are not counted, so a client that
keeps trying gets in again as its earlier attempts slide out; a limit on failures takes a
success back (`refund`).

Each attempt is one INSERT … ON CONFLICT DO UPDATE … WHERE hits < room RETURNING: atomic on
SQLite and PostgreSQL, so attempts from many threads and processes count exactly. The client is
stored as a keyed hash (its address is personal data) and rows are deleted once they can no
longer count.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine, delete, select, tuple_, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import Executable

from dataskydd import clock, crypto
from dataskydd.auth.models import RateLimitWindow
from dataskydd.db.upsert import conflict_insert
from dataskydd.errors import ConfigurationError
from dataskydd.messages_i18n import Msg

_HASH_CONTEXT = "rate_limit_window.client_hash"
# Expired rows are deleted at most this often per process (any process may do it; the
# schedule is an economy, not shared state: a missed or doubled run changes no count).
PRUNE_EVERY = timedelta(minutes=1)
PRUNE_BATCH = 5000


@dataclass(frozen=True)
class Limit:
    name: str
    attempts: int
    window: timedelta

    def __post_init__(self) -> None:
        seconds = self.window.total_seconds()
        if self.attempts < 1 or seconds < 1 or seconds != int(seconds):
            raise ValueError("a limit allows at least one attempt per whole number of seconds")


def allow(session: Session, limit: Limit, client: str, *, now: datetime | None = None) -> bool:
    """Count one attempt of `client`; False (and not counted) when it is over the limit.

    The count is committed in a short transaction of its own, so it holds a row lock only for
    one statement and survives the caller's rollback. Not on SQLite once the caller's session
    has begun: that session already holds the database's one write lock (BEGIN IMMEDIATE), so
    a second transaction would wait for it, that is for itself. There the attempt is counted in
    the caller's transaction, which serialises everything anyway; call this before the first
    query to keep it independent. A session bound to a connection (tests) is always used.
    """
    bind = session.get_bind()
    if isinstance(bind, Engine) and not (
        bind.dialect.name == "sqlite" and session.in_transaction()
    ):
        with bind.begin() as connection:
            return count_attempt(connection, limit, client, now=now)
    return count_attempt(session.connection(), limit, client, now=now)


def count_attempt(
    connection: Connection, limit: Limit, client: str, *, now: datetime | None = None
) -> bool:
    now = now or clock.utc_now()
    start = window_start(limit, now)
    client_hash = crypto.current_keyring().blind_index(client, context=_HASH_CONTEXT)
    previous = connection.scalar(
        select(RateLimitWindow.hits).where(
            RateLimitWindow.name == limit.name,
            RateLimitWindow.client_hash == client_hash,
            RateLimitWindow.window_start == start - limit.window,
        )
    )
    still_covered = 1 - (now - start) / limit.window
    # The small tolerance keeps float noise (5.0000001) from costing a whole attempt.
    room = limit.attempts - math.ceil((previous or 0) * still_covered - 1e-9)
    counted = False
    if room > 0:
        row = {
            "name": limit.name,
            "client_hash": client_hash,
            "window_start": start,
            "hits": 1,
            "expires_at": start + 2 * limit.window,
        }
        counted = connection.execute(_upsert(connection, row, room)).first() is not None
    _prune_when_due(connection, now)
    return counted


def refund(session: Session, limit: Limit, client: str, *, now: datetime | None = None) -> None:
    """Take back one counted attempt of `client` in the current window: for limits on failed
    tries (sign-in), where a success is no guess spent, so that many people signing in behind
    one address (an office's NAT) do not lock each other out. In the caller's transaction."""
    now = now or clock.utc_now()
    client_hash = crypto.current_keyring().blind_index(client, context=_HASH_CONTEXT)
    session.execute(
        update(RateLimitWindow)
        .where(
            RateLimitWindow.name == limit.name,
            RateLimitWindow.client_hash == client_hash,
            RateLimitWindow.window_start == window_start(limit, now),
            RateLimitWindow.hits > 0,
        )
        .values(hits=RateLimitWindow.hits - 1)
    )


def window_start(limit: Limit, now: datetime) -> datetime:
    seconds = int(limit.window.total_seconds())
    epoch = math.floor(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, UTC)


def _upsert(connection: Connection, row: dict[str, object], room: int) -> Executable:
    keys = ["name", "client_hash", "window_start"]
    more = {"hits": RateLimitWindow.hits + 1}
    below = RateLimitWindow.hits < room
    dialect = connection.dialect.name
    if dialect not in ("postgresql", "sqlite"):
        raise ConfigurationError(
            Msg("rate limits: database {dialect} is not supported", dialect=dialect)
        )
    upsert = conflict_insert(dialect, RateLimitWindow).values(row)
    return upsert.on_conflict_do_update(index_elements=keys, set_=more, where=below).returning(  # type: ignore[no-any-return]
        RateLimitWindow.hits
    )


def prune_expired(connection: Connection, now: datetime | None = None) -> int:
    """Delete windows that can no longer count, at most PRUNE_BATCH; returns how many.

    Rows another process is deleting at the same moment are skipped (PostgreSQL), so two
    pruners never wait for each other, and one sign-in never waits for a long backlog.
    """
    now = now or clock.utc_now()
    key = tuple_(RateLimitWindow.name, RateLimitWindow.client_hash, RateLimitWindow.window_start)
    expired = (
        select(RateLimitWindow.name, RateLimitWindow.client_hash, RateLimitWindow.window_start)
        .where(RateLimitWindow.expires_at <= now)
        .limit(PRUNE_BATCH)
        .with_for_update(skip_locked=True)
    )
    result = connection.execute(delete(RateLimitWindow).where(key.in_(expired)))
    return int(result.rowcount or 0)


_prune = threading.Lock()
_next_prune: datetime | None = None


def _prune_when_due(connection: Connection, now: datetime) -> None:
    global _next_prune
    with _prune:
        if _next_prune is not None and _next_prune - PRUNE_EVERY <= now < _next_prune:
            return
        _next_prune = now + PRUNE_EVERY
    prune_expired(connection, now)
