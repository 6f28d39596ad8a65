"""kill -9 in the middle of `dataskydd import subjects`, then run it again: the killed import
left nothing (no subject, no log row, no audit entry), and the rerun imports every row once.
SQLite and PostgreSQL, through the real command in a process of its own."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from tests.conftest import POSTGRES_URL, company_env, configured_policy_file
from tests.imports.files import customers, write_csv, write_mapping
from tests.servers import children_of

ROWS = 6000
SECRET = "k" * 40


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'register.db'}"
        return
    admin = create_engine(POSTGRES_URL)
    schema = f"imp_{uuid.uuid4().hex[:10]}"
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _env(url: str, workdir: Path) -> dict[str, str]:
    # DATASKYDD_LANGUAGE kept: the CLI speaks English in the suite (tests/conftest.py).
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("DATASKYDD_") or k == "DATASKYDD_LANGUAGE"
    }
    env.update(company_env(configured_policy_file()))
    return env | {
        "DATASKYDD_DATABASE_URL": url,
        "DATASKYDD_SECRET_KEY": SECRET,
        "DATASKYDD_AUDIT_CHECKPOINT_FILE": str(workdir / "checkpoints.jsonl"),
        "DATASKYDD_IMPORT_BATCH_SIZE": "200",
        # Rows validated in worker processes, whatever this machine's cores: killing the
        # importing process must end them too.
        "DATASKYDD_IMPORT_WORKERS": "1",
    }


def _cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "dataskydd", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def _count(engine: Engine, query: str) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text(query)).scalar_one())


def _midway(engine: Engine, url: str, process: subprocess.Popen[bytes]) -> None:
    """Waits until the import is writing: PostgreSQL hands out subject ids from a sequence
    outside the transaction, so its value shows the batches written; SQLite shows only that
    the import holds the write lock, and its log file growing."""
    deadline = time.monotonic() + 120
    if url.startswith("postgresql"):
        while time.monotonic() < deadline and process.poll() is None:
            with engine.connect() as connection:
                handed = connection.execute(
                    text("SELECT last_value FROM subject_id_seq")
                ).scalar_one()
            if handed >= 1000:
                return
            time.sleep(0.05)
        pytest.fail("the import wrote no batch in time")
    import sqlite3

    path = url.removeprefix("sqlite:///")
    wal = Path(f"{path}-wal")
    start = wal.stat().st_size if wal.exists() else 0
    locked_at = None
    while time.monotonic() < deadline and process.poll() is None:
        if locked_at is None:
            probe = sqlite3.connect(path, timeout=0)
            try:
                probe.execute("BEGIN IMMEDIATE")
                probe.rollback()
            except sqlite3.OperationalError:
                locked_at = time.monotonic()
            finally:
                probe.close()
        elif wal.stat().st_size > start + 512 * 1024 or time.monotonic() - locked_at > 4:
            return
        time.sleep(0.05)
    pytest.fail("the import did not start writing in time")


def test_kill_9_midway_leaves_nothing_and_a_rerun_imports_everything(
    database: str, tmp_path: Path
) -> None:
    env = _env(database, tmp_path)
    _cli(env, "init", "--admin-password", "Korrekt-Häst-Batteri-9")
    path = write_csv(tmp_path / "kunder.csv", customers(ROWS))
    mapping = write_mapping(tmp_path / "mapping.yaml")
    engine = create_engine(database)
    try:
        audit_before = _count(engine, "SELECT count(*) FROM audit_entry")
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "dataskydd",
                "import",
                "subjects",
                str(path),
                "--mapping",
                str(mapping),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _midway(engine, database, process)
            assert process.poll() is None, "the import ended before it could be stopped"
            workers = children_of(process.pid)
            assert workers, "no validating worker was running"
            os.kill(process.pid, signal.SIGKILL)
        finally:
            process.wait(timeout=60)
        assert process.returncode == -signal.SIGKILL
        # Each worker notices that its importing process is gone, and ends.
        deadline = time.monotonic() + 20
        while any(Path(f"/proc/{pid}").exists() for pid in workers):
            assert time.monotonic() < deadline, "a worker outlived the killed import"
            time.sleep(0.05)
        for table in (
            "subject",
            "contact_point",
            "postal_address",
            "subject_role",
            "subject_import",
            "rectification",
        ):
            assert _count(engine, f"SELECT count(*) FROM {table}") == 0, table
        assert _count(engine, "SELECT count(*) FROM audit_entry") == audit_before

        rerun = json.loads(
            _cli(env, "import", "subjects", str(path), "--mapping", str(mapping), "--json")
        )
        assert (rerun["imported"], rerun["rejected"]) == (ROWS, 0)
        assert _count(engine, "SELECT count(*) FROM subject") == ROWS
        assert _count(engine, "SELECT count(*) FROM contact_point") == 2 * ROWS
        assert json.loads(_cli(env, "import", "list", "--json"))[0]["imported"] == ROWS
        _cli(env, "audit", "verify")
    finally:
        engine.dispose()
