"""/collect throughput: requests/s under `wrk` against one uvicorn worker, stored events
against answered ones, and a raw batch insert of the same rows.

    python benchmarks/bench_collect.py [--visitors 5000] [--duration 10] [--connections 8]
                                       [--linger 0,0.002,0.01]

A fresh SQLite database (WAL) gets `--visitors` consent records, all granting analytics, so
every event answered 204 must be a page_event row. One `dataskydd serve` process (loopback
only) then takes POST /collect page views from `wrk` (Lua script: rotating visitor ids, a
browser user agent, text/plain JSON like consent.js), once per DATASKYDD_COLLECT_BATCH_SECONDS
value in `--linger` (how long the group-commit writer waits for more events before committing
a batch; every answer waits for its batch's commit). "answered" is wrk's 2xx count, "stored"
the page_event rows written in the same run: stored ≥ answered, the difference being requests
still in flight when wrk stopped. The raw baseline inserts the same number of rows with
sqlite3.executemany in one transaction: the ceiling of the database.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import sqlite3
import subprocess
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from serving import free_port, start_server

from dataskydd import crypto
from dataskydd.db.migrate import upgrade_to_head
from dataskydd.db.session import make_engine

SECRET = "bench-collect-secret-" + "x" * 40
WRK = shutil.which("wrk") or "/usr/bin/wrk"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36"
LUA = """
local ids = {%(ids)s}
local pages = {"/demo-site/", "/demo-site/bredband", "/demo-site/tv", "/demo-site/kundservice"}
local n = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "text/plain"
wrk.headers["User-Agent"] = "%(ua)s"
request = function()
  n = n + 1
  local id = ids[(n %% #ids) + 1]
  local body = '{"kind":"view","page":"' .. pages[(n %% 4) + 1] .. '?utm_source=bench",' ..
    '"visitor_id":"' .. id .. '","visit_id":"' .. id .. '","previous":"/demo-site/"}'
  return wrk.format(nil, "/collect", nil, body)
end
"""


def prepare(path: Path, visitors: int, rng: random.Random) -> list[str]:
    engine = make_engine(f"sqlite:///{path}")
    upgrade_to_head(engine)
    engine.dispose()
    ids = [f"{rng.getrandbits(128):032x}" for _ in range(visitors)]
    now = datetime.now(UTC).isoformat(sep=" ")
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.executemany(
            "INSERT INTO consent_record (visitor_id, granted, refused, text_version, "
            "recorded_at, user_agent, gpc) VALUES (?, ?, ?, '2026-11-24', ?, ?, 0)",
            [(i, "analytics", "marketing,personalisation", now, BROWSER[:120]) for i in ids],
        )
    return ids


def run_wrk(base: str, script: str, *, duration: int, connections: int) -> dict[str, float]:
    args = [WRK, "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "10s"]
    output = subprocess.run(
        [*args, "-s", script, base + "/collect"], capture_output=True, text=True, check=True
    ).stdout

    def number(pattern: str) -> float:
        match = re.search(pattern, output)
        return float(match.group(1)) if match else 0.0

    def millis(label: str) -> float:
        match = re.search(rf"^\s+{label}\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
        scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[match.group(2)] if match else 0
        return float(match.group(1)) * scale if match else float("nan")

    return {
        "rps": number(r"Requests/sec:\s+([\d.]+)"),
        "requests": number(r"(\d+) requests in"),
        "non2xx": number(r"Non-2xx or 3xx responses: (\d+)"),
        "p50": millis("50%"),
        "p99": millis("99%"),
    }


def count_events(path: Path) -> int:
    with sqlite3.connect(path) as connection:
        return int(connection.execute("SELECT count(*) FROM page_event").fetchone()[0])


def raw_insert(path: Path, n: int) -> float:
    """rows/s of one executemany transaction of n page_event rows on the same database."""
    now = datetime.now(UTC).isoformat(sep=" ")
    row = (
        "a" * 32,
        "b" * 32,
        now,
        "view",
        "/demo-site/",
        "/demo-site/",
        None,
        "bench",
        None,
        None,
        "127.0.0.0/24",
        "desktop",
    )
    with sqlite3.connect(path) as connection:
        started = time.perf_counter()
        connection.executemany(
            "INSERT INTO page_event (visitor_id, visit_id, occurred_at, kind, path, "
            "referrer_path, seconds_on_page, utm_source, utm_medium, utm_campaign, ip_network, "
            "device) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [row] * n,
        )
        connection.commit()
        return n / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visitors", type=int, default=5000)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument(
        "--linger", default="0,0.002,0.01", help="DATASKYDD_COLLECT_BATCH_SECONDS values"
    )
    args = parser.parse_args()
    lingers = [float(value) for value in args.linger.split(",")]
    crypto.install_keyring(crypto.Keyring(SECRET))
    workdir = Path(tempfile.mkdtemp(prefix="bench-collect-"))
    results = []
    try:
        for linger in lingers:
            path = workdir / f"collect-{linger}.db"
            ids = prepare(path, args.visitors, random.Random(7))
            with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
                script.write(LUA % {"ids": ",".join(f'"{i}"' for i in ids), "ua": BROWSER})
            port = free_port()
            server = start_server(
                f"sqlite:///{path}",
                port,
                secret=SECRET,
                extra_env={"DATASKYDD_COLLECT_BATCH_SECONDS": str(linger)},
            )
            try:
                base = f"http://127.0.0.1:{port}"
                run_wrk(base, script.name, duration=2, connections=args.connections)  # warm-up
                time.sleep(0.5)
                warm = count_events(path)
                result = run_wrk(
                    base, script.name, duration=args.duration, connections=args.connections
                )
                time.sleep(0.5)  # requests wrk abandoned at its end
            finally:
                server.terminate()
                server.wait(timeout=20)
            stored = count_events(path) - warm
            answered = int(result["requests"] - result["non2xx"])
            raw = raw_insert(path, max(stored, 1000))
            results.append((f"linger {linger * 1000:g} ms", result, answered, stored, raw))
            os.unlink(script.name)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(
        f"\nPOST /collect, group commit, {args.visitors:,} consenting visitors, one uvicorn "
        f"worker, wrk -t1 -c{args.connections} -d{args.duration}s, SQLite WAL\n"
    )
    print(
        "| DATASKYDD_COLLECT_BATCH_SECONDS | requests/s | p50 ms | p99 ms | non-2xx "
        "| answered 204 | stored | stored − answered | raw insert rows/s | stored/s ÷ raw |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for label, r, answered, stored, raw in results:
        per_second = stored / args.duration
        print(
            f"| {label} | {r['rps']:,.0f} | {r['p50']:.1f} | {r['p99']:.1f} | {r['non2xx']:.0f} "
            f"| {answered:,} | {stored:,} | {stored - answered:+,} | {raw:,.0f} "
            f"| {per_second / raw:.3f} |"
        )
    lost = [label for label, _r, answered, stored, _raw in results if stored < answered]
    if lost:
        raise SystemExit(f"events answered 204 but not stored: {', '.join(lost)}")


if __name__ == "__main__":
    main()
