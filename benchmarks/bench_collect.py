"""/collect and the pixel against a do-nothing endpoint on the same server (issue 14's
line-speed goal: >= 80 % of its requests/s), stored events against answered ones, and a raw
batch insert of the same rows.

    python benchmarks/bench_collect.py [--visitors 5000] [--duration 10] [--connections 50]
                                       [--linger 0,0.002] [--rounds 2]

A fresh SQLite database (WAL) gets `--visitors` consent records granting every banner choice,
so every view answered 204 and every pixel answered 200 must be a page_event row. One server
process (benchmarks/collect_server.py: `dataskydd serve`'s app and uvicorn settings, plus a
no-op POST and a no-op GIF on the banner's own router, so they pass the same layers) then
takes, in turns, `wrk` runs against the no-op POST, POST /collect (consent.js-style
`text/plain` page views with rotating visitor ids, a browser user agent), the no-op GIF and
the pixel with utm values: once per DATASKYDD_COLLECT_BATCH_SECONDS value in `--linger` (how
long the group-commit writer waits for more events before committing; every answer waits for
its batch's commit). "ratio" is the collector's requests/s over its no-op's in the same round.
"answered" is wrk's 2xx count, "stored" the page_event rows written in the same run: stored >=
answered, the difference being requests still in flight when wrk stopped. The raw baseline
inserts as many rows with sqlite3.executemany in one transaction: the database's ceiling.
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import sqlite3
import subprocess
import sys
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
wrk.headers["User-Agent"] = "%(ua)s"
request = function()
  n = n + 1
  local id = ids[(n %% #ids) + 1]
  if "%(kind)s" == "post" then
    local body = '{"kind":"view","page":"' .. pages[(n %% 4) + 1] .. '?utm_source=bench",' ..
      '"visitor_id":"' .. id .. '","visit_id":"' .. id .. '","previous":"/demo-site/"}'
    local headers = {["Content-Type"] = "text/plain", ["User-Agent"] = "%(ua)s"}
    return wrk.format("POST", "%(path)s", headers, body)
  end
  return wrk.format("GET", "%(path)s?v=" .. id .. "&s=" .. id .. "&p=" ..
    pages[(n %% 4) + 1] .. "%%3Futm_source%%3Dnews%%26utm_campaign%%3Dbench")
end
"""
# (label, path, kind, role): the no-op and the no-op that waits one loop turn before the
# collector they are the floors of.
TARGETS = (
    ("no-op POST", "/bench/noop", "post", "floor"),
    ("no-op POST, one loop turn", "/bench/wait", "post", "wait"),
    ("POST /collect", "/collect", "post", "store"),
    ("no-op GIF", "/bench/noop.gif", "get", "floor"),
    ("no-op GIF, one loop turn", "/bench/wait.gif", "get", "wait"),
    ("pixel", "/collect/pixel.gif", "get", "store"),
)


def _all_choices() -> str:
    from dataskydd.policy.loader import load_bundled_policy

    banner = load_bundled_policy().consent_banner
    assert banner is not None
    return ",".join(banner.purposes)


GRANTED = _all_choices()


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
            [(i, GRANTED, "", now, BROWSER[:120]) for i in ids],
        )
    return ids


