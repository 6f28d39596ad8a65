"""`dataskydd systems discover` on a 1 M-row database, beside the cost of its SQL alone.

    python benchmarks/bench_discover.py [--database sqlite|postgresql|mariadb|all]
                                        [--rows 1000000] [--sample-rows 200] [--runs 3]

A shop of three tables (customers 10 %, orders 30 %, web events 60 % of the rows; orders and
events with foreign keys to customers) is built with the driver's bulk path: one sqlite3
`executemany` transaction (the file is kept in benchmarks/.data/ and reused), `COPY` on
PostgreSQL, batched multi-row INSERTs on MariaDB (throw-away databases on the local servers,
dropped afterwards; PostgreSQL and MariaDB are then ANALYZEd, as a live database is).

Timed, median of `--runs`:

* `discover(url)`: connect read-only, reflect, sample, classify, propose, dispose.
* the floor: every statement one `discover` run issued (recorded in a warm-up run with
  SQLAlchemy's `before_cursor_execute`: the reflection queries and the LIMIT-ed SELECTs),
  replayed with the same parameters through a fresh raw driver connection, rows fetched.

The difference is SQLAlchemy's reflection machinery, the classification of the sampled
values and building the proposal.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pymysql
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from stdnum import luhn

from dataskydd.datamap.discover import discover

DATA = Path(__file__).parent / ".data"
POSTGRES_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
MARIADB_ADMIN = "mysql+pymysql://root@127.0.0.1:3306/test"
START = datetime(2024, 1, 1)
BATCH = 5_000

_GIVEN = ("Anna", "Erik", "Maria", "Lars", "Karin", "Per", "Eva", "Nils", "Sara", "Olof")
_FAMILY = ("Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson")
_PATHS = ("/", "/cart", "/checkout", "/products", "/account", "/search")
_STATUS = ("paid", "shipped", "returned")

DDL = (
    "CREATE TABLE customers (id INTEGER PRIMARY KEY, customer_number VARCHAR(20) NOT NULL, "
    "first_name VARCHAR(60), last_name VARCHAR(60), email VARCHAR(200), phone VARCHAR(30), "
    "personnummer VARCHAR(13), created_at {ts} NOT NULL)",
    "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL "
    "REFERENCES customers (id), ordered_at {ts} NOT NULL, total NUMERIC(10, 2) NOT NULL, "
    "status VARCHAR(12) NOT NULL)",
    "CREATE TABLE web_events (id INTEGER PRIMARY KEY, customer_id INTEGER "
    "REFERENCES customers (id), occurred_at {ts} NOT NULL, ip_address VARCHAR(45) NOT NULL, "
    "mac_address VARCHAR(17), path VARCHAR(100) NOT NULL, status_code INTEGER NOT NULL)",
)
COLUMNS = {
    "customers": (
        "id",
        "customer_number",
        "first_name",
        "last_name",
        "email",
        "phone",
        "personnummer",
        "created_at",
    ),
    "orders": ("id", "customer_id", "ordered_at", "total", "status"),
    "web_events": (
        "id",
        "customer_id",
        "occurred_at",
        "ip_address",
        "mac_address",
        "path",
        "status_code",
    ),
}


def _personnummer(rng: random.Random, number: int) -> str:
    born = START.date() - timedelta(days=7_000 + rng.randrange(20_000))
    day = born.day + (60 if number % 20 == 0 else 0)
    nine = f"{born:%y%m}{day:02d}{rng.randrange(1000):03d}"
    return f"{born.year // 100}{nine[:6]}-{nine[6:]}{luhn.calc_check_digit(nine)}"


def _rows(table: str, count: int, customers: int, as_text: bool) -> Iterator[tuple[Any, ...]]:
    """Deterministic rows; timestamps as ISO text for SQLite (as SQLAlchemy stores them)."""
    rng = random.Random(f"{table}-{count}")

    def stamp(seconds: int) -> Any:
        moment = START + timedelta(seconds=seconds)
        return moment.isoformat(sep=" ") if as_text else moment

    if table == "customers":
        for i in range(1, count + 1):
            given, family = _GIVEN[i % len(_GIVEN)], _FAMILY[i % len(_FAMILY)]
            yield (
                i,
                f"K-{100_000 + i}",
                given,
                family,
                f"{given.lower()}.{family.lower()}{i}@exempel.se",
                f"070-{rng.randrange(10_000_000):07d}",
                _personnummer(rng, i),
                stamp(60 * i),
            )
    elif table == "orders":
        for i in range(1, count + 1):
            yield (
                i,
                rng.randrange(1, customers + 1),
                stamp(30 * i),
                f"{rng.randrange(100, 500_000) / 100:.2f}",
                _STATUS[i % 3],
            )
    else:
        for i in range(1, count + 1):
            yield (
                i,
                rng.randrange(1, customers + 1) if i % 4 else None,
                stamp(5 * i),
                f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}",
                ":".join(f"{rng.randrange(256):02x}" for _ in range(6)),
                _PATHS[i % len(_PATHS)],
                200 if i % 5 else 404,
            )


def _counts(rows: int) -> dict[str, int]:
    customers = rows // 10
    orders = rows * 3 // 10
    return {"customers": customers, "orders": orders, "web_events": rows - customers - orders}


def _insert_sql(table: str, marker: str) -> str:
    names = COLUMNS[table]
    return f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join([marker] * len(names))})"


def _batches(rows: Iterator[tuple[Any, ...]]) -> Iterator[list[tuple[Any, ...]]]:
    batch: list[tuple[Any, ...]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


# --- building ----------------------------------------------------------------------------------


def build_sqlite(path: Path, rows: int) -> None:
    counts = _counts(rows)
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA journal_mode = OFF")
        connection.execute("PRAGMA synchronous = OFF")
        for statement in DDL:
            connection.execute(statement.format(ts="DATETIME"))
        for table, count in counts.items():
            connection.executemany(
                _insert_sql(table, "?"), _rows(table, count, counts["customers"], as_text=True)
            )
        connection.commit()
    finally:
        connection.close()


def build_postgresql(url: str, rows: int) -> None:
    counts = _counts(rows)
    with psycopg.connect(_conninfo(url)) as connection:
        for statement in DDL:
            ddl = statement.format(ts="TIMESTAMP")
            connection.execute(ddl.replace(" REFERENCES customers (id)", ""))  # added after COPY
        for table, count in counts.items():
            names = ", ".join(COLUMNS[table])
            with connection.cursor().copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in _rows(table, count, counts["customers"], as_text=False):
                    copy.write_row(row)
        for table in ("orders", "web_events"):
            connection.execute(
                f"ALTER TABLE {table} ADD FOREIGN KEY (customer_id) REFERENCES customers (id)"
            )
        connection.commit()
        connection.autocommit = True
        connection.execute("ANALYZE")


def build_mariadb(url: str, rows: int) -> None:
    counts = _counts(rows)
    connection = _mariadb_connect(url)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SET foreign_key_checks = 0, unique_checks = 0")
            for statement in DDL:
                ddl = statement.format(ts="DATETIME")
                # MariaDB ignores a column-level REFERENCES: declare the keys as constraints.
                ddl = ddl.replace(" REFERENCES customers (id)", "")
                if "customer_id" in ddl:
                    ddl = ddl[:-1] + ", FOREIGN KEY (customer_id) REFERENCES customers (id))"
                cursor.execute(ddl + " ENGINE=InnoDB")
            for table, count in counts.items():
                sql = _insert_sql(table, "%s")
                for batch in _batches(_rows(table, count, counts["customers"], as_text=False)):
                    cursor.executemany(sql, batch)
            connection.commit()
            cursor.execute("ANALYZE TABLE customers, orders, web_events")
            cursor.fetchall()
    finally:
        connection.close()


# --- raw driver connections (for the floor) ----------------------------------------------------


def _conninfo(url: str) -> str:
    parsed = make_url(url)
    return (
        f"host={parsed.host} port={parsed.port or 5432} user={parsed.username} "
        f"dbname={parsed.database}"
    )


def _mariadb_connect(url: str) -> Any:
    parsed = make_url(url)
    return pymysql.connect(
        host=parsed.host,
        port=parsed.port or 3306,
        user=parsed.username or "root",
        database=parsed.database,
        charset="utf8mb4",
    )


def _raw_connect(kind: str, url: str) -> Any:
    if kind == "sqlite":
        path = make_url(url).database
        return sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    if kind == "postgresql":
        return psycopg.connect(_conninfo(url), options="-c default_transaction_read_only=on")
    connection = _mariadb_connect(url)
    with connection.cursor() as cursor:
        cursor.execute("SET SESSION TRANSACTION READ ONLY")
    return connection


# --- databases ---------------------------------------------------------------------------------


@contextmanager
def database(kind: str, rows: int) -> Iterator[str]:
    started = time.perf_counter()
    if kind == "sqlite":
        DATA.mkdir(exist_ok=True)
        path = DATA / f"discover-{rows}.db"
        if not path.exists():
            partial = path.with_suffix(".partial")
            partial.unlink(missing_ok=True)
            build_sqlite(partial, rows)
            partial.rename(path)
            print(f"  built {path.name}: {rows:,} rows in {time.perf_counter() - started:.1f} s")
        yield f"sqlite:///{path}"
        return
    admin_url = POSTGRES_ADMIN if kind == "postgresql" else MARIADB_ADMIN
    name = f"bench_discover_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    quote = '"' if kind == "postgresql" else "`"
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {quote}{name}{quote}"))
    url = f"{admin_url.rsplit('/', 1)[0]}/{name}"
    try:
        (build_postgresql if kind == "postgresql" else build_mariadb)(url, rows)
        print(f"  built {name}: {rows:,} rows in {time.perf_counter() - started:.1f} s")
        yield url
    finally:
        force = " WITH (FORCE)" if kind == "postgresql" else ""
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {quote}{name}{quote}{force}"))
        admin.dispose()


# --- timing ------------------------------------------------------------------------------------


def _median(runs: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _record(url: str, sample_rows: int) -> list[tuple[str, Any]]:
    statements: list[tuple[str, Any]] = []

    def listen(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_rest: Any) -> None:
        statements.append((statement, parameters))

    event.listen(Engine, "before_cursor_execute", listen)
    try:
        discover(url, sample_rows=sample_rows)
    finally:
        event.remove(Engine, "before_cursor_execute", listen)
    return statements


def _replay(kind: str, url: str, statements: Sequence[tuple[str, Any]]) -> None:
    connection = _raw_connect(kind, url)
    try:
        cursor = connection.cursor()
        for statement, parameters in statements:
            cursor.execute(statement, parameters or ())
            if cursor.description is not None:
                cursor.fetchall()
        connection.rollback()
    finally:
        connection.close()


def bench(kind: str, rows: int, sample_rows: int, runs: int) -> None:
    print(f"{kind}:")
    with database(kind, rows) as url:
        statements = _record(url, sample_rows)  # also warms the caches
        proposal = discover(url, sample_rows=sample_rows)
        took = _median(runs, lambda: discover(url, sample_rows=sample_rows))
        floor = _median(runs, lambda: _replay(kind, url, statements))
    selects = sum(1 for statement, _ in statements if " LIMIT " in statement.upper())
    print(
        f"  discover: {took * 1000:,.0f} ms (median of {runs}); {proposal.tables_read} tables, "
        f"{proposal.rows_sampled:,} rows sampled of {rows:,}"
    )
    print(
        f"  floor, the same {len(statements)} statements ({selects} LIMIT-ed SELECTs) via the "
        f"raw driver: {floor * 1000:,.0f} ms; discover = {took / floor:.1f}× the floor"
    )
    for finding in proposal.findings:
        print(f"    {finding.name}: {finding.rows_sampled} rows, {finding.method}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database", choices=("sqlite", "postgresql", "mariadb", "all"), default="sqlite"
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--sample-rows", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    kinds = ("sqlite", "postgresql", "mariadb") if args.database == "all" else (args.database,)
    for kind in kinds:
        bench(kind, args.rows, args.sample_rows, args.runs)


if __name__ == "__main__":
    main()
