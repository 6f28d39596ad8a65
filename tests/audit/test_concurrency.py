"""Many writers at once, each reading before it logs (as every personal-data read does):
no "database is locked", no fork, no lost entry, on a SQLite file and on PostgreSQL."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from dataskydd.audit import service as audit_service
from dataskydd.auth.models import StaffUser
from dataskydd.db.session import transaction

THREADS = 16
EACH = 20


def test_concurrent_readers_that_log_neither_fail_nor_fork_the_chain(
    session_factory: sessionmaker[Session], checkpoint_path: Path
) -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def read_then_log(number: int) -> None:
        start.wait()
        for n in range(EACH):
            try:
                # The production boundary, with its after-commit checkpoint.
                with transaction(session_factory) as session:
                    # A read first: on SQLite a deferred transaction now holds a SHARED lock,
                    # which is what used to deadlock against the next writer's commit.
                    session.scalar(select(func.count()).select_from(StaffUser))
                    audit_service.record(
                        session, actor=f"thread:{number}", action="test", detail={"n": n}
                    )
            except BaseException as error:  # reported by the assertion below
                errors.append(error)

    threads = [threading.Thread(target=read_then_log, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [repr(e) for e in errors] == []
    with session_factory() as session:
        report = audit_service.verify_against_checkpoint(session, checkpoint_path)
    assert report.ok, report.reason
    assert report.checked == THREADS * EACH
    # The first commit in this process appended one; the rest came within AUTOMATIC_EVERY.
    assert report.checkpoints_checked >= 1
    assert report.checkpoint_count is not None
    assert 1 <= report.checkpoint_count <= THREADS * EACH
