"""Load test: `dataskydd serve` under 100 and 500 concurrent connections, one worker and four.

    python benchmarks/bench_load.py [--seconds 60] [--connections 100,500] [--workers 1,4]
        [--database sqlite|postgresql|both] [--customers 2000]
        [--targets api,staff,collect,healthz] [--concurrent-requests N]

Not a test (CI's pass/fail never depends on it): the issue-9 figures. For each database (a
fresh SQLite file in a temporary directory; PostgreSQL in a throw-away schema) with a
`generate_demo` register, an API key and a signed-in staff session, one server per worker
count; against it, for each target and connection count, `wrk` (apt-get install wrk) for
`--seconds`:

- api      GET /api/v1/subjects/{random customer}?purpose=… with the key (an audited read)
- staff    GET /start with the staff session's cookie (a logged-in page)
- collect  POST /collect, a page view of a consenting visitor, each to its own path
- healthz  GET /healthz (the ceiling: no database, no thread)

Printed per run: requests/s, p50 and p99 (ms), answers by status class, 503s (shed by
admission control, each with Retry-After), transport errors, and for /collect the events
answered 204 against the rows stored afterwards (lost = answered but not stored; must be 0).
`healthz` is the ceiling: what the server does with no work per request. Beside every run a
probe asks /healthz every 200 ms on a new connection, as a load balancer does; "health" is
its median and slowest answer (ms) under that load.
"""

from __future__ import annotations

import argparse
import json
import re
import socket
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from serving import free_port, fresh_database, start_server, stop
from sqlalchemy import Engine, text

from dataskydd import crypto
from dataskydd.auth import api_keys, sessions
from dataskydd.auth.service import create_staff_user
from dataskydd.db.migrate import upgrade_to_head
from dataskydd.db.session import make_session_factory, transaction
from dataskydd.demo import generate_demo
from dataskydd.policy.loader import load_bundled_policy
from dataskydd.web.deps import SESSION_COOKIE

SECRET = "benchmark-only-secret-never-use-in-production-0123456789"  # noqa: S105
REFERENCE = date(2026, 11, 24)
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) bench-load"
TARGETS = ("api", "staff", "collect", "healthz")

# One script for every target: `request` builds the target's request, `response` counts the
# answers per status class in each wrk thread, `done` prints them as one JSON line.
LUA = r"""
local target, key, cookie = "%(target)s", "%(key)s", "%(cookie)s"
local purpose, visitor = "%(purpose)s", "%(visitor)s"
local ids = {%(ids)s}
local threads = {}
local counter = 0
local prefix = ""

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  prefix = "/load/" .. "%(run)s" .. "/" .. id .. "/"
  s2, s3, s4, s5, s503, other = 0, 0, 0, 0, 0, 0
  wrk.headers["User-Agent"] = "%(agent)s"
  if target == "api" then
    wrk.headers["Authorization"] = "Bearer " .. key
  elseif target == "staff" then
    wrk.headers["Cookie"] = cookie
  elseif target == "collect" then
    wrk.method = "POST"
    wrk.headers["Content-Type"] = "application/json"
  end
end

function request()
  if target == "api" then
    local id = ids[math.random(#ids)]
    return wrk.format(nil, "/api/v1/subjects/" .. id .. "?purpose=" .. purpose)
  elseif target == "staff" then
    return wrk.format(nil, "/start")
  elseif target == "collect" then
    counter = counter + 1
    local body = '{"kind":"view","page":"' .. prefix .. counter ..
      '","visitor_id":"' .. visitor .. '"}'
    return wrk.format(nil, "/collect", nil, body)
  end
  return wrk.format(nil, "/healthz")
end

function response(status, headers, body)
  if status == 503 then s503 = s503 + 1
  elseif status >= 500 then s5 = s5 + 1
  elseif status >= 400 then s4 = s4 + 1
  elseif status >= 300 then s3 = s3 + 1
  elseif status >= 200 then s2 = s2 + 1
  else other = other + 1 end
end

function done(summary, latency, requests)
  local t = {s2 = 0, s3 = 0, s4 = 0, s5 = 0, s503 = 0, other = 0}
  for _, thread in ipairs(threads) do
    for k, _ in pairs(t) do t[k] = t[k] + thread:get(k) end
  end
  io.write(string.format(
    'RESULT {"s2":%%d,"s3":%%d,"s4":%%d,"s5":%%d,"s503":%%d,"other":%%d,' ..
    '"p50":%%f,"p99":%%f,"requests":%%d,"errors":%%d,"timeouts":%%d}\n',
    t.s2, t.s3, t.s4, t.s5, t.s503, t.other,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.requests,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status,
    summary.errors.timeout))
end
"""


