"""100 concurrent API reads against `dataskydd serve`: errors, throughput, and the audit chain.

    python benchmarks/bench_audit_concurrency.py [--seconds 60] [--clients 100]
        [--customers 300] [--database sqlite|postgresql|both]
        [--postgres-url postgresql+psycopg://postgres@127.0.0.1:5432/test]

Every personal-data read writes one audit entry under the chain lock, so concurrent reads are
concurrent writers of one chain. For each database: a fresh one (SQLite file in a temporary
directory; PostgreSQL in a throw-away schema, dropped afterwards) with `generate_demo` data and
an API key for `customer_relationship`; one `dataskydd serve` process (one uvicorn worker,
loopback only, checkpoints into the temporary directory); `--clients` threads, each with its own
keep-alive httpx client, reading random customers with GET /api/v1/subjects/{id} for
`--seconds`. Printed: requests, errors (any status but 200/403, or a transport error),
requests/s, p50/p99 latency, audit entries added against audited answers (a 403 refusal is
audited like a read; the two must be equal), and `verify_against_checkpoint` afterwards.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import httpx
from serving import free_port, fresh_database, start_server, stop
from sqlalchemy import Engine, func, select, text

from dataskydd import crypto
from dataskydd.audit import service as audit_service
from dataskydd.audit.models import AuditEntry
from dataskydd.auth import api_keys
from dataskydd.db.migrate import upgrade_to_head
from dataskydd.db.session import make_session_factory, transaction
from dataskydd.demo import generate_demo
from dataskydd.policy.loader import load_bundled_policy

SECRET = "benchmark-only-secret-never-use-in-production-0123456789"  # noqa: S105
PURPOSE = "customer_relationship"
REFERENCE = date(2026, 11, 24)
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@dataclass
class Load:
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)


def prepare(engine: Engine, customers: int) -> tuple[str, list[int]]:
    upgrade_to_head(engine)
    generate_demo(engine, customers=customers, seed=1, reference_date=REFERENCE)
    with transaction(make_session_factory(engine)) as session:
        _row, key = api_keys.create_api_key(
            session, actor="bench", policy=load_bundled_policy(), name="bench", purposes=[PURPOSE]
        )
        ids = list(
            session.scalars(text("SELECT subject_id FROM subject_role WHERE role = 'customer'"))
        )
    return key, ids


def hammer(base: str, key: str, ids: list[int], *, clients: int, seconds: float) -> Load:
    load = Load()
    start = threading.Barrier(clients + 1)
    stop_at: list[float] = []

    def client(seed: int) -> None:
        rng = random.Random(seed)
        headers = {"Authorization": f"Bearer {key}"}
        latencies: list[float] = []
        statuses: Counter[str] = Counter()
        # Generous timeout: a queued request is slow, not failed; a failure must be real.
        with httpx.Client(base_url=base, timeout=120, headers=headers) as http:
            start.wait()
            while time.monotonic() < stop_at[0]:
                path = f"/api/v1/subjects/{rng.choice(ids)}?purpose={PURPOSE}"
                began = time.perf_counter()
                try:
                    status = str(http.get(path).status_code)
                except httpx.HTTPError as error:
                    status = type(error).__name__
                latencies.append((time.perf_counter() - began) * 1000)
                statuses[status] += 1
        with load.lock:
            load.latencies_ms.extend(latencies)
            load.statuses.update(statuses)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    stop_at.append(time.monotonic() + seconds)
    start.wait()
    for thread in threads:
        thread.join()
    return load


def entry_count(engine: Engine) -> int:
    with make_session_factory(engine)() as session:
        return int(session.scalar(select(func.count()).select_from(AuditEntry)) or 0)


def run(kind: str, args: argparse.Namespace) -> None:
    with (
        tempfile.TemporaryDirectory(prefix="bench-audit-") as tmp,
        fresh_database(kind, Path(tmp), args.postgres_url) as (url, engine),
    ):
        workdir = Path(tmp)
        prepared_at = time.perf_counter()
        key, ids = prepare(engine, args.customers)
        print(
            f"\n== {kind}: {len(ids)} customers ready in {time.perf_counter() - prepared_at:.1f} s"
        )
        checkpoints = workdir / "checkpoints.jsonl"
        port = free_port()
        with (workdir / "server.log").open("w+b") as log:
            server = start_server(
                url,
                port,
                secret=SECRET,
                log=log,
                extra_env={"DATASKYDD_AUDIT_CHECKPOINT_FILE": str(checkpoints)},
            )
            try:
                before = entry_count(engine)
                load = hammer(
                    f"http://127.0.0.1:{port}",
                    key,
                    ids,
                    clients=args.clients,
                    seconds=args.seconds,
                )
            finally:
                stop(server)
            log.seek(0)
            server_log = log.read().decode(errors="replace")
        added = entry_count(engine) - before
        with make_session_factory(engine)() as session:
            report = audit_service.verify_against_checkpoint(session, checkpoints)
    report_load(kind, args, load, added, report)
    if "locked" in server_log or "Traceback" in server_log:
        print("  server log:\n" + server_log[-3000:])


def report_load(
    kind: str,
    args: argparse.Namespace,
    load: Load,
    added: int,
    report: audit_service.ChainReport,
) -> None:
    total = sum(load.statuses.values())
    audited = load.statuses["200"] + load.statuses["403"]
    errors = total - audited
    cuts = statistics.quantiles(load.latencies_ms, n=100, method="inclusive")
    print(f"  {args.clients} clients for {args.seconds:g} s, one uvicorn worker")
    print(f"  requests       {total:>10,}   by status: {dict(load.statuses)}")
    print(f"  errors         {errors:>10,}")
    print(f"  requests/s     {total / args.seconds:>10,.1f}")
    print(f"  p50 / p99 ms   {cuts[49]:>10,.1f} / {cuts[98]:,.1f}")
    verdict = "equal" if added == audited else "NOT EQUAL"
    print(f"  audit entries  {added:>10,} added for {audited:,} audited answers ({verdict})")
    if report.ok:
        print(
            f"  audit verify   intact: {report.checked:,} entries, matches checkpoint of "
            f"{audit_service.describe_time(report.checkpoint_at) if report.checkpoint_at else '-'}"
            f" ({report.checkpoint_count} entries, {report.checkpoints_checked} checkpoints)"
        )
    else:
        print(f"  audit verify   BROKEN at #{report.first_broken_id}: {report.reason}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--customers", type=int, default=300)
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    args = parser.parse_args()
    crypto.install_keyring(crypto.Keyring(SECRET))
    kinds = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    for kind in kinds:
        run(kind, args)


if __name__ == "__main__":
    main()
