"""Retention runs on a real database: the plan changes nothing, the run erases exactly what the
rules made due (holds and restrictions respected), a second run finds nothing, and the report
and the audit trail say what happened."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from dataskydd.analytics.models import PageEvent
from dataskydd.audit.models import AuditEntry
from dataskydd.errors import Conflict
from dataskydd.policy.schema import Policy
from dataskydd.register import models
from dataskydd.retention import holds, runs
from dataskydd.retention.models import RetentionRun, RetentionSubject, RunStatus
from tests.retention.conftest import TODAY, World


def _line(plan: list[runs.PlanLine], table: str, category: str) -> runs.PlanLine:
    return next(x for x in plan if x.table == table and x.category == category)


def _emails(session: Session, subject_id: int) -> int:
    statement = select(func.count()).where(models.ContactPoint.subject_id == subject_id)
    return session.scalar(statement) or 0


def test_the_plan_counts_what_is_due_and_changes_nothing(
    own_engine: Engine, world: World, policy: Policy
) -> None:
    usage = world.category("usage_event", "occurred_at")
    contact = world.category("contact_point", "value")
    with Session(own_engine) as session:
        plan = runs.plan_retention(session, policy, today=TODAY)
        events = _line(plan, "usage_event", usage)
        assert (events.rows_due, events.subjects) == (2, 1)
        assert "2025-10-29" in events.rule
        contacts = _line(plan, "contact_point", contact)
        # left only: came_back has an open role, current is a customer, held is held,
        # restricted's contact details are restricted until 2030.
        assert (contacts.rows_due, contacts.rows_held, contacts.rows_restricted) == (1, 1, 1)
        assert session.scalar(select(func.count()).select_from(models.UsageEvent)) == 4
        assert session.scalar(select(func.count()).select_from(RetentionRun)) == 0


def test_a_run_erases_exactly_what_is_due(own_engine: Engine, world: World, policy: Policy) -> None:
    run_id = runs.run_retention(own_engine, policy, today=TODAY, by="test", batch_size=10)
    with Session(own_engine) as session:
        remaining = set(session.scalars(select(models.UsageEvent.id)))
        assert remaining == set(world.new_event_ids)
        assert _emails(session, world.left) == 0
        left = session.get(models.Subject, world.left)
        assert left is not None
        assert left.given_name is None
        assert left.family_name is None
        assert (
            session.scalar(select(func.count()).where(models.SubjectRole.subject_id == world.left))
            == 0
        )
        for kept in (world.came_back, world.current, world.held, world.restricted):
            assert _emails(session, kept) == 1, kept
        held = session.get(models.Subject, world.held)
        assert held is not None
        assert held.given_name is not None
        restricted = session.get(models.Subject, world.restricted)
        # Only the restricted category is kept; the rest of the subject follows its rule.
        assert restricted is not None
        assert restricted.given_name is None
        report = runs.report(session, run_id)
        assert report is not None
        assert report.run.status is RunStatus.FINISHED
        assert report.run.rows_erased == sum(line.rows_erased for line in report.lines)
        assert session.scalar(select(func.count()).select_from(RetentionSubject)) == 0
        actions = set(session.scalars(select(AuditEntry.action)))
        assert {"retention.erase", "retention.run"} <= actions
        assert runs.overdue_rows(session, policy, today=TODAY) == {}
        again = runs.plan_retention(session, policy, today=TODAY)
        assert sum(line.rows_due for line in again) == 0


def test_a_second_run_erases_nothing_more(own_engine: Engine, world: World, policy: Policy) -> None:
    runs.run_retention(own_engine, policy, today=TODAY, by="test")
    second = runs.run_retention(own_engine, policy, today=TODAY, by="test")
    with Session(own_engine) as session:
        report = runs.report(session, second)
        assert report is not None
        assert report.run.rows_erased == 0


def test_a_lifted_hold_lets_the_next_run_erase(
    own_engine: Engine, world: World, policy: Policy
) -> None:
    runs.run_retention(own_engine, policy, today=TODAY, by="test")
    with Session(own_engine) as session, session.begin():
        (hold,) = holds.holds(session, subject_id=world.held, standing_only=True)
        holds.lift_hold(session, hold_id=hold.id, reason="Ärendet avslutat", by="dpo")
    runs.run_retention(own_engine, policy, today=TODAY, by="test")
    with Session(own_engine) as session:
        assert _emails(session, world.held) == 0


def test_a_run_started_while_another_works_is_refused(
    own_engine: Engine, world: World, policy: Policy
) -> None:
    # What a working run holds: PostgreSQL's advisory lock, or the flock beside the SQLite file.
    with runs._one_run_at_a_time(own_engine), pytest.raises(Conflict, match="in progress"):
        runs.run_retention(own_engine, policy, today=TODAY, by="test")
    runs.run_retention(own_engine, policy, today=TODAY, by="test")  # free again


def test_a_stopped_run_is_marked_and_its_work_taken_over(
    own_engine: Engine, world: World, policy: Policy
) -> None:
    stale = dt.datetime(2026, 11, 29, 3, tzinfo=dt.UTC)
    with Session(own_engine) as session, session.begin():
        stopped = RetentionRun(
            status=RunStatus.RUNNING, today=TODAY, by="job", started_at=stale, heartbeat_at=stale
        )
        session.add(stopped)
        session.flush()
        stopped_id = stopped.id
    run_id = runs.run_retention(own_engine, policy, today=TODAY, by="test")
    with Session(own_engine) as session:
        old = session.get(RetentionRun, stopped_id)
        assert old is not None
        assert old.status is RunStatus.INTERRUPTED
        report = runs.report(session, run_id)
        assert report is not None
        assert report.as_dict()["status"] == "finished"


def test_page_events_go_after_their_rule_and_their_network_sooner(
    own_engine: Engine, world: World, policy: Policy
) -> None:
    banner = policy.consent_banner
    assert banner is not None
    assert banner.ip_network_days is not None
    ages = {"old": 500, "network_due": banner.ip_network_days + 2, "recent": 1}
    with Session(own_engine) as session, session.begin():
        for path, days in ages.items():
            session.add(
                PageEvent(
                    visitor_id="a" * 32,
                    visit_id="b" * 32,
                    occurred_at=dt.datetime.combine(
                        TODAY - dt.timedelta(days=days), dt.time(12), dt.UTC
                    ),
                    kind="view",
                    path=f"/{path}",
                    ip_network="192.0.2.0/24",
                    device="desktop",
                )
            )
    run_id = runs.run_retention(own_engine, policy, today=TODAY, by="test")
    with Session(own_engine) as session:
        left = dict(session.execute(select(PageEvent.path, PageEvent.ip_network)).all())
        assert left == {"/network_due": None, "/recent": "192.0.2.0/24"}
        report = runs.report(session, run_id)
        assert report is not None
        lines = {line.table_name: line.rows_erased for line in report.lines}
        assert lines["page_event"] == 1
        assert lines["page_event.ip_network"] == 1