@dataclass
class Prepared:
    key: str
    cookie: str
    purpose: str
    visitor: str
    ids: list[int]


def prepare(engine: Engine, customers: int) -> Prepared:
    policy = load_bundled_policy()
    upgrade_to_head(engine)
    generate_demo(engine, customers=customers, seed=1, reference_date=REFERENCE)
    # The first purpose the policy lets an API key read subjects for, as a connected system
    # would; the first role for the staff session (any signed-in user sees /start).
    purpose = next(iter(policy.purposes))
    role = next(iter(policy.roles))
    with transaction(make_session_factory(engine)) as session:
        _row, key = api_keys.create_api_key(
            session, actor="bench", policy=policy, name="bench-load", purposes=[purpose]
        )
        user, _password = create_staff_user(
            session, policy=policy, username="bench-load", role=role
        )
        _record, token = sessions.start_session(session, user)
        ids = list(session.scalars(text("SELECT id FROM subject ORDER BY id")))
    return Prepared(key, f"{SESSION_COOKIE}={token}", purpose, uuid.uuid4().hex, ids)


def consent_for(base: str, visitor: str) -> None:
    """The visitor grants every optional banner choice, so its page views are stored."""
    banner = load_bundled_policy().consent_banner
    assert banner is not None, "the bundled policy has a consent banner"
    response = httpx.post(
        f"{base}/consent",
        json={
            "visitor_id": visitor,
            "text_version": banner.text_version,
            "granted": list(banner.optional_choices),
        },
        headers={"User-Agent": BROWSER},
        timeout=30,
    )
    response.raise_for_status()


