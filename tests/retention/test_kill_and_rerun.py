"""kill -9 in the middle of `dataskydd retention run`, then run again: the register ends exactly
as after one clean run on an identical register, nothing half-erased, and the reports say
that the first run stopped and the second carried on."""

from __future__ import annotations

import datetime as dt
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
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.orm import Session

from dataskydd.all_models import ALL_MODEL_MODULES
from dataskydd.datamap.entries import register_tables
from dataskydd.db.base import Base
from dataskydd.db.types import EncryptedString
from dataskydd.policy.schema import Policy
from dataskydd.retention import runs
from dataskydd.retention.models import RetentionLine, RunStatus
from tests.conftest import POSTGRES_URL, company_env, configured_policy_file

assert ALL_MODEL_MODULES  # every register table in Base.metadata
SECRET = "k" * 40  # the same key for both registers: the same keyed hashes
TODAY = "2026-11-30"


def _cli(env: dict[str, str], *args: str, timeout: float = 300) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "dataskydd", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def _env(url: str, workdir: Path) -> dict[str, str]:
    # DATASKYDD_LANGUAGE kept: the CLI speaks English in the suite (tests/conftest.py).
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("DATASKYDD_") or k == "DATASKYDD_LANGUAGE"
    }
    env.update(company_env(configured_policy_file()))
    env |= {
        "DATASKYDD_DATABASE_URL": url,
        "DATASKYDD_SECRET_KEY": SECRET,
        "DATASKYDD_AUDIT_CHECKPOINT_FILE": str(workdir / f"{uuid.uuid4().hex}.jsonl"),
    }
    return env


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def two_registers(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[list[str]]:
    """Two URLs of identical demo registers (same seed and reference date)."""
    if request.param == "sqlite":
        yield [f"sqlite:///{tmp_path / name}.db" for name in ("killed", "clean")]
        return
    admin = create_engine(POSTGRES_URL)
    schemas = [f"kill_{uuid.uuid4().hex[:10]}" for _ in range(2)]
    with admin.begin() as connection:
        for schema in schemas:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield [f"{POSTGRES_URL}?options=-csearch_path%3D{schema}" for schema in schemas]
    finally:
        with admin.begin() as connection:
            for schema in schemas:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _state(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    """Every mapped column of every register table, by row key. Encrypted values are compared
    by presence: each encryption draws a new nonce."""
    found: dict[str, list[tuple[object, ...]]] = {}
    with engine.connect() as connection:
        for entry in register_tables():
            table = Base.metadata.tables[entry.table]
            columns = [table.c[entry.key]]
            for name in sorted(entry.columns):
                column = table.c[name]
                encrypted = isinstance(column.type, EncryptedString)
                columns.append(column.is_(None) if encrypted else column)
            rows = connection.execute(select(*columns).order_by(table.c[entry.key]))
            found[entry.table] = [tuple(row) for row in rows]
    return found


def _prepare(url: str, workdir: Path) -> dict[str, str]:
    env = _env(url, workdir)
    _cli(env, "init", "--admin-password", "Korrekt-Häst-Batteri-9")
    _cli(env, "demo", "--customers", "150", "--seed", "7", "--reference-date", TODAY)
    return env


def test_kill_9_midway_then_rerun_ends_as_one_clean_run(
    two_registers: list[str], tmp_path: Path, policy: Policy
) -> None:
    killed_url, clean_url = two_registers
    killed_env = _prepare(killed_url, tmp_path)
    clean_env = _prepare(clean_url, tmp_path)
    killed_engine = create_engine(killed_url)
    clean_engine = create_engine(clean_url)
    try:
        assert _state(killed_engine) == _state(clean_engine)  # identical to start with

        process = subprocess.Popen(
            [sys.executable, "-m", "dataskydd", "retention", "run", "--today", TODAY],
            env=killed_env | {"DATASKYDD_RETENTION_BATCH_SIZE": "10"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 120
        erased = 0
        while erased < 30 and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.05)
            with killed_engine.connect() as connection:
                # What its committed batches counted (the run's total is summed at its end).
                erased = connection.scalar(select(func.sum(RetentionLine.rows_erased))) or 0
        assert process.poll() is None, "the run ended before it could be stopped"
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        assert erased >= 30

        second = json.loads(_cli(killed_env, "retention", "run", "--today", TODAY, "--json"))
        _cli(clean_env, "retention", "run", "--today", TODAY)

        assert _state(killed_engine) == _state(clean_engine)
        with Session(killed_engine) as session:
            first = runs.report(session, 1)
            assert first is not None
            assert first.run.status is RunStatus.INTERRUPTED
            assert first.run.rows_erased >= 30
            assert runs.plan_retention(session, policy, today=dt.date.fromisoformat(TODAY))
            left = runs.overdue_rows(session, policy, today=dt.date.fromisoformat(TODAY))
            assert left == {}
        assert second["status"] == "finished"
        assert second["resumed_runs"] == [1]
        with Session(clean_engine) as session:
            clean = runs.report(session)
            assert clean is not None
        assert first.run.rows_erased + second["rows_erased"] == clean.run.rows_erased
    finally:
        killed_engine.dispose()
        clean_engine.dispose()
