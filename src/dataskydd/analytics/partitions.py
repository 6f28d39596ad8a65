"""PostgreSQL: the raw website events (`page_event`) partitioned by month of `occurred_at`.

Why: raw events are kept a short while (the web analytics category's retention) and arrive
by the million. With a partition per month, retention drops a month that has passed whole as
one `DROP TABLE` (its files gone at once, nothing left for VACUUM) instead of deleting rows
one by one, and a query for a period reads only its months.

The shape: `page_event` PARTITION BY RANGE (occurred_at), a partition `page_event_YYYY_MM`
per calendar month in Swedish time (bounds at Swedish midnight on the 1st, as the reports'
days are Swedish days), and `page_event_default` for any event outside them (a visitor's clock
years off), so no event is ever refused for its date. The primary key is (id, occurred_at):
PostgreSQL requires the partition key in it; ids still come from the one sequence.

Who does what:
* a new database gets the partitioned table from migration 0025 (an empty table is converted
  at once); an existing one with events is converted by `dataskydd analytics partition`, in a
  maintenance window: it copies every event under a lock that holds the collector's writes
  (docs/web-analytics.md);
* the hourly `analytics_rollup` job creates this month's and the next months' partitions
  before they are needed (`ensure_ahead`); events that went to the default partition meanwhile
  are moved into the month's partition when it is created;
* the retention run drops every partition wholly older than the cut-off (`drop_before`) and
  deletes the rest row by row as before.

SQLite has no partitions: every function here does nothing there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy import Connection, text

from dataskydd.clock import SWEDEN

TABLE = "page_event"
DEFAULT = f"{TABLE}_default"
AHEAD_MONTHS = 2
_UNPARTITIONED = f"{TABLE}_unpartitioned"
_MONTH_NAME = re.compile(rf"^{TABLE}_(\d{{4}})_(\d{{2}})$")
# Creating or attaching a partition locks the table briefly; never wait long behind a long
# transaction for it (the next hourly run tries again).
_LOCK_TIMEOUT = "5s"
# One maintainer at a time across workers and instances.
_ADVISORY_KEY = 0x9A6E_E7E1


@dataclass(frozen=True)
class Month:
    first: date  # the 1st of the month

    @property
    def name(self) -> str:
        return f"{TABLE}_{self.first:%Y_%m}"

    @property
    def lower(self) -> datetime:
        return _swedish_midnight(self.first)

    @property
    def upper(self) -> datetime:
        return _swedish_midnight(self.following().first)

    def following(self) -> Month:
        year, month = divmod(self.first.month, 12)
        return Month(date(self.first.year + year, month + 1, 1))

    def ahead(self) -> Month:
        """The month AHEAD_MONTHS after this one: the last whose partition is made early."""
        month = self
        for _ in range(AHEAD_MONTHS):
            month = month.following()
        return month

    @classmethod
    def of(cls, day: date) -> Month:
        return cls(date(day.year, day.month, 1))


def _swedish_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=SWEDEN).astimezone(UTC)


def months_from(first: Month, last: Month) -> list[Month]:
    found = [first]
    while found[-1].first < last.first:
        found.append(found[-1].following())
    return found


def is_partition(name: str | None) -> bool:
    """Whether a table of that name is one of page_event's partitions: not a model's table,
    and nothing for autogenerate to drop (db/migrations/env.py)."""
    return name is not None and (name == DEFAULT or _MONTH_NAME.match(name) is not None)


def is_partitioned(connection: Connection) -> bool:
    if connection.dialect.name != "postgresql":
        return False
    kind = connection.execute(
        text("SELECT relkind FROM pg_class WHERE oid = to_regclass(:table)"), {"table": TABLE}
    ).scalar()
    return kind == "p"


def partitions(connection: Connection) -> list[str]:
    """The partitions' names, the default one included."""
    return sorted(
        connection.execute(
            text(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "WHERE i.inhparent = to_regclass(:table)"
            ),
            {"table": TABLE},
        ).scalars()
    )


