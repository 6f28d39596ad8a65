"""register.records: each row validated, bound to its subject, audited; nothing half-saved."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dataskydd.audit.models import AuditEntry
from dataskydd.errors import Conflict, InvalidInput, NotFound
from dataskydd.register import records
from dataskydd.register.enums import ActivityKind, ServiceKind, SubjectKind
from dataskydd.register.models import Activity, Contract, Participation, Service, Subject
from dataskydd.register.record_schemas import InvoiceCreate

AT = datetime(2026, 3, 1, 9, tzinfo=UTC)


@pytest.fixture
def subject_id(session: Session) -> int:
    subject = Subject(kind=SubjectKind.PERSON, given_name="A", family_name="B", search_name="a b")
    session.add(subject)
    session.add(
        Service(code="tv-bas", name="TV", kind=ServiceKind.VIEWING, monthly_price=Decimal(99))
    )
    session.flush()
    return subject.id


class TestContracts:
    def test_contract_with_subscription_is_audited_with_its_table(
        self, session: Session, subject_id: int
    ) -> None:
        contract = records.add_contract(
            session,
            actor="staff:karin",
            subject_id=subject_id,
            data={
                "contract_number": "K-1",
                "signed_on": "2026-01-01",
                "starts_on": "2026-01-02",
                "services": [{"service_code": "tv-bas"}],
            },
        )
        assert contract.starts_on == date(2026, 1, 2)
        entry = session.scalars(select(AuditEntry)).one()
        assert (entry.action, entry.subject_id) == ("register.create", subject_id)
        assert '"table":"contract"' in entry.detail_json.replace(" ", "")

    def test_unknown_service_and_duplicate_number(self, session: Session, subject_id: int) -> None:
        data = {"contract_number": "K-2", "signed_on": "2026-01-01", "starts_on": "2026-01-01"}
        with pytest.raises(InvalidInput) as error:
            records.add_contract(
                session,
                actor="t",
                subject_id=subject_id,
                data={**data, "services": [{"service_code": "nope"}]},
            )
        assert error.value.field == "services.0.service_code"
        assert "nope" not in error.value.message  # the value is not repeated
        assert session.scalar(select(func.count()).select_from(Contract)) == 0
        records.add_contract(session, actor="t", subject_id=subject_id, data=data)
        with pytest.raises(Conflict):
            records.add_contract(session, actor="t", subject_id=subject_id, data=data)

    def test_unknown_subject(self, session: Session) -> None:
        with pytest.raises(NotFound):
            records.add_equipment(
                session,
                actor="t",
                subject_id=424242,
                data={
                    "kind": "router",
                    "model": "M",
                    "serial_number": "S",
                    "installed_on": AT.date(),
                },
            )


class TestValidation:
    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"amount": Decimal("-0.01")}, "amount"),
            ({"due_on": date(2025, 1, 1)}, "due_on"),
            ({"issued_on": "2026-02-29"}, "issued_on"),
            ({"status": "lost"}, "status"),
        ],
    )
    def test_invoice_rules(self, change: dict[str, object], field: str) -> None:
        data = {"invoice_number": "F1", "issued_on": "2026-01-01", "due_on": "2026-01-31"}
        with pytest.raises(ValidationError) as error:
            InvoiceCreate.model_validate({**data, "amount": "10", **change})
        assert field in str(error.value)

    def test_mac_is_normalised(self, session: Session, subject_id: int) -> None:
        row = records.add_equipment(
            session,
            actor="t",
            subject_id=subject_id,
            data={
                "kind": "router",
                "model": "M",
                "serial_number": "S",
                "mac_address": "00-1A-2B-3C-4D-5E",
                "installed_on": "2026-01-01",
            },
        )
        assert row.mac_address == "00:1a:2b:3c:4d:5e"


class TestParticipationAndNewsletter:
    def test_participation_keeps_answers_as_json(self, session: Session, subject_id: int) -> None:
        session.add(
            Activity(
                code="panel-26", kind=ActivityKind.PANEL, title="Panel", starts_on=date(2026, 1, 1)
            )
        )
        session.flush()
        row = records.add_participation(
            session,
            actor="t",
            subject_id=subject_id,
            data={"activity_code": "panel-26", "consented_at": AT, "answers": {"age": 34}},
        )
        assert session.get(Participation, row.id) is not None
        assert row.answers == '{"age": 34}'
        with pytest.raises(InvalidInput):
            records.add_participation(
                session,
                actor="t",
                subject_id=subject_id,
                data={"activity_code": "missing", "consented_at": AT},
            )

    def test_newsletter_needs_an_aware_time(self, session: Session, subject_id: int) -> None:
        with pytest.raises(InvalidInput) as error:
            records.add_newsletter_subscription(
                session,
                actor="t",
                subject_id=subject_id,
                data={
                    "list_code": "news",
                    "subscribed_at": "2026-01-01T10:00:00",
                    "consent_text_version": "v1",
                },
            )
        assert error.value.field == "subscribed_at"
