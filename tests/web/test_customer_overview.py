"""The top of the customer view (issue 15): customer since, products in use, open support
cases and open requests with links; a part the stated purpose may not see is named as hidden
and its rows are not read."""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from dataskydd.access.consents import give_consent
from dataskydd.audit.models import AuditEntry
from dataskydd.clock import today_in_sweden
from dataskydd.policy.schema import Policy
from dataskydd.register.enums import ContractStatus, RoleKind, ServiceKind, SupportChannel
from dataskydd.register.models import (
    Contract,
    Restriction,
    Service,
    SubjectRole,
    Subscription,
    SupportCase,
)
from tests.conftest import load_test_policy
from tests.policy_keys import (
    COMPANY,
    COMPANY_MAP,
    CONTRACT_PURPOSE,
    CUSTOMER_SERVICE,
    DPO,
    RIGHTS,
    SUPPORT,
    category_of,
)
from tests.web.conftest import ClientFor
from tests.web.test_customer_view import CONSENTED
from tests.web.test_request_queue_pages import register
from tests.web.test_subject_pages import make_person

pytestmark = pytest.mark.every_company

CONTRACTS = category_of(COMPANY_MAP, "contract", "starts_on")


@pytest.fixture
def policy(policy_file: Path | None) -> Policy:
    """Customer service may also use a consent-based purpose that sees neither contracts nor
    support cases (as in test_customer_view)."""
    base = load_test_policy(policy_file)
    role = base.roles[CUSTOMER_SERVICE]
    widened = role.model_copy(update={"purposes": (*role.purposes, CONSENTED)})
    return base.model_copy(update={"roles": {**base.roles, CUSTOMER_SERVICE: widened}})


def _service(session: Session, code: str, name: str) -> Service:
    service = Service(
        code=code, name=name, kind=ServiceKind.CONNECTIVITY, monthly_price=Decimal("399")
    )
    session.add(service)
    session.flush()
    return service


def with_customer_history(session: Session, subject_id: int) -> None:
    """Customer since 2021-05-01 (an ended contract); one active contract with one service in
    use and one ended; one open and one closed support case."""
    today = today_in_sweden()
    active = _contract(session, subject_id, "AV-1", date(2023, 3, 15))
    old = _contract(session, subject_id, "AV-2", date(2021, 5, 1), ended=date(2022, 5, 1))
    fiber = _service(session, "fiber-1000", "Fiber 1000")
    tv = _service(session, "tv-bas", "TV Bas")
    router = _service(session, "router-old", "Router Äldre")
    session.add_all(
        [
            Subscription(contract_id=active.id, service_id=fiber.id, starts_on=date(2023, 3, 15)),
            Subscription(
                contract_id=active.id,
                service_id=tv.id,
                starts_on=date(2023, 3, 15),
                ends_on=today - timedelta(days=1),
            ),
            Subscription(contract_id=old.id, service_id=router.id, starts_on=date(2021, 5, 1)),
            SubjectRole(subject_id=subject_id, role=RoleKind.CUSTOMER, started_on=date(2021, 6, 1)),
            _case(subject_id, "Ingen anslutning i fibern"),
            _case(subject_id, "Faktura fel", closed=datetime(2024, 6, 2, 8, 0, tzinfo=UTC)),
        ]
    )
    session.commit()


def _contract(
    session: Session, subject_id: int, number: str, starts: date, ended: date | None = None
) -> Contract:
    contract = Contract(
        subject_id=subject_id,
        contract_number=number,
        signed_on=starts,
        starts_on=starts,
        ends_on=ended,
        status=ContractStatus.ENDED if ended else ContractStatus.ACTIVE,
    )
    session.add(contract)
    session.flush()
    return contract


def _case(subject_id: int, topic: str, closed: datetime | None = None) -> SupportCase:
    return SupportCase(
        subject_id=subject_id,
        channel=SupportChannel.PHONE,
        topic=topic,
        opened_at=datetime(2024, 6, 1, 8, 0, tzinfo=UTC),
        closed_at=closed,
    )


def summary_of(client: TestClient, subject_id: int, purpose: str) -> str:
    page = client.get(f"/subjects/{subject_id}/view", params={"purpose": purpose})
    assert page.status_code == 200, page.text[:500]
    text = html.unescape(page.text)
    return text.split('class="summary"', 1)[1].split("</section>", 1)[0]


