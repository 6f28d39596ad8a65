"""Throughput of `generate_demo` beside the raw driver writing the same rows (issue 13).

    python benchmarks/bench_demo.py [--customers 2000] [--database sqlite|postgresql|all]
                                    [--rounds 3] [--postgres-url URL]

Per backend, --rounds times, the two sides alternating (medians printed):
1. End to end: `generate_demo` into a fresh register (SQLite file under benchmarks/.data/, or
   a throw-away PostgreSQL schema dropped afterwards), timed up to and including the commit:
   building the rows, converting them, writing them (COPY / executemany), the sequences and
   the audit entry. Rows/s, and the process's peak RSS (flat: rows are built and written 500
   customers at a time).
2. The floor: the same rows (the same seed, built again chunk by chunk) already converted to
   the tuples the driver takes, written through the raw driver connection into another fresh
   register - PostgreSQL `cursor.copy` (`COPY … FROM STDIN`, `write_row`), SQLite
   `executemany` - with the same statements (one per table and chunk), then committed. Only
   the writing and the commit are timed; building and converting are reported apart.

Goal (issue 13): end to end ≥ 50 % of the floor's rows/s on both backends.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

import dataskydd.all_models  # noqa: F401 - every table on Base.metadata
from dataskydd import crypto
from dataskydd.db.base import Base
from dataskydd.db.session import make_engine
from dataskydd.demo import generate_demo
from dataskydd.demo.bulk import Shape
from dataskydd.demo.generator import CHUNK_CUSTOMERS, plan_demo, supplier_count
from dataskydd.demo.records import TABLE_ORDER, Batch

DATA = Path(__file__).parent / ".data"
REFERENCE = date(2026, 11, 24)
SECRET = "benchmark-only-secret-never-use-in-production-0123456789"  # noqa: S105
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_d"


@contextmanager
def fresh_engine(backend: str, postgres_url: str, name: str) -> Iterator[Engine]:
    if backend == "sqlite":
        DATA.mkdir(exist_ok=True)
        path = DATA / f"{name}.db"
        path.unlink(missing_ok=True)
        engine = make_engine(f"sqlite:///{path}")
        Base.metadata.create_all(engine)
        try:
            yield engine
        finally:
            engine.dispose()
            path.unlink(missing_ok=True)
        return
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(postgres_url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(postgres_url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        Base.metadata.create_all(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            name: connection.scalar(select(func.count()).select_from(Base.metadata.tables[name]))
            or 0
            for name in TABLE_ORDER
        }


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass
class Floor:
    rows: int
    seconds: float  # writing and commit only
    built_seconds: float
    converted_seconds: float
    counts: dict[str, int]


def end_to_end(
    backend: str, postgres_url: str, customers: int
) -> tuple[int, float, dict[str, int]]:
    with fresh_engine(backend, postgres_url, "bench-demo") as engine:
        started = time.perf_counter()
        summary = generate_demo(engine, customers=customers, seed=1, reference_date=REFERENCE)
        elapsed = time.perf_counter() - started  # the commit included
        return summary.total_rows, elapsed, _counts(engine)


def _write_raw(driver: Any, backend: str, table: str, columns: list[str], rows: list[Any]) -> None:
    names = ", ".join(f'"{c}"' for c in columns)
    if backend == "postgresql":
        with driver.cursor() as cursor, cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)
    else:
        marks = ", ".join("?" * len(columns))
        driver.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', rows)


def floor(backend: str, postgres_url: str, customers: int) -> Floor:
    with fresh_engine(backend, postgres_url, "bench-demo-floor") as engine:
        with Session(engine) as session, session.begin():
            # The same catalogue rows and start ids as the demo's own run.
            builder = plan_demo(session, seed=1, reference_date=REFERENCE)
        dialect = engine.dialect
        shapes: dict[str, Shape] = {}
        raw = engine.raw_connection()  # the app's connect settings (SQLite pragmas, schema)
        driver = raw.driver_connection
        if backend == "sqlite":
            driver.execute("BEGIN IMMEDIATE")  # as the app's sessions begin
        built = converted = written = 0.0
        rows = 0
        done = -1
        while done < customers:
            started = time.perf_counter()
            if done < 0:
                batch: Batch = builder.suppliers(supplier_count(customers))
                done = 0
            else:
                chunk = min(CHUNK_CUSTOMERS, customers - done)
                batch = builder.customers(chunk)
                done += chunk
            built += time.perf_counter() - started
            for name in TABLE_ORDER:
                table_rows = batch.rows[name]
                if not table_rows:
                    continue
                started = time.perf_counter()
                shape = shapes.get(name) or shapes.setdefault(
                    name, Shape(Base.metadata.tables[name], dialect, table_rows[0])
                )
                tuples = [shape.convert(row) for row in table_rows]
                converted += time.perf_counter() - started
                started = time.perf_counter()
                _write_raw(driver, backend, name, shape.columns, tuples)
                written += time.perf_counter() - started
                rows += len(tuples)
        started = time.perf_counter()
        driver.commit()
        written += time.perf_counter() - started
        raw.close()
        return Floor(rows, written, built, converted, _counts(engine))


def run(backend: str, postgres_url: str, customers: int, rounds: int) -> None:
    ends: list[float] = []
    floors: list[Floor] = []
    peak = 0.0
    same = True
    rows = 0
    for _ in range(rounds):  # alternating, so both sides see much the same load
        rows, seconds, counts = end_to_end(backend, postgres_url, customers)
        peak = peak or _peak_rss_mb()
        ends.append(seconds)
        floors.append(floor(backend, postgres_url, customers))
        same = same and counts == floors[-1].counts
    seconds = statistics.median(ends)
    written = statistics.median(f.seconds for f in floors)
    built = statistics.median(f.built_seconds for f in floors)
    converted = statistics.median(f.converted_seconds for f in floors)
    raw_name = (
        "raw COPY (cursor.copy, write_row)"
        if backend == "postgresql"
        else ("raw sqlite3 executemany")
    )
    print(f"\n{backend}, {customers:,} customers, {rows:,} rows (seed 1, reference {REFERENCE})")
    print(f"  median of {rounds} round(s){'':<30}{'s':>8}{'rows/s':>12}")
    for label, value in (
        ("generate_demo, end to end incl. commit", seconds),
        ("floor: " + raw_name, written),
        ("  (outside the floor: building the rows", built),
        ("   converting them to driver tuples)", converted),
    ):
        print(f"  {label:<48}{value:>8.2f}{rows / value:>12,.0f}")
    ratio = written / seconds
    agree = "same rows per table" if same else "ROW COUNTS DIFFER"
    print(f"  peak RSS after the first end-to-end run: {peak:,.0f} MB; {agree} in both registers")
    verdict = "met" if ratio >= 0.5 else "NOT met"
    print(f"  ratio (end to end ÷ floor, rows/s): {ratio:.2f} — goal ≥ 0.5 {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--database", choices=("sqlite", "postgresql", "all"), default="all")
    parser.add_argument("--postgres-url", default=POSTGRES)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    crypto.install_keyring(crypto.Keyring(SECRET))
    backends = ("sqlite", "postgresql") if args.database == "all" else (args.database,)
    for backend in backends:
        run(backend, args.postgres_url, args.customers, args.rounds)


if __name__ == "__main__":
    main()
