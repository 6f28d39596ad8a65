"""Recommendations (issue 16): training time for N viewing events, serving p50/p99 per request
in process, peak memory; each beside its floor measured in the same run.

    python benchmarks/bench_recommendations.py [--events 1000000 3000000] [--requests 300]
        [--postgres-url postgresql://postgres@127.0.0.1:5432/postgres]

Per size, a throw-away PostgreSQL database `bench_recs_<random>` (dropped at the end),
migrated to head, with events/50 customers who each watched 50 titles of a 5,000-title
catalogue (20 genres; 80 % of a customer's views in their favourite genre, popular titles
more often), written with raw COPY and analysed, untimed. One customer in 100 has objected.

* training: `recommendations.training.train` (as the nightly job and `dataskydd
  recommendations train` run it: keyset batches of 1,000 subjects, the access decision per
  batch, the co-occurrence counts, the neighbour lists stored), in a subprocess of its own so
  that its peak RSS (VmHWM) is its own. Floor: the same events streamed through the raw
  driver (a server-side cursor, `SELECT subject_id, item … WHERE kind = 'view'`), no model.
* serving: `recommendations.serving.recommend` for random customers, each request its own
  transaction (the access decision, its audit entry, the history, the neighbour lists, the
  ranking), as the API route runs it without HTTP. Floor: the raw SELECT of the subject's
  recent history and of the neighbour lists of its titles (psycopg), no decision, no ranking.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import psycopg
from sqlalchemy.engine import make_url

GENRES = 20
TITLES_PER_GENRE = 250
VIEWS_PER_SUBJECT = 50
OBJECTING = 100  # one subject in this many has objected
CHUNK_SUBJECTS = 20_000


def _status_kib(name: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(name + ":"):
                return int(line.split()[1])
    return 0


@contextmanager
def scratch_database(admin_url: str) -> Iterator[str]:
    name = f"bench_recs_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_libpq(admin_url), autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(_libpq(admin_url), autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def generate(url: str, events: int, purpose: str, seed: int = 1) -> int:
    """Customers and their viewing, through COPY in chunks (memory flat); returns subjects."""
    from dataskydd.db.migrate import upgrade_to_head
    from dataskydd.db.session import make_engine

    engine = make_engine(url)
    upgrade_to_head(engine)
    engine.dispose()
    subjects = events // VIEWS_PER_SUBJECT
    rng = np.random.default_rng(seed)
    # Zipf-like popularity inside a genre: title k is watched ~1/(k+1) as often.
    weights = 1.0 / np.arange(1, TITLES_PER_GENRE + 1)
    weights /= weights.sum()
    with psycopg.connect(_libpq(url)) as connection:
        with connection.cursor() as cursor:
            with cursor.copy(
                "COPY subject (id, kind, given_name, family_name, search_name, created_at,"
                " updated_at) FROM STDIN"
            ) as copy:
                for first in range(1, subjects + 1, CHUNK_SUBJECTS):
                    last = min(subjects, first + CHUNK_SUBJECTS - 1)
                    copy.write(
                        "".join(
                            f"{i}\tperson\tBench\tTittare\tbench tittare\t2025-01-01 00:00:00+00"
                            "\t2025-01-01 00:00:00+00\n"
                            for i in range(first, last + 1)
                        )
                    )
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('subject', 'id'), %s)", (subjects,)
            )
            with cursor.copy(
                "COPY usage_event (subject_id, occurred_at, kind, device_type, item,"
                " duration_seconds) FROM STDIN"
            ) as copy:
                for first in range(1, subjects + 1, CHUNK_SUBJECTS):
                    last = min(subjects, first + CHUNK_SUBJECTS - 1)
                    count = last - first + 1
                    favourite = rng.integers(0, GENRES, size=count)
                    genre = np.where(
                        rng.random((count, VIEWS_PER_SUBJECT)) < 0.8,
                        favourite[:, None],
                        rng.integers(0, GENRES, size=(count, VIEWS_PER_SUBJECT)),
                    )
                    rank = rng.choice(TITLES_PER_GENRE, size=(count, VIEWS_PER_SUBJECT), p=weights)
                    titles = genre * TITLES_PER_GENRE + rank
                    minutes = rng.integers(0, 525_600, size=(count, VIEWS_PER_SUBJECT))
                    moments = np.datetime_as_string(
                        np.datetime64("2025-11-01T00:00") + minutes.astype("timedelta64[m]"),
                        unit="s",
                    )
                    lines = []
                    for row in range(count):
                        subject = first + row
                        pairs = zip(titles[row].tolist(), moments[row].tolist(), strict=True)
                        for title, moment in pairs:
                            lines.append(f"{subject}\t{moment}+00\tview\ttv\tTitel {title}\t1800\n")
                    copy.write("".join(lines))
            objectors = random.Random(seed).sample(range(1, subjects + 1), subjects // OBJECTING)
            with cursor.copy(
                "COPY objection (subject_id, purpose, objected_at) FROM STDIN"
            ) as copy:
                copy.write("".join(f"{s}\t{purpose}\t2026-01-01 00:00:00+00\n" for s in objectors))
        connection.commit()
    with psycopg.connect(_libpq(url), autocommit=True) as connection:
        connection.execute("VACUUM (ANALYZE)")
    return subjects


def _setup() -> Any:
    from dataskydd import runtime
    from dataskydd.config import get_settings

    os.environ.setdefault("DATASKYDD_SECRET_KEY", "bench-" + "x" * 40)
    settings = get_settings()
    runtime.install_secret(settings)
    runtime.install_data_map(settings)
    return runtime.configured_policy(settings)


def phase_train(url: str) -> dict[str, Any]:
    from dataskydd.db.session import make_engine, make_session_factory, transaction
    from dataskydd.recommendations import training

    policy = _setup()
    engine = make_engine(url)
    started = time.perf_counter()
    with transaction(make_session_factory(engine)) as session:
        done = training.train(session, policy, actor="bench")
        result: dict[str, Any] = {
            "training_id": done.id,
            "events": done.events_used,
            "subjects": done.subjects_used,
            "excluded": done.subjects_excluded,
            "items": done.items,
        }
    result["seconds"] = time.perf_counter() - started
    result["peak_rss_mib"] = _status_kib("VmHWM") / 1024
    engine.dispose()
    return result


def phase_floor_train(url: str) -> dict[str, Any]:
    started = time.perf_counter()
    rows = 0
    with psycopg.connect(_libpq(url)) as connection, connection.cursor(name="views") as cursor:
        cursor.itersize = 10_000
        cursor.execute("SELECT subject_id, item FROM usage_event WHERE kind = 'view'")
        for _row in cursor:
            rows += 1
    return {
        "seconds": time.perf_counter() - started,
        "events": rows,
        "peak_rss_mib": _status_kib("VmHWM") / 1024,
    }


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return ordered[len(ordered) // 2] * 1000, ordered[int(len(ordered) * 0.99)] * 1000


def phase_serve(url: str, requests: int, subjects: int, purpose: str) -> dict[str, Any]:
    from dataskydd.auth.access import operator_context
    from dataskydd.db.session import make_engine, make_session_factory, transaction
    from dataskydd.errors import AccessRefused
    from dataskydd.recommendations import serving

    policy = _setup()
    engine = make_engine(url)
    factory = make_session_factory(engine)
    caller = operator_context("bench")
    rng = random.Random(7)
    chosen = [rng.randint(1, subjects) for _ in range(requests)]
    served, floor, refused = [], [], 0
    with psycopg.connect(_libpq(url), autocommit=True) as raw:
        training_id = raw.execute("SELECT max(id) FROM recommendation_training").fetchone()[0]  # type: ignore[index]
        for subject in chosen:
            started = time.perf_counter()
            try:
                with transaction(factory) as session:
                    serving.recommend(session, policy, caller, subject_id=subject, purpose=purpose)
            except AccessRefused:
                refused += 1
            served.append(time.perf_counter() - started)
            started = time.perf_counter()
            history = [
                r[0]
                for r in raw.execute(
                    "SELECT item FROM usage_event WHERE subject_id = %s AND kind = 'view'"
                    " ORDER BY occurred_at DESC, id DESC LIMIT %s",
                    (subject, serving.HISTORY_EVENTS),
                )
            ]
            titles = list(dict.fromkeys(history))[: serving.HISTORY_TITLES]
            raw.execute(
                "SELECT item, neighbour, score FROM recommendation_neighbour"
                " WHERE training_id = %s AND item = ANY(%s)",
                (training_id, titles),
            ).fetchall()
            floor.append(time.perf_counter() - started)
    engine.dispose()
    p50, p99 = _percentiles(served)
    f50, f99 = _percentiles(floor)
    return {
        "p50_ms": p50,
        "p99_ms": p99,
        "floor_p50_ms": f50,
        "floor_p99_ms": f99,
        "refused": refused,
    }


def _child(phase: str, url: str, *extra: str) -> dict[str, Any]:
    output = subprocess.run(
        [sys.executable, __file__, "--phase", phase, "--url", url, *extra],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, nargs="+", default=[1_000_000, 3_000_000])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument(
        "--postgres-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    parser.add_argument("--phase", choices=["train", "floor_train", "serve"])
    parser.add_argument("--url")
    parser.add_argument("--subjects", type=int, default=0)
    args = parser.parse_args()
    if args.phase == "train":
        print(json.dumps(phase_train(args.url)))
        return
    if args.phase == "floor_train":
        print(json.dumps(phase_floor_train(args.url)))
        return
    policy = _setup()
    purpose = policy.system_purpose("recommendations")
    if args.phase == "serve":
        print(json.dumps(phase_serve(args.url, args.requests, args.subjects, purpose)))
        return
    for events in args.events:
        with scratch_database(args.postgres_url) as url:
            started = time.perf_counter()
            subjects = generate(url, events, purpose)
            print(
                f"{events:,} events, {subjects:,} customers: written in "
                f"{time.perf_counter() - started:.0f} s (untimed)",
                flush=True,
            )
            floor = _child("floor_train", url)
            train = _child("train", url)
            print(
                f"  training: {train['seconds']:.1f} s for {train['events']:,} events of "
                f"{train['subjects']:,} subjects ({train['excluded']:,} left out), "
                f"{train['items']:,} titles; {train['events'] / train['seconds']:,.0f} events/s;"
                f" peak RSS {train['peak_rss_mib']:.0f} MiB",
                flush=True,
            )
            print(
                f"  floor (raw streamed SELECT of the views): {floor['seconds']:.1f} s, "
                f"{floor['events'] / floor['seconds']:,.0f} events/s; peak RSS "
                f"{floor['peak_rss_mib']:.0f} MiB; ratio {floor['seconds'] / train['seconds']:.2f}",
                flush=True,
            )
            serve = _child("serve", url, "--subjects", str(subjects))
            print(
                f"  serving: p50 {serve['p50_ms']:.1f} ms, p99 {serve['p99_ms']:.1f} ms "
                f"({serve['refused']} refused: objected); floor (raw SELECT of history + "
                f"neighbour lists) p50 {serve['floor_p50_ms']:.1f} ms, p99 "
                f"{serve['floor_p99_ms']:.1f} ms",
                flush=True,
            )


if __name__ == "__main__":
    main()
