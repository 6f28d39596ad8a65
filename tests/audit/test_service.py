"""Appending, verifying the MAC chain on its own, the triggers, and listing."""

from datetime import timedelta

import pytest
from sqlalchemy import Engine, exc, select, text
from sqlalchemy.orm import Session, sessionmaker

from dataskydd import crypto
from dataskydd.audit import chain, ddl
from dataskydd.audit import service as audit_service
from dataskydd.audit.models import AuditEntry
from dataskydd.clock import utc_now
from tests.audit.attacks import append, as_attacker


class TestRecord:
    def test_entries_link_from_genesis_in_id_order(self, session: Session) -> None:
        append(session, 3)
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        assert [e.id for e in entries] == [1, 2, 3]
        assert entries[0].prev_hash == chain.GENESIS
        assert entries[1].prev_hash == entries[0].hash
        assert entries[2].prev_hash == entries[1].hash

    def test_each_entry_is_maced_with_the_installed_key(
        self, session: Session, keyring: crypto.Keyring
    ) -> None:
        append(session, 2)
        second = session.get(AuditEntry, 2)
        assert second is not None
        payload = chain.entry_payload(
            second.prev_hash,
            id=2,
            at=second.at,
            actor=second.actor,
            action=second.action,
            subject_id=second.subject_id,
            purpose=second.purpose,
            detail=second.detail,
        )
        assert second.hash == keyring.audit_mac(payload)

    def test_needs_the_key(self, session: Session) -> None:
        crypto.install_keyring(None)
        with pytest.raises(Exception, match="no secret key"):
            audit_service.record(session, actor="a", action="x")

    def test_stores_detail_and_plain_values(self, session: Session) -> None:
        entry = audit_service.record(
            session, actor="cli:root", action="auth.login_failed", detail={"reason": "locked"}
        )
        session.commit()
        session.expire_all()
        stored = session.get(AuditEntry, entry.id)
        assert stored is not None
        assert stored.detail == {"reason": "locked"}
        assert stored.subject_id is None
        assert stored.purpose is None
        assert stored.at.tzinfo is not None

    def test_refuses_detail_that_is_not_plain_json_and_adds_nothing(self, session: Session) -> None:
        with pytest.raises(TypeError):
            audit_service.record(session, actor="a", action="x", detail={"when": utc_now()})
        assert session.scalars(select(AuditEntry)).all() == []

    def test_does_not_commit(self, session_factory: sessionmaker[Session]) -> None:
        with session_factory() as session:
            audit_service.record(session, actor="a", action="x")
            session.rollback()
        with session_factory() as session:
            assert audit_service.verify_chain(session).checked == 0


