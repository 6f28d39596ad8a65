"""Bulk import: rows per second of `dataskydd import subjects` beside a raw insert of the same
already-validated rows (goal ≥ 0.5), and the import's peak RSS at two sizes (flat).

    python benchmarks/bench_import.py [--backend sqlite|postgresql|both]
        [--rows 100000,300000] [--workers 1,N] [--postgres-url URL]

Per backend and size: a CSV of that many customers (tests/imports/files.py: name,
personnummer, e-mail, mobile, street, postal code, city, customer since; UTF-8 with BOM,
semicolons) is written untimed, and three sides run, each in a process of its own on a fresh
register (a SQLite file, or a new PostgreSQL database `bench_import_<random>`, dropped at the
end), so that each peak RSS (VmHWM) is its own:

* import: the command as an operator runs it (`import subjects FILE --mapping M`), timed
  from the command's start to its end: reading, validating every value with the register's
  rules, matching by the blind indexes, writing, the log row and the audit entry, one commit;
  once per `--workers` count (DATASKYDD_IMPORT_WORKERS: processes validating rows while the
  importing process matches and writes; 0 validates in the importing process itself; the
  command's default is one fewer than this machine's cores). Its peak RSS is the importing
  process's, beside the largest worker's;
* dry run: the same command with `--dry-run` (reading and validating only, with the last
  workers count), to show how the import's time divides between validation and the rest;
* raw: the same rows validated first (untimed), then only their INSERT timed: subject,
  subject_role, contact_point and postal_address rows through the driver (executemany on
  SQLite, COPY on PostgreSQL), each value through its column's bind processor as any insert
  into this schema must (the personnummer encrypted), in one transaction.

Rows/s is file rows over each side's wall time; the ratio is import ÷ raw.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

POSTGRES_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
# Fixed, benchmark-only key (the databases are thrown away; never reuse it).
BENCH_SECRET = "benchmark-only-secret-never-use-in-production-0123456789"  # noqa: S105
GOAL = 0.5


def _env(url: str, scratch: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATASKYDD_")}
    return env | {
        "DATASKYDD_DATABASE_URL": url,
        "DATASKYDD_SECRET_KEY": BENCH_SECRET,
        "DATASKYDD_AUDIT_CHECKPOINT_FILE": str(scratch / f"{uuid.uuid4().hex}.jsonl"),
        "PYTHONPATH": str(ROOT),
    }


def _side(side: str, env: dict[str, str], *args: str) -> dict[str, float]:
    """One side in a process of its own; it prints its seconds and VmHWM as JSON."""
    done = subprocess.run(
        [sys.executable, __file__, "--side", side, *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"{side} failed:\n{done.stderr[-3000:]}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _largest_worker_rss_mb() -> float:
    """The peak RSS of the largest validating worker the side started (0 without one)."""
    import resource

    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def _fresh(backend: str, scratch: Path, admin_url: str) -> tuple[str, str | None]:
    """A new register URL (migrated by `init` in the side's process) and what to drop."""
    if backend == "sqlite":
        return f"sqlite:///{scratch / uuid.uuid4().hex}.db", None
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"bench_import_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False), name


def _drop(name: str | None, admin_url: str) -> None:
    if name is None:
        return
    from sqlalchemy import create_engine, text

    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _init(env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "-m", "dataskydd", "init", "--admin-password", "Korrekt-Häst-Batteri-9"],
        env=env,
        capture_output=True,
        check=True,
    )


# --- the sides, each run in its own process -------------------------------------------------


def side_import(path: str, mapping: str, *extra: str) -> None:
    from dataskydd.cli import app

    started = time.perf_counter()
    try:
        app(["import", "subjects", path, "--mapping", mapping, "--json", *extra])
    except SystemExit as stop:
        if stop.code not in (0, None):
            raise
    seconds = time.perf_counter() - started
    print(
        json.dumps(
            {"seconds": seconds, "rss_mb": _peak_rss_mb(), "worker_mb": _largest_worker_rss_mb()}
        )
    )


