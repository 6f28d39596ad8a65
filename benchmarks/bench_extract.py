"""Registerutdrag time and peak memory as one subject's data grows, in a large register.

Adds a subject with N usage events (N = 1,000 / 10,000 / 100,000 by default) to the cached
100,000-customer database of bench_subject.py, writes the JSON and the PDF extract, and
reports time and the Python heap's peak (tracemalloc). Flat peak memory across N shows the
extract is streamed. The subject is erased again afterwards.

    python benchmarks/bench_extract.py [--customers 100000] [--events 1000,10000,100000]
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, insert
from sqlalchemy.orm import Session

sys.path.insert(0, os.path.dirname(__file__))
from bench_subject import BENCH_SECRET, REFERENCE, cached_engine

from dataskydd import crypto
from dataskydd.db.base import Base
from dataskydd.db.migrate import upgrade_to_head
from dataskydd.policy.loader import load_bundled_policy
from dataskydd.policy.schema import Policy
from dataskydd.register import service
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
    batch = [
        {
            "subject_id": subject.id,
            "occurred_at": start + timedelta(seconds=30 * n),
            "kind": "view",
            "device_type": "tv",
            "item": f"Program {n % 500}",
            "duration_seconds": 60 + n % 3000,
        }
        for n in range(events)
    ]
    for offset in range(0, events, 10_000):
        session.execute(insert(table), batch[offset : offset + 10_000])
    session.commit()
    return subject.id


def run_one(engine: Engine, policy: Policy, events: int) -> str:
    with Session(engine) as session:
        subject_id = add_heavy_subject(session, events)
        sink = _Counting()

        def json_extract() -> None:
            sink.chars = 0
            write_extract_json(session, sink, policy=policy, subject_id=subject_id)

        def pdf_extract() -> None:
            write_extract_pdf(session, io.BytesIO(), policy=policy, subject_id=subject_id)

        json_s, json_peak = measure(json_extract)
        pdf_s, pdf_peak = measure(pdf_extract)
        erase_subject(session, actor="bench", policy=policy, subject_id=subject_id, today=REFERENCE)
        session.commit()
    return (
        f"{events:>12,} | {json_s:>7.2f} | {json_peak:>12.1f} | {sink.chars / 1e6:>7.1f} | "
        f"{pdf_s:>6.2f} | {pdf_peak:>11.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--events", default="1000,10000,100000")
    args = parser.parse_args()
    crypto.install_keyring(crypto.Keyring(BENCH_SECRET))
    engine = cached_engine(args.customers)
    upgrade_to_head(engine)
    policy = load_bundled_policy()
    print(f"register: {args.customers:,} customers; reference date {REFERENCE}")
    print(
        f"{'usage events':>12} | {'JSON s':>7} | {'JSON peak MB':>12} | {'JSON MB':>7} | "
        f"{'PDF s':>6} | {'PDF peak MB':>11}"
    )
    for events in (int(n) for n in args.events.split(",")):
        print(run_one(engine, policy, events))
    engine.dispose()


if __name__ == "__main__":
    main()
