"""/api/v1/subjects/{id}/…: a subject's register rows, validated, audited, never half-saved."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dataskydd.access.consents import give_consent
from dataskydd.access.models import SubjectConsent
from dataskydd.audit.models import AuditEntry
from dataskydd.auth import api_keys
from dataskydd.policy.schema import LegalBasis
from dataskydd.register.enums import ServiceKind, SubjectKind
from dataskydd.register.models import (
    Connection,
    Contract,
    Equipment,
    Invoice,
    IpAssignment,
    Payment,
    Service,
    Subject,
    Subscription,
    SupportCase,
    SupportMessage,
    UsageEvent,
)
from tests.policy_keys import (
    BILLING,
    COMPANY,
    COMPANY_MAP,
    CONTRACT_PURPOSE,
    NEWSLETTERS,
    USAGE,
    purpose_with,
)

# Holds for any company's policy: CI runs it against the bookshop too (.ci/run).
pytestmark = pytest.mark.every_company

AT = "2026-03-01T10:00:00+01:00"


def _write_key(session: Session, purpose: str) -> dict[str, str]:
    _row, key = api_keys.create_api_key(
        session,
        actor="test",
        policy=COMPANY,
        name=f"{purpose} integration",
        purposes=[purpose],
        can_write=True,
    )
    session.commit()
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def headers(session: Session) -> dict[str, str]:
    return _write_key(session, CONTRACT_PURPOSE)


# The register table each path writes.
TABLE = {
    "contracts": "contract",
    "equipment": "equipment",
    "connections": "connection",
    "invoices": "invoice",
    "correspondence": "correspondence",
    "support-cases": "support_case",
    "usage-events": "usage_event",
    "newsletter-subscriptions": "newsletter_subscription",
}


def _writer(path: str) -> str | None:
    """A write needs a purpose of the key that uses every category of the table
    (datamap/writes.py): the first API write purpose of the company that does, if any (Omilon's
    customer relationship uses no usage or newsletter data; a bookshop writes no usage events)."""
    table = COMPANY_MAP.register.by_table.get(TABLE[path])
    if table is None:
        return None
    for key in COMPANY.api_access.write_purposes:
        if table.categories <= set(COMPANY.purpose(key).categories):
            return key
    return None


WRITE_PURPOSE = {path: _writer(path) for path in TABLE}


def writable(path: str) -> pytest.MarkDecorator:
    """Skips a case whose table the company under test does not map, or lets no API key write;
    under Omilon's policy every table is mapped and writable, so nothing skips there."""
    return pytest.mark.skipif(
        WRITE_PURPOSE[path] is None,
        reason=f"the company under test maps no {TABLE[path]} table or lets no API key write it",
    )


@pytest.fixture
def headers_for(session: Session) -> Callable[[str], dict[str, str]]:
    """A write key scoped to the purpose that may write the rows of `path`."""

    def key(path: str) -> dict[str, str]:
        purpose = WRITE_PURPOSE[path]
        assert purpose is not None
        return _write_key(session, purpose)

    return key


@pytest.fixture
def subject_id(session: Session) -> int:
    subject = Subject(
        kind=SubjectKind.PERSON, given_name="Per", family_name="Holm", search_name="per holm"
    )
    session.add(subject)
    session.add(
        Service(
            code="fiber-1000",
            name="Fiber 1000",
            kind=ServiceKind.CONNECTIVITY,
            monthly_price=Decimal("399.00"),
        )
    )
    session.commit()
    return subject.id


def _count(session: Session, model: Any) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


