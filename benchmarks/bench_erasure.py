"""Erasure of a subject owning 1,000 rows, in process, beside its raw DML floor (issue 13).

    python benchmarks/bench_erasure.py [--database sqlite|postgresql|all] [--customers 2000]
                                       [--runs 15] [--postgres-url URL]

Per backend, a throw-away register (a SQLite file under benchmarks/.data/, or a schema of
its own in the PostgreSQL database of --postgres-url, dropped afterwards), migrated to head,
filled by `generate_demo` (seed 1, reference date 2026-11-24). 2 × --runs active private
customers are picked and each is topped up with usage events to own exactly 1,000 rows across
the register's mapped tables; their recent invoices keep what bookkeeping needs (the plan
keeps some categories, restricted, and erases the rest), so the erasure both deletes and
blanks. Then, per run, a pair of them:

* erasure: `subject_requests.erasure.erase_subject(…)` in `db.session.transaction`, as the
  CLI and the web app run it, the commit and what follows it included: the plan (counts,
  legal duty, holds), the other systems of the data map (none configured here), the DELETEs
  and UPDATEs, the restrictions, the consents withdrawn, the audit entry, and after the
  commit SQLite's truncating WAL checkpoint. Every statement it sends is recorded.
* floor: the DELETE and UPDATE statements that erasure sent to the register's mapped tables,
  the same SQL, replayed for the twin (its subject id in place of the other's) through the raw
  driver connection (the app's connect settings; SQLite's `BEGIN IMMEDIATE`), then COMMIT;
  on SQLite then `PRAGMA wal_checkpoint(TRUNCATE)`, which the erasure also needs after its
  commit so that the erased rows' page images leave the -wal file.

Medians over the runs; afterwards both subjects of every pair must own no erased rows.
Goal (issue 13): the erasure ≤ 3× its floor.
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, func, insert, select, text
from sqlalchemy.orm import Session

import dataskydd.all_models  # noqa: F401 - every table on Base.metadata
from dataskydd import crypto
from dataskydd.datamap import entries, queries
from dataskydd.db.base import Base
from dataskydd.db.migrate import upgrade_to_head
from dataskydd.db.session import make_engine, make_session_factory, transaction
from dataskydd.demo import generate_demo
from dataskydd.policy.loader import load_bundled_policy
from dataskydd.subject_requests.erasure import erase_subject

DATA = Path(__file__).parent / ".data"
REFERENCE = date(2026, 11, 24)
SECRET = "benchmark-only-secret-never-use-in-production-0123456789"  # noqa: S105
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_d"
ROWS = 1000


@contextmanager
def fresh_engine(backend: str, postgres_url: str) -> Iterator[Engine]:
    if backend == "sqlite":
        DATA.mkdir(exist_ok=True)
        path = DATA / "bench-erasure.db"
        path.unlink(missing_ok=True)
        engine = make_engine(f"sqlite:///{path}")
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
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def owned(session: Session, subject_id: int) -> int:
    total = 0
    for entry in entries.register_tables():
        condition = queries.subject_condition(entry, subject_id)
        table = queries.table_of(entry)
        total += session.scalar(select(func.count()).select_from(table).where(condition)) or 0
    return total


def prepare(engine: Engine, customers: int, count: int) -> list[int]:
    generate_demo(engine, customers=customers, seed=1, reference_date=REFERENCE)
    usage = Base.metadata.tables["usage_event"]
    start = datetime.combine(REFERENCE - timedelta(days=200), datetime.min.time(), UTC)
    with Session(engine) as session:
        chosen = list(
            session.scalars(
                text(
                    "SELECT s.id FROM subject s JOIN subject_role r ON r.subject_id = s.id "
                    "WHERE s.personnummer_index IS NOT NULL AND r.role = 'customer' "
                    "AND r.ended_on IS NULL ORDER BY s.id"
                )
            )
        )
        picked: list[int] = []
        for subject_id in chosen:
            have = owned(session, subject_id)
            if have > ROWS:
                continue
            session.execute(
                insert(usage),
                [
                    {
                        "subject_id": subject_id,
                        "occurred_at": start + timedelta(minutes=7 * n),
                        "kind": "view",
                        "device_type": "tv",
                        "item": f"Program {n % 50}",
                        "duration_seconds": 60 + n,
                    }
                    for n in range(ROWS - have)
                ],
            )
            picked.append(subject_id)
            if len(picked) == count:
                break
        session.commit()
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    return picked


@dataclass
class Recorder:
    statements: list[tuple[str, Any]] = field(default_factory=list)

    def __call__(self, _conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        self.statements.append((statement, parameters))

    def dml(self, tables: set[str]) -> list[tuple[str, Any]]:
        """The DELETEs and UPDATEs on the register's mapped tables, in the order sent."""
        kept = []
        for statement, parameters in self.statements:
            words = statement.split()
            verb = words[0].upper()
            target = words[2] if verb == "DELETE" else words[1] if verb == "UPDATE" else ""
            if target.strip('"') in tables:
                kept.append((statement, parameters))
        return kept

    def kinds(self) -> dict[str, int]:
        counted: dict[str, int] = {}
        for statement, _ in self.statements:
            verb = statement.split()[0].upper()
            counted[verb] = counted.get(verb, 0) + 1
        return counted


