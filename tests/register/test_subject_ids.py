"""A subject id is never given twice: requests, objections, consents and audit entries refer
to subjects by id only and outlive erasure, so a new subject with an erased subject's id would
inherit them. On SQLite the subject table is AUTOINCREMENT (migration 0009); PostgreSQL's
sequence never goes back."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from alembic import command
from sqlalchemy import Engine, func, insert, select, text
from sqlalchemy.orm import Session
from typer.testing import Result

from dataskydd.access.models import Objection
from dataskydd.cli._context import cli_transaction, current_policy
from dataskydd.db.base import Base
from dataskydd.db.migrate import alembic_config, upgrade_to_head
from dataskydd.db.session import make_engine
from dataskydd.policy.loader import load_bundled_policy
from dataskydd.register import service
from dataskydd.register.models import Subject
from dataskydd.subject_requests import objections
from dataskydd.subject_requests.erasure import erase_subject
from tests.cli import conftest as cli_fixtures

POLICY = load_bundled_policy()
TODAY = date(2026, 11, 24)


def new_subject(session: Session, name: str) -> int:
    subject = service.create_subject(
        session,
        actor="test",
        data={"given_name": name, "family_name": "Test", "emails": [f"{name}@example.se"]},
    )
    return subject.id


def test_an_erased_subjects_id_is_not_given_to_the_next_subject(session: Session) -> None:
    erased = new_subject(session, "forst")
    objections.record_objections(
        session, policy=POLICY, actor="test", subject_id=erased, purposes=["recommendations"]
    )
    assert session.scalar(select(func.max(Subject.id))) == erased  # the case SQLite reused
    plan = erase_subject(session, actor="test", policy=POLICY, subject_id=erased, today=TODAY)
    assert plan.kept == frozenset()  # nothing under a duty: the subject row itself is gone
    assert session.get(Subject, erased) is None

    newcomer = new_subject(session, "andra")
    assert newcomer > erased
    # The objection stays with the erased id, as evidence; the newcomer has none.
    assert objections.current_objections(session, erased) == {"recommendations"}
    assert objections.current_objections(session, newcomer) == set()


def test_a_deleted_highest_row_does_not_free_its_id(session: Session) -> None:
    """The same without the erasure service: the database itself refuses to reuse."""
    table = Base.metadata.tables["subject"]
    first = new_subject(session, "hog")
    session.execute(table.delete().where(table.c.id == first))
    assert new_subject(session, "ny") > first


def test_the_migrated_sqlite_table_is_autoincrement(sqlite_engine: Engine) -> None:
    with sqlite_engine.connect() as connection:
        declared = connection.execute(
            text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'subject'")
        ).scalar_one()
    assert "PRIMARY KEY AUTOINCREMENT" in declared


def _declared(engine: Engine) -> str:
    with engine.connect() as connection:
        return str(
            connection.execute(
                text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'subject'")
            ).scalar_one()
        )


def _sequence(engine: Engine) -> list[tuple[str, int]]:
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT name, seq FROM sqlite_sequence"))
        return [(name, seq) for name, seq in rows if name == "subject"]


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for name, table in Base.metadata.tables.items()
            if name in ("subject", "contact_point", "subject_role", "contract", "objection")
        }


def test_migration_0009_keeps_every_row_and_starts_past_every_known_id(tmp_path: Path) -> None:
    """An existing register: subjects with rows in tables that cascade from subject, and an
    objection of a subject (9) that was erased and deleted before the migration."""
    engine = make_engine(f"sqlite:///{tmp_path / 'register.db'}")
    command.upgrade(alembic_config(engine), "0008")
    before = _declared(engine)
    with Session(engine) as session, session.begin():
        for name in ("anna", "bo", "cia"):
            subject_id = new_subject(session, name)
            session.execute(
                insert(Base.metadata.tables["contract"]).values(
                    subject_id=subject_id,
                    contract_number=f"A-{subject_id}",
                    signed_on=TODAY,
                    starts_on=TODAY,
                    status="active",
                )
            )
        session.add(Objection(subject_id=9, purpose="marketing"))
    counts = _counts(engine)

    upgrade_to_head(engine)

    assert "PRIMARY KEY AUTOINCREMENT" in _declared(engine)
    assert _counts(engine) == counts  # the ON DELETE CASCADE children are all still there
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA foreign_key_check")).all() == []
        assert connection.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"
    assert _sequence(engine) == [("subject", 9)]
    with Session(engine) as session, session.begin():
        assert new_subject(session, "dan") == 10  # not 4: id 9 is still referred to
        assert objections.current_objections(session, 10) == set()

    command.downgrade(alembic_config(engine), "0008")
    assert _declared(engine) == before
    assert _sequence(engine) == []
    upgrade_to_head(engine)
    assert _sequence(engine) == [("subject", 10)]
    engine.dispose()


# The operator's commands, as in tests/cli (fixtures reused, not copied).
workdir = cli_fixtures.workdir
run = cli_fixtures.run
initialised = cli_fixtures.initialised


def test_after_subject_erase_a_new_subject_inherits_nothing(
    initialised: Result, run: cli_fixtures.Run, workdir: Path
) -> None:
    policy = current_policy()
    with cli_transaction() as session:
        erased = new_subject(session, "forst")
        objections.record_objections(
            session, policy=policy, actor="test", subject_id=erased, purposes=["recommendations"]
        )
    assert run("subject", "erase", str(erased), "--yes").exit_code == 0
    with cli_transaction() as session:
        newcomer = new_subject(session, "andra")
    assert newcomer > erased
    assert run("subject", "export", str(newcomer), "--out", "utdrag").exit_code == 0
    document = json.loads((workdir / "utdrag" / "registerutdrag.json").read_text())
    assert document["processing"]["objections"]["total"] == 0
