"""Web latency and throughput on the 100,000-customer register of bench_subject.py.

    python benchmarks/bench_web.py [--customers 100000] [--requests 300] [--duration 10]

Works on a fresh copy of bench_subject's cached database (benchmarks/.data/), because every
read through the web writes an audit row. One `dataskydd serve` process (one uvicorn worker,
loopback only) answers everything. Measured, from the bottom up, for
`purpose=customer_relationship`:

1. raw sqlite3: the SELECTs `show_subject` issues for a subject (captured from SQLAlchemy,
   replayed with the sqlite3 module: no ORM, no audit row);
2. the service: `datamap.subject_view.show_subject` in-process (ORM, audit row, commit);
3. the API over HTTP: GET /api/v1/subjects/{id}?purpose=... with an API key, one request at a
   time on a keep-alive connection (p50/p99);
4. the staff page over HTTP: GET /subjects/{id}/view?purpose=... signed in as customer
   service (p50/p99);
5. requests/s of (3) under `wrk` (Lua script: Authorization header, rotating subject ids),
   and of GET /healthz on the same server as the ceiling of the stack without database work.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from bench_subject import BENCH_SECRET, DATA, cached_engine, percentiles
from serving import free_port, start_server
from sqlalchemy import event, text
from sqlalchemy.orm import Session

from dataskydd import crypto
from dataskydd.auth import api_keys, sessions
from dataskydd.auth import service as auth_service
from dataskydd.auth.access import operator_context
from dataskydd.datamap import subject_view
from dataskydd.db.migrate import upgrade_to_head
from dataskydd.db.session import make_engine, make_session_factory, transaction
from dataskydd.policy.loader import load_bundled_policy

PURPOSE = "customer_relationship"
OPERATOR = operator_context("cli:bench")
WRK = shutil.which("wrk") or "/usr/bin/wrk"
Row = tuple[str, int, float | None, float | None, float | None]


def fresh_copy(customers: int) -> Path:
    source = DATA / f"subject-{customers}.db"
    cached_engine(customers).dispose()  # builds it when missing
    target = DATA / f"web-{customers}.db"
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(source, target)
    engine = make_engine(f"sqlite:///{target}")
    upgrade_to_head(engine)  # the cache may predate a migration that only adds tables
    engine.dispose()
    return target


def prepare(url: str, rng: random.Random, n: int) -> tuple[str, str, list[int]]:
    """A customer-service session, a read key for the purpose, and `n` customers to read."""
    engine = make_engine(url)
    with transaction(make_session_factory(engine)) as session:
        policy = load_bundled_policy()
        reader = next(k for k, r in policy.roles.items() if PURPOSE in r.purposes)
        user, _password = auth_service.create_staff_user(
            session, policy=policy, username="bench-kundtjanst", role=reader
        )
        _record, cookie = sessions.start_session(session, user)
        _row, key = api_keys.create_api_key(
            session, actor="bench", policy=load_bundled_policy(), name="bench", purposes=[PURPOSE]
        )
        customers = list(
            session.scalars(text("SELECT subject_id FROM subject_role WHERE role = 'customer'"))
        )
    engine.dispose()
    return cookie, key, rng.sample(sorted(customers), min(n, len(customers)))


def in_process(url: str, path: Path, ids: list[int]) -> dict[str, list[float]]:
    """show_subject in-process (rolled back, and committed as a request does), then the same
    SELECTs (per subject) with raw sqlite3."""
    policy = load_bundled_policy()
    engine = make_engine(url)
    factory = make_session_factory(engine)
    captured: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, params: Any, *_rest: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "audit_entry" not in statement:
            captured.append((statement, params))

    event.listen(engine, "before_cursor_execute", capture)
    replays: list[list[tuple[str, Any]]] = []
    with Session(engine) as session:
        for subject_id in ids:
            captured.clear()
            subject_view.show_subject(
                session, caller=OPERATOR, policy=policy, subject_id=subject_id, purpose=PURPOSE
            )
            replays.append(list(captured))
        session.rollback()
    event.remove(engine, "before_cursor_execute", capture)

    # The capture pass above also warmed the page cache for the timed passes.
    rolled_back_ms, committed_ms = [], []
    for subject_id in ids:
        started = time.perf_counter()
        with factory() as session:
            subject_view.show_subject(
                session, caller=OPERATOR, policy=policy, subject_id=subject_id, purpose=PURPOSE
            )
            session.rollback()
        rolled_back_ms.append((time.perf_counter() - started) * 1000)
    for subject_id in ids:
        started = time.perf_counter()
        with transaction(factory) as session:
            subject_view.show_subject(
                session, caller=OPERATOR, policy=policy, subject_id=subject_id, purpose=PURPOSE
            )
        committed_ms.append((time.perf_counter() - started) * 1000)

    engine.dispose()

    raw = sqlite3.connect(path)
    raw_ms = []
    for statements in replays:
        started = time.perf_counter()
        for statement, params in statements:
            raw.execute(statement, params).fetchall()
        raw_ms.append((time.perf_counter() - started) * 1000)
    raw.close()
    return {
        "raw sqlite3, same SELECTs": raw_ms,
        "show_subject, rolled back": rolled_back_ms,
        "show_subject + audit commit": committed_ms,
    }


def sequential(client: httpx.Client, paths: list[str], headers: dict[str, str]) -> list[float]:
    for path in paths[:20]:  # warm-up: imports, templates, page cache
        client.get(path, headers=headers)
    latencies = []
    for path in paths:
        started = time.perf_counter()
        response = client.get(path, headers=headers)
        latencies.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{path}: {response.status_code} {response.text[:300]}")
    return latencies


LUA = """
local ids = {%(ids)s}
local n = 0
wrk.headers["Authorization"] = "Bearer %(key)s"
request = function()
  n = n + 1
  local id = ids[(n %% #ids) + 1]
  return wrk.format("GET", "/api/v1/subjects/" .. id .. "?purpose=%(purpose)s")
end
"""


def run_wrk(
    base: str, path: str, *, duration: int, connections: int, script: str | None = None
) -> dict[str, float]:
    args = [WRK, "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "10s"]
    if script:
        args += ["-s", script]
    output = subprocess.run([*args, base + path], capture_output=True, text=True, check=True)
    text_out = output.stdout

    def number(pattern: str) -> float:
        match = re.search(pattern, text_out)
        return float(match.group(1)) if match else 0.0

    def millis(label: str) -> float:
        match = re.search(rf"^\s+{label}\s+([\d.]+)(us|ms|s)\s*$", text_out, re.MULTILINE)
        if not match:
            return float("nan")
        scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[match.group(2)]
        return float(match.group(1)) * scale

    return {
        "rps": number(r"Requests/sec:\s+([\d.]+)"),
        "requests": number(r"(\d+) requests in"),
        "non2xx": number(r"Non-2xx or 3xx responses: (\d+)"),
        "errors": sum(
            float(x) for x in re.findall(r"(?:connect|read|write|timeout) (\d+)", text_out)
        ),
        "p50": millis("50%"),
        "p99": millis("99%"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=300, help="per latency measurement")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections")
    parser.add_argument(
        "--wal", action="store_true", help="put the copy in WAL mode (what-if; the app does not)"
    )
    args = parser.parse_args()
    crypto.install_keyring(crypto.Keyring(BENCH_SECRET))
    rng = random.Random(3)

    copied_at = time.perf_counter()
    path = fresh_copy(args.customers)
    url = f"sqlite:///{path}"
    print(f"copied the cached register to {path.name} in {time.perf_counter() - copied_at:.1f} s")
    if args.wal:
        with sqlite3.connect(path) as connection:  # persistent: the server opens it in WAL
            connection.execute("PRAGMA journal_mode=WAL")
    cookie, key, ids = prepare(url, rng, args.requests)
    rows: list[Row] = []
    for name, ms in in_process(url, path, ids).items():
        rows.append((name, len(ms), *percentiles(ms)[::2], None))

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(url, port, secret=BENCH_SECRET, log=sys.stderr)
    try:
        with httpx.Client(base_url=base, timeout=30) as client:
            api = sequential(
                client,
                [f"/api/v1/subjects/{i}?purpose={PURPOSE}" for i in ids],
                {"Authorization": f"Bearer {key}"},
            )
            rows.append(("API GET /api/v1/subjects/{id}", len(api), *percentiles(api)[::2], None))
            page = sequential(
                client,
                [f"/subjects/{i}/view?purpose={PURPOSE}" for i in ids],
                {"Cookie": f"dataskydd_session={cookie}"},
            )
            rows.append(("page GET /subjects/{id}/view", len(page), *percentiles(page)[::2], None))
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write(LUA % {"ids": ",".join(map(str, ids)), "key": key, "purpose": PURPOSE})
        try:
            loads = {
                "wrk API reads": run_wrk(
                    base,
                    "/",
                    duration=args.duration,
                    connections=args.connections,
                    script=script.name,
                ),
                "wrk /healthz": run_wrk(
                    base, "/healthz", duration=args.duration, connections=args.connections
                ),
            }
        finally:
            os.unlink(script.name)
    finally:
        server.terminate()
        server.wait(timeout=10)

    mode = "WAL" if args.wal else "rollback journal (default)"
    print(
        f"\n{args.customers:,} customers, SQLite {mode}; one uvicorn worker; "
        f"wrk -t1 -c{args.connections} -d{args.duration}s\n"
    )
    print(f"{'operation':<34}{'n':>7}{'p50 ms':>10}{'p99 ms':>10}{'req/s':>10}")
    for name, n, p50, p99, _rps in rows:
        print(f"{name:<34}{n:>7}{p50:>10.2f}{p99:>10.2f}{'':>10}")
    for name, result in loads.items():
        print(
            f"{name:<34}{int(result['requests']):>7}{result['p50']:>10.2f}{result['p99']:>10.2f}"
            f"{result['rps']:>10,.0f}"
        )
        if result["non2xx"] or result["errors"]:
            failed, errors = int(result["non2xx"]), int(result["errors"])
            print(f"  ! {failed} non-2xx responses, {errors} socket errors")


if __name__ == "__main__":
    main()
