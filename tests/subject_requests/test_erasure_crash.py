"""kill -9 during an erasure leaves all or nothing, on SQLite and PostgreSQL.

A real process does the erasure and is killed with SIGKILL: once with its work done but not
committed (nothing may be gone: every row there, no `subject.erase` entry), once just after
the commit (everything the plan erases is gone, with its audit entry and restrictions), and
`dataskydd subject erase` itself killed at moments spread over its run (each outcome is one of
the two). Afterwards the database opens, SQLite's integrity check passes and the audit chain is
intact.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.engine import make_url

from dataskydd.audit import service as audit_service
from dataskydd.audit.models import AuditEntry
from dataskydd.db.migrate import upgrade_to_head
from dataskydd.db.session import make_engine, make_session_factory, transaction
from tests.conftest import POSTGRES_URL, TEST_SECRET, postgres_schema
from tests.subject_requests.builders import add_everything
from tests.subject_requests.test_erasure import _draw, subject_rows

TODAY = date(2026, 11, 24)

# The erasing process: erase_subject in a transaction, then say how far it got and wait to be
# killed. "uncommitted" stops before the commit, "committed" after it.
DRIVER = """
import sys, time
from datetime import date
from dataskydd import crypto
from dataskydd.db.session import make_engine, make_session_factory, transaction
from dataskydd.policy.loader import load_bundled_policy
from dataskydd.subject_requests.erasure import erase_subject

crypto.install_keyring(crypto.Keyring(sys.argv[4]))
url, subject_id, stop = sys.argv[1], int(sys.argv[2]), sys.argv[3]
factory = make_session_factory(make_engine(url))
policy = load_bundled_policy()
if stop == "uncommitted":
    session = factory()
    erase_subject(session, actor="crash", policy=policy, subject_id=subject_id,
                  today=date(2026, 11, 24))
    session.flush()
    print("ERASED", flush=True)
else:
    with transaction(factory) as session:
        erase_subject(session, actor="crash", policy=policy, subject_id=subject_id,
                      today=date(2026, 11, 24))
    print("COMMITTED", flush=True)
time.sleep(120)
"""


@contextmanager
def database(kind: str, tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    """A URL another process can open, and an engine on it, migrated."""
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path / 'crash.db'}"
        engine = make_engine(url)
        upgrade_to_head(engine)
        try:
            yield url, engine
        finally:
            engine.dispose()
        return
    with postgres_schema("crash") as engine:
        upgrade_to_head(engine)
        with engine.connect() as connection:
            current = connection.execute(text("SELECT current_schema()")).scalar_one()
        url = (
            make_url(POSTGRES_URL)
            .update_query_dict({"options": f"-csearch_path={current}"})
            .render_as_string(hide_password=False)
        )
        yield url, engine


def environment(tmp_path: Path, url: str) -> dict[str, str]:
    # DATASKYDD_LANGUAGE kept: the CLI speaks English in the suite (tests/conftest.py).
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("DATASKYDD_") or k == "DATASKYDD_LANGUAGE"
    }
    env |= {
        "DATASKYDD_DATABASE_URL": url,
        "DATASKYDD_SECRET_KEY": TEST_SECRET,
        "DATASKYDD_AUDIT_CHECKPOINT_FILE": str(tmp_path / "checkpoints.jsonl"),
    }
    return env


def add_subject(engine: Engine, tag: str) -> tuple[int, dict[str, int]]:
    factory = make_session_factory(engine)
    with transaction(factory) as session:
        subject_id = add_everything(session, _draw, tag, invoice_day=date(2025, 1, 15))
    with factory() as session:
        return subject_id, subject_rows(session, subject_id)


def state(engine: Engine, subject_id: int) -> tuple[dict[str, int], int]:
    """The subject's rows per table, and the number of erasure entries for it."""
    with make_session_factory(engine)() as session:
        erasures = session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "subject.erase", AuditEntry.subject_id == subject_id)
        )
        return subject_rows(session, subject_id), int(erasures or 0)


def sound(engine: Engine) -> None:
    """The database opens, is consistent, and its audit chain is intact."""
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            assert connection.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"
    with make_session_factory(engine)() as session:
        report = audit_service.verify_chain(session)
        assert report.ok, report.reason


def kill_when(process: subprocess.Popen[str], marker: str) -> None:
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line.strip() == marker, f"the driver said {line!r}; stderr: {process.stderr}"
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)


def run_driver(tmp_path: Path, url: str, subject_id: int, stop: str) -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", DRIVER, url, str(subject_id), stop, TEST_SECRET],
        env=environment(tmp_path, url),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        kill_when(process, "ERASED" if stop == "uncommitted" else "COMMITTED")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)


BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.mark.parametrize("kind", BACKENDS)
def test_killed_before_the_commit_nothing_is_erased(kind: str, tmp_path: Path) -> None:
    with database(kind, tmp_path) as (url, engine):
        subject_id, before = add_subject(engine, "crashnothing")
        run_driver(tmp_path, url, subject_id, "uncommitted")
        engine.dispose()  # what a restarted server would see
        assert state(engine, subject_id) == (before, 0)
        sound(engine)


@pytest.mark.parametrize("kind", BACKENDS)
def test_killed_after_the_commit_everything_is_erased(kind: str, tmp_path: Path) -> None:
    with database(kind, tmp_path) as (url, engine):
        subject_id, before = add_subject(engine, "crashall")
        run_driver(tmp_path, url, subject_id, "committed")
        engine.dispose()
        rows, erasures = state(engine, subject_id)
        assert erasures == 1
        # Bookkeeping keeps the invoice and what it names; everything else went.
        assert set(rows) < set(before)
        assert "usage_event" in before
        assert "usage_event" not in rows
        sound(engine)


@pytest.mark.parametrize("kind", BACKENDS)
def test_the_erase_command_killed_at_any_moment_leaves_all_or_nothing(
    kind: str, tmp_path: Path
) -> None:
    with database(kind, tmp_path) as (url, engine):
        env = environment(tmp_path, url)
        # How long the whole command takes here, so the kills spread over its run.
        subject_id, _rows = add_subject(engine, "crashtimed0")
        began = time.monotonic()
        subprocess.run(
            [sys.executable, "-m", "dataskydd", "subject", "erase", str(subject_id), "--yes"],
            env=env,
            check=True,
            capture_output=True,
            timeout=120,
        )
        whole = time.monotonic() - began
        erased_shape = state(engine, subject_id)[0]
        outcomes = []
        for step, fraction in enumerate((0.3, 0.6, 0.8, 0.9, 0.95, 1.0), start=1):
            subject_id, before = add_subject(engine, f"crashtimed{step}")
            process = subprocess.Popen(
                [sys.executable, "-m", "dataskydd", "subject", "erase", str(subject_id), "--yes"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            time.sleep(whole * fraction)
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
            rows, erasures = state(engine, subject_id)
            if erasures == 0:
                assert rows == before, f"killed at {fraction:.0%}: half erased"
                outcomes.append("nothing")
            else:
                assert erasures == 1
                assert set(rows) == set(erased_shape), f"killed at {fraction:.0%}: half erased"
                outcomes.append("all")
        engine.dispose()
        sound(engine)
        assert "nothing" in outcomes, outcomes  # the early kills came before the commit
