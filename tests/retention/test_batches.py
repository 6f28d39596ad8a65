"""A run's batches on PostgreSQL choose their keys first and then find the rows by them.

Rows a run deletes stay in the table and its indexes as dead entries until VACUUM. Planning
`DELETE … WHERE id IN (SELECT … LIMIT n)` as a join probed the key's index for its lowest
value, past those entries, so each batch cost more than the one before (benchmarks/README.md,
retention); at the sizes a test can afford the probe does not show in time or buffers, so
what is checked is the shape that does not probe: the keys as an InitPlan, the rows found by
`= ANY` of them, no join."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select, text
from sqlalchemy.orm import Session

from dataskydd.db.migrate import upgrade_to_head
from dataskydd.policy.schema import Policy
from dataskydd.register import models
from dataskydd.register.enums import RoleKind, SubjectKind
from dataskydd.retention import runs
from dataskydd.retention.models import RetentionLine
from tests.conftest import postgres_schema
from tests.retention.conftest import TODAY

DUE = 5_000
KEPT = 2_000
BATCH = 500
# Before any rule the test policies give usage events (counted from the event's date), and
# within all of them: the customer is a customer still.
LONG_AGO = dt.datetime(2012, 1, 1, 12, tzinfo=dt.UTC)
RECENT = dt.datetime.combine(TODAY - dt.timedelta(days=20), dt.time(12), dt.UTC)


@pytest.fixture
def pg_engine() -> Iterator[Engine]:
    with postgres_schema("retb") as engine:
        upgrade_to_head(engine)
        yield engine


def _customer_with_events(engine: Engine) -> None:
    """A customer still, with DUE events long ago and KEPT from the last weeks (ids in time
    order, as events arrive)."""
    with Session(engine) as session, session.begin():
        subject = models.Subject(
            kind=SubjectKind.PERSON, given_name="Kund", family_name="Batch", search_name="kund"
        )
        session.add(subject)
        session.flush()
        session.add(
            models.SubjectRole(
                subject_id=subject.id, role=RoleKind.CUSTOMER, started_on=dt.date(2011, 1, 1)
            )
        )
        subject_id = int(subject.id)
    with engine.begin() as connection:
        for start, count in ((LONG_AGO, DUE), (RECENT, KEPT)):
            connection.execute(
                text(
                    "INSERT INTO usage_event (subject_id, occurred_at, kind, device_type, item)"
                    " SELECT :subject, :at + n * interval '1 minute', 'view', 'tv', 'film'"
                    " FROM generate_series(1, :count) AS n"
                ),
                {"subject": subject_id, "at": start, "count": count},
            )
        # Statistics, as autovacuum leaves them on a real table: the planner's estimates
        # (and its probes of a column's range) use them. Autovacuum off for the table, as
        # between two of its rounds on a busy one: the deleted rows stay as dead entries.
        connection.execute(text("ANALYZE usage_event"))
        connection.execute(text("ALTER TABLE usage_event SET (autovacuum_enabled = off)"))


def _plan(engine: Engine, statement: str, parameters: Any) -> list[str]:
    with engine.connect() as connection:
        lines = connection.exec_driver_sql("EXPLAIN (COSTS OFF) " + statement, parameters)
        return [str(line) for line in lines.scalars()]


@pytest.mark.postgres
def test_a_batch_is_found_by_its_keys_not_joined(pg_engine: Engine, policy: Policy) -> None:
    _customer_with_events(pg_engine)
    sent: list[tuple[str, Any]] = []

    def note(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_rest: Any) -> None:
        if statement.startswith(("DELETE FROM usage_event", "UPDATE usage_event")):
            sent.append((statement, parameters))

    event.listen(pg_engine, "before_cursor_execute", note)
    try:
        run_id = runs.run_retention(pg_engine, policy, today=TODAY, by="test", batch_size=BATCH)
    finally:
        event.remove(pg_engine, "before_cursor_execute", note)
    with Session(pg_engine) as session:
        assert session.scalar(select(func.count()).select_from(models.UsageEvent)) == KEPT
        erased = session.scalar(
            select(func.sum(RetentionLine.rows_erased)).where(
                RetentionLine.run_id == run_id, RetentionLine.table_name == "usage_event"
            )
        )
        assert erased == DUE
    # Every batch full, then one that finds nothing; each after the last key of the one
    # before (the keyset), none from the start of the table again.
    assert len(sent) == DUE // BATCH + 1
    assert all("usage_event.id >" in statement for statement, _ in sent[1:])
    # The keys are chosen first (an InitPlan) and the rows then found by them in the key's
    # index: no join of the table with itself, whose planning probed the key's index for its
    # lowest value, past the dead entries of every row erased before (6,000 index pages a
    # batch halfway through 10 M rows).
    plan = _plan(pg_engine, *sent[-2])
    joins = [line for line in plan if "Join" in line or "Nested Loop" in line]
    assert not joins, plan
    assert any("InitPlan" in line for line in plan), plan
    assert any("= ANY ($0)" in line for line in plan), plan