def run_wrk(
    base: str, target: str, connections: int, seconds: float, prepared: Prepared, workdir: Path
) -> dict[str, float]:
    run = uuid.uuid4().hex[:8]
    script = workdir / f"{target}-{run}.lua"
    script.write_text(
        LUA
        % {
            "target": target,
            "key": prepared.key,
            "cookie": prepared.cookie,
            "purpose": prepared.purpose,
            "visitor": prepared.visitor,
            "ids": ",".join(str(i) for i in prepared.ids[:5000]),
            "run": run,
            "agent": BROWSER,
        }
    )
    threads = min(4, connections)
    command = [
        *("wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "30s"),
        *("--latency", "-s", str(script), base),
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    match = re.search(r"^RESULT (\{.*\})$", output, re.MULTILINE)
    if match is None:
        raise SystemExit(f"wrk printed no result:\n{output}")
    result: dict[str, float] = json.loads(match.group(1))
    result["rps"] = result["requests"] / seconds
    result["run"] = run  # type: ignore[assignment]
    return result


class HealthProbe:
    """/healthz asked every 200 ms beside the load, on its own connection each time: the
    slowest answer says whether a saturated server still answers its health check."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.slowest_ms = 0.0
        self.times_ms: list[float] = []
        self.failures = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> HealthProbe:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        # As a load balancer asks: a new TCP connection, one request, read to the close. (An
        # httpx client per probe would time its own TLS-context set-up, 5-15 ms on a busy core.)
        address = urlsplit(self.base)
        request = f"GET /healthz HTTP/1.1\r\nHost: {address.netloc}\r\nConnection: close\r\n\r\n"
        while not self._stop.wait(0.2):
            began = time.perf_counter()
            try:
                with socket.create_connection((address.hostname, address.port), timeout=5) as conn:
                    conn.sendall(request.encode())
                    answer = b""
                    while chunk := conn.recv(4096):
                        answer += chunk
                ok = answer.startswith(b"HTTP/1.1 200 ")
            except OSError:
                ok = False
            self.failures += not ok
            elapsed = (time.perf_counter() - began) * 1000
            self.times_ms.append(elapsed)
            self.slowest_ms = max(self.slowest_ms, elapsed)


def stored_events(engine: Engine, run: str) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(
                text("SELECT count(*) FROM page_event WHERE path LIKE :p"), {"p": f"/load/{run}/%"}
            ).scalar_one()
        )


def report(target: str, connections: int, workers: int, result: dict[str, float]) -> str:
    line = (
        f"  {target:<8}{connections:>6}{workers:>4}{result['rps']:>10,.0f}"
        f"{result['p50']:>9,.1f}{result['p99']:>9,.1f}{int(result['s2']):>9,}"
        f"{int(result['s3'] + result['s4']):>6,}{int(result['s503']):>7,}{int(result['s5']):>6,}"
        f"{int(result['errors'] + result['timeouts']):>7,}"
        f"{result['health_p50']:>7,.0f} /{result['health_ms']:>6,.0f}"
    )
    if result["health_failed"]:
        line += f"   healthz failed {int(result['health_failed'])}x"
    if "stored" in result:
        # wrk stops counting with requests in flight; those can be stored but never counted
        lost = max(0, int(result["s2"] - result["stored"]))
        line += f"   stored {int(result['stored']):,}, lost {lost:,}"
    return line


def run_database(kind: str, args: argparse.Namespace) -> None:
    with (
        tempfile.TemporaryDirectory(prefix="bench-load-") as tmp,
        fresh_database(kind, Path(tmp), args.postgres_url) as (url, engine),
    ):
        workdir = Path(tmp)
        began = time.perf_counter()
        prepared = prepare(engine, args.customers)
        print(
            f"\n== {kind}: {len(prepared.ids):,} subjects ready in "
            f"{time.perf_counter() - began:.1f} s; {args.seconds:g} s per run"
        )
        print(
            f"  {'target':<8}{'conns':>6}{'wrk':>4}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}"
            f"{'2xx':>9}{'3-4xx':>6}{'503':>7}{'5xx':>6}{'socket':>7}{'health p50/max':>15}"
        )
        for workers in args.workers:
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            with (workdir / f"server-{workers}.log").open("w+b") as log:
                server = start_server(
                    url,
                    port,
                    secret=SECRET,
                    log=log,
                    workers=workers,
                    extra_env={
                        "DATASKYDD_AUDIT_CHECKPOINT_FILE": str(workdir / "checkpoints.jsonl"),
                        "DATASKYDD_COOKIE_SECURE": "false",
                        **(
                            {"DATASKYDD_CONCURRENT_REQUESTS": str(args.concurrent_requests)}
                            if args.concurrent_requests
                            else {}
                        ),
                    },
                )
                try:
                    consent_for(base, prepared.visitor)
                    for target in args.targets:
                        for connections in args.connections:
                            with HealthProbe(base) as probe:
                                result = run_wrk(
                                    base, target, connections, args.seconds, prepared, workdir
                                )
                            result["health_ms"] = probe.slowest_ms
                            result["health_p50"] = statistics.median(probe.times_ms or [0.0])
                            result["health_failed"] = probe.failures
                            if target == "collect":
                                result["stored"] = stored_events(engine, str(result["run"]))
                            print(report(target, connections, workers, result), flush=True)
                            time.sleep(1)  # let the last answers' work finish
                finally:
                    stop(server)
                log.seek(0)
                server_log = log.read().decode(errors="replace")
            if "Traceback" in server_log or "ERROR" in server_log:
                print("  server log (last 3,000 characters):\n" + server_log[-3000:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--connections", default="100,500")
    parser.add_argument("--workers", default="1,4")
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--targets", default=",".join(TARGETS))
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    parser.add_argument(
        "--concurrent-requests",
        type=int,
        default=0,
        help="DATASKYDD_CONCURRENT_REQUESTS of the server (default: the app's own default)",
    )
    args = parser.parse_args()
    args.connections = [int(c) for c in args.connections.split(",")]
    args.workers = [int(w) for w in args.workers.split(",")]
    args.targets = [t for t in args.targets.split(",") if t]
    unknown = set(args.targets) - set(TARGETS)
    if unknown:
        parser.error(f"unknown targets: {', '.join(sorted(unknown))}")
    crypto.install_keyring(crypto.Keyring(SECRET))
    kinds = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    for kind in kinds:
        run_database(kind, args)


if __name__ == "__main__":
    main()