VALID: dict[str, tuple[Any, dict[str, Any]]] = {
    "contracts": (
        Contract,
        {
            "contract_number": "K-1001",
            "signed_on": "2026-01-10",
            "starts_on": "2026-02-01",
            "services": [{"service_code": "fiber-1000"}],
        },
    ),
    "equipment": (
        Equipment,
        {
            "kind": "router",
            "model": "ZyXEL VMG",
            "serial_number": "S123",
            "mac_address": "00:1A:2B:3C:4D:5E",
            "installed_on": "2026-02-01",
        },
    ),
    "connections": (
        Connection,
        {
            "access_kind": "fibre",
            "street": "Storgatan 1",
            "postal_code": "11122",
            "city": "Stockholm",
            "activated_on": "2026-02-01",
        },
    ),
    "invoices": (
        Invoice,
        {
            "invoice_number": "F-1",
            "issued_on": "2026-02-28",
            "due_on": "2026-03-31",
            "amount": "399.00",
            "vat_amount": "79.80",
        },
    ),
    "correspondence": (
        None,
        {
            "kind": "email",
            "received_at": AT,
            "sender_address": "per@example.se",
            "subject_line": "Hej",
            "body": "Min router blinkar.",
        },
    ),
    "support-cases": (
        SupportCase,
        {
            "channel": "chat",
            "topic": "Router",
            "opened_at": AT,
            "messages": [{"sent_at": AT, "direction": "inbound", "body": "Hjälp"}],
        },
    ),
    "usage-events": (
        UsageEvent,
        {"occurred_at": AT, "kind": "view", "item": "Film", "duration_seconds": 3600},
    ),
    "newsletter-subscriptions": (
        None,
        {"list_code": "nyheter", "subscribed_at": AT, "consent_text_version": "v1"},
    ),
}

BAD: list[tuple[str, dict[str, Any], str]] = [
    ("equipment", {"mac_address": "00:1A:2B:3C:4D"}, "mac_address"),
    ("equipment", {"installed_on": "2026-02-30"}, "installed_on"),
    ("equipment", {"installed_on": "0001-01-01"}, "installed_on"),
    ("equipment", {"kind": "toaster"}, "kind"),
    ("equipment", {"serial_number": "x" * 61}, "serial_number"),
    ("equipment", {"returned_on": "2025-01-01"}, "returned_on"),
    ("connections", {"postal_code": "1234"}, "postal_code"),
    ("connections", {"contract_id": 999999}, "contract_id"),
    ("invoices", {"amount": "-1"}, "amount"),
    ("invoices", {"amount": "1.001"}, "amount"),
    ("invoices", {"amount": "abc"}, "amount"),
    ("invoices", {"vat_amount": "500"}, "vat_amount"),
    ("invoices", {"currency": "kronor"}, "currency"),
    ("contracts", {"services": [{"service_code": "nope"}]}, "services"),
    ("contracts", {"status": "pending"}, "status"),
    ("correspondence", {"sender_address": "broken@"}, "sender_address"),
    ("correspondence", {"received_at": "2026-03-01T10:00:00"}, "received_at"),
    ("correspondence", {"body": "x" * 20_001}, "body"),
    ("support-cases", {"messages": [{"sent_at": AT, "direction": "up", "body": "x"}]}, "messages"),
    ("usage-events", {"duration_seconds": -5}, "duration_seconds"),
    ("usage-events", {"surprise": True}, "surprise"),
]