def side_raw(path: str, mapping: str) -> None:
    from sqlalchemy import Table

    from dataskydd import crypto, runtime
    from dataskydd.clock import utc_now
    from dataskydd.config import get_settings
    from dataskydd.db.driver_writes import DriverWriter
    from dataskydd.db.session import make_session_factory
    from dataskydd.imports.limits import ImportLimits
    from dataskydd.imports.mapping import load_mapping
    from dataskydd.imports.merging import (
        ADDRESS_COLUMNS,
        CONTACT_COLUMNS,
        NAME_FIELDS,
        ROLE_COLUMNS,
        Held,
        merge,
    )
    from dataskydd.imports.reading import open_source
    from dataskydd.imports.rows import Candidate, RowReader
    from dataskydd.imports.store import SUBJECT_COLUMNS
    from dataskydd.register import lookup
    from dataskydd.register.models import ContactPoint, PostalAddress, Subject, SubjectRole

    settings = get_settings()
    runtime.install_secret(settings)
    limits = ImportLimits()
    plan, _ = load_mapping(Path(mapping))
    source = open_source(Path(path), limits)
    reader = RowReader(plan, source.header, limits, crypto.current_keyring().indexer)
    now = utc_now()
    stamps = {"created_at": now, "updated_at": now}
    subjects: list[tuple[Any, ...]] = []
    roles: list[tuple[Any, ...]] = []
    contacts: list[tuple[Any, ...]] = []
    addresses: list[tuple[Any, ...]] = []
    for number, row in enumerate(source.rows, start=1):  # validated untimed
        candidate = reader.read(row)
        assert isinstance(candidate, Candidate)
        held = Held.new(candidate.data.kind)
        merge(held, candidate.data, candidate.started_on or now.date())
        names = [held.names[name] for name in NAME_FIELDS]
        subjects.append(
            (
                number,
                held.kind,
                *names,
                held.personnummer,
                held.personnummer_index,
                lookup.search_name(names[0], names[1], None),
            )
        )
        roles.extend((number, *r) for r in held.role_rows)
        contacts.extend((number, *r) for r in held.contact_rows)
        addresses.extend((number, *r) for r in held.address_rows)
    engine = runtime.engine_for(settings.database_url)
    # The same columns, the same tuples and the same timestamps bound once per batch as the
    # import writes (imports/store.write_batch), so only the import's own work differs.
    tables: list[tuple[Table, tuple[str, ...], list[tuple[Any, ...]], dict[str, Any]]] = [
        (Subject.__table__, SUBJECT_COLUMNS, subjects, stamps),  # type: ignore[list-item]
        (SubjectRole.__table__, ("subject_id", *ROLE_COLUMNS), roles, {}),  # type: ignore[list-item]
        (ContactPoint.__table__, ("subject_id", *CONTACT_COLUMNS), contacts, stamps),  # type: ignore[list-item]
        (PostalAddress.__table__, ("subject_id", *ADDRESS_COLUMNS), addresses, stamps),  # type: ignore[list-item]
    ]
    started = time.perf_counter()
    with make_session_factory(engine)() as session, session.begin():
        writer = DriverWriter(session)
        for table, columns, rows, constants in tables:
            for start in range(0, len(rows), 2000):  # the import's batch size
                writer.write_tuples(table, columns, rows[start : start + 2000], constants)
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "rss_mb": _peak_rss_mb()}))


# --- the driver ---------------------------------------------------------------------------


def run(
    backend: str, rows: int, scratch: Path, admin_url: str, workers: list[int]
) -> dict[str, float]:
    from tests.imports.files import customers, write_csv, write_mapping

    csv_path = write_csv(scratch / f"kunder_{rows}.csv", customers(rows))
    mapping = write_mapping(scratch / "mapping.yaml")
    figures: dict[str, float] = {}
    sides: list[tuple[str, int, tuple[str, ...]]] = [
        (f"import_{count}", count, ()) for count in workers
    ]
    sides += [("dry_run", workers[-1], ("--dry-run",)), ("raw", 0, ())]
    for side, count, extra in sides:
        url, name = _fresh(backend, scratch, admin_url)
        try:
            env = _env(url, scratch) | {"DATASKYDD_IMPORT_WORKERS": str(count)}
            _init(env)
            kind = "raw" if side == "raw" else "import"
            result = _side(kind, env, str(csv_path), str(mapping), *extra)
        finally:
            _drop(name, admin_url)
        figures[f"{side}_rows_per_s"] = rows / result["seconds"]
        figures[f"{side}_seconds"] = result["seconds"]
        figures[f"{side}_rss_mb"] = result["rss_mb"]
        figures[f"{side}_worker_mb"] = result.get("worker_mb", 0.0)
    csv_path.unlink()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--side", help=argparse.SUPPRESS)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--rows", default="100000,300000")
    parser.add_argument("--postgres-url", default=POSTGRES_ADMIN)
    parser.add_argument(
        "--workers",
        default=f"0,{max(1, len(os.sched_getaffinity(0)) - 1)},{len(os.sched_getaffinity(0))}",
        help="validating worker processes per import run (0: validated in the importing "
        "process); the last is also the dry run's",
    )
    args, rest = parser.parse_known_args()
    if args.side == "import":
        side_import(*rest)
        return
    if args.side == "raw":
        side_raw(*rest)
        return
    sizes = [int(size) for size in args.rows.split(",")]
    workers = [int(count) for count in args.workers.split(",")]
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    with tempfile.TemporaryDirectory(prefix="bench_import_") as directory:
        scratch = Path(directory)
        for backend in backends:
            rss: list[float] = []
            for rows in sizes:
                f = run(backend, rows, scratch, args.postgres_url, workers)
                print(
                    f"{backend:10} {rows:>9,} rows  raw {f['raw_rows_per_s']:>9,.0f} rows/s  "
                    f"dry run ({workers[-1]} worker(s)) {f['dry_run_rows_per_s']:>8,.0f} rows/s",
                    flush=True,
                )
                for count in workers:
                    side = f"import_{count}"
                    ratio = f[f"{side}_rows_per_s"] / f["raw_rows_per_s"]
                    print(
                        f"{backend:10} {rows:>9,} rows  import, {count} worker(s) "
                        f"{f[f'{side}_rows_per_s']:>8,.0f} rows/s ({f[f'{side}_seconds']:.1f} s, "
                        f"peak RSS {f[f'{side}_rss_mb']:.0f} MB, largest worker "
                        f"{f[f'{side}_worker_mb']:.0f} MB)  ratio {ratio:.3f} (goal ≥ {GOAL})",
                        flush=True,
                    )
                rss.append(f[f"import_{workers[-1]}_rss_mb"])
            if len(rss) > 1:
                growth = rss[-1] / rss[0]
                print(
                    f"{backend:10} peak RSS {rss[0]:.0f} MB at {sizes[0]:,} rows, "
                    f"{rss[-1]:.0f} MB at {sizes[-1]:,} rows: ×{growth:.2f} for "
                    f"×{sizes[-1] / sizes[0]:.1f} the rows (flat: ≤ ×1.25)",
                    flush=True,
                )


if __name__ == "__main__":
    main()
