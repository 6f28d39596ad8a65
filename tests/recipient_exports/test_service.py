"""Exports to a recipient: exactly the categories the policy allows, every subject through the
access decision, refused whole (nothing written, the refusal audited) when a category or a
subject's state does not allow it, logged with the file's hash and per subject what went; and
the subject's registerutdrag lists who received their data and when. SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from dataskydd.access.models import Objection
from dataskydd.audit.models import AuditEntry
from dataskydd.auth.access import operator_context, staff_context
from dataskydd.clock import utc_now
from dataskydd.errors import AccessRefused, Forbidden, InvalidInput
from dataskydd.policy.schema import Policy
from dataskydd.recipient_exports import service
from dataskydd.recipient_exports.models import (
    ExportFormat,
    RecipientExport,
    RecipientExportSubject,
)
from dataskydd.recipient_exports.writers import CSV_HEADER, JSON_SCHEMA
from dataskydd.register import service as register_service
from dataskydd.register.models import Restriction
from dataskydd.subject_requests.extract import write_extract_json
from dataskydd.subject_requests.extract_pdf import write_extract_pdf
from tests import policy_keys
from tests.recipient_exports.conftest import add_customer
from tests.recipient_exports.keys import ExportCase, consent_case, objectable_case

OPERATOR = operator_context("cli:test")


def _export(
    session: Session,
    policy: Policy,
    order: service.ExportOrder,
    caller: Any = OPERATOR,
) -> tuple[RecipientExport, bytes]:
    out = io.BytesIO()
    export = service.create_export(session, policy=policy, caller=caller, order=order, out=out)
    return export, out.getvalue()


def _actions(session: Session) -> list[str]:
    """The export's audit actions (creating the test's subjects is audited too)."""
    every = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id))
    return [action for action in every if action.startswith("recipient_export")]


def _dpo(policy: Policy) -> Any:
    role = policy_keys.dpo_role(policy)
    return staff_context(policy=policy, username="dpo", role=role, user_id=1)


def test_a_csv_export_holds_exactly_the_allowed_categories(
    session: Session, policy: Policy, case: ExportCase
) -> None:
    first, second = add_customer(session), add_customer(session, "Bo")
    order = service.ExportOrder(case.recipient, case.purpose, [first, second])
    export, data = _export(session, policy, order, _dpo(policy))
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    assert tuple(rows[0]) == CSV_HEADER
    assert data.endswith(b"\r\n")
    assert not data.startswith(b"\xef\xbb\xbf")
    assert {row[1] for row in rows[1:]} <= set(case.allowed)
    assert {case.name, case.contact} <= {row[1] for row in rows[1:]}
    assert {int(row[0]) for row in rows[1:]} == {first, second}
    values = {row[6] for row in rows[1:]}
    assert "Anna" in values
    assert "Bo" in values
    # The street starts with "=": neutralised, never a formula in the recipient's sheet.
    assert "'=Storgatan 1" in values
    assert "=Storgatan 1" not in values
    assert export.sha256 == hashlib.sha256(data).hexdigest()
    assert export.size_bytes == len(data)
    assert (export.subjects, export.format) == (2, ExportFormat.CSV)
    assert export.category_keys == list(case.allowed)
    held = session.scalars(select(RecipientExportSubject).order_by(RecipientExportSubject.id))
    assert [(h.subject_id, set(h.category_keys) >= {case.name, case.contact}) for h in held] == [
        (first, True),
        (second, True),
    ]
    actions = _actions(session)
    assert actions.count("recipient_export.subject") == 2
    assert actions[-1] == "recipient_export.create"
    create = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert create is not None
    assert create.detail is not None
    assert "Anna" not in json.dumps(create.detail)  # keys, counts and the hash only


def test_a_json_export_is_one_document_with_only_the_asked_categories(
    session: Session, policy: Policy, case: ExportCase
) -> None:
    subject = add_customer(session)
    order = service.ExportOrder(
        case.recipient, case.purpose, [subject], [case.contact], ExportFormat.JSON
    )
    export, data = _export(session, policy, order)
    document = json.loads(data)
    assert document["schema"] == JSON_SCHEMA
    assert document["export"] == export.id
    assert document["recipient"]["key"] == case.recipient
    assert document["categories"] == [case.contact]
    (only,) = document["subjects"]
    assert only["subject_id"] == subject
    assert [c["category"] for c in only["categories"]] == [case.contact]
    tables = {t["table"] for t in only["categories"][0]["tables"]}
    assert "contact_point" in tables
    assert "Anna" not in data.decode("utf-8")  # the name's category was not asked for
    assert export.rows == sum(len(t["rows"]) for t in only["categories"][0]["tables"])


def test_a_subject_without_data_in_the_categories_is_not_in_the_file(
    session: Session, policy: Policy, case: ExportCase
) -> None:
    with_data = add_customer(session)
    bare = register_service.create_subject(
        session, actor="test", data={"given_name": "Nils", "family_name": "Ek"}
    )
    order = service.ExportOrder(
        case.recipient, case.purpose, [with_data, bare.id], [case.contact], ExportFormat.JSON
    )
    export, data = _export(session, policy, order)
    assert [s["subject_id"] for s in json.loads(data)["subjects"]] == [with_data]
    assert export.subjects == 1
    assert (
        session.scalar(
            select(RecipientExportSubject.id).where(RecipientExportSubject.subject_id == bare.id)
        )
        is None
    )


def test_a_category_the_recipient_may_not_receive_refuses_everything(
    session: Session, policy: Policy, case: ExportCase
) -> None:
    subject = add_customer(session)
    out = io.BytesIO()
    order = service.ExportOrder(
        case.recipient, case.purpose, [subject], [case.contact, case.forbidden]
    )
    with pytest.raises(AccessRefused) as refused:
        service.create_export(session, policy=policy, caller=OPERATOR, order=order, out=out)
    assert f"may not receive category {case.forbidden}" in refused.value.message
    assert refused.value.keeps_work  # the entry point keeps the refusal's audit row
    assert out.getvalue() == b""
    assert session.scalar(select(RecipientExport.id)) is None
    assert _actions(session) == ["recipient_export.refused"]
    entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry is not None
    assert entry.detail is not None
    assert entry.detail["categories"] == [case.forbidden]


def test_a_restricted_subject_refuses_the_export_naming_how_many(
    session: Session, policy: Policy, case: ExportCase
) -> None:
    free, restricted = add_customer(session), add_customer(session)
    session.add(Restriction(subject_id=restricted, category=case.contact, reason="Tvist"))
    session.flush()
    out = io.BytesIO()
    order = service.ExportOrder(case.recipient, case.purpose, [free, restricted])
    with pytest.raises(AccessRefused) as refused:
        service.create_export(session, policy=policy, caller=OPERATOR, order=order, out=out)
    assert "1 of 2 may not be exported under purpose" in refused.value.message
    assert f"(ids {restricted};" in refused.value.message
    assert "Tvist" not in refused.value.message
    assert out.getvalue() == b""
    assert session.scalar(select(RecipientExport.id)) is None
    actions = _actions(session)
    assert "recipient_export.subject.refused" in actions
    assert actions[-1] == "recipient_export.refused"


def test_an_objection_refuses_the_export(session: Session, policy: Policy) -> None:
    recipient, purpose = objectable_case(policy)
    subject = add_customer(session)
    session.add(Objection(subject_id=subject, purpose=purpose, objected_at=utc_now()))
    session.flush()
    with pytest.raises(AccessRefused, match="may not be exported"):
        _export(session, policy, service.ExportOrder(recipient, purpose, [subject]))
    assert session.scalar(select(RecipientExport.id)) is None


def test_a_purpose_on_consent_needs_the_subjects_consent(session: Session, policy: Policy) -> None:
    recipient, purpose = consent_case(policy)
    subject = add_customer(session)
    with pytest.raises(AccessRefused, match="may not be exported"):
        _export(session, policy, service.ExportOrder(recipient, purpose, [subject]))


def test_bad_orders_name_their_field(session: Session, policy: Policy, case: ExportCase) -> None:
    subject = add_customer(session)
    wrong = [
        ("recipient", service.ExportOrder("no_such_recipient", case.purpose, [subject])),
        ("purpose", service.ExportOrder(case.recipient, "no_such_purpose", [subject])),
        ("subjects", service.ExportOrder(case.recipient, case.purpose, [])),
        ("subjects", service.ExportOrder(case.recipient, case.purpose, [2**31 - 1])),
        ("categories", service.ExportOrder(case.recipient, case.purpose, [subject], ["nope"])),
    ]
    for field, order in wrong:
        with pytest.raises(InvalidInput) as refused:
            _export(session, policy, order)
        assert refused.value.field == field
    assert session.scalar(select(RecipientExport.id)) is None


def test_a_role_without_the_permission_may_not_export(session: Session, policy: Policy) -> None:
    role = policy_keys.customer_service_role(policy)
    caller = staff_context(policy=policy, username="ks", role=role, user_id=2)
    subject = add_customer(session)
    recipient = policy.recipients[0]
    purpose = next(iter(policy.purposes))
    with pytest.raises(Forbidden, match=r"recipients\.manage"):
        _export(session, policy, service.ExportOrder(recipient.key, purpose, [subject]), caller)
    with pytest.raises(Forbidden):
        service.recent_exports(session, caller)


def test_the_registerutdrag_lists_who_received_what_and_when(
    session: Session, policy: Policy, case: ExportCase
) -> None:
    subject, other = add_customer(session), add_customer(session)
    order = service.ExportOrder(case.recipient, case.purpose, [subject], [case.contact])
    export, _data = _export(session, policy, order)
    text = io.StringIO()
    write_extract_json(session, text, policy=policy, subject_id=subject, lang="sv")
    received = json.loads(text.getvalue())["processing"]["received"]
    (item,) = received["items"]
    recipient = policy.recipient(case.recipient)
    assert item["recipient_name"] == recipient.name
    assert item["categories"] == [case.contact]
    assert item["categories_text"] == policy.categories[case.contact].title.sv
    assert item["sent_at"] == export.created_at.isoformat()
    assert received["total"] == 1
    text = io.StringIO()
    write_extract_json(session, text, policy=policy, subject_id=other, lang="en")
    assert json.loads(text.getvalue())["processing"]["received"]["items"] == []
    pdf = io.BytesIO()
    write_extract_pdf(session, pdf, policy=policy, subject_id=subject, lang="sv")
    pages = PdfReader(io.BytesIO(pdf.getvalue())).pages
    words = " ".join(" ".join(page.extract_text() for page in pages).split())
    assert "Mottagare som har fått dina uppgifter" in words
    assert recipient.name.split()[0] in words


def test_the_log_lists_and_shows_exports(
    session: Session, policy: Policy, case: ExportCase
) -> None:
    subject = add_customer(session)
    first, _ = _export(
        session, policy, service.ExportOrder(case.recipient, case.purpose, [subject])
    )
    second, _ = _export(
        session,
        policy,
        service.ExportOrder(case.recipient, case.purpose, [subject], None, ExportFormat.JSON),
    )
    listed = service.recent_exports(session, OPERATOR)
    assert [e.id for e in listed] == [second.id, first.id]
    assert service.recent_exports(session, OPERATOR, recipient="other") == []
    detail = service.export_detail(session, OPERATOR, first.id)
    assert detail.total_subjects == 1
    assert detail.subjects[0].subject_id == subject
    with pytest.raises(Exception, match="no export"):
        service.export_detail(session, OPERATOR, 2**31 - 1)


def test_subjects_are_taken_in_batches(
    session: Session, policy: Policy, case: ExportCase, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Existence checks and log rows go batch by batch; every subject is still in the file
    and in the log once, in the order given."""
    monkeypatch.setattr(service, "BATCH", 2)
    ids = [add_customer(session) for _ in range(5)]
    order = service.ExportOrder(
        case.recipient, case.purpose, list(reversed(ids)), [case.contact], ExportFormat.JSON
    )
    export, data = _export(session, policy, order)
    assert [s["subject_id"] for s in json.loads(data)["subjects"]] == list(reversed(ids))
    logged = session.scalars(
        select(RecipientExportSubject.subject_id).where(
            RecipientExportSubject.export_id == export.id
        )
    )
    assert sorted(logged) == sorted(ids)
    with pytest.raises(InvalidInput, match=f"no subject with id {2**31 - 1}"):
        _export(
            session,
            policy,
            service.ExportOrder(case.recipient, case.purpose, [*ids, 2**31 - 1]),
        )