def run_wrk(base: str, script: str, *, duration: int, connections: int) -> dict[str, float]:
    args = [WRK, "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "10s"]
    output = subprocess.run(
        [*args, "-s", script, base + "/"], capture_output=True, text=True, check=True
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


def start(path: Path, port: int, linger: float, writer: str) -> subprocess.Popen[bytes]:
    server = Path(__file__).with_name("collect_server.py")
    return start_server(
        f"sqlite:///{path}",
        port,
        secret=SECRET,
        extra_env={"DATASKYDD_COLLECT_BATCH_SECONDS": str(linger), "BENCH_COLLECT_WRITER": writer},
        command=[sys.executable, str(server), str(port)],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visitors", type=int, default=5000)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=2, help="turns through the four targets")
    parser.add_argument(
        "--linger", default="0,0.002", help="DATASKYDD_COLLECT_BATCH_SECONDS values"
    )
    parser.add_argument(
        "--writer",
        default="loop",
        help="where SQLite batches are written: loop (as served), thread, or loop,thread",
    )
    args = parser.parse_args()
    lingers = [float(value) for value in args.linger.split(",")]
    writers = args.writer.split(",")
    if not set(writers) <= {"loop", "thread"}:
        raise SystemExit("--writer: loop, thread, or both separated by a comma")
    crypto.install_keyring(crypto.Keyring(SECRET))
    workdir = Path(tempfile.mkdtemp(prefix="bench-collect-"))
    rows = []
    try:
        for writer, linger in [(w, linger) for w in writers for linger in lingers]:
            setting = f"{writer}, {linger * 1000:g} ms"
            path = workdir / f"collect-{writer}-{linger}.db"
            ids = prepare(path, args.visitors, random.Random(7))
            scripts = {}
            for _label, target, kind, _stores in TARGETS:
                script = workdir / f"{kind}-{len(scripts)}.lua"
                script.write_text(
                    LUA
                    % {
                        "ids": ",".join(f'"{i}"' for i in ids),
                        "ua": BROWSER,
                        "kind": kind,
                        "path": target,
                    }
                )
                scripts[target] = str(script)
            port = free_port()
            server = start(path, port, linger, writer)
            try:
                base = f"http://127.0.0.1:{port}"
                for _label, target, _kind, _stores in TARGETS:  # warm-up
                    run_wrk(base, scripts[target], duration=1, connections=args.connections)
                time.sleep(0.5)
                for round_ in range(1, args.rounds + 1):
                    floors: dict[str, float] = {}
                    for label, target, _kind, role in TARGETS:
                        stores = role == "store"
                        before = count_events(path)
                        result = run_wrk(
                            base,
                            scripts[target],
                            duration=args.duration,
                            connections=args.connections,
                        )
                        time.sleep(0.5)  # requests wrk abandoned at its end
                        stored = count_events(path) - before
                        answered = int(result["requests"] - result["non2xx"])
                        ratios = (
                            (result["rps"] / floors["floor"], result["rps"] / floors["wait"])
                            if stores
                            else None
                        )
                        floors[role] = result["rps"]
                        rows.append(
                            (setting, round_, label, result, answered, stored, stores, ratios)
                        )
            finally:
                server.terminate()
                server.wait(timeout=20)
            raw = raw_insert(path, 20_000)
            rows.append((setting, 0, "raw executemany rows/s", {"rps": raw}, 0, 0, False, None))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(
        f"\nOne server process (SQLite WAL, one uvicorn worker), {args.visitors:,} consenting "
        f"visitors, wrk -t1 -c{args.connections} -d{args.duration}s per run\n"
    )
    print(
        "| writer, linger | round | target | requests/s | ratio to its no-op "
        "| ratio to its one-turn no-op | p50 ms | p99 ms | non-2xx | answered | stored |"
    )
    print("|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    lost = []
    for setting, round_, label, r, answered, stored, stores, ratios in rows:
        if round_ == 0:
            print(f"| {setting} | | {label} | {r['rps']:,.0f} | | | | | | | |")
            continue
        shown = ("", "") if ratios is None else (f"{ratios[0]:.2f}", f"{ratios[1]:.2f}")
        print(
            f"| {setting} | {round_} | {label} | {r['rps']:,.0f} | {shown[0]} | {shown[1]} "
            f"| {r['p50']:.1f} | {r['p99']:.1f} | {r['non2xx']:.0f} | {answered:,} | {stored:,} |"
        )
        if stores and stored < answered:
            lost.append(f"{label} ({setting}, round {round_})")
    if lost:
        raise SystemExit(f"answered but not stored: {', '.join(lost)}")


if __name__ == "__main__":
    main()
