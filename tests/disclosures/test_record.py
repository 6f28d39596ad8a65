"""Recording a disclosure: every field checked before anything is written, each problem naming
its field; audited by ids and category keys; refused to a role without disclosures.manage."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dataskydd.audit.models import AuditEntry
from dataskydd.auth.access import AccessContext
from dataskydd.disclosures import service
from dataskydd.disclosures.models import AuthorityKind, Disclosure, DisclosureSubject
from dataskydd.errors import Conflict, Forbidden, InvalidInput
from dataskydd.policy.schema import Policy
from tests import factories as f
from tests.disclosures.conftest import TODAY, draft


def _count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Disclosure)) or 0


def test_a_disclosure_is_logged_and_audited_per_subject(
    session: Session, factories: None, policy: Policy, dpo: AccessContext
) -> None:
    first, second = f.SubjectFactory().id, f.SubjectFactory().id
    recorded = service.record_disclosure(
        session, dpo, policy=policy, draft=draft(policy, [first, second, first]), today=TODAY
    )
    assert recorded.authority_kind is AuthorityKind.POLICE
    assert service.categories_of(recorded) == list(
        policy.purposes[next(k for k, p in policy.purposes.items() if p.case_required)].categories[
            :2
        ]
    )
    detail = service.get_disclosure(session, dpo, recorded.id)
    assert detail.subject_ids == sorted([first, second])
    assert not detail.confidential_now
    entries = session.scalars(
        select(AuditEntry).where(AuditEntry.action.like("disclosure.%")).order_by(AuditEntry.id)
    ).all()
    assert [(e.action, e.subject_id) for e in entries] == [
        ("disclosure.record", None),
        ("disclosure.subject", first),
        ("disclosure.subject", second),
    ]
    # Ids, kinds and category keys only: not the authority's name, ground or reference.
    assert "Polismyndigheten" not in str([e.detail_json for e in entries])
    assert "5000-K123456-26" not in str([e.detail_json for e in entries])
    total, listed = service.list_disclosures(session, dpo, subject_id=second)
    assert (total, [d.id for d in listed]) == (1, [recorded.id])
    assert service.list_disclosures(session, dpo, subject_id=second + 1000)[0] == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"categories": ["no_such_category"]}, "categories"),
        ({"categories": []}, "categories"),
        ({"requested_on": "2026-02-30"}, "requested_on"),
        ({"handed_over_on": "2026-12-01"}, "handed_over_on"),
        ({"handed_over_on": "2026-11-01"}, "handed_over_on"),
        ({"requested_on": "1900-01-01"}, "requested_on"),
        ({"authority_kind": "king"}, "authority_kind"),
        ({"authority": "  "}, "authority"),
        ({"legal_ground": "x" * 301}, "legal_ground"),
        ({"reference": "Dnr\x00 1"}, "reference"),
        ({"description": "ok"}, "description"),
        ({"subjects": ""}, "subjects"),
        ({"subjects": "ett, två"}, "subjects"),
        ({"confidential": True}, "confidential_ground"),
        (
            {
                "confidential": True,
                "confidential_ground": "Förundersökningssekretess, OSL 18 kap. 1 §",
                "confidential_until": "2026-11-29",
            },
            "confidential_until",
        ),
        (
            {
                "confidential": True,
                "confidential_ground": "OSL 18 kap. 1 §",
                "confidential_until": "2027-02-29",
            },
            "confidential_until",
        ),
        ({"confidential_ground": "OSL 18 kap. 1 §"}, "confidential"),
    ],
)
def test_bad_input_is_refused_with_its_field_and_nothing_is_written(
    session: Session,
    factories: None,
    policy: Policy,
    dpo: AccessContext,
    changes: dict[str, object],
    field: str,
) -> None:
    subject_id = f.SubjectFactory().id
    with pytest.raises(InvalidInput) as refused:
        service.record_disclosure(
            session, dpo, policy=policy, draft=draft(policy, [subject_id], **changes), today=TODAY
        )
    assert field in [where for where, _ in refused.value.problems]
    assert _count(session) == 0
    assert session.scalar(select(func.count()).select_from(DisclosureSubject)) == 0


def test_a_missing_subject_is_named_by_id_and_all_problems_come_at_once(
    session: Session, factories: None, policy: Policy, dpo: AccessContext
) -> None:
    subject_id = f.SubjectFactory().id
    missing = subject_id + 100_000
    with pytest.raises(InvalidInput) as refused:
        service.record_disclosure(
            session,
            dpo,
            policy=policy,
            draft=draft(policy, [subject_id, missing], requested_on="2027-01-01"),
            today=TODAY,
        )
    assert refused.value.problems == [
        ("requested_on", "must not be in the future"),
        ("handed_over_on", "must not be before the day it was requested"),
        ("subjects", f"no subject with id {missing}"),
    ]
    assert _count(session) == 0


def test_customer_service_may_neither_record_nor_read_the_log(
    session: Session, factories: None, policy: Policy, customer_service: AccessContext
) -> None:
    subject_id = f.SubjectFactory().id
    with pytest.raises(Forbidden):
        service.record_disclosure(
            session, customer_service, policy=policy, draft=draft(policy, [subject_id])
        )
    with pytest.raises(Forbidden):
        service.list_disclosures(session, customer_service)
    assert _count(session) == 0


def test_confidentiality_is_lifted_once_with_a_reason(
    session: Session, factories: None, policy: Policy, dpo: AccessContext
) -> None:
    subject_id = f.SubjectFactory().id
    plain = service.record_disclosure(
        session, dpo, policy=policy, draft=draft(policy, [subject_id]), today=TODAY
    )
    with pytest.raises(Conflict, match="not confidential"):
        service.lift_confidentiality(session, dpo, disclosure_id=plain.id, reason="Slut")
    secret = service.record_disclosure(
        session,
        dpo,
        policy=policy,
        draft=draft(policy, [subject_id], confidential=True, confidential_ground="OSL 18 kap. 1 §"),
        today=TODAY,
    )
    with pytest.raises(InvalidInput) as empty:
        service.lift_confidentiality(session, dpo, disclosure_id=secret.id, reason=" ")
    assert empty.value.field == "reason"
    service.lift_confidentiality(
        session, dpo, disclosure_id=secret.id, reason="Förundersökningen nedlagd"
    )
    assert not service.get_disclosure(session, dpo, secret.id).confidential_now
    with pytest.raises(Conflict, match="already lifted"):
        service.lift_confidentiality(session, dpo, disclosure_id=secret.id, reason="Igen")