def monthly(connection: Connection) -> list[Month]:
    found = []
    for name in partitions(connection):
        if match := _MONTH_NAME.match(name):
            found.append(Month(date(int(match[1]), int(match[2]), 1)))
    return found


def _quoted(connection: Connection, name: str) -> str:
    return connection.dialect.identifier_preparer.quote(name)


def _create(connection: Connection, month: Month) -> None:
    """The month's partition; events of that month already in the default partition are
    moved into it (a partition cannot be created while the default holds its rows)."""
    name = _quoted(connection, month.name)
    bounds = {"lower": month.lower, "upper": month.upper}
    strays = connection.execute(
        text(
            f"SELECT 1 FROM {DEFAULT} WHERE occurred_at >= :lower AND occurred_at < :upper LIMIT 1"  # noqa: S608 - fixed names
        ),
        bounds,
    ).first()
    # Bounds are written into DDL (it takes no parameters): datetimes this module made.
    lower, upper = (f"'{value.isoformat()}'" for value in (month.lower, month.upper))
    if strays is None:
        connection.execute(
            text(f"CREATE TABLE {name} PARTITION OF {TABLE} FOR VALUES FROM ({lower}) TO ({upper})")
        )
        return
    connection.execute(text(f"CREATE TABLE {name} (LIKE {TABLE} INCLUDING DEFAULTS)"))
    connection.execute(
        text(
            f"WITH moved AS (DELETE FROM {DEFAULT} WHERE occurred_at >= :lower "  # noqa: S608 - fixed names
            f"AND occurred_at < :upper RETURNING *) INSERT INTO {name} SELECT * FROM moved"
        ),
        bounds,
    )
    connection.execute(
        text(f"ALTER TABLE {TABLE} ATTACH PARTITION {name} FOR VALUES FROM ({lower}) TO ({upper})")
    )


def ensure(connection: Connection, months: list[Month]) -> list[str]:
    """Creates the partitions of `months` that do not exist; returns their names. Inside the
    caller's transaction, one maintainer at a time."""
    if not is_partitioned(connection):
        return []
    connection.execute(text(f"SET LOCAL lock_timeout = '{_LOCK_TIMEOUT}'"))
    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_KEY})
    held = set(monthly(connection))
    created = []
    for month in months:
        if month not in held:
            _create(connection, month)
            created.append(month.name)
    return created


def ensure_ahead(connection: Connection, today: date) -> list[str]:
    """This month's partition and the next AHEAD_MONTHS months'."""
    this = Month.of(today)
    return ensure(connection, months_from(this, this.ahead()))


def drop_before(connection: Connection, cutoff: datetime) -> list[tuple[str, int]]:
    """Drops each monthly partition all of whose events are older than `cutoff`; returns each
    one's name and the events it held (counted first, for the retention report)."""
    if not is_partitioned(connection):
        return []
    # Dropping a partition locks the whole table: never queue the collector's inserts for
    # long behind it (the caller deletes the rows one by one instead).
    connection.execute(text(f"SET LOCAL lock_timeout = '{_LOCK_TIMEOUT}'"))
    dropped = []
    for month in monthly(connection):
        if month.upper <= cutoff:
            name = _quoted(connection, month.name)
            rows = connection.execute(text(f"SELECT count(*) FROM {name}")).scalar_one()  # noqa: S608 - a partition's name
            connection.execute(text(f"DROP TABLE {name}"))
            dropped.append((month.name, int(rows)))
    return dropped


def _index_definitions(connection: Connection, table: str) -> list[tuple[str, str]]:
    """Each index of `table` but its primary key's: (name, CREATE INDEX statement). A
    partitioned table's read `ON ONLY` (the parent alone); made again on the other shape,
    it is to cover every partition."""
    found = connection.execute(
        text(
            "SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x "
            "JOIN pg_class i ON i.oid = x.indexrelid "
            "WHERE x.indrelid = to_regclass(:table) AND NOT x.indisprimary"
        ),
        {"table": table},
    )
    return [(str(name), str(sql).replace(" ON ONLY ", " ON ", 1)) for name, sql in found]


