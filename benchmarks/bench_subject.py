"""Latency of subject lookup and of the per-purpose subject view on a 100,000-customer register.

    python benchmarks/bench_subject.py [--customers 100000] [--queries 200]

The database is built once with `dataskydd demo` data and cached under benchmarks/.data/
(gitignored) together with the fixed benchmark key; later runs reuse it. Each lookup runs
through datamap.search.find_subjects (with the access decision), so the blind-index hashing
and the audit entry every search writes are part of the measured time. The session is rolled
back at the end so the cached file does not grow.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from datetime import date
from functools import partial
from pathlib import Path

from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from dataskydd import crypto
from dataskydd.auth.access import operator_context
from dataskydd.datamap import search as subject_search
from dataskydd.datamap import subject_view
from dataskydd.db.migrate import upgrade_to_head
from dataskydd.db.session import make_engine
from dataskydd.demo import generate_demo
from dataskydd.policy.loader import load_bundled_policy
from dataskydd.register import identifiers
from dataskydd.register.models import Subject

# The CLI's caller: any purpose, the subject's state still decides (the access decision).
OPERATOR = operator_context("cli:bench")

DATA = Path(__file__).parent / ".data"
# Fixed, benchmark-only key: the cached database must stay readable between runs.
BENCH_SECRET = "benchmark-only-secret-never-use-in-production-0123456789"  # noqa: S105
REFERENCE = date(2026, 11, 24)


def cached_engine(customers: int) -> Engine:
    path = DATA / f"subject-{customers}.db"
    fresh = not path.exists()
    if fresh:
        DATA.mkdir(exist_ok=True)
    partial = path.with_suffix(".partial")
    engine = make_engine(f"sqlite:///{partial if fresh else path}")
    if fresh:
        partial.unlink(missing_ok=True)
        upgrade_to_head(engine)
        started = time.perf_counter()
        summary = generate_demo(engine, customers=customers, seed=1, reference_date=REFERENCE)
        print(
            f"built {path.name}: {summary.total_rows:,} rows in "
            f"{time.perf_counter() - started:.0f} s"
        )
        with engine.connect() as connection:
            connection.execute(text("ANALYZE"))
        engine.dispose()
        partial.rename(path)  # only a complete build is ever reused
        engine = make_engine(f"sqlite:///{path}")
    return engine


def sample_queries(session: Session, rng: random.Random, n: int) -> dict[str, list[str]]:
    top = session.scalar(select(Subject.id).order_by(Subject.id.desc()).limit(1)) or 0
    ids = rng.sample(range(1, top + 1), min(top, n * 20))
    people = session.scalars(
        select(Subject).where(Subject.id.in_(ids), Subject.personnummer.is_not(None))
    ).all()[:n]
    orgs = session.scalars(
        select(Subject.organisationsnummer).where(Subject.organisationsnummer.is_not(None))
    ).all()

    def contact(kind: str) -> list[str]:
        statement = text(
            "SELECT value FROM contact_point WHERE kind = :kind AND subject_id IN "
            f"({','.join(map(str, ids))}) LIMIT :n"
        )
        return list(session.scalars(statement, {"kind": kind, "n": n}))

    return {
        "name": [f"{p.given_name} {p.family_name}" for p in people],
        "e-mail": contact("email"),
        "phone": [identifiers.format_phone_national(v) for v in contact("phone")],
        "personnummer": [
            identifiers.format_personnummer(p.personnummer) for p in people if p.personnummer
        ],
        "orgnr": rng.sample([o for o in orgs if o], min(n, len(orgs))),
    }


def timed(calls: list[Callable[[], object]]) -> list[float]:
    latencies = []
    for call in calls:
        started = time.perf_counter()
        call()
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def percentiles(ms: list[float]) -> tuple[float, float, float]:
    cuts = statistics.quantiles(ms, n=100, method="inclusive")
    return cuts[49], cuts[94], cuts[98]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    crypto.install_keyring(crypto.Keyring(BENCH_SECRET))
    engine = cached_engine(args.customers)
    policy = load_bundled_policy()
    rng = random.Random(2)
    with Session(engine) as session:
        subjects = session.scalar(text("SELECT count(*) FROM subject"))
        print(f"{subjects:,} subjects ({args.customers:,} customers)\n")
        print(f"{'query':<22}{'n':>5}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}")
        for kind, queries in sample_queries(session, rng, args.queries).items():
            find = partial(subject_search.find_subjects, session, policy=policy, caller=OPERATOR)
            ms = timed([partial(find, query=q) for q in queries])
            p50, p95, p99 = percentiles(ms)
            print(f"find by {kind:<14}{len(ms):>5}{p50:>10.2f}{p95:>10.2f}{p99:>10.2f}")
        customer_role = text("SELECT subject_id FROM subject_role WHERE role = 'customer'")
        customers = sorted(session.scalars(customer_role))
        chosen = rng.sample(customers, min(args.queries, len(customers)))
        show = partial(
            subject_view.show_subject,
            session,
            caller=OPERATOR,
            policy=policy,
            purpose="customer_relationship",
        )
        ms = timed([partial(show, subject_id=subject_id) for subject_id in chosen])
        p50, p95, p99 = percentiles(ms)
        print(f"{'show_subject':<22}{len(ms):>5}{p50:>10.2f}{p95:>10.2f}{p99:>10.2f}")
        session.rollback()  # drop the audit entries the benchmark wrote
    engine.dispose()


if __name__ == "__main__":
    main()