class TestCreateRows:
    @pytest.mark.parametrize("path", [pytest.param(p, marks=writable(p)) for p in sorted(VALID)])
    def test_valid_row_is_201_with_its_id_and_audited(
        self,
        anonymous: TestClient,
        session: Session,
        headers_for: Callable[[str], dict[str, str]],
        subject_id: int,
        path: str,
    ) -> None:
        model, body = VALID[path]
        response = anonymous.post(
            f"/api/v1/subjects/{subject_id}/{path}", json=body, headers=headers_for(path)
        )
        assert response.status_code == 201, response.text
        created = response.json()
        assert created["id"] > 0
        if model is not None:
            assert session.get(model, created["id"]) is not None
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "register.create")
        ).one()
        assert entry.subject_id == subject_id
        assert created["table"] in entry.detail_json

    def test_contract_subscribes_to_the_services(
        self, anonymous: TestClient, session: Session, headers: dict[str, str], subject_id: int
    ) -> None:
        body = VALID["contracts"][1]
        anonymous.post(f"/api/v1/subjects/{subject_id}/contracts", json=body, headers=headers)
        assert _count(session, Subscription) == 1
        again = anonymous.post(
            f"/api/v1/subjects/{subject_id}/contracts", json=body, headers=headers
        )
        assert again.status_code == 409
        assert _count(session, Contract) == 1

    def test_support_case_keeps_its_messages(
        self, anonymous: TestClient, session: Session, headers: dict[str, str], subject_id: int
    ) -> None:
        body = VALID["support-cases"][1]
        anonymous.post(f"/api/v1/subjects/{subject_id}/support-cases", json=body, headers=headers)
        assert _count(session, SupportMessage) == 1

    @pytest.mark.parametrize(
        ("path", "change", "field"), [pytest.param(*case, marks=writable(case[0])) for case in BAD]
    )
    def test_bad_input_is_422_and_nothing_is_saved(
        self,
        anonymous: TestClient,
        session: Session,
        headers_for: Callable[[str], dict[str, str]],
        subject_id: int,
        path: str,
        change: dict[str, Any],
        field: str,
    ) -> None:
        model, body = VALID[path]
        response = anonymous.post(
            f"/api/v1/subjects/{subject_id}/{path}",
            json={**body, **change},
            headers=headers_for(path),
        )
        assert response.status_code == 422, response.text
        assert any(field in p["field"] for p in response.json()["problems"]), response.text
        if model is not None:
            assert _count(session, model) == 0
        assert _count(session, Subscription) == 0
        assert _count(session, SupportMessage) == 0

    def test_unknown_subject_is_404(
        self, anonymous: TestClient, session: Session, headers: dict[str, str], subject_id: int
    ) -> None:
        _model, body = VALID["invoices"]
        response = anonymous.post("/api/v1/subjects/999999/invoices", json=body, headers=headers)
        assert response.status_code == 404
        assert _count(session, Invoice) == 0

    def test_read_only_key_and_missing_key_are_refused(
        self, anonymous: TestClient, session: Session, subject_id: int
    ) -> None:
        _row, key = api_keys.create_api_key(
            session,
            actor="test",
            policy=COMPANY,
            name="reader",
            purposes=[CONTRACT_PURPOSE],
        )
        session.commit()
        _model, body = VALID["invoices"]
        url = f"/api/v1/subjects/{subject_id}/invoices"
        assert anonymous.post(url, json=body).status_code == 401
        read_only = {"Authorization": f"Bearer {key}"}
        assert anonymous.post(url, json=body, headers=read_only).status_code == 403
        assert _count(session, Invoice) == 0


class TestWritePurposes:
    """A key writes only tables whose every category one of its write purposes uses."""

    def test_a_subscription_is_recorded_as_consent_and_opens_marketing_reads(
        self, anonymous: TestClient, session: Session, subject_id: int
    ) -> None:
        marketing = _write_key(session, NEWSLETTERS)
        url = f"/api/v1/subjects/{subject_id}"
        # No consent yet: the marketing purpose may not read the subject.
        refused = anonymous.get(url, params={"purpose": NEWSLETTERS}, headers=marketing)
        assert refused.status_code == 403
        assert "no standing consent" in refused.json()["detail"]
        _model, body = VALID["newsletter-subscriptions"]
        created = anonymous.post(f"{url}/newsletter-subscriptions", json=body, headers=marketing)
        assert created.status_code == 201, created.text
        consent = session.scalars(
            select(SubjectConsent).where(SubjectConsent.subject_id == subject_id)
        ).one()
        assert (consent.purpose, consent.channel, consent.withdrawn_at) == (
            NEWSLETTERS,
            "api",
            None,
        )
        assert consent.via == f"newsletter:{body['list_code']}"
        allowed = anonymous.get(url, params={"purpose": NEWSLETTERS}, headers=marketing)
        assert allowed.status_code == 200, allowed.text

    def test_customer_relationship_key_cannot_write_usage_events(
        self, anonymous: TestClient, session: Session, headers: dict[str, str], subject_id: int
    ) -> None:
        _model, body = VALID["usage-events"]
        response = anonymous.post(
            f"/api/v1/subjects/{subject_id}/usage-events", json=body, headers=headers
        )
        assert response.status_code == 403, response.text
        assert f"category {USAGE}" in response.json()["detail"]
        assert _count(session, UsageEvent) == 0
        refusal = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "subject.write.decision.refused")
        ).one()
        assert refusal.subject_id == subject_id

    def test_a_key_whose_purpose_uses_no_billing_cannot_write_invoices(
        self, anonymous: TestClient, session: Session, subject_id: int
    ) -> None:
        # Omilon's service quality, a bookshop's newsletters.
        purpose = purpose_with(
            COMPANY,
            "an API write purpose without invoices",
            lambda p: BILLING not in p.categories,
            among=COMPANY.api_access.write_purposes,
        )
        if COMPANY.purpose(purpose).legal_basis is LegalBasis.CONSENT:
            # A bookshop's only such purpose rests on consent: given, so the category decides.
            give_consent(session, subject_id=subject_id, purpose=purpose, channel="mina_sidor")
            session.commit()
        _model, body = VALID["invoices"]
        response = anonymous.post(
            f"/api/v1/subjects/{subject_id}/invoices",
            json=body,
            headers=_write_key(session, purpose),
        )
        assert response.status_code == 403, response.text
        assert f"category {BILLING}" in response.json()["detail"]
        assert _count(session, Invoice) == 0


