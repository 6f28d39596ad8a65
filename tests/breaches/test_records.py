"""Recording and changing a breach: validated fields named in errors, history of earlier
values, audit rows without the texts, and only `breaches.manage` may do it."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dataskydd.audit.models import AuditEntry
from dataskydd.auth.access import AccessContext
from dataskydd.breaches import records
from dataskydd.breaches.models import Breach, BreachEvent, BreachStatus, ImyDecision
from dataskydd.clock import utc_now
from dataskydd.errors import Conflict, Forbidden, InvalidInput, NotFound
from dataskydd.policy.schema import Policy
from tests.breaches.conftest import breach_input, local


def _actions(session: Session) -> list[str]:
    return [
        e.action
        for e in session.scalars(
            select(AuditEntry).where(AuditEntry.action.like("breach.%")).order_by(AuditEntry.id)
        )
    ]


def test_a_breach_is_recorded_with_its_deadline_and_audited(
    session: Session, policy: Policy, dpo: AccessContext
) -> None:
    data = breach_input(policy)
    breach = records.record_breach(session, policy, dpo, data)
    assert breach.status is BreachStatus.OPEN
    assert breach.imy_decision is ImyDecision.PENDING
    assert breach.occurred_approximate
    assert local(breach.aware_at) == data.aware_at
    assert records.split(breach.categories) == list(data.categories)
    assert _actions(session) == ["breach.record"]
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "breach.record")).one()
    assert data.description not in json.dumps(entry.detail)
    assert [e["kind"] for e in records.history(session, dpo, breach.id)] == ["recorded"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"aware_at": "2026-02-30 10:00"}, "aware_at"),
        ({"aware_at": local(utc_now() + timedelta(days=2))}, "aware_at"),
        ({"occurred_at": local(utc_now() - timedelta(minutes=30))}, "occurred_at"),
        ({"nature": ["leaked"]}, "nature"),
        ({"nature": []}, "nature"),
        ({"categories": ["no_such_category"]}, "categories"),
        ({"subject_kinds": []}, "subject_kinds"),
        ({"subjects_approx": -1}, "subjects_approx"),
        ({"records_approx": True}, "records_approx"),
        ({"title": "a\x00b"}, "title"),
        ({"description": "  "}, "description"),
        ({"consequences": "x" * 4001}, "consequences"),
    ],
)
def test_bad_input_is_refused_with_the_field_and_nothing_saved(
    session: Session, policy: Policy, dpo: AccessContext, change: dict[str, object], field: str
) -> None:
    data = replace(breach_input(policy), **change)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput) as refused:
        records.record_breach(session, policy, dpo, data)
    assert refused.value.field == field
    assert session.scalar(select(Breach.id)) is None


def test_an_update_keeps_the_earlier_values(
    session: Session, policy: Policy, dpo: AccessContext
) -> None:
    data = breach_input(policy)
    breach = records.record_breach(session, policy, dpo, data)
    changed = records.update_breach(
        session, policy, dpo, breach.id, replace(data, subjects_approx=500, records_approx=900)
    )
    assert changed == ["records_approx", "subjects_approx"]
    assert breach.subjects_approx == 500
    event = session.scalars(select(BreachEvent).where(BreachEvent.kind == "updated")).one()
    assert json.loads(event.detail)["before"] == {"subjects_approx": 120, "records_approx": 240}
    assert (
        records.update_breach(
            session, policy, dpo, breach.id, replace(data, subjects_approx=500, records_approx=900)
        )
        == []
    )
    assert _actions(session) == ["breach.record", "breach.update"]


def test_closed_breaches_are_not_changed_until_reopened(
    session: Session, policy: Policy, dpo: AccessContext
) -> None:
    data = breach_input(policy)
    breach = records.record_breach(session, policy, dpo, data)
    records.set_status(session, dpo, breach.id, BreachStatus.CLOSED)
    with pytest.raises(Conflict):
        records.set_status(session, dpo, breach.id, BreachStatus.CLOSED)
    with pytest.raises(Conflict):
        records.update_breach(session, policy, dpo, breach.id, replace(data, records_approx=1))
    records.set_status(session, dpo, breach.id, BreachStatus.OPEN)
    assert records.update_breach(session, policy, dpo, breach.id, replace(data, records_approx=1))


def test_customer_service_may_do_nothing(
    session: Session, policy: Policy, dpo: AccessContext, agent: AccessContext
) -> None:
    breach = records.record_breach(session, policy, dpo, breach_input(policy))
    with pytest.raises(Forbidden):
        records.record_breach(session, policy, agent, breach_input(policy))
    with pytest.raises(Forbidden):
        records.get_breach(session, agent, breach.id)
    with pytest.raises(Forbidden):
        records.list_breaches(session, agent)
    with pytest.raises(NotFound):
        records.get_breach(session, dpo, breach.id + 1000)
