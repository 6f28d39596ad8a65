"""Retention: rows erased per second by `run_retention`, beside a raw keyset DELETE (≥ 0.8).

    python benchmarks/bench_retention.py [--backend sqlite|postgresql|both] [--events 1000000]
        [--subjects 5000] [--batch-size 1000] [--postgres-url URL] [--timeout 1200]

Per backend, a throw-away register (a SQLite file in a temporary directory, or a new
PostgreSQL database `bench_retention_<random>` on 127.0.0.1:5432, dropped at the end),
migrated to head, with `--subjects` customers (each with an open customer role, so no
subject-level rule makes them due) and `--events` usage events. The usage rule is read from
the configured policy (the bundled one: 13 months after creation) for the category the data
map gives table usage_event; the events' times run evenly, in id order with up to an hour of
jitter, from as long before the rule's cut-off as today is after it, so about half are due.
Events are written with raw `executemany` (SQLite) or `COPY` (PostgreSQL; then
`VACUUM (ANALYZE)`, as autovacuum would), untimed; the due rows counted by that boundary must
equal the app's own `overdue_rows` for the category.

The register is then copied (the file; `CREATE DATABASE … TEMPLATE … STRATEGY FILE_COPY`), and
each side runs in a subprocess of its own (on PostgreSQL after a CHECKPOINT), so its peak RSS
is its own (VmHWM: Linux carries ru_maxrss over exec from the forked parent):

* floor: the due rows deleted through the raw driver (sqlite3 with the app's pragmas,
  psycopg), in batches of `--batch-size`, each batch one transaction: `SELECT id FROM
  usage_event WHERE occurred_at < :cut AND id > :last ORDER BY id LIMIT n`, then `DELETE FROM
  usage_event WHERE id IN (…)`, until the keyset finds nothing;
* retention: `run_retention(engine, policy, today=…, by=…, batch_size=…)` on an engine from
  `db.session.make_engine`, as `dataskydd retention run` does; the whole run is timed (every
  table's counts, the subject snapshot, the batches, the closing audit entry), and when its
  first and last usage_event DELETE were sent is noted.

After each side the remaining due rows are counted (must be 0) and the rows not due are
compared with a fingerprint taken before (count, sums of id, subject_id and duration, items).
Rows/s is rows erased over each side's wall time; the ratio is retention ÷ floor.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import random
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import create_engine, event, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

POSTGRES_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
# Fixed, benchmark-only key (the databases are thrown away; never reuse it).
BENCH_SECRET = "benchmark-only-secret-never-use-in-production-0123456789"  # noqa: S105
CHUNK = 100_000
KINDS = ("view", "navigation", "connection", "device")
DEVICES = ("tv-box", "mobil", "surfplatta", "dator", "router")
ITEMS = tuple(f"kanal {n}" for n in range(1, 60)) + tuple(f"film {n}" for n in range(1, 200))
JITTER_SECONDS = 3600.0
PROGRESS_EVERY = 15.0  # seconds between progress lines of a side


# --- the register ------------------------------------------------------------------------------


def bench_environment(scratch: Path) -> None:
    """Settings for this process and its children: the benchmark key, audit checkpoints in the
    scratch directory (never beside a real key file)."""
    os.environ["DATASKYDD_SECRET_KEY"] = BENCH_SECRET
    os.environ["DATASKYDD_KEY_FILE"] = str(scratch / "bench.key")
    os.environ["DATASKYDD_AUDIT_CHECKPOINT_FILE"] = str(scratch / "audit-checkpoints")


def usage_rule() -> tuple[str, Any, Any, dt.date, dt.datetime]:
    """(category, rule, policy, today, boundary): events before `boundary` (UTC) are due."""
    from dataskydd import runtime
    from dataskydd.config import get_settings
    from dataskydd.datamap import entries
    from dataskydd.policy.schema import AfterCreationRetention
    from dataskydd.retention import subjects
    from dataskydd.retention.rules import cutoff

    settings = get_settings()
    runtime.install_data_map(settings)
    policy = runtime.configured_policy(settings)
    entry = entries.by_table("usage_event")
    found = [
        (key, policy.categories[key].retention)
        for key in sorted(entry.categories)
        if isinstance(policy.categories[key].retention, AfterCreationRetention)
    ]
    if len(found) != 1 or entry.time_column != "occurred_at":
        sys.exit(f"usage_event needs exactly one after-creation rule by occurred_at: {found}")
    category, rule = found[0]
    from dataskydd.clock import today_in_sweden

    today = today_in_sweden()
    cut = cutoff(rule, today)
    boundary = subjects.start_of(cut.last_due + dt.timedelta(days=1))
    return category, rule, policy, today, boundary


@contextmanager
def throwaway_database(backend: str, scratch: Path, admin_url: str) -> Iterator[tuple[str, str]]:
    """(url, copy's url) of a new register and of the place its copy will go."""
    if backend == "sqlite":
        yield f"sqlite:///{scratch / 'retention.db'}", f"sqlite:///{scratch / 'floor.db'}"
        return
    name = f"bench_retention_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    base = admin_url.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}", f"{base}/{name}_floor"
    finally:
        with admin.connect() as connection:
            for db in (name, f"{name}_floor"):
                connection.execute(text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
        admin.dispose()


def checkpoint(admin_url: str) -> None:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text("CHECKPOINT"))
    admin.dispose()


def copy_database(url: str, copy_url: str, admin_url: str) -> None:
    source, target = make_url(url).database, make_url(copy_url).database
    if make_url(url).get_backend_name() == "sqlite":
        shutil.copyfile(source, target)
        return
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(
            text(f'CREATE DATABASE "{target}" TEMPLATE "{source}" STRATEGY FILE_COPY')
        )
    admin.dispose()


def add_subjects(url: str, count: int, today: dt.date) -> list[int]:
    """Migrate, then `count` customers with an open role (none is due by a subject rule)."""
    from dataskydd.db.migrate import upgrade_to_head
    from dataskydd.db.session import make_engine
    from dataskydd.register.models import Subject, SubjectRole

    engine = make_engine(url)
    try:
        upgrade_to_head(engine)
        with Session(engine) as session:
            people = [
                {
                    "kind": "person",
                    "given_name": f"Kund{n}",
                    "family_name": "Bench",
                    "search_name": f"kund{n} bench",
                }
                for n in range(1, count + 1)
            ]
            session.execute(insert(Subject), people)
            ids = list(session.scalars(select(Subject.id).order_by(Subject.id)))
            roles = [
                {"subject_id": i, "role": "customer", "started_on": today - dt.timedelta(days=900)}
                for i in ids
            ]
            session.execute(insert(SubjectRole), roles)
            session.commit()
        return ids
    finally:
        engine.dispose()


def event_chunks(
    events: int, subject_ids: list[int], start: dt.datetime, end: dt.datetime
) -> Iterator[list[tuple[Any, ...]]]:
    """(subject_id, occurred_at as naive UTC, kind, device, item, duration) in time order."""
    rng = random.Random(1)
    origin = start.replace(tzinfo=None)
    step = (end - start).total_seconds() / events
    for first in range(0, events, CHUNK):
        count = min(CHUNK, events - first)
        subjects = rng.choices(subject_ids, k=count)
        kinds = rng.choices(KINDS, k=count)
        devices = rng.choices(DEVICES, k=count)
        items = rng.choices(ITEMS, k=count)
        rows = []
        for n in range(count):
            offset = (first + n) * step + (rng.random() - 0.5) * JITTER_SECONDS
            at = origin + dt.timedelta(seconds=max(offset, 0.0))
            duration = 1 + (first + n) * 7919 % 7200
            rows.append((subjects[n], at, kinds[n], devices[n], items[n], duration))
        yield rows


def add_events(url: str, events: int, subject_ids: list[int], boundary: dt.datetime) -> None:
    now = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
    start = boundary - (now - boundary)
    columns = "subject_id, occurred_at, kind, device_type, item, duration_seconds"
    done, started, said = 0, time.perf_counter(), time.perf_counter()
    if make_url(url).get_backend_name() == "sqlite":
        connection = sqlite3.connect(make_url(url).database, isolation_level=None)
        connection.execute("PRAGMA journal_mode=OFF")  # set-up only; WAL again below
        connection.execute("PRAGMA synchronous=OFF")
        connection.execute("PRAGMA cache_size=-1000000")
        statement = f"INSERT INTO usage_event ({columns}) VALUES (?, ?, ?, ?, ?, ?)"
        connection.execute("BEGIN")
        for rows in event_chunks(events, subject_ids, start, now):
            # As SQLAlchemy's SQLite DATETIME stores a UTC value: 'YYYY-MM-DD HH:MM:SS.ffffff'.
            connection.executemany(
                statement, [(s, a.isoformat(" ", "microseconds"), *r) for s, a, *r in rows]
            )
            done += len(rows)
            said = progress("  inserted", done, events, started, said)
        connection.execute("COMMIT")
        connection.execute("PRAGMA journal_mode=WAL")
        connection.close()
        return
    with psycopg.connect(conninfo(url)) as connection:
        copying = f"COPY usage_event ({columns}) FROM STDIN"
        with connection.cursor() as cursor, cursor.copy(copying) as copy:
            for rows in event_chunks(events, subject_ids, start, now):
                buffer = io.StringIO()
                for s, a, kind, device, item, duration in rows:
                    stamp = a.isoformat(" ", "microseconds")
                    buffer.write(f"{s}\t{stamp}+00\t{kind}\t{device}\t{item}\t{duration}\n")
                copy.write(buffer.getvalue())
                done += len(rows)
                said = progress("  inserted", done, events, started, said)
        connection.commit()
        connection.autocommit = True
        connection.execute("VACUUM (ANALYZE) usage_event")


def progress(label: str, done: int, total: int | None, started: float, said: float) -> float:
    now = time.perf_counter()
    if now - said < PROGRESS_EVERY and done != total:
        return said
    of = f" of {total:,}" if total else ""
    rate = done / (now - started) if now > started else 0.0
    print(f"{label} {done:,}{of} rows, {now - started:.1f} s ({rate:,.0f} rows/s)", flush=True)
    return now


def conninfo(url: str) -> str:
    parsed = make_url(url)
    return (
        f"host={parsed.host} port={parsed.port or 5432} user={parsed.username} "
        f"dbname={parsed.database}"
    )


def raw_connect(url: str) -> Any:
    """A raw connection set up as the app's engines set up theirs (db/session.py)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return psycopg.connect(conninfo(url))
    connection = sqlite3.connect(parsed.database, isolation_level=None)
    for pragma in (
        "foreign_keys=ON",
        "secure_delete=ON",
        "busy_timeout=30000",
        "journal_mode=WAL",
        "synchronous=FULL",
    ):
        connection.execute(f"PRAGMA {pragma}")
    return connection


def cut_value(url: str, boundary: dt.datetime) -> Any:
    """The boundary as the driver compares it with the stored column."""
    if make_url(url).get_backend_name() == "sqlite":
        return boundary.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
    return boundary


def fingerprint(url: str, boundary: dt.datetime) -> dict[str, int]:
    """Due rows, and a fingerprint of the rows that are not due."""
    mark = "?" if make_url(url).get_backend_name() == "sqlite" else "%s"
    connection = raw_connect(url)
    try:
        cursor = connection.cursor()
        cut = cut_value(url, boundary)
        cursor.execute(f"SELECT count(*) FROM usage_event WHERE occurred_at < {mark}", (cut,))
        due = cursor.fetchone()[0]
        cursor.execute(
            "SELECT count(*), sum(id), sum(subject_id), sum(duration_seconds), count(item) "
            f"FROM usage_event WHERE occurred_at >= {mark}",
            (cut,),
        )
        kept = [int(v or 0) for v in cursor.fetchone()]
        connection.rollback()
    finally:
        connection.close()
    return {"due": due, "kept": kept[0], "ids": kept[1], "subjects": kept[2], "rest": kept[3:]}


def app_due(url: str, category: str, policy: Any, today: dt.date) -> int:
    """The app's own count of the category's overdue rows (checks the boundary used here)."""
    from dataskydd.db.session import make_engine
    from dataskydd.retention.runs import overdue_rows

    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return overdue_rows(session, policy, today=today).get(category, 0)
    finally:
        engine.dispose()


def show_plan(url: str, boundary: dt.datetime, batch: int) -> str:
    sqlite = make_url(url).get_backend_name() == "sqlite"
    mark = "?" if sqlite else "%s"
    query = (
        f"SELECT id FROM usage_event WHERE occurred_at < {mark} AND id > {mark} "
        f"ORDER BY id LIMIT {batch}"
    )
    connection = raw_connect(url)
    try:
        cursor = connection.cursor()
        cursor.execute(
            ("EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN ") + query,
            (cut_value(url, boundary), 0),
        )
        rows = cursor.fetchall()
        connection.rollback()
    finally:
        connection.close()
    return "; ".join(str(row[-1]).strip() for row in rows)


# --- the two sides (each in its own process) ---------------------------------------------------


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mb() -> float:
    """This process's peak RSS. Linux carries ru_maxrss over exec from the forked parent, so
    VmHWM (reset at exec) is read where there is one."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def side_floor(url: str, boundary: dt.datetime, batch: int) -> dict[str, Any]:
    sqlite = make_url(url).get_backend_name() == "sqlite"
    mark = "?" if sqlite else "%s"
    connection = raw_connect(url)
    cut = cut_value(url, boundary)
    chosen = (
        f"SELECT id FROM usage_event WHERE occurred_at < {mark} AND id > {mark} "
        f"ORDER BY id LIMIT {batch}"
    )
    rss_start = peak_rss_mb()
    erased, last, batches = 0, 0, 0
    cpu = cpu_seconds()
    started = said = time.perf_counter()
    cursor = connection.cursor()
    while True:
        if sqlite:
            cursor.execute("BEGIN IMMEDIATE")  # as the app's engines begin (db/session.py)
        cursor.execute(chosen, (cut, last))
        ids = [row[0] for row in cursor.fetchall()]
        if not ids:
            connection.commit()
            break
        marks = ", ".join([mark] * len(ids))
        cursor.execute(f"DELETE FROM usage_event WHERE id IN ({marks})", ids)
        erased += cursor.rowcount
        connection.commit()
        batches += 1
        last = ids[-1]
        said = progress("    floor:", erased, None, started, said)
    elapsed = time.perf_counter() - started
    cpu = cpu_seconds() - cpu
    connection.close()
    return {
        "erased": erased,
        "seconds": elapsed,
        "cpu": cpu,
        "batches": batches,
        "rss_start": rss_start,
        "rss_peak": peak_rss_mb(),
    }


def watch_run(url: str, stop: threading.Event, started: float) -> None:
    """Progress of the run as its committed counts show it, from a connection of its own."""
    sqlite = make_url(url).get_backend_name() == "sqlite"
    if sqlite:
        path = make_url(url).database
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
    else:
        connection = psycopg.connect(conninfo(url), autocommit=True)
    try:
        while not stop.wait(PROGRESS_EVERY):
            # Read to the end and close: an unfinished SELECT would keep its snapshot open
            # and stop SQLite's checkpoints from emptying the WAL.
            # The run's own total is written when it ends; its lines count every batch.
            cursor = connection.execute(
                "SELECT coalesce(sum(rows_erased), 0) FROM retention_line"
                " WHERE run_id = (SELECT max(id) FROM retention_run)"
            )
            rows = cursor.fetchall()
            cursor.close()
            done = rows[0][0] if rows else 0
            took = time.perf_counter() - started
            print(
                f"    retention: {done:,} rows, {took:.1f} s ({done / took:,.0f} rows/s)",
                flush=True,
            )
    finally:
        connection.close()


def side_retention(url: str, today: dt.date, batch: int) -> dict[str, Any]:
    from dataskydd import runtime
    from dataskydd.config import get_settings
    from dataskydd.db.session import make_engine
    from dataskydd.retention import runs

    settings = get_settings()
    runtime.install_secret(settings)
    runtime.install_data_map(settings)
    policy = runtime.configured_policy(settings)
    engine = make_engine(url)
    # When the usage events' first and last batch were sent (one string test per statement).
    deletes: list[float] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if statement.startswith("DELETE FROM usage_event"):
            deletes.append(time.perf_counter())

    event.listen(engine, "before_cursor_execute", note)
    rss_start = peak_rss_mb()
    stop = threading.Event()
    cpu = cpu_seconds()
    started = time.perf_counter()
    watcher = threading.Thread(target=watch_run, args=(url, stop, started), daemon=True)
    watcher.start()
    try:
        run_id = runs.run_retention(
            engine, policy, today=today, by="bench:retention", batch_size=batch
        )
        elapsed = time.perf_counter() - started
        cpu = cpu_seconds() - cpu
    finally:
        stop.set()
        watcher.join()
    with Session(engine) as session:
        found = runs.report(session, run_id)
        assert found is not None
        data = found.as_dict()
    engine.dispose()
    lines = [line for line in data["lines"] if line["table"] == "usage_event"]
    return {
        "erased": data["rows_erased"],
        "usage_erased": sum(line["rows_erased"] for line in lines),
        "status": data["status"],
        "seconds": elapsed,
        "cpu": cpu,
        "batches": len(deletes),
        "before_first_batch": (deletes[0] - started) if deletes else None,
        "batch_span": (deletes[-1] - deletes[0]) if deletes else None,
        "rss_start": rss_start,
        "rss_peak": peak_rss_mb(),
    }


def run_side(side: str, url: str, args: argparse.Namespace, extra: list[str]) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile(suffix=".json") as result:
        command = [
            sys.executable,
            __file__,
            "--side",
            side,
            "--url",
            url,
            "--batch-size",
            str(args.batch_size),
            "--result",
            result.name,
            *extra,
        ]
        subprocess.run(command, check=True, timeout=args.timeout)
        return json.loads(Path(result.name).read_text())


# --- one backend -------------------------------------------------------------------------------


def bench_backend(backend: str, args: argparse.Namespace, scratch: Path) -> dict[str, Any]:
    category, rule, policy, today, boundary = usage_rule()
    from dataskydd.retention.rules import cutoff

    describe = cutoff(rule, today).describe(rule)
    print(
        f"\n== {backend}: {args.events:,} usage events, {args.subjects:,} subjects; category "
        f"{category!r}: {describe} (due: occurred_at < {boundary.isoformat()}), today {today}"
        f"; load {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    with ExitStack() as stack:
        url, floor_url = stack.enter_context(
            throwaway_database(backend, scratch, args.postgres_url)
        )
        started = time.perf_counter()
        subject_ids = add_subjects(url, args.subjects, today)
        schema_s = time.perf_counter() - started
        started = time.perf_counter()
        add_events(url, args.events, subject_ids, boundary)
        events_s = time.perf_counter() - started
        before = fingerprint(url, boundary)
        started = time.perf_counter()
        by_app = app_due(url, category, policy, today)
        app_s = time.perf_counter() - started
        if by_app != before["due"]:
            sys.exit(f"the app counts {by_app:,} due rows, the raw boundary {before['due']:,}")
        started = time.perf_counter()
        copy_database(url, floor_url, args.postgres_url)
        copy_s = time.perf_counter() - started
        print(
            f"set-up: schema + subjects {schema_s:.1f} s, events {events_s:.1f} s "
            f"({args.events / events_s:,.0f} rows/s), the app's overdue count {app_s:.1f} s, "
            f"copy {copy_s:.1f} s; due {before['due']:,}, not due {before['kept']:,}",
            flush=True,
        )
        print(f"floor's keyset plan: {show_plan(floor_url, boundary, args.batch_size)}")
        results: dict[str, Any] = {}
        for side, side_url, extra in (
            ("floor", floor_url, ["--boundary", boundary.isoformat()]),
            ("retention", url, ["--today", today.isoformat()]),
        ):
            if backend == "postgresql":
                checkpoint(args.postgres_url)  # each side starts with no dirty buffers
            print(f"  {side} …", flush=True)
            outcome = run_side(side, side_url, args, extra)
            after = fingerprint(side_url, boundary)
            outcome["due_after"] = after["due"]
            outcome["untouched"] = {k: v for k, v in after.items() if k != "due"} == {
                k: v for k, v in before.items() if k != "due"
            }
            results[side] = outcome
    report(backend, args, before["due"], results)
    return results


def report(backend: str, args: argparse.Namespace, due: int, results: dict[str, Any]) -> None:
    floor, retention = results["floor"], results["retention"]
    print(
        f"\n{backend}, {args.events:,} events, {due:,} due, batches of {args.batch_size:,}:\n"
        f"  {'side':<34}{'erased':>10}{'s':>9}{'CPU s':>8}{'rows/s':>10}{'peak RSS MB':>13}"
        f"{'due after':>11}{'others':>11}"
    )
    for label, outcome in (
        ("floor: raw keyset DELETE … IN", floor),
        ("run_retention", retention),
    ):
        rate = outcome["erased"] / outcome["seconds"]
        print(
            f"  {label:<34}{outcome['erased']:>10,}{outcome['seconds']:>9.1f}"
            f"{outcome['cpu']:>8.1f}{rate:>10,.0f}"
            f"{outcome['rss_peak']:>8.0f} ({outcome['rss_start']:.0f})"
            f"{outcome['due_after']:>11,}"
            f"{'untouched' if outcome['untouched'] else 'CHANGED':>11}"
        )
    ratio = (retention["erased"] / retention["seconds"]) / (floor["erased"] / floor["seconds"])
    if retention["before_first_batch"] is not None:
        print(
            f"  run_retention: {retention['before_first_batch']:.1f} s before its first usage "
            f"batch (every table's counts, the snapshot), {retention['batch_span']:.1f} s from "
            f"first to last of {retention['batches']:,} batches; status {retention['status']}"
        )
    ok = (
        floor["erased"] == due
        and retention["usage_erased"] == due
        and floor["due_after"] == retention["due_after"] == 0
        and floor["untouched"]
        and retention["untouched"]
    )
    print(
        f"  ratio (run_retention ÷ floor): {ratio:.2f} — goal ≥ 0.8 "
        f"{'met' if ratio >= 0.8 else 'not met'}; correctness {'ok' if ok else 'FAILED'}"
        "\n  (CPU s: the side's own process, user + system, not the database server's; peak RSS:"
        " the side's process, in brackets after start-up)",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--subjects", type=int, default=5_000)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--postgres-url", default=POSTGRES_ADMIN)
    parser.add_argument("--timeout", type=float, default=1200, help="seconds per side")
    # A side, run in a subprocess by the benchmark itself.
    parser.add_argument("--side", choices=("floor", "retention"), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    parser.add_argument("--boundary", help=argparse.SUPPRESS)
    parser.add_argument("--today", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side == "floor":
        outcome = side_floor(args.url, dt.datetime.fromisoformat(args.boundary), args.batch_size)
        Path(args.result).write_text(json.dumps(outcome))
        return
    if args.side == "retention":
        today = dt.date.fromisoformat(args.today)
        outcome = side_retention(args.url, today, args.batch_size)
        Path(args.result).write_text(json.dumps(outcome))
        return
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-retention-") as directory:
        scratch = Path(directory)
        bench_environment(scratch)
        for backend in backends:
            bench_backend(backend, args, scratch)
    print(f"\ntotal {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
