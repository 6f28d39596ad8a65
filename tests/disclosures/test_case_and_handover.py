"""A disclosure is a case: a read under the purpose that needs one may name "disclosure:N" for
a subject that disclosure concerned, and no other. The handover produces the disclosure's
categories for its subjects through that decision, audited."""

from __future__ import annotations

import subprocess
import sys

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dataskydd.access import cases
from dataskydd.access import service as access_service
from dataskydd.access.rules import Action
from dataskydd.audit.models import AuditEntry
from dataskydd.auth.access import AccessContext
from dataskydd.disclosures import handover, service
from dataskydd.errors import AccessRefused, Forbidden, InvalidInput
from dataskydd.policy.schema import Policy
from tests import factories as f
from tests.disclosures.conftest import case_purpose, draft


def _decide(
    session: Session, policy: Policy, dpo: AccessContext, subject_id: int, case: str | None
) -> access_service.Decision:
    return access_service.decide(
        session,
        policy,
        dpo,
        action=Action.READ,
        purpose=case_purpose(policy),
        subject_id=subject_id,
        case=case,
        audit_action="subject.show",
    )


def test_the_disclosure_case_kind_is_registered() -> None:
    assert "disclosure" in cases.case_kinds()


def test_a_read_may_name_the_disclosure_for_its_subject_only(
    session: Session, factories: None, policy: Policy, dpo: AccessContext
) -> None:
    concerned, other = f.SubjectFactory().id, f.SubjectFactory().id
    disclosure_id = service.record_disclosure(
        session, dpo, policy=policy, draft=draft(policy, [concerned])
    ).id
    allowed = _decide(session, policy, dpo, concerned, f"disclosure:{disclosure_id}")
    assert allowed.case == f"disclosure:{disclosure_id}"
    with pytest.raises(AccessRefused, match="does not concern this subject"):
        _decide(session, policy, dpo, other, f"disclosure:{disclosure_id}")
    with pytest.raises(AccessRefused, match="does not concern this subject"):
        _decide(session, policy, dpo, concerned, f"disclosure:{disclosure_id + 1000}")
    with pytest.raises(AccessRefused):
        _decide(session, policy, dpo, concerned, None)


def test_the_handover_holds_the_disclosures_categories_for_each_subject(
    session: Session, factories: None, policy: Policy, dpo: AccessContext
) -> None:
    first, second = f.SubjectFactory().id, f.SubjectFactory().id
    disclosure = service.record_disclosure(
        session, dpo, policy=policy, draft=draft(policy, [first, second])
    )
    document = handover.build_handover(session, dpo, policy=policy, disclosure_id=disclosure.id)
    assert document["purpose"] == case_purpose(policy)
    assert [s["subject_id"] for s in document["subjects"]] == [first, second]
    wanted = service.categories_of(disclosure)
    for subject in document["subjects"]:
        assert {group["category"] for group in subject["categories"]} == set(wanted)
    reads = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "subject.show").order_by(AuditEntry.id)
    ).all()
    assert [(e.subject_id, e.detail["case"]) for e in reads] == [
        (first, f"disclosure:{disclosure.id}"),
        (second, f"disclosure:{disclosure.id}"),
    ]
    (audited,) = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "disclosure.handover")
    ).all()
    assert audited.detail == {"disclosure": disclosure.id, "subjects": 2, "categories": wanted}


def test_the_handover_purpose_must_need_a_case(
    session: Session, factories: None, policy: Policy, dpo: AccessContext
) -> None:
    subject_id = f.SubjectFactory().id
    disclosure_id = service.record_disclosure(
        session, dpo, policy=policy, draft=draft(policy, [subject_id])
    ).id
    ordinary = next(key for key, p in policy.purposes.items() if not p.case_required)
    for purpose, reason in ((ordinary, "needs a case"), ("no_such_purpose", "unknown")):
        with pytest.raises(InvalidInput, match=reason) as refused:
            handover.build_handover(
                session, dpo, policy=policy, disclosure_id=disclosure_id, purpose=purpose
            )
        assert refused.value.field == "purpose"


def test_customer_service_gets_no_handover(
    session: Session,
    factories: None,
    policy: Policy,
    dpo: AccessContext,
    customer_service: AccessContext,
) -> None:
    subject_id = f.SubjectFactory().id
    disclosure_id = service.record_disclosure(
        session, dpo, policy=policy, draft=draft(policy, [subject_id])
    ).id
    with pytest.raises(Forbidden):
        handover.build_handover(
            session, customer_service, policy=policy, disclosure_id=disclosure_id
        )


# The CLI loads its commands lazily (cli/__init__.py); every command that opens the database
# does so through cli/_context.py, which imports every model package.
@pytest.mark.parametrize("entry_point", ["dataskydd.web.app", "dataskydd.cli._context"])
def test_the_case_kind_is_registered_wherever_the_software_starts(entry_point: str) -> None:
    program = (
        f"import {entry_point}\n"
        "from dataskydd.access import cases\n"
        "print(' '.join(cases.case_kinds()))\n"
    )
    ran = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True, timeout=120
    )
    assert "disclosure" in ran.stdout.split()
