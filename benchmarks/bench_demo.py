"""Throughput of `dataskydd demo`, and what SQLAlchemy costs over raw sqlite3.

    python benchmarks/bench_demo.py [--customers 10000] [--database-url URL]

1. End to end: generate_demo into a fresh database (SQLite file under benchmarks/.data/, or
   the given URL; a PostgreSQL URL gets a throw-away schema that is dropped afterwards).
2. SQLite only: the same rows built into memory first, then inserted (a) with SQLAlchemy Core
   executemany, as the generator does, and (b) with raw sqlite3 executemany into an identical
   schema, after converting values the way SQLAlchemy's types do (dates to ISO text,
   personnummer encrypted). The ratio is the price of going through SQLAlchemy.
"""

from __future__ import annotations

import argparse
import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

import dataskydd.all_models  # noqa: F401 - every table on Base.metadata
from dataskydd import crypto
from dataskydd.db.base import Base
from dataskydd.db.session import make_engine
from dataskydd.demo import generate_demo
from dataskydd.demo.generator import plan_demo, supplier_count, write_batch
from dataskydd.demo.records import TABLE_ORDER, Batch

DATA = Path(__file__).parent / ".data"
REFERENCE = date(2026, 11, 24)
SECRET = "benchmark-only-secret-never-use-in-production-0123456789"  # noqa: S105
CHUNK = 500


@contextmanager
def fresh_engine(url: str | None, name: str) -> Iterator[Engine]:
    if url is None or url.startswith("sqlite"):
        if url is None:
            path = DATA / f"{name}.db"
            DATA.mkdir(exist_ok=True)
            path.unlink(missing_ok=True)
            url = f"sqlite:///{path}"
        engine = make_engine(url)
        Base.metadata.create_all(engine)
        yield engine
        engine.dispose()
        return
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        Base.metadata.create_all(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def end_to_end(url: str | None, customers: int) -> None:
    with fresh_engine(url, "bench-demo") as engine:
        started = time.perf_counter()
        summary = generate_demo(engine, customers=customers, seed=1, reference_date=REFERENCE)
        elapsed = time.perf_counter() - started  # includes the commit
    print(
        f"end to end ({engine.dialect.name}): {customers:,} customers, "
        f"{summary.total_rows:,} rows in {elapsed:.1f} s = "
        f"{summary.total_rows / elapsed:,.0f} rows/s"
    )
    for table, count in summary.rows.items():
        print(f"  {table:<25}{count:>10,}")


def build_in_memory(engine: Engine, customers: int) -> list[Batch]:
    with Session(engine) as session, session.begin():
        builder = plan_demo(session, seed=1, reference_date=REFERENCE)
    batches = [builder.suppliers(supplier_count(customers))]
    for start in range(0, customers, CHUNK):
        batches.append(builder.customers(min(CHUNK, customers - start)))
    return batches


def _sqlite_value(column: str, value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if column == "personnummer" and value is not None:
        return crypto.current_keyring().encrypt(value, context="subject.personnummer")
    return value


def raw_insert(path: Path, batches: list[Batch]) -> tuple[float, float]:
    """Seconds for (conversion + executemany, executemany alone)."""
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA foreign_keys=ON")
    converted_in = inserted_in = 0.0
    for batch in batches:
        for table in TABLE_ORDER:
            rows = batch.rows[table]
            if not rows:
                continue
            started = time.perf_counter()
            columns = list(rows[0])
            values = [tuple(_sqlite_value(c, row[c]) for c in columns) for row in rows]
            converted = time.perf_counter()
            connection.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) "
                f"VALUES ({', '.join('?' * len(columns))})",
                values,
            )
            inserted = time.perf_counter()
            converted_in += converted - started
            inserted_in += inserted - converted
    started = time.perf_counter()
    connection.commit()
    inserted_in += time.perf_counter() - started
    connection.close()
    return converted_in + inserted_in, inserted_in


def compare_with_raw(customers: int) -> None:
    """Always on fresh files under benchmarks/.data/, whatever --database-url says."""
    with fresh_engine(None, "bench-sqlalchemy") as engine:
        started = time.perf_counter()
        batches = build_in_memory(engine, customers)
        built = time.perf_counter() - started
        rows = sum(batch.count() for batch in batches)
        started = time.perf_counter()
        with Session(engine) as session, session.begin():
            for batch in batches:
                write_batch(session, batch)
        orm = time.perf_counter() - started
    with fresh_engine(None, "bench-raw") as engine:
        with Session(engine) as session, session.begin():
            plan_demo(session, seed=1, reference_date=REFERENCE)  # the same catalogue rows
        raw_path = Path(str(engine.url.database))
    raw_total, raw_executemany = raw_insert(raw_path, batches)
    print(f"\nsame {rows:,} rows, built in memory in {built:.1f} s ({rows / built:,.0f} rows/s)")
    print(f"  SQLAlchemy Core executemany     {orm:6.1f} s  {rows / orm:>10,.0f} rows/s")
    print(
        f"  raw sqlite3 incl. conversion    {raw_total:6.1f} s  {rows / raw_total:>10,.0f} rows/s"
    )
    print(
        f"  raw sqlite3 executemany only    {raw_executemany:6.1f} s  "
        f"{rows / raw_executemany:>10,.0f} rows/s"
    )
    print(
        f"  ratio SQLAlchemy / raw: {orm / raw_total:.2f}× (incl. conversion), "
        f"{orm / raw_executemany:.2f}× (executemany only)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument(
        "--database-url",
        default=None,
        help="default: a fresh SQLite file under benchmarks/.data/; a PostgreSQL URL gets a "
        "throw-away schema",
    )
    args = parser.parse_args()
    crypto.install_keyring(crypto.Keyring(SECRET))
    end_to_end(args.database_url, args.customers)
    if args.database_url is None or args.database_url.startswith("sqlite"):
        compare_with_raw(args.customers)


if __name__ == "__main__":
    main()
