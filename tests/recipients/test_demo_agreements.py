"""The demo records the agreements its notice promises, so a fresh demo keeps the promise;
for either company's policy, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy.orm import Session

from dataskydd.demo.agreements import record_demo_agreements
from dataskydd.policy.schema import Policy, RecipientRole
from dataskydd.promises.registry import Status
from dataskydd.recipients import agreements
from tests.recipients.conftest import TODAY
from tests.recipients.test_findings import _promise


def test_every_recipient_but_authorities_gets_a_valid_agreement(
    session: Session, policy: Policy
) -> None:
    wanted = {r.key for r in policy.recipients if r.role is not RecipientRole.AUTHORITY}
    assert wanted
    # Before: the processors' promises are broken, for nothing proves the agreements.
    processors = [r.key for r in policy.recipients if r.role is RecipientRole.PROCESSOR]
    assert all(_promise(session, policy, key) is Status.BROKEN for key in processors)

    assert record_demo_agreements(session, policy=policy, actor="demo", today=TODAY) == len(wanted)
    current = agreements.current_agreements(session)
    assert set(current) == wanted
    for key, agreement in current.items():
        assert agreement.document_id is not None
        assert agreement.signed_on <= TODAY < agreement.review_on
        assert _promise(session, policy, key) is Status.HOLDS, key


def test_running_it_again_records_nothing_more(session: Session, policy: Policy) -> None:
    first = record_demo_agreements(session, policy=policy, actor="demo", today=TODAY)
    assert first > 0
    assert record_demo_agreements(session, policy=policy, actor="demo", today=TODAY) == 0
    assert len(agreements.current_agreements(session)) == first
