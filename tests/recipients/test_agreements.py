"""Recording agreements: validated in full before anything is stored, audited with ids and the
document's hash, superseded by newer ones that keep the older as history; documents read back
only through an audited download. On SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dataskydd.audit.models import AuditEntry
from dataskydd.errors import InvalidInput, NotFound
from dataskydd.policy.schema import Policy
from dataskydd.recipients import agreements
from dataskydd.recipients.agreements import AgreementInput, parse_day
from dataskydd.recipients.models import RecipientAgreement, RecipientDocument
from tests.recipients.conftest import (
    TODAY,
    Record,
    non_processor,
    pdf,
    pdf_bytes,
    processor,
)


def _actions(session: Session) -> list[str]:
    return list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def _count(session: Session, model: type[object]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_an_agreement_is_recorded_with_its_document_and_audited(
    session: Session, policy: Policy, record: Record
) -> None:
    key = processor(policy).key
    saved = record(key, document=pdf(name="../Avtal.pdf"))
    assert saved.recipient_key == key
    assert saved.categories == list(processor(policy).categories)
    assert saved.country == processor(policy).country
    document = session.get(RecipientDocument, saved.document_id)
    assert document is not None
    assert document.file_name == "Avtal.pdf"
    assert document.sha256 == hashlib.sha256(pdf_bytes()).hexdigest()
    assert _actions(session)[-2:] == ["recipient.document.upload", "recipient.agreement.record"]
    entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry is not None
    assert entry.detail == {
        "recipient": key,
        "agreement": saved.id,
        "document": document.id,
        "review_on": saved.review_on.isoformat(),
    }
    assert agreements.current_agreements(session) == {key: saved}


def test_a_new_agreement_supersedes_and_the_same_document_is_stored_once(
    session: Session, policy: Policy, record: Record
) -> None:
    key = processor(policy).key
    first = record(key)
    second = record(key, review_on=TODAY + dt.timedelta(days=700))
    assert agreements.current_agreements(session)[key].id == second.id
    assert [a.id for a in agreements.history(session, key)] == [second.id, first.id]
    assert first.document_id == second.document_id
    assert _count(session, RecipientDocument) == 1
    third = record(key, document=pdf("Version 2"))
    assert third.document_id != first.document_id


def test_a_processor_needs_its_document_and_nothing_is_saved_without(
    session: Session, policy: Policy
) -> None:
    key = processor(policy).key
    data = AgreementInput(
        signed_on=TODAY, review_on=TODAY + dt.timedelta(days=365), categories=["x"]
    )
    with pytest.raises(InvalidInput) as refused:
        agreements.record_agreement(
            session,
            policy=policy,
            recipient_key=key,
            data=dataclasses.replace(data, categories=processor(policy).categories),
            document=None,
            by="staff:dpo",
            today=TODAY,
        )
    assert refused.value.field == "document"
    assert _count(session, RecipientAgreement) == 0
    assert _count(session, RecipientDocument) == 0


def test_a_recipient_that_is_not_a_processor_may_go_without(
    session: Session, policy: Policy, record: Record
) -> None:
    other = non_processor(policy)
    saved = agreements.record_agreement(
        session,
        policy=policy,
        recipient_key=other.key,
        data=AgreementInput(
            signed_on=TODAY, review_on=TODAY + dt.timedelta(days=30), categories=other.categories
        ),
        document=None,
        by="staff:dpo",
        today=TODAY,
    )
    assert saved.document_id is None
    with pytest.raises(NotFound, match="has no document"):
        agreements.agreement_document(
            session, recipient_key=other.key, agreement_id=None, by="staff:dpo"
        )


@pytest.mark.parametrize(
    ("changes", "field", "why"),
    [
        ({"signed_on": TODAY + dt.timedelta(days=1)}, "signed_on", "future"),
        ({"signed_on": dt.date(1989, 12, 31)}, "signed_on", "1990-01-01"),
        ({"review_on": TODAY - dt.timedelta(days=30)}, "review_on", "after the signed date"),
        ({"review_on": TODAY}, "review_on", "in the future"),
        ({"review_on": dt.date(2037, 1, 1)}, "review_on", "within 10 years"),
        ({"categories": []}, "categories", "at least one"),
        ({"categories": ["hobbies"]}, "categories", "not categories of the policy"),
        ({"country": "XQ"}, "country", "ISO 3166"),
        ({"tia_reference": "Dnr\x001"}, "tia_reference", "NUL"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_saved(
    session: Session,
    policy: Policy,
    record: Record,
    changes: dict[str, object],
    field: str,
    why: str,
) -> None:
    with pytest.raises(InvalidInput) as refused:
        record(processor(policy).key, **changes)
    assert refused.value.field == field
    assert why in refused.value.reason
    assert _count(session, RecipientAgreement) == 0
    assert _count(session, RecipientDocument) == 0
    assert "recipient.document.upload" not in _actions(session)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("2026-02-30", "not a date that exists"),
        ("2026-13-01", "not a date that exists"),
        ("2026-2-3", "YYYY-MM-DD"),
        ("1 dec 2026", "YYYY-MM-DD"),
    ],
)
def test_impossible_dates_are_refused(text: str, why: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_day(text, "signed_on")
    assert refused.value.field == "signed_on"
    assert why in refused.value.reason
    assert text not in refused.value.message  # the value is never repeated
    assert parse_day("2028-02-29", "review_on") == dt.date(2028, 2, 29)
    assert parse_day("  ", "review_on") is None


def test_only_recipients_of_the_policy_get_agreements(session: Session, policy: Policy) -> None:
    with pytest.raises(NotFound):
        agreements.record_agreement(
            session,
            policy=policy,
            recipient_key="no_such_recipient",
            data=AgreementInput(
                signed_on=TODAY, review_on=TODAY + dt.timedelta(days=9), categories=["x"]
            ),
            document=pdf(),
            by="staff:dpo",
            today=TODAY,
        )


def test_a_download_is_audited_and_an_earlier_document_stays_available(
    session: Session, policy: Policy, record: Record
) -> None:
    key = processor(policy).key
    first = record(key, document=pdf("Första"))
    record(key, document=pdf("Andra"))
    current = agreements.agreement_document(
        session, recipient_key=key, agreement_id=None, by="staff:dpo"
    )
    assert current.content == pdf_bytes("Andra")
    earlier = agreements.agreement_document(
        session, recipient_key=key, agreement_id=first.id, by="staff:dpo"
    )
    assert earlier.content == pdf_bytes("Första")
    downloads = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.action == "recipient.document.download")
        .order_by(AuditEntry.id)  # without it, PostgreSQL may return them in either order
    ).all()
    assert [d.detail["agreement"] for d in downloads] == [first.id + 1, first.id]
    with pytest.raises(NotFound):
        agreements.agreement_document(
            session, recipient_key=key, agreement_id=first.id + 99, by="staff:dpo"
        )
