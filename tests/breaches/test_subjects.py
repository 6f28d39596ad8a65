"""Telling the affected subjects (art. 34): the selection over the data map picks exactly the
subjects holding data of the category, the decision comes first, each subject gets one mail
in Swedish and English per breach, and each address read is an audited access decision."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dataskydd.audit.models import AuditEntry
from dataskydd.auth.access import AccessContext
from dataskydd.breaches import affected, decisions, records, subject_notice
from dataskydd.breaches.models import BreachSubjectNotice
from dataskydd.datamap.entries import contact_category, name_category
from dataskydd.errors import Conflict, InvalidInput
from dataskydd.mail.models import OutboxMail
from dataskydd.policy.schema import Policy
from tests import factories as f
from tests.breaches.conftest import breach_input


def test_the_selection_picks_exactly_the_subjects_holding_the_category(
    session: Session, factories: None, policy: Policy, dpo: AccessContext
) -> None:
    with_mail = [f.EmailFactory().subject_id for _ in range(3)]
    without = f.SubjectFactory().id
    chosen = affected.selection(policy, [contact_category()], None)
    assert affected.count(session, chosen) == 3
    found = [i for batch in affected.batches(session, chosen, size=2) for i in batch]
    assert found == sorted(with_mail)
    everyone = affected.selection(policy, [name_category()], None)
    assert {*with_mail, without} <= {
        i for batch in affected.batches(session, everyone, size=1000) for i in batch
    }


@pytest.mark.parametrize(
    ("categories", "system", "field"),
    [([], None, "categories"), (["no_such"], None, "categories"), (None, "nowhere", "system")],
)
def test_bad_selections_name_the_field(
    policy: Policy, categories: list[str] | None, system: str | None, field: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        affected.selection(
            policy, [contact_category()] if categories is None else categories, system
        )
    assert refused.value.field == field


def test_subjects_are_told_once_after_the_decision(
    session: Session, factories: None, policy: Policy, dpo: AccessContext
) -> None:
    emails = [f.EmailFactory() for _ in range(3)]
    breach = records.record_breach(session, policy, dpo, breach_input(policy))
    chosen = affected.selection(policy, [contact_category()], None)
    with pytest.raises(Conflict, match="decision"):
        subject_notice.notify_subjects(session, policy, dpo, breach.id, chosen)
    assert subject_notice.preview(session, policy, dpo, breach.id, chosen) == {
        "selected": 3,
        "already_notified": 0,
        "to_notify": 3,
    }
    decisions.decide_subjects(session, dpo, breach.id, notify=True, reason="Hög risk för nätfiske.")
    first = subject_notice.notify_subjects(session, policy, dpo, breach.id, chosen, batch_size=2)
    assert (first.queued, first.already, first.no_address) == (3, 0, 0)
    again = subject_notice.notify_subjects(session, policy, dpo, breach.id, chosen)
    assert (again.queued, again.already) == (0, 3)
    mails = session.scalars(select(OutboxMail).order_by(OutboxMail.id)).all()
    assert sorted(m.to_address for m in mails) == sorted(e.value for e in emails)
    body = mails[0].body
    assert "personuppgiftsincident" in body
    assert "personal data breach" in body
    assert breach.consequences in body
    assert policy.controller.name in mails[0].subject_line
    assert subject_notice.notified_count(session, breach.id) == 3
    reads = session.scalar(
        select(func.count()).where(
            AuditEntry.action == "subject.show",
            AuditEntry.subject_id.in_([e.subject_id for e in emails]),
        )
    )
    assert reads == 3  # one audited decision per address, none on the second run
    assert session.scalar(select(func.count()).select_from(BreachSubjectNotice)) == 3


def test_the_decision_not_to_tell_needs_a_ground_of_article_34_3(
    session: Session, policy: Policy, dpo: AccessContext
) -> None:
    breach = records.record_breach(session, policy, dpo, breach_input(policy))
    with pytest.raises(InvalidInput) as refused:
        decisions.decide_subjects(session, dpo, breach.id, notify=False, reason="Krypterat.")
    assert refused.value.field == "ground"
    decisions.decide_subjects(
        session, dpo, breach.id, notify=False, reason="Krypterat med AES.", ground="protected"
    )
    assert breach.subject_reason == "protected: Krypterat med AES."
