"""The registerutdrag package in process, beside its floor: JSON, PDF, and JSON + PDF + audit.

    python benchmarks/bench_registerutdrag.py [--database sqlite|postgresql|all]
        [--customers 10000] [--runs 30] [--postgres-url URL]

The register is `--customers` demo customers (seed 1, reference date 2026-11-24): on SQLite
the cached file of bench_subject.py (benchmarks/.data/subject-N.db), on PostgreSQL the
database of `--postgres-url` (default bench_registerutdrag on 127.0.0.1, created and filled on
the first run, reused after). Two subjects are measured:

* "typical": the person customer with e-mail and phone whose register rows are the median
  among them;
* "1,000 rows": a person added once (and kept) with 1,000 usage events and an e-mail.

Timed, median of `--runs` after a warm-up, the works taking turns within each round:

* floor: the SELECTs `write_extract_json` issues (recorded in the warm-up), replayed through
  the raw driver (sqlite3 / psycopg) on a connection opened once, every row fetched, nothing
  else done with them;
* `write_extract_json` into a StringIO;
* `write_extract_pdf` into a BytesIO, beside its own floor (the SELECTs it issues, replayed);
* `service.export_extract`: the whole package as the CLI and the DPO's queue make it (access
  decision, JSON and PDF files in a temporary directory, audit entry), rolled back after each
  run so the cached register does not grow.

Peer: Ethyca Fides 2.78.2's access request on the same machine and data took 463 ms for a
typical subject and 740 ms for one with 1,000 rows (issue 13; Fides cannot run here).
"""

from __future__ import annotations

import argparse
import io
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import Engine, create_engine, event, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

sys.path.insert(0, os.path.dirname(__file__))
from bench_subject import BENCH_SECRET, REFERENCE, cached_engine

from dataskydd import crypto
from dataskydd.auth.access import operator_context
from dataskydd.db.base import Base
from dataskydd.db.migrate import upgrade_to_head
from dataskydd.db.session import make_engine
from dataskydd.demo import generate_demo
from dataskydd.policy.loader import load_bundled_policy
from dataskydd.policy.schema import Policy
from dataskydd.register import service as register_service
from dataskydd.register.models import Subject
from dataskydd.subject_requests import service
from dataskydd.subject_requests.extract import write_extract_json
from dataskydd.subject_requests.extract_pdf import write_extract_pdf

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_registerutdrag"
OPERATOR = operator_context("cli:bench")
FIDES_MS = {"typical": 463.0, "1,000 rows": 740.0}
HEAVY_NAME = "Registerutdrag1000"


# --- the register ------------------------------------------------------------------------------


def postgres_engine(url: str, customers: int) -> Engine:
    """The PostgreSQL register, created and filled on the first run, reused after."""
    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": parsed.database}
        )
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()
    engine = make_engine(url)
    upgrade_to_head(engine)
    with engine.connect() as connection:
        have = connection.scalar(text("SELECT count(*) FROM subject_role WHERE role = 'customer'"))
    if not have:
        started = time.perf_counter()
        summary = generate_demo(engine, customers=customers, seed=1, reference_date=REFERENCE)
        with engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
        print(
            f"built {parsed.database}: {summary.total_rows:,} rows in "
            f"{time.perf_counter() - started:.0f} s"
        )
    return engine


_ROWS_PER_SUBJECT = " UNION ALL ".join(
    f"SELECT subject_id FROM {table}"
    for table in (
        "subject_role",
        "contact_point",
        "postal_address",
        "contract",
        "invoice",
        "correspondence",
        "support_case",
        "participation",
        "newsletter_subscription",
        "usage_event",
    )
)


