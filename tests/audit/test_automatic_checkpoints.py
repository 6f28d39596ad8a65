"""Commits that wrote audit entries append a checkpoint on their own: the first in a process at
once, then at most every AUTOMATIC_EVERY, and only where it is safe to write."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from dataskydd import crypto
from dataskydd.audit import checkpoint_file
from dataskydd.audit import service as audit_service
from dataskydd.audit.models import AuditEntry
from dataskydd.config import get_settings
from dataskydd.db.session import transaction
from dataskydd.errors import AccessRefused
from tests.conftest import TEST_SECRET


def log_one(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as session:
        audit_service.record(session, actor="staff:anna", action="subject.show")


def fail_after_logging(factory: sessionmaker[Session], error: Exception) -> None:
    with transaction(factory) as session:
        audit_service.record(session, actor="staff:anna", action="subject.show")
        raise error


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


class TestWhen:
    def test_the_first_commit_that_logged_appends_one(
        self, session_factory: sessionmaker[Session], checkpoint_path: Path
    ) -> None:
        log_one(session_factory)
        log_one(session_factory)
        [only] = lines(checkpoint_path)
        assert '"count":1,' in only

    def test_then_again_once_the_last_is_old_enough(
        self,
        session_factory: sessionmaker[Session],
        checkpoint_path: Path,
        keyring: crypto.Keyring,
    ) -> None:
        log_one(session_factory)
        log_one(session_factory)
        age(checkpoint_path, checkpoint_file.AUTOMATIC_EVERY.total_seconds() + 1)
        log_one(session_factory)
        assert [c.count for c in checkpoint_file.read(checkpoint_path, keyring)] == [1, 3]

    def test_not_after_a_rollback(
        self, session_factory: sessionmaker[Session], checkpoint_path: Path
    ) -> None:
        with pytest.raises(RuntimeError):
            fail_after_logging(session_factory, RuntimeError("the request failed"))
        assert not checkpoint_path.exists()

    def test_not_after_a_commit_that_logged_nothing(
        self, session_factory: sessionmaker[Session], checkpoint_path: Path
    ) -> None:
        with transaction(session_factory) as session:
            session.execute(select(AuditEntry.id))
        assert not checkpoint_path.exists()

    def test_after_a_refusal_whose_entry_is_kept(
        self, session_factory: sessionmaker[Session], checkpoint_path: Path
    ) -> None:
        with pytest.raises(AccessRefused):
            fail_after_logging(session_factory, AccessRefused("purpose not allowed"))
        assert len(lines(checkpoint_path)) == 1

    def test_a_checkpoint_that_cannot_be_written_does_not_fail_the_commit(
        self,
        session_factory: sessionmaker[Session],
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        unwritable = tmp_path / "no-such-directory" / "c.jsonl"
        monkeypatch.setenv("DATASKYDD_AUDIT_CHECKPOINT_FILE", str(unwritable))
        get_settings.cache_clear()
        with caplog.at_level(logging.WARNING):
            log_one(session_factory)
        with session_factory() as session:
            assert audit_service.verify_chain(session).checked == 1
        assert "audit checkpoint not appended" in caplog.text
        assert "FileNotFoundError" in caplog.text


class TestWhere:
    """Without DATASKYDD_AUDIT_CHECKPOINT_FILE: beside the key file, if this process uses it."""

    def test_beside_the_key_file_of_the_key_in_use(
        self, session_factory: sessionmaker[Session], settings_in_tmp: Path
    ) -> None:
        crypto.write_key_file(settings_in_tmp / "dataskydd.key", TEST_SECRET)
        log_one(session_factory)
        assert len(lines(settings_in_tmp / checkpoint_file.DEFAULT_NAME)) == 1

    def test_not_beside_a_key_file_of_another_key(
        self, session_factory: sessionmaker[Session], settings_in_tmp: Path
    ) -> None:
        crypto.write_key_file(settings_in_tmp / "dataskydd.key", crypto.generate_secret())
        log_one(session_factory)
        assert not (settings_in_tmp / checkpoint_file.DEFAULT_NAME).exists()

    def test_nowhere_without_a_key_file(
        self, session_factory: sessionmaker[Session], settings_in_tmp: Path
    ) -> None:
        log_one(session_factory)
        assert list(settings_in_tmp.rglob("*.jsonl")) == []