def _swap(parameters: Any, old: int, new: int) -> Any:
    if isinstance(parameters, dict):
        return {k: new if v == old and type(v) is int else v for k, v in parameters.items()}
    return tuple(new if v == old and type(v) is int else v for v in parameters)


def floor(engine: Engine, dml: list[tuple[str, Any]], old: int, new: int) -> float:
    raw = engine.raw_connection()
    driver = raw.driver_connection
    try:
        started = time.perf_counter()
        cursor = driver.cursor()
        if engine.dialect.name == "sqlite":
            cursor.execute("BEGIN IMMEDIATE")
        for statement, parameters in dml:
            cursor.execute(statement, _swap(parameters, old, new))
        driver.commit()
        if engine.dialect.name == "sqlite":
            # What the erasure must do after its commit to keep its promise: the page images
            # of the erased rows leave the -wal file (journal_mode=WAL, db/session.py).
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        elapsed = time.perf_counter() - started
        cursor.close()
    finally:
        raw.close()
    return elapsed


def run(backend: str, postgres_url: str, customers: int, runs: int) -> None:
    policy = load_bundled_policy()
    tables = {entry.table for entry in entries.register_tables()}
    with fresh_engine(backend, postgres_url) as engine:
        upgrade_to_head(engine)
        subjects = prepare(engine, customers, 2 * runs + 2)
        warm, twins = subjects[:2], subjects[2:]
        factory = make_session_factory(engine)
        erasure_ms: list[float] = []
        floor_ms: list[float] = []
        kinds: dict[str, int] = {}
        floor_statements = 0
        for index in range(-1, runs):
            subject, twin = warm if index < 0 else twins[2 * index : 2 * index + 2]
            recorder = Recorder()
            event.listen(engine, "before_cursor_execute", recorder)
            started = time.perf_counter()
            with transaction(factory) as session:
                erase_subject(
                    session, actor="bench", policy=policy, subject_id=subject, today=REFERENCE
                )
            elapsed = time.perf_counter() - started
            event.remove(engine, "before_cursor_execute", recorder)
            dml = recorder.dml(tables)
            floor_s = floor(engine, dml, subject, twin)
            if index < 0:
                continue  # warming up: statement caches, the first audit checkpoint
            erasure_ms.append(elapsed * 1000)
            floor_ms.append(floor_s * 1000)
            kinds, floor_statements = recorder.kinds(), len(dml)
        with Session(engine) as session:
            left = [owned(session, s) for s in twins]
    erasure, base = statistics.median(erasure_ms), statistics.median(floor_ms)
    print(f"\n{backend}: {customers:,} demo customers; {runs} pairs of subjects of {ROWS:,} rows")
    print(
        f"  erasure sent {sum(kinds.values())} statements ({_kinds(kinds)}); "
        f"the floor {floor_statements} and the commit"
    )
    print(f"  {'median of ' + str(runs):<44}{'ms':>9}{'p10 ms':>9}{'p90 ms':>9}")
    for label, values in (
        ("erase_subject + commit, in process", erasure_ms),
        ("floor: its DELETE/UPDATEs, raw driver + COMMIT", floor_ms),
    ):
        deciles = statistics.quantiles(values, n=10)
        print(
            f"  {label:<44}{statistics.median(values):>9.2f}{deciles[0]:>9.2f}{deciles[-1]:>9.2f}"
        )
    ratio = erasure / base
    verdict = "met" if ratio <= 3 else "NOT met"
    print(
        f"  rows left (kept, restricted and blanked), erased by the app: "
        f"{_spread(left[0::2])}; by the floor: {_spread(left[1::2])}"
    )
    print(f"  ratio (erasure ÷ floor): {ratio:.1f}× — goal ≤ 3× {verdict}")


def _spread(values: list[int]) -> str:
    return f"{min(values)}–{max(values)}"


def _kinds(kinds: dict[str, int]) -> str:
    return ", ".join(f"{count} {verb}" for verb, count in sorted(kinds.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql", "all"), default="all")
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--postgres-url", default=POSTGRES)
    args = parser.parse_args()
    crypto.install_keyring(crypto.Keyring(SECRET))
    backends = ("sqlite", "postgresql") if args.database == "all" else (args.database,)
    for backend in backends:
        run(backend, args.postgres_url, args.customers, args.runs)


if __name__ == "__main__":
    main()