class TestVerifyChain:
    def test_empty_log_is_intact(self, session: Session) -> None:
        assert audit_service.verify_chain(session) == audit_service.ChainReport(ok=True, checked=0)

    def test_untouched_log_is_intact_across_batches(self, session: Session) -> None:
        append(session, 7)
        report = audit_service.verify_chain(session, batch_size=3)
        assert report.ok
        assert report.checked == 7
        assert report.first_broken_id is None

    def test_names_a_row_whose_purpose_was_changed(self, engine: Engine, session: Session) -> None:
        append(session, 5)
        as_attacker(engine, "UPDATE audit_entry SET purpose = 'marketing' WHERE id = 3")
        report = audit_service.verify_chain(session, batch_size=2)
        assert not report.ok
        assert report.first_broken_id == 3
        assert report.checked == 2
        assert "modified" in report.reason

    def test_names_a_row_whose_detail_was_changed(self, engine: Engine, session: Session) -> None:
        append(session, 3)
        as_attacker(engine, """UPDATE audit_entry SET detail = '{"n":99}' WHERE id = 2""")
        report = audit_service.verify_chain(session)
        assert (report.ok, report.first_broken_id) == (False, 2)

    def test_names_the_row_after_a_deleted_one(self, engine: Engine, session: Session) -> None:
        append(session, 5)
        as_attacker(engine, "DELETE FROM audit_entry WHERE id = 3")
        report = audit_service.verify_chain(session)
        assert (report.ok, report.first_broken_id) == (False, 4)
        assert "#3 missing" in report.reason

    def test_names_the_first_row_when_the_oldest_were_deleted(
        self, engine: Engine, session: Session
    ) -> None:
        append(session, 4)
        as_attacker(engine, "DELETE FROM audit_entry WHERE id <= 2")
        report = audit_service.verify_chain(session)
        assert (report.ok, report.first_broken_id) == (False, 3)

    def test_renumbering_after_a_delete_is_caught(self, engine: Engine, session: Session) -> None:
        append(session, 4)
        as_attacker(
            engine,
            "DELETE FROM audit_entry WHERE id = 2",
            "UPDATE audit_entry SET id = 2 WHERE id = 3",
            "UPDATE audit_entry SET id = 3 WHERE id = 4",
        )
        report = audit_service.verify_chain(session)
        assert (report.ok, report.first_broken_id) == (False, 2)
        assert "does not follow" in report.reason

    def test_swapped_rows_are_caught(self, engine: Engine, session: Session) -> None:
        append(session, 4)
        as_attacker(
            engine,
            "UPDATE audit_entry SET id = 1000 WHERE id = 2",
            "UPDATE audit_entry SET id = 2 WHERE id = 3",
            "UPDATE audit_entry SET id = 3 WHERE id = 1000",
        )
        report = audit_service.verify_chain(session)
        assert (report.ok, report.first_broken_id) == (False, 2)


class TestAppendOnlyTriggers:
    @pytest.mark.parametrize(
        "statement",
        ["UPDATE audit_entry SET purpose = 'marketing'", "DELETE FROM audit_entry"],
    )
    def test_database_refuses_changes(
        self, engine: Engine, session: Session, statement: str
    ) -> None:
        append(session, 2)
        with pytest.raises(exc.DBAPIError, match="append-only"), engine.begin() as connection:
            connection.execute(text(statement))
        assert audit_service.verify_chain(session).checked == 2

    def test_orm_changes_are_refused_too(self, session: Session) -> None:
        append(session, 1)
        entry = session.get(AuditEntry, 1)
        assert entry is not None
        entry.actor = "someone else"
        with pytest.raises(exc.DBAPIError, match="append-only"):
            session.flush()

    @pytest.mark.postgres
    @pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
    def test_postgres_refuses_truncate(self, engine: Engine, session: Session) -> None:
        append(session, 1)
        with pytest.raises(exc.DBAPIError, match="append-only"), engine.begin() as connection:
            connection.execute(text("TRUNCATE audit_entry"))

    def test_unknown_database_is_refused(self) -> None:
        with pytest.raises(Exception, match="unsupported database"):
            ddl.append_only_trigger_sql("oracle")


class TestListEntries:
    def test_filters_and_orders_newest_first(self, session: Session) -> None:
        audit_service.record(session, actor="staff:anna", action="subject.show", subject_id=1)
        audit_service.record(session, actor="staff:bo", action="subject.update", subject_id=1)
        audit_service.record(session, actor="staff:anna", action="subject.show", subject_id=2)
        session.commit()

        assert [e.id for e in audit_service.list_entries(session)] == [3, 2, 1]
        assert [e.id for e in audit_service.list_entries(session, subject_id=1)] == [2, 1]
        assert [e.id for e in audit_service.list_entries(session, actor="staff:anna")] == [3, 1]
        assert [e.id for e in audit_service.list_entries(session, action="subject.update")] == [2]
        assert [e.id for e in audit_service.list_entries(session, limit=1)] == [3]

    def test_time_window_is_since_inclusive_until_exclusive(self, session: Session) -> None:
        entry = audit_service.record(session, actor="a", action="x")
        session.commit()
        assert audit_service.list_entries(session, since=entry.at) == [entry]
        assert audit_service.list_entries(session, until=entry.at) == []
        later = entry.at + timedelta(seconds=1)
        assert audit_service.list_entries(session, since=later) == []