class TestChildRows:
    def _connection(self, client: TestClient, headers: dict[str, str], subject_id: int) -> int:
        body = VALID["connections"][1]
        response = client.post(
            f"/api/v1/subjects/{subject_id}/connections", json=body, headers=headers
        )
        return int(response.json()["id"])

    @writable("connections")
    def test_ip_assignment_on_own_connection(
        self, anonymous: TestClient, session: Session, headers: dict[str, str], subject_id: int
    ) -> None:
        connection_id = self._connection(anonymous, headers, subject_id)
        url = f"/api/v1/subjects/{subject_id}/connections/{connection_id}/ip-assignments"
        ok = anonymous.post(
            url, json={"ip_address": "2001:db8::1", "assigned_at": AT}, headers=headers
        )
        assert ok.status_code == 201
        row = session.get(IpAssignment, ok.json()["id"])
        assert row is not None
        assert row.ip_address == "2001:db8::1"
        bad = anonymous.post(
            url, json={"ip_address": "300.1.1.1", "assigned_at": AT}, headers=headers
        )
        assert bad.status_code == 422
        assert bad.json()["problems"][0]["field"] == "ip_address"
        assert _count(session, IpAssignment) == 1

    @writable("connections")
    def test_ip_assignment_on_another_subjects_connection_is_404(
        self, anonymous: TestClient, session: Session, headers: dict[str, str], subject_id: int
    ) -> None:
        connection_id = self._connection(anonymous, headers, subject_id)
        other = Subject(kind=SubjectKind.PERSON, given_name="A", family_name="B", search_name="a b")
        session.add(other)
        session.commit()
        url = f"/api/v1/subjects/{other.id}/connections/{connection_id}/ip-assignments"
        response = anonymous.post(
            url, json={"ip_address": "10.0.0.1", "assigned_at": AT}, headers=headers
        )
        assert response.status_code == 404
        assert _count(session, IpAssignment) == 0

    def test_payment_of_an_invoice(
        self, anonymous: TestClient, session: Session, headers: dict[str, str], subject_id: int
    ) -> None:
        body = VALID["invoices"][1]
        invoice = anonymous.post(
            f"/api/v1/subjects/{subject_id}/invoices", json=body, headers=headers
        )
        url = f"/api/v1/subjects/{subject_id}/invoices/{invoice.json()['id']}/payments"
        payment = {"paid_on": "2026-03-20", "amount": "399.00", "method": "swish"}
        assert anonymous.post(url, json=payment, headers=headers).status_code == 201
        negative = {**payment, "amount": "-399"}
        assert anonymous.post(url, json=negative, headers=headers).status_code == 422
        missing = f"/api/v1/subjects/{subject_id}/invoices/999999/payments"
        assert anonymous.post(missing, json=payment, headers=headers).status_code == 404
        assert _count(session, Payment) == 1
