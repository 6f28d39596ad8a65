"""Legal holds: placed and lifted with a reason and a reference, audited, refused when they say
nothing or name what the policy lacks, and respected by an erasure request."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dataskydd.audit.models import AuditEntry
from dataskydd.datamap.entries import category_of
from dataskydd.errors import Conflict, InvalidInput, NotFound
from dataskydd.policy.schema import Policy
from dataskydd.register import models
from dataskydd.retention import holds
from dataskydd.subject_requests.erasure import ErasureAction, erase_subject
from tests import factories as f

REASON = "Begäran från Polismyndigheten"
REFERENCE = "Dnr 5000-K123-26"


def _place(session: Session, policy: Policy, subject_id: int, category: str | None) -> int:
    hold = holds.place_hold(
        session,
        policy=policy,
        subject_id=subject_id,
        category=category,
        reason=REASON,
        reference=REFERENCE,
        by="staff:dpo",
    )
    return hold.id


def test_placing_and_lifting_are_audited(session: Session, factories: None, policy: Policy) -> None:
    subject = f.SubjectFactory()
    hold_id = _place(session, policy, subject.id, None)
    with pytest.raises(Conflict, match="already covers"):
        _place(session, policy, subject.id, None)
    holds.lift_hold(session, hold_id=hold_id, reason="Ärendet avslutat", by="staff:dpo")
    with pytest.raises(Conflict, match="already lifted"):
        holds.lift_hold(session, hold_id=hold_id, reason="Ärendet avslutat", by="staff:dpo")
    entries = session.scalars(
        select(AuditEntry).where(AuditEntry.subject_id == subject.id).order_by(AuditEntry.id)
    ).all()
    assert [e.action for e in entries] == ["hold.place", "hold.lift"]
    assert REASON not in str([e.detail for e in entries])  # ids and categories only
    assert holds.holds(session, subject_id=subject.id, standing_only=True) == []


def test_bad_holds_are_refused_with_the_field(
    session: Session, factories: None, policy: Policy
) -> None:
    subject = f.SubjectFactory()
    with pytest.raises(InvalidInput) as unknown:
        _place(session, policy, subject.id, "no_such_category")
    assert unknown.value.field == "category"
    with pytest.raises(InvalidInput) as empty:
        holds.place_hold(
            session,
            policy=policy,
            subject_id=subject.id,
            category=None,
            reason="  ",
            reference=REFERENCE,
            by="dpo",
        )
    assert empty.value.field == "reason"
    for value in ("Tvist\x00", "Tvist\x1b[31m", "Tvist\nom faktura"):
        with pytest.raises(InvalidInput) as control:
            holds.place_hold(
                session,
                policy=policy,
                subject_id=subject.id,
                category=None,
                reason="Tvist om faktura",
                reference=value,
                by="dpo",
            )
        assert control.value.field == "reference"
        assert value not in control.value.message
    assert holds.holds(session, subject_id=subject.id) == []
    with pytest.raises(NotFound):
        _place(session, policy, 2**31 - 1, None)
    with pytest.raises(NotFound):
        holds.lift_hold(session, hold_id=2**31 - 1, reason="Ärendet avslutat", by="dpo")


def test_an_erasure_keeps_what_a_hold_covers(
    session: Session, factories: None, policy: Policy
) -> None:
    subject = f.SubjectFactory()
    f.EmailFactory(subject_id=subject.id)
    f.UsageEventFactory(subject_id=subject.id)
    contact = category_of("contact_point", "value")
    usage = category_of("usage_event", "occurred_at")
    _place(session, policy, subject.id, contact)
    plan = erase_subject(
        session,
        actor="staff:dpo",
        policy=policy,
        subject_id=subject.id,
        today=dt.date(2026, 11, 30),
    )
    items = {item.category: item for item in plan.items}
    assert items[contact].action is ErasureAction.KEEP
    assert items[contact].reason == f"Rättsligt krav: {REFERENCE}"
    assert items[usage].action is ErasureAction.ERASE
    left = session.scalars(
        select(models.ContactPoint.id).where(models.ContactPoint.subject_id == subject.id)
    ).all()
    assert len(left) == 1
