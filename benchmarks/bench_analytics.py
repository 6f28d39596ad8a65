"""Web analytics at scale (issue 14): rollup time per day of events, and every report's
latency over the daily rollups, beside the raw SQL aggregation each report replaces (the
floor), measured in the same run.

    python benchmarks/bench_analytics.py [--backend sqlite|postgresql|both] [--events 1000000]
        [--days 365] [--runs 3] [--postgres-url URL] [--floor-periods today,7d,30d,12m]
    python benchmarks/bench_analytics.py --database URL [--runs 3] [--floor-periods ...]

`--database` measures a database written and rolled up beforehand (10 M events take longer to
write than to measure): the reports only, nothing written or dropped. `--floor-periods`
limits the raw-SQL floors to those periods (over 10 M events a year a 12-month floor is a
GROUP BY of every event, tens of seconds each); the others print "–".

Per backend a throw-away database (a SQLite file in a temporary directory, or a new
PostgreSQL database `bench_analytics_<random>` on 127.0.0.1:5432, dropped at the end),
migrated to head. `--events` page events (views, leaves, pixels; visits of 1-5 pages from a
pool of visitors) are spread evenly over `--days` closed days and today, written untimed with
raw `executemany` (SQLite) or `COPY` (PostgreSQL, then `VACUUM ANALYZE`). Then:

* rollup: every closed day rolled up with `rollups.roll_up_day`, one transaction per day (as
  the job does); the median and the slowest day are printed with the events per day; then,
  on PostgreSQL, `ANALYZE web_rollup`, as autovacuum does soon after a table grows so much;
* reports: for each period (today, 7d, 30d, 12m) the summary (this period and the previous
  one) and every table of `web_stats.TABLES`, each through `open_reports` (the access decision
  and its audit entry included), then each detailed page of /analytics (`detail:traffic`...,
  through `web_reports.build_web_report`), the median of `--runs` runs;
* floor: per report, the raw SQL a rollup-less report would run over page_event for the same
  period (e.g. `SELECT path, count(*), count(DISTINCT visitor_id) ... GROUP BY path`), the
  median of `--runs` runs. The floor computes less than the report (no visits, bounces or
  k-suppression) and is still far slower past a few days: it is what the rollups replace.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from dataskydd.clock import SWEDEN, today_in_sweden

POSTGRES_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PATHS = [f"/demo-site/{name}" for name in ("", "bredband", "tv", "kundservice", "om-oss")] + [
    f"/demo-site/artikel/{n}" for n in range(200)
]
SITES = [None, None, None, "google.se", "facebook.com", "bing.com", "duckduckgo.com"]
UTM = [(None, None, None)] * 6 + [
    ("nyhetsbrev", "email", "vinter"),
    ("google", "cpc", "fiber"),
    ("facebook", "social", "vinter"),
]
DEVICES = [
    ("desktop", "firefox"),
    ("desktop", "chrome"),
    ("mobile", "safari"),
    ("tablet", "safari"),
]
COLUMNS = (
    "visitor_id",
    "visit_id",
    "occurred_at",
    "kind",
    "path",
    "referrer_path",
    "seconds_on_page",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "referrer_site",
    "device",
    "browser",
)


def events(total: int, days: int, today: date, seed: int = 14) -> Iterator[tuple[Any, ...]]:
    """About `total` events over `days` closed days and today, a day's share each."""
    rng = random.Random(seed)
    visitors = max(total // 25, 100)
    per_day = total // (days + 1)
    for offset in range(days, -1, -1):
        day = today - timedelta(days=offset)
        made = 0
        while made < per_day:
            visitor = f"{rng.randrange(visitors):032x}"
            visit = uuid.UUID(int=rng.getrandbits(128)).hex
            hour = rng.choice((8, 9, 10, 11, 12, 13, 14, 15, 17, 19, 20, 21, 22, 2))
            local = datetime(
                day.year, day.month, day.day, hour, rng.randrange(60), 0, tzinfo=SWEDEN
            )
            at = local.astimezone(UTC)
            site, utm = rng.choice(SITES), rng.choice(UTM)
            device, browser = rng.choice(DEVICES)
            previous = None
            for index in range(rng.choice((1, 1, 2, 3, 5))):
                path = rng.choice(PATHS)
                first = index == 0
                yield (
                    visitor, visit, at, "view", path, previous, None,
                    *(utm if first else (None, None, None)), site if first else None,
                    device, browser,
                )  # fmt: skip
                seconds = rng.randrange(2, 300)
                yield (
                    visitor, visit, at + timedelta(seconds=seconds), "leave", path, None,
                    seconds, None, None, None, None, device, browser,
                )  # fmt: skip
                made += 2
                if first and utm[0] and rng.random() < 0.5:
                    yield (
                        visitor,
                        visit,
                        at,
                        "pixel",
                        path,
                        None,
                        None,
                        *utm,
                        None,
                        device,
                        browser,
                    )
                    made += 1
                previous, at = path, at + timedelta(seconds=seconds + 1)


def write_events(engine: Engine, rows: Iterator[tuple[Any, ...]]) -> int:
    count = 0
    raw: Any = engine.raw_connection()
    try:
        driver = raw.driver_connection
        names = ", ".join(COLUMNS)
        if engine.dialect.name == "postgresql":
            with (
                driver.cursor() as cursor,
                cursor.copy(f"COPY page_event ({names}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
                    count += 1
        else:
            marks = ", ".join("?" * len(COLUMNS))

            def as_text() -> Iterator[tuple[Any, ...]]:
                nonlocal count
                for row in rows:
                    count += 1
                    at = row[2].astimezone(UTC).isoformat(" ", "microseconds")[:26]
                    yield (*row[:2], at, *row[3:])

            driver.execute("BEGIN")  # make_engine leaves pysqlite in autocommit mode
            driver.executemany(f"INSERT INTO page_event ({names}) VALUES ({marks})", as_text())
        driver.commit()
    finally:
        raw.close()
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE page_event"))
    return count


def timed(function: Callable[[], object], runs: int) -> float:
    """Median milliseconds of `runs` calls."""
    spent = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        spent.append((time.perf_counter() - start) * 1000)
    return statistics.median(spent)


# The raw aggregation each report replaces: per table, the GROUP BY over page_event.
def floor_sql(key: str, dialect: str) -> str:
    view = "kind = 'view' AND occurred_at >= :start AND occurred_at < :end"
    hour = (
        "extract(hour FROM occurred_at AT TIME ZONE 'Europe/Stockholm')"
        if dialect == "postgresql"
        else "strftime('%H', occurred_at)"
    )
    first_view = (
        "SELECT visit_id, min(id) AS first FROM page_event WHERE " + view + " GROUP BY visit_id"
    )
    by_visit = {
        "referrers": "referrer_site",
        "utm_sources": "utm_source",
        "utm_mediums": "utm_medium",
        "utm_campaigns": "utm_campaign",
        "devices": "device",
        "browsers": "browser",
        "entry_pages": "path",
    }
    if key == "summary":
        return (
            "SELECT count(DISTINCT visitor_id), count(DISTINCT visit_id), count(*) "
            f"FROM page_event WHERE {view}"
        )
    if key in by_visit:
        column = by_visit[key]
        return (
            f"SELECT e.{column}, count(DISTINCT e.visitor_id), count(*) FROM page_event e "
            f"JOIN ({first_view}) f ON e.id = f.first GROUP BY e.{column}"
        )
    if key == "exit_pages":
        return (
            "SELECT e.path, count(DISTINCT e.visitor_id), count(*) FROM page_event e JOIN "
            "(SELECT visit_id, max(id) AS last FROM page_event WHERE " + view + " GROUP BY "
            "visit_id) f ON e.id = f.last GROUP BY e.path"
        )
    if key == "pixel_campaigns":
        return (
            "SELECT utm_campaign, utm_source, utm_medium, count(DISTINCT visitor_id), count(*) "
            "FROM page_event WHERE kind = 'pixel' AND occurred_at >= :start AND occurred_at < :end "
            "GROUP BY utm_campaign, utm_source, utm_medium"
        )
    if key in ("hours", "weekdays"):
        return (
            f"SELECT {hour}, count(DISTINCT visitor_id), count(*) FROM page_event "
            f"WHERE {view} GROUP BY 1"
        )
    if key == "visit_lengths":
        return (
            "SELECT visit_id, sum(seconds_on_page) FROM page_event WHERE kind = 'leave' AND "
            "occurred_at >= :start AND occurred_at < :end GROUP BY visit_id"
        )
    return (
        "SELECT path, count(DISTINCT visitor_id), count(*) FROM page_event "
        f"WHERE {view} GROUP BY path"
    )


# Each detailed page of /analytics (web_reports) and the overview table whose raw
# aggregation is its floor.
DETAIL_FLOORS = {
    "traffic": "pages",
    "times": "hours",
    "paths": "entry_pages",
    "visits": "visit_lengths",
    "campaigns": "pixel_campaigns",
}


def measure(
    engine: Engine,
    policy: Any,
    caller: Any,
    chosen: Any,
    key: str,
    today: date,
    runs: int,
    *,
    floor: bool = True,
) -> tuple[float, float | None]:
    """The report's median ms (through open_reports, or build_web_report for a detailed
    page: `detail:<report>`, or an overview section as its page reads it: `section:<name>`,
    the summary and the section's tables from one open_reports) and its floor's (a section's:
    the raw GROUP BYs of the summary and of each of its tables), on one session."""
    from dataskydd.analytics import rollups, web_reports, web_stats
    from dataskydd.web.pages.web_analytics import SECTIONS

    lo, hi = rollups.day_bounds(chosen.start)[0], rollups.day_bounds(chosen.end)[1]
    detail = key.removeprefix("detail:") if key.startswith("detail:") else None
    section = key.removeprefix("section:") if key.startswith("section:") else None
    with Session(engine) as session:

        def report() -> object:
            if section is not None:
                reports = web_stats.open_reports(
                    session, policy, caller, chosen, what=f"overview:{section}", today=today
                )
                shown = [reports.summary(), *(reports.table(name) for name in SECTIONS[section])]
                if section == "times":
                    shown.append(reports.weekday_hours())
                return shown
            if detail is not None:
                return web_reports.build_web_report(
                    session,
                    caller,
                    policy=policy,
                    report=detail,
                    start=chosen.start,
                    end=chosen.end,
                    today=today,
                )
            reports = web_stats.open_reports(session, policy, caller, chosen, what=key, today=today)
            return reports.summary() if key == "summary" else reports.table(key)

        if detail is not None:
            key = DETAIL_FLOORS[detail]
        keys = ("summary", *SECTIONS[section]) if section is not None else (key,)

        ms = timed(report, runs)
        session.rollback()
        if not floor:
            return ms, None
        floors = [text(floor_sql(name, engine.dialect.name)) for name in keys]
        floor_ms = timed(
            lambda: [session.execute(sql, {"start": lo, "end": hi}).all() for sql in floors], runs
        )
        session.rollback()
    return ms, floor_ms


def roll_up(engine: Engine, args: argparse.Namespace, today: date) -> None:
    """Writes the events (untimed) and rolls every closed day up (timed)."""
    from dataskydd.analytics import rollups

    backend = engine.dialect.name
    start = time.perf_counter()
    written = write_events(engine, events(args.events, args.days, today))
    print(
        f"\n== {backend}: {written:,} events over {args.days} days + today "
        f"(written untimed in {time.perf_counter() - start:.0f} s)"
    )

    per_day = []
    first_day = today - timedelta(days=args.days)
    start = time.perf_counter()
    for offset in range(args.days):
        day = first_day + timedelta(days=offset)
        began = time.perf_counter()
        with Session(engine) as session, session.begin():
            rollups.roll_up_day(session, day)
        per_day.append((time.perf_counter() - began) * 1000)
    total = time.perf_counter() - start
    print(
        f"rollup: {args.days} days in {total:.1f} s; per day of ~{written // (args.days + 1):,} "
        f"events: median {statistics.median(per_day):.0f} ms, slowest {max(per_day):.0f} ms"
    )
    if backend == "postgresql":
        # What autovacuum does soon after a table grows this much: without statistics of
        # web_rollup the planner sorts a year of rollup rows on disk instead of hashing them.
        with engine.connect() as connection:
            for table in ("web_rollup", "web_rollup_month", "web_rollup_value"):
                connection.execute(text(f"ANALYZE {table}"))
            connection.commit()


def bench(url: str, args: argparse.Namespace) -> None:
    from dataskydd import crypto
    from dataskydd.all_models import ALL_MODEL_MODULES  # noqa: F401 - every table
    from dataskydd.analytics import web_stats
    from dataskydd.auth.access import operator_context
    from dataskydd.db.migrate import upgrade_to_head
    from dataskydd.db.session import make_engine
    from dataskydd.policy.loader import load_bundled_policy
    from dataskydd.web.pages.web_analytics import SECTIONS

    crypto.install_keyring(crypto.Keyring("bench-analytics-" + "x" * 32))
    engine = make_engine(url)
    upgrade_to_head(engine)
    today = today_in_sweden()
    backend = engine.dialect.name
    if args.database:
        with engine.connect() as connection:
            written = connection.execute(text("SELECT count(*) FROM page_event")).scalar_one()
            days = connection.execute(text("SELECT count(*) FROM web_rollup_day")).scalar_one()
        print(f"\n== {backend}: {written:,} events, {days} days rolled up, measured as found")
    else:
        roll_up(engine, args, today)
    policy = load_bundled_policy()
    caller = operator_context("bench:analytics")
    print(f"{'period':<8} {'report':<18} {'report ms':>10} {'floor ms':>10}")
    worst = 0.0
    for preset in ("today", "7d", "30d", "12m"):
        chosen = web_stats.period(preset, today=today)
        details = [f"detail:{name}" for name in DETAIL_FLOORS]
        sections = [f"section:{name}" for name in SECTIONS]
        floors = preset in args.floor_periods.split(",")
        for key in ("summary", *web_stats.TABLES, *details, *sections):
            ms, floor = measure(engine, policy, caller, chosen, key, today, args.runs, floor=floors)
            worst = max(worst, ms)
            shown = f"{floor:>10.1f}" if floor is not None else f"{'–':>10}"
            print(f"{preset:<8} {key:<18} {ms:>10.1f} {shown}")
    print(f"slowest report: {worst:.0f} ms (goal ≤ 500 ms)")
    engine.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--postgres-url", default=POSTGRES_ADMIN)
    parser.add_argument("--database", help="measure this database as it is (see above)")
    parser.add_argument("--floor-periods", default="today,7d,30d,12m")
    args = parser.parse_args(argv)
    if args.database:
        bench(args.database, args)
        return
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    for backend in backends:
        if backend == "sqlite":
            with tempfile.TemporaryDirectory() as scratch:
                bench(f"sqlite:///{Path(scratch) / 'analytics.db'}", args)
            continue
        name = f"bench_analytics_{uuid.uuid4().hex[:8]}"
        admin = args.postgres_url.rsplit("/", 1)[0]
        from sqlalchemy import create_engine

        control = create_engine(args.postgres_url, isolation_level="AUTOCOMMIT")
        with control.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            bench(f"{admin}/{name}", args)
        finally:
            with control.connect() as connection:
                connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
            control.dispose()


if __name__ == "__main__":
    main()