def _set_aside(connection: Connection) -> tuple[str, list[tuple[str, str]]]:
    """Locks `page_event` and renames it out of the way, its primary key and indexes renamed
    or dropped (their names are the new table's); returns the primary key's name and the
    indexes to make on the new table."""
    connection.execute(text(f"LOCK TABLE {TABLE} IN ACCESS EXCLUSIVE MODE"))
    key = connection.execute(
        text(
            "SELECT conname FROM pg_constraint WHERE conrelid = to_regclass(:table) "
            "AND contype = 'p'"
        ),
        {"table": TABLE},
    ).scalar_one()
    indexes = _index_definitions(connection, TABLE)
    for name, _ in indexes:
        connection.execute(text(f"DROP INDEX {_quoted(connection, name)}"))
    connection.execute(text(f"ALTER TABLE {TABLE} RENAME TO {_UNPARTITIONED}"))
    connection.execute(
        text(
            f"ALTER TABLE {_UNPARTITIONED} RENAME CONSTRAINT {_quoted(connection, key)} "
            f"TO {_UNPARTITIONED}_pkey"
        )
    )
    return str(key), indexes


def _move_in(connection: Connection, indexes: list[tuple[str, str]]) -> int:
    """The set-aside table's indexes made on the new `page_event`, its events copied into it,
    the id sequence handed over, the old table dropped (with its partitions, if it had any);
    returns the events copied."""
    for _, definition in indexes:
        connection.execute(text(definition))  # names the table, now the new one
    copied = connection.execute(
        text(f"INSERT INTO {TABLE} SELECT * FROM {_UNPARTITIONED}")  # noqa: S608 - fixed names
    ).rowcount
    connection.execute(text(f"ALTER SEQUENCE {TABLE}_id_seq OWNED BY {TABLE}.id"))
    connection.execute(text(f"DROP TABLE {_UNPARTITIONED}"))
    return int(copied)


@dataclass(frozen=True)
class Conversion:
    events: int
    months: list[str]


def convert(connection: Connection, today: date) -> Conversion | None:
    """Turns a plain `page_event` into the partitioned one, every event copied, inside the
    caller's transaction. None when it is partitioned already (or not PostgreSQL)."""
    if connection.dialect.name != "postgresql" or is_partitioned(connection):
        return None
    oldest, newest = connection.execute(
        text(f"SELECT min(occurred_at), max(occurred_at) FROM {TABLE}")  # noqa: S608 - fixed names
    ).one()
    key, indexes = _set_aside(connection)
    connection.execute(
        text(
            f"CREATE TABLE {TABLE} (LIKE {_UNPARTITIONED} INCLUDING DEFAULTS) "
            "PARTITION BY RANGE (occurred_at)"
        )
    )
    connection.execute(
        text(
            f"ALTER TABLE {TABLE} ADD CONSTRAINT {_quoted(connection, key)} "
            "PRIMARY KEY (id, occurred_at)"
        )
    )
    connection.execute(text(f"CREATE TABLE {DEFAULT} PARTITION OF {TABLE} DEFAULT"))
    first = Month.of(min(today, oldest.astimezone(SWEDEN).date()) if oldest else today)
    last = Month.of(max(today, newest.astimezone(SWEDEN).date()) if newest else today)
    months = months_from(first, last.ahead())
    for month in months:
        _create(connection, month)
    return Conversion(events=_move_in(connection, indexes), months=[m.name for m in months])


def unpartition(connection: Connection) -> int | None:
    """The reverse of `convert` (migration 0025's downgrade): one plain table, every event
    copied. None when it is not partitioned."""
    if not is_partitioned(connection):
        return None
    key, indexes = _set_aside(connection)
    connection.execute(text(f"CREATE TABLE {TABLE} (LIKE {_UNPARTITIONED} INCLUDING DEFAULTS)"))
    connection.execute(
        text(f"ALTER TABLE {TABLE} ADD CONSTRAINT {_quoted(connection, key)} PRIMARY KEY (id)")
    )
    return _move_in(connection, indexes)
