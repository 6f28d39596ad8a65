"""/statistics: aggregates only, small groups shown as "< k"."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dataskydd.register.enums import ContractStatus, ServiceKind, SubjectKind
from dataskydd.register.models import Contract, Service, Subject, Subscription
from tests.policy_keys import ANALYST, COMPANY, CUSTOMER_SERVICE
from tests.web.conftest import ClientFor

# Holds for any company's policy: CI runs it against the bookshop too (.ci/run).
pytestmark = pytest.mark.every_company


def _one_customer(session: Session) -> None:
    service = Service(code="tv", name="TV Bas", kind=ServiceKind.VIEWING, monthly_price=Decimal(9))
    subject = Subject(
        kind=SubjectKind.PERSON, given_name="Ensam", family_name="Kund", search_name="ensam kund"
    )
    session.add_all([service, subject])
    session.flush()
    contract = Contract(
        subject_id=subject.id,
        contract_number="K-9",
        signed_on=date(2025, 1, 1),
        starts_on=date(2025, 1, 1),
        status=ContractStatus.ACTIVE,
    )
    session.add(contract)
    session.flush()
    session.add(
        Subscription(contract_id=contract.id, service_id=service.id, starts_on=date(2025, 1, 1))
    )
    session.commit()


def test_analyst_sees_suppressed_cells_and_no_names(
    client_for: ClientFor, session: Session
) -> None:
    _one_customer(session)
    page = client_for(ANALYST).get("/statistics")
    assert page.status_code == 200
    assert "Aktiva kunder per tjänst" in page.text
    assert "TV Bas" in page.text
    assert f"&lt; {COMPANY.security.k_anonymity}" in page.text
    assert "Ensam" not in page.text
    assert "<svg" in page.text
    assert "style=" not in page.text


def test_customer_service_may_not(client_for: ClientFor) -> None:
    assert client_for(CUSTOMER_SERVICE).get("/statistics").status_code == 403


def test_signed_out_is_sent_to_login(anonymous: TestClient) -> None:
    assert anonymous.get("/statistics", follow_redirects=False).status_code == 303
