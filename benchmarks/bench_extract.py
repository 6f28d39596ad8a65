"""Registerutdrag time and peak memory as one subject's data grows, in a large register.

Adds a subject with N usage events (N = 1,000 / 10,000 / 100,000 / 1,000,000 by default) to
the cached demo database of bench_subject.py, writes the JSON, the PDF, and the package the
CLI and the DPO's queue make (`service.export_extract`: JSON and PDF files from one read, and
the audit entry), and reports time and the Python heap's peak (tracemalloc). Flat peak memory
across N shows the extract is streamed. Beside them, the floor: the SELECTs the JSON issues
replayed through sqlite3, every row fetched (in batches) and nothing done with it. The
subject is erased again afterwards.

    python benchmarks/bench_extract.py [--customers 100000] [--events 1000,10000,100000,1000000]
"""

from __future__ import annotations

import argparse
import io
import os
import sqlite3
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, insert
from sqlalchemy.orm import Session

sys.path.insert(0, os.path.dirname(__file__))
from bench_subject import BENCH_SECRET, REFERENCE, cached_engine

from dataskydd import crypto
from dataskydd.auth.access import operator_context
from dataskydd.db.base import Base
from dataskydd.db.migrate import upgrade_to_head
from dataskydd.policy.loader import load_bundled_policy
from dataskydd.policy.schema import Policy
from dataskydd.register import service
from dataskydd.subject_requests import service as requests_service
from dataskydd.subject_requests.erasure import erase_subject
from dataskydd.subject_requests.extract import write_extract_json
from dataskydd.subject_requests.extract_pdf import write_extract_pdf


class _Counting(io.TextIOBase):
    """Discards text but counts it, so the measurement holds no output in memory."""

    def __init__(self) -> None:
        self.chars = 0

    def write(self, text: str) -> int:
        self.chars += len(text)
        return len(text)


def measure(work: Callable[[], object]) -> tuple[float, float]:
    """Seconds of a plain run, then the heap peak of a second run under tracemalloc (which
    slows Python down several times, so it is kept out of the timing)."""
    started = time.perf_counter()
    work()
    elapsed = time.perf_counter() - started
    tracemalloc.start()
    work()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return elapsed, peak / 1e6


def add_heavy_subject(session: Session, events: int) -> int:
    subject = service.create_subject(
        session,
        actor="bench",
        data={
            "given_name": "Bench",
            "family_name": f"Extract{events}",
            "emails": [f"bench{events}@example.com"],
        },
    )
    start = datetime(2025, 11, 1, tzinfo=UTC)
    table = Base.metadata.tables["usage_event"]
    for offset in range(0, events, 10_000):
        batch = [
            {
                "subject_id": subject.id,
                "occurred_at": start + timedelta(seconds=30 * n),
                "kind": "view",
                "device_type": "tv",
                "item": f"Program {n % 500}",
                "duration_seconds": 60 + n % 3000,
            }
            for n in range(offset, min(events, offset + 10_000))
        ]
        session.execute(insert(table), batch)
    session.commit()
    return subject.id


def recorded_selects(engine: Engine, work: Callable[[], object]) -> list[tuple[str, Any]]:
    sent: list[tuple[str, Any]] = []

    def listen(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_rest: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            sent.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", listen)
    try:
        work()
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    return sent


def floor_of(engine: Engine, statements: list[tuple[str, Any]]) -> float:
    """Seconds the raw driver takes for the statements, every row fetched in batches."""
    connection = sqlite3.connect(f"file:{engine.url.database}?mode=ro", uri=True)
    try:
        started = time.perf_counter()
        cursor = connection.cursor()
        for statement, parameters in statements:
            cursor.execute(statement, parameters)
            while cursor.fetchmany(1000):
                pass
        return time.perf_counter() - started
    finally:
        connection.close()


def run_one(engine: Engine, policy: Policy, events: int) -> str:
    with Session(engine) as session:
        subject_id = add_heavy_subject(session, events)
        sink = _Counting()

        def json_extract() -> None:
            sink.chars = 0
            write_extract_json(session, sink, policy=policy, subject_id=subject_id)

        def pdf_extract() -> None:
            write_extract_pdf(session, io.BytesIO(), policy=policy, subject_id=subject_id)

        folder = Path(tempfile.mkdtemp(prefix="bench-extract-"))

        def package() -> None:
            requests_service.export_extract(
                session,
                caller=operator_context("cli:bench"),
                policy=policy,
                subject_id=subject_id,
                directory=folder,
            )
            session.rollback()  # the audit entry is not kept

        floor_s = floor_of(engine, recorded_selects(engine, json_extract))
        json_s, json_peak = measure(json_extract)
        pdf_s, pdf_peak = measure(pdf_extract)
        package_s, package_peak = measure(package)
        for path in folder.iterdir():
            path.unlink()
        folder.rmdir()
        erase_subject(session, actor="bench", policy=policy, subject_id=subject_id, today=REFERENCE)
        session.commit()
    return (
        f"{events:>12,} | {floor_s:>7.2f} | {json_s:>7.2f} | {json_peak:>12.1f} | "
        f"{sink.chars / 1e6:>7.1f} | {pdf_s:>6.2f} | {pdf_peak:>11.1f} | {package_s:>9.2f} | "
        f"{package_peak:>15.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--events", default="1000,10000,100000,1000000")
    args = parser.parse_args()
    crypto.install_keyring(crypto.Keyring(BENCH_SECRET))
    engine = cached_engine(args.customers)
    upgrade_to_head(engine)
    policy = load_bundled_policy()
    print(f"register: {args.customers:,} customers; reference date {REFERENCE}")
    print(
        f"{'usage events':>12} | {'floor s':>7} | {'JSON s':>7} | {'JSON peak MB':>12} | "
        f"{'JSON MB':>7} | {'PDF s':>6} | {'PDF peak MB':>11} | {'package s':>9} | "
        f"{'package peak MB':>15}"
    )
    for events in (int(n) for n in args.events.split(",")):
        print(run_one(engine, policy, events))
    engine.dispose()


if __name__ == "__main__":
    main()
