"""Every way someone with database access but without the key can rewrite the log, caught by
verify_against_checkpoint with the entry named; and a checkpoint file that was forged."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from dataskydd import crypto
from dataskydd.audit import checkpoint_file, checkpoints
from dataskydd.audit import service as audit_service
from dataskydd.audit.models import AuditEntry
from dataskydd.clock import utc_now
from tests.audit.attacks import append, as_attacker, forge_insert, rechain_with_sha256

Report = audit_service.ChainReport


@pytest.fixture
def anchored(session: Session, tmp_path: Path) -> Path:
    """Five entries and a checkpoint of them, kept in a file the attacker cannot reach."""
    append(session, 5)
    path = tmp_path / "kept-by-the-dpo.jsonl"
    report, written = audit_service.write_checkpoint(session, path)
    session.commit()
    assert report.ok
    assert written is not None
    assert written.count == 5
    return path


def verify(session: Session, path: Path) -> Report:
    session.rollback()  # see the attacker's committed changes, as a new CLI run would
    return audit_service.verify_against_checkpoint(session, path, batch_size=2)


class TestIntact:
    def test_matches_its_checkpoint(self, session: Session, anchored: Path) -> None:
        report = verify(session, anchored)
        assert report.ok
        assert (report.checked, report.checkpoint_count, report.checkpoints_checked) == (5, 5, 1)
        assert report.checkpoint_at is not None

    def test_entries_added_after_the_checkpoint_are_fine(
        self, session: Session, anchored: Path
    ) -> None:
        append(session, 3)
        report = verify(session, anchored)
        assert (report.ok, report.checked, report.checkpoint_count) == (True, 8, 5)

    def test_the_newest_of_many_checkpoints_is_reported(
        self, session: Session, anchored: Path
    ) -> None:
        append(session, 2)
        audit_service.write_checkpoint(session, anchored)
        report = verify(session, anchored)
        assert (report.ok, report.checkpoint_count, report.checkpoints_checked) == (True, 7, 2)

    def test_without_a_checkpoint_file_only_the_chain_is_checked(
        self, session: Session, tmp_path: Path
    ) -> None:
        append(session, 2)
        report = verify(session, tmp_path / "absent.jsonl")
        assert report == Report(ok=True, checked=2)

    def test_pages_through_more_checkpoints_than_one_query_takes(
        self, session: Session, anchored: Path, keyring: crypto.Keyring
    ) -> None:
        audit_service.write_checkpoint(session, anchored)
        session.rollback()
        heads = {p.last_id: p.last_mac for p in checkpoint_file.read(anchored, keyring)}
        line = checkpoints.sign(keyring, last_id=5, last_mac=heads[5], at=utc_now()).to_line()
        with anchored.open("a") as handle:
            handle.write(line * 2_100)
        report = verify(session, anchored)
        assert (report.ok, report.checkpoints_checked) == (True, 2_102)


class TestCaught:
    def test_a_changed_row(self, engine: Engine, session: Session, anchored: Path) -> None:
        as_attacker(engine, "UPDATE audit_entry SET purpose = 'marketing' WHERE id = 3")
        report = verify(session, anchored)
        assert (report.ok, report.first_broken_id) == (False, 3)
        assert "does not match its MAC" in report.reason

    def test_a_row_deleted_in_the_middle(
        self, engine: Engine, session: Session, anchored: Path
    ) -> None:
        as_attacker(engine, "DELETE FROM audit_entry WHERE id = 2")
        report = verify(session, anchored)
        assert (report.ok, report.first_broken_id) == (False, 3)
        assert "#2 missing" in report.reason

    def test_the_newest_rows_deleted(
        self, engine: Engine, session: Session, anchored: Path
    ) -> None:
        as_attacker(engine, "DELETE FROM audit_entry WHERE id >= 4")
        report = verify(session, anchored)
        assert (report.ok, report.first_broken_id, report.checked) == (False, 4, 3)
        assert "entries #4–#5 missing (deleted)" in report.reason
        assert "had 5 entries, the log has 3" in report.reason

    def test_every_row_deleted(self, engine: Engine, session: Session, anchored: Path) -> None:
        as_attacker(engine, "DELETE FROM audit_entry")
        report = verify(session, anchored)
        assert (report.ok, report.first_broken_id, report.checked) == (False, 1, 0)
        assert "entries #1–#5 missing" in report.reason

    def test_two_rows_swapped(self, engine: Engine, session: Session, anchored: Path) -> None:
        as_attacker(
            engine,
            "UPDATE audit_entry SET id = 1000 WHERE id = 2",
            "UPDATE audit_entry SET id = 2 WHERE id = 3",
            "UPDATE audit_entry SET id = 3 WHERE id = 1000",
        )
        report = verify(session, anchored)
        assert (report.ok, report.first_broken_id) == (False, 2)

    def test_a_change_rechained_with_plain_sha256(
        self, engine: Engine, session: Session, anchored: Path
    ) -> None:
        rechain_with_sha256(engine, change="purpose = 'marketing'", from_id=4)
        report = verify(session, anchored)
        assert (report.ok, report.first_broken_id) == (False, 4)
        assert "written without the key" in report.reason

    def test_a_forged_entry_inserted_without_dropping_any_trigger(
        self, engine: Engine, session: Session, anchored: Path
    ) -> None:
        forged = forge_insert(engine)
        report = verify(session, anchored)
        assert (report.ok, report.first_broken_id) == (False, forged)
        assert "written without the key" in report.reason

    def test_the_newest_rows_replaced_by_new_ones(
        self, engine: Engine, session: Session, anchored: Path, keyring: crypto.Keyring
    ) -> None:
        """The tail deleted, then the app goes on logging: ids 4 and 5 are reused, and a
        checkpoint taken afterwards vouches for the new chain. The earlier one still counts."""
        as_attacker(engine, "DELETE FROM audit_entry WHERE id >= 4")
        session.rollback()
        append(session, 2)
        head = session.scalars(select(AuditEntry.hash).where(AuditEntry.id == 5)).one()
        checkpoint_file.append(
            anchored, checkpoints.sign(keyring, last_id=5, last_mac=head, at=utc_now())
        )
        report = verify(session, anchored)
        assert (report.ok, report.first_broken_id) == (False, 5)
        assert "replaced after it was taken" in report.reason


class TestForgedCheckpointFile:
    def test_an_edited_line(self, session: Session, anchored: Path) -> None:
        edited = anchored.read_text().replace('"count":5,"last_id":5', '"count":3,"last_id":3')
        anchored.write_text(edited)
        report = verify(session, anchored)
        assert not report.ok
        assert "line 1: checkpoint of entry #3: signature does not match" in report.reason

    def test_a_line_signed_with_another_key(self, session: Session, anchored: Path) -> None:
        other = crypto.Keyring("someone-else-" + "z" * 40)
        checkpoint_file.append(
            anchored, checkpoints.sign(other, last_id=2, last_mac="a" * 64, at=utc_now())
        )
        report = verify(session, anchored)
        assert not report.ok
        assert "line 2" in report.reason

    def test_a_json_line_that_is_no_checkpoint(self, session: Session, anchored: Path) -> None:
        with anchored.open("a") as handle:
            handle.write('{"count": 99}\n')
        report = verify(session, anchored)
        assert not report.ok
        assert "line 2: not a checkpoint" in report.reason

    def test_a_line_cut_short_is_skipped(self, session: Session, anchored: Path) -> None:
        with anchored.open("a") as handle:
            handle.write('{"at":"2026-')
        audit_service.write_checkpoint(session, anchored)
        report = verify(session, anchored)
        assert (report.ok, report.checkpoints_checked) == (True, 2)


class TestWriteCheckpoint:
    def test_refuses_to_sign_a_broken_chain(
        self, engine: Engine, session: Session, anchored: Path
    ) -> None:
        as_attacker(engine, "DELETE FROM audit_entry WHERE id = 5")
        before = anchored.read_text()
        session.rollback()
        report, written = audit_service.write_checkpoint(session, anchored)
        assert written is None
        assert (report.ok, report.first_broken_id) == (False, 5)
        assert anchored.read_text() == before

    def test_of_an_empty_log(self, session: Session, tmp_path: Path) -> None:
        path = tmp_path / "c.jsonl"
        report, written = audit_service.write_checkpoint(session, path)
        assert report.ok
        assert written is not None
        assert (written.count, written.last_mac) == (0, "0" * 64)
        assert verify(session, path).checkpoint_count == 0