def part(summary: str, name: str) -> str:
    found = re.search(rf'<dd id="{name}">(.*?)</dd>', summary, re.DOTALL)
    assert found, summary
    return found.group(1)


class TestShown:
    @pytest.mark.parametrize("purpose", [CONTRACT_PURPOSE, RIGHTS])
    def test_customer_since_products_and_open_cases(
        self, client_for: ClientFor, session: Session, purpose: str
    ) -> None:
        subject_id = make_person(session)
        with_customer_history(session, subject_id)
        summary = summary_of(client_for(DPO), subject_id, purpose)
        assert "2021-05-01" in part(summary, "customer-since")
        products = part(summary, "products")
        assert "Fiber 1000" in products
        assert "TV Bas" not in products
        assert "Router Äldre" not in products
        cases = part(summary, "open-cases")
        assert "Ingen anslutning i fibern" in cases
        assert "Faktura fel" not in cases
        assert f'href="#cat-{SUPPORT}"' in cases

    def test_open_requests_link_to_their_page_for_the_handler_only(
        self, client_for: ClientFor, session: Session
    ) -> None:
        subject_id = make_person(session)
        dpo = client_for(DPO)
        location = register(dpo, subject_id).headers["location"]  # type: ignore[attr-defined]
        assert f'href="{location}"' in part(summary_of(dpo, subject_id, RIGHTS), "open-cases")
        service = part(
            summary_of(client_for(CUSTOMER_SERVICE), subject_id, CONTRACT_PURPOSE), "open-cases"
        )
        assert "/requests/" not in service
        assert "visas för dem som handlägger" in service

    def test_nothing_recorded_says_so(self, client_for: ClientFor, session: Session) -> None:
        subject_id = make_person(session)
        summary = summary_of(client_for(DPO), subject_id, RIGHTS)
        # Registered today as a customer, with no contract yet.
        assert today_in_sweden().isoformat() in part(summary, "customer-since")
        assert "Inga aktiva" in part(summary, "products")
        assert "Inga" in part(summary, "open-cases")

    def test_the_summary_is_read_within_the_views_one_audited_decision(
        self, client_for: ClientFor, session: Session
    ) -> None:
        subject_id = make_person(session)
        with_customer_history(session, subject_id)
        summary_of(client_for(DPO), subject_id, RIGHTS)
        (read,) = session.scalars(
            select(AuditEntry).where(
                AuditEntry.subject_id == subject_id, AuditEntry.action == "subject.show"
            )
        ).all()
        categories = json.loads(read.detail_json)["categories"]
        assert CONTRACTS in categories
        assert SUPPORT in categories
        assert category_of(COMPANY_MAP, "subject_role", "started_on") in categories


class TestHidden:
    def test_a_purpose_without_the_categories_shows_none_of_their_rows(
        self, client_for: ClientFor, session: Session
    ) -> None:
        assert CONTRACTS not in COMPANY.purpose(CONSENTED).categories
        assert SUPPORT not in COMPANY.purpose(CONSENTED).categories
        subject_id = make_person(session)
        with_customer_history(session, subject_id)
        give_consent(session, subject_id=subject_id, purpose=CONSENTED, channel="staff")
        session.commit()
        summary = summary_of(client_for(CUSTOMER_SERVICE), subject_id, CONSENTED)
        contracts = COMPANY.categories[CONTRACTS].title.sv
        for name in ("customer-since", "products"):
            assert f"Dolt: ändamålet får inte se {contracts}" in part(summary, name)
        assert COMPANY.categories[SUPPORT].title.sv in part(summary, "open-cases")
        for value in ("2021-05-01", "Fiber 1000", "Ingen anslutning"):
            assert value not in summary

    def test_a_restricted_category_is_hidden_in_the_summary(
        self, client_for: ClientFor, session: Session
    ) -> None:
        subject_id = make_person(session)
        with_customer_history(session, subject_id)
        session.add(Restriction(subject_id=subject_id, category=SUPPORT, reason="Bestrids"))
        session.commit()
        summary = summary_of(client_for(CUSTOMER_SERVICE), subject_id, CONTRACT_PURPOSE)
        cases = part(summary, "open-cases")
        assert "Dolt" in cases
        assert "Ingen anslutning" not in cases
        assert "Fiber 1000" in part(summary, "products")