def typical_subject(session: Session) -> tuple[int, int]:
    """The person customer with an e-mail and a phone whose rows (in the tables that refer to
    the subject directly) are the median among them, sampled from every 50th subject."""
    rows = session.execute(
        text(
            "SELECT s.id, count(*) AS n FROM subject s "
            f"JOIN ({_ROWS_PER_SUBJECT}) r ON r.subject_id = s.id "
            "WHERE s.kind = 'person' AND s.id % 50 = 7 "
            "AND EXISTS (SELECT 1 FROM subject_role sr WHERE sr.subject_id = s.id "
            "AND sr.role = 'customer') "
            "AND EXISTS (SELECT 1 FROM contact_point c WHERE c.subject_id = s.id "
            "AND c.kind = 'email') "
            "AND EXISTS (SELECT 1 FROM contact_point c WHERE c.subject_id = s.id "
            "AND c.kind = 'phone') "
            "GROUP BY s.id ORDER BY n, s.id"
        )
    ).all()
    subject_id, count = rows[len(rows) // 2]
    return int(subject_id), int(count)


def heavy_subject(session: Session) -> int:
    """The person with 1,000 usage events, added on the first run and kept."""
    found = session.scalar(select(Subject.id).where(Subject.family_name == HEAVY_NAME))
    if found is not None:
        return found
    subject = register_service.create_subject(
        session,
        actor="bench",
        data={
            "given_name": "Bench",
            "family_name": HEAVY_NAME,
            "emails": ["registerutdrag1000@example.com"],
        },
    )
    start = datetime(2025, 11, 1, tzinfo=UTC)
    session.execute(
        insert(Base.metadata.tables["usage_event"]),
        [
            {
                "subject_id": subject.id,
                "occurred_at": start + timedelta(minutes=30 * n),
                "kind": "view",
                "device_type": "tv",
                "item": f"Program {n % 500}",
                "duration_seconds": 60 + n % 3000,
            }
            for n in range(1000)
        ],
    )
    session.commit()
    return subject.id


# --- timing ------------------------------------------------------------------------------------


def medians_ms(runs: int, *works: Callable[[], object]) -> list[tuple[float, float]]:
    """Median wall ms and median CPU ms of this process for each work, after a warm-up; the
    works take turns within each round (in rotating order), so a busy moment on the shared
    machine falls on all of them alike. CPU time is the steadier figure on a loaded machine;
    on PostgreSQL it leaves out the server's work, so the floor's CPU is the driver's only."""
    for work in works:
        work()
    walls: list[list[float]] = [[] for _ in works]
    cpus: list[list[float]] = [[] for _ in works]
    for round_ in range(runs):
        for step in range(len(works)):
            index = (round_ + step) % len(works)
            started, cpu = time.perf_counter(), time.process_time()
            works[index]()
            walls[index].append(time.perf_counter() - started)
            cpus[index].append(time.process_time() - cpu)
    return [
        (statistics.median(w) * 1000, statistics.median(c) * 1000)
        for w, c in zip(walls, cpus, strict=True)
    ]


@contextmanager
def recording(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    statements: list[tuple[str, Any]] = []

    def listen(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_rest: Any) -> None:
        statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", listen)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", listen)


def raw_connect(engine: Engine) -> Any:
    url = engine.url
    if url.get_backend_name() == "sqlite":
        return sqlite3.connect(f"file:{url.database}?mode=ro", uri=True)
    return psycopg.connect(
        f"host={url.host} port={url.port or 5432} user={url.username} dbname={url.database}"
    )


def replay(connection: Any, statements: list[tuple[str, Any]]) -> int:
    """The floor: the statements through the raw driver, every row fetched, nothing done."""
    rows = 0
    cursor = connection.cursor()
    for statement, parameters in statements:
        cursor.execute(statement, parameters)
        rows += len(cursor.fetchall())
    cursor.close()
    connection.rollback()
    return rows


def selects_of(engine: Engine, work: Callable[[], object]) -> list[tuple[str, Any]]:
    with recording(engine) as sent:
        work()
    return [(s, p) for s, p in sent if s.lstrip().upper().startswith("SELECT")]


# --- the measurement ---------------------------------------------------------------------------


def measure(engine: Engine, policy: Policy, label: str, subject_id: int, runs: int) -> None:
    raw = raw_connect(engine)
    scratch = Path(tempfile.mkdtemp(prefix="bench-registerutdrag-"))
    try:
        with Session(engine) as session:

            def as_json() -> None:
                write_extract_json(session, io.StringIO(), policy=policy, subject_id=subject_id)
                session.rollback()

            def as_pdf() -> None:
                write_extract_pdf(session, io.BytesIO(), policy=policy, subject_id=subject_id)
                session.rollback()

            def package() -> None:
                service.export_extract(
                    session,
                    caller=OPERATOR,
                    policy=policy,
                    subject_id=subject_id,
                    directory=scratch,
                )
                session.flush()
                session.rollback()

            as_json()
            as_pdf()
            json_selects = selects_of(engine, as_json)
            pdf_selects = selects_of(engine, as_pdf)
            rows = replay(raw, json_selects)
            pdf_rows = replay(raw, pdf_selects)
            medians = medians_ms(
                runs,
                lambda: replay(raw, json_selects),
                as_json,
                lambda: replay(raw, pdf_selects),
                as_pdf,
                package,
            )
            pages = (scratch / service.PDF_NAME).read_bytes().count(b"/Type /Page\n")
    finally:
        raw.close()
        for path in scratch.iterdir():
            path.unlink()
        scratch.rmdir()
    fides = FIDES_MS[label]
    print(
        f"{label} subject {subject_id}: {rows} rows read by {len(json_selects)} SELECTs for the "
        f"JSON; the PDF: {len(pdf_selects)} SELECTs, {pdf_rows} rows, {pages} pages"
    )
    json_floor, json_ms, pdf_floor, pdf_ms, package_ms = medians
    print(f"  {'':<42}{'wall ms':>9}{'× floor':>9}{'CPU ms':>9}{'× floor':>9}")

    def line(label: str, took: tuple[float, float], floor: tuple[float, float] | None) -> None:
        if floor is None:
            print(f"  {label:<42}{took[0]:>9.2f}{'':>9}{took[1]:>9.2f}")
            return
        wall, cpu = took[0] / floor[0], took[1] / max(floor[1], 1e-3)
        print(f"  {label:<42}{took[0]:>9.2f}{wall:>8.1f}×{took[1]:>9.2f}{cpu:>8.1f}×")

    line("floor: JSON SELECTs, raw driver", json_floor, None)
    line("write_extract_json", json_ms, json_floor)
    line("floor: PDF SELECTs, raw driver", pdf_floor, None)
    line("write_extract_pdf", pdf_ms, pdf_floor)
    line("package: export_extract (JSON+PDF+audit)", package_ms, json_floor)
    print(
        f"  package beside Fides' {fides:.0f} ms (issue 13): {fides / package_ms[0]:.0f}× faster "
        f"(wall), {fides / package_ms[1]:.0f}× (CPU)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql", "all"), default="all")
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    args = parser.parse_args()
    crypto.install_keyring(crypto.Keyring(BENCH_SECRET))
    policy = load_bundled_policy()
    kinds = ("sqlite", "postgresql") if args.database == "all" else (args.database,)
    for kind in kinds:
        if kind == "sqlite":
            engine = cached_engine(args.customers)
            upgrade_to_head(engine)
        else:
            engine = postgres_engine(args.postgres_url, args.customers)
        with Session(engine) as session:
            typical, _rows = typical_subject(session)
            heavy = heavy_subject(session)
        load = ", ".join(f"{n:.1f}" for n in os.getloadavg())
        print(
            f"\n{kind}: {args.customers:,} demo customers; median of {args.runs} runs "
            f"(load average {load} on {os.cpu_count()} cores)"
        )
        measure(engine, policy, "typical", typical, args.runs)
        measure(engine, policy, "1,000 rows", heavy, args.runs)
        engine.dispose()


if __name__ == "__main__":
    main()
