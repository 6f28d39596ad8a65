"""Migration 0008: a format-1 (plain SHA-256) log becomes a MAC chain, and only if it was intact."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, exc, text
from sqlalchemy.orm import Session

from dataskydd import crypto
from dataskydd.audit import chain
from dataskydd.audit import service as audit_service
from dataskydd.db.migrate import alembic_config
from dataskydd.db.session import make_engine
from dataskydd.errors import ConfigurationError
from tests.audit.attacks import as_attacker
from tests.conftest import postgres_schema

START = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def at_0007(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A database migrated to 0007 holding three format-1 entries."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
        command.upgrade(alembic_config(engine), "0007")
        _insert_format_1(engine, 3)
        yield engine
        engine.dispose()
        return
    with postgres_schema("mig") as engine:
        command.upgrade(alembic_config(engine), "0007")
        _insert_format_1(engine, 3)
        yield engine


def _format_1_hash(prev: str, row: dict[str, object]) -> str:
    """Format 1 as chain.py had it: SHA-256 over the key-sorted JSON, "v": 1, "prev_hash"."""
    at = row["at"]
    assert isinstance(at, datetime)
    payload = {
        "v": 1,
        "prev_hash": prev,
        **{k: row[k] for k in ("id", "actor", "action", "subject_id", "purpose")},
        "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
        "detail": json.loads(str(row["detail"])),
    }
    serialised = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(serialised.encode()).hexdigest()


def _insert_format_1(engine: Engine, count: int) -> None:
    prev = chain.GENESIS
    with engine.begin() as connection:
        for n in range(1, count + 1):
            row: dict[str, object] = {
                "id": n,
                "at": START + timedelta(minutes=n),
                "actor": "staff:anna",
                "action": "subject.show",
                "subject_id": 40 + n,
                "purpose": "customer_service",
                "detail": '{"categories":["contact"]}',
            }
            digest = _format_1_hash(prev, row)
            stored_at = row["at"]
            if engine.dialect.name == "sqlite":
                assert isinstance(stored_at, datetime)
                stored_at = stored_at.strftime("%Y-%m-%d %H:%M:%S.%f")
            connection.execute(
                text(
                    "INSERT INTO audit_entry (id, at, actor, action, subject_id, purpose, "
                    "detail, prev_hash, hash) VALUES (:id, :at, :actor, :action, :subject_id, "
                    ":purpose, :detail, :prev, :hash)"
                ),
                {**row, "at": stored_at, "prev": prev, "hash": digest},
            )
            prev = digest


def _hashes(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return list(connection.scalars(text("SELECT hash FROM audit_entry ORDER BY id")))


def test_re_macs_an_intact_format_1_log(at_0007: Engine) -> None:
    format_1 = _hashes(at_0007)
    command.upgrade(alembic_config(at_0007), "0008")
    with Session(at_0007) as session:
        assert audit_service.verify_chain(session) == audit_service.ChainReport(ok=True, checked=3)
        # New entries continue the chain.
        audit_service.record(session, actor="staff:anna", action="subject.show")
        session.commit()
        assert audit_service.verify_chain(session).checked == 4
    assert not set(format_1) & set(_hashes(at_0007))


def test_the_triggers_are_back_afterwards(at_0007: Engine) -> None:
    command.upgrade(alembic_config(at_0007), "0008")
    with pytest.raises(exc.DBAPIError, match="append-only"), at_0007.begin() as connection:
        connection.execute(text("UPDATE audit_entry SET actor = 'x' WHERE id = 1"))


def test_downgrade_restores_format_1(at_0007: Engine) -> None:
    format_1 = _hashes(at_0007)
    command.upgrade(alembic_config(at_0007), "0008")
    command.downgrade(alembic_config(at_0007), "0007")
    assert _hashes(at_0007) == format_1


def test_refuses_to_re_mac_a_tampered_log(at_0007: Engine) -> None:
    as_attacker(at_0007, "UPDATE audit_entry SET purpose = 'marketing' WHERE id = 2")
    before = _hashes(at_0007)
    with pytest.raises(ConfigurationError, match=r"audit_entry #2 does not verify as format 1"):
        command.upgrade(alembic_config(at_0007), "0008")
    assert _hashes(at_0007) == before


def test_needs_the_key_when_there_are_entries(at_0007: Engine) -> None:
    crypto.install_keyring(None)  # and settings_in_tmp: no DATASKYDD_SECRET_KEY, no key file
    with pytest.raises(ConfigurationError, match="needs the secret key"):
        command.upgrade(alembic_config(at_0007), "0008")
