"""The customer view staff read every day (issue 15 item 7): in-page navigation, further
pages of long tables (decided and audited), JSON values as lines, and a summary of how the
subject's consent, objection and restrictions affect the stated purpose."""

from __future__ import annotations

import html
import json
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from dataskydd.access.consents import give_consent
from dataskydd.audit.models import AuditEntry
from dataskydd.clock import utc_now
from dataskydd.policy.schema import LegalBasis, Policy
from dataskydd.register.enums import ActivityKind
from dataskydd.register.models import Activity, Participation, Restriction
from tests import factories as f
from tests.conftest import load_test_policy
from tests.policy_keys import (
    BILLING,
    COMPANY,
    COMPANY_MAP,
    CONTRACT_PURPOSE,
    CUSTOMER_SERVICE,
    DPO,
    RIGHTS,
    purpose_with,
    register_table_category,
)
from tests.web.conftest import ClientFor
from tests.web.test_subject_pages import make_person

PARTICIPATION = register_table_category(COMPANY_MAP, "participation")
# A consent-based purpose that uses the participation category (Omilon's surveys).
CONSENTED = purpose_with(
    COMPANY,
    "consent-based, using participation",
    lambda p: p.legal_basis is LegalBasis.CONSENT and PARTICIPATION in p.categories,
)
INVOICES = 60  # more than the 50 rows a table shows at first


@pytest.fixture
def policy(policy_file: Path | None) -> Policy:
    """The company's policy with customer service also allowed the consent-based purpose, so
    that a staff page can be opened under one (no Omilon role has one)."""
    base = load_test_policy(policy_file)
    role = base.roles[CUSTOMER_SERVICE]
    widened = role.model_copy(update={"purposes": (*role.purposes, CONSENTED)})
    return base.model_copy(update={"roles": {**base.roles, CUSTOMER_SERVICE: widened}})


@pytest.fixture
def staff(client_for: ClientFor) -> TestClient:
    return client_for(CUSTOMER_SERVICE)


def with_invoices(session: Session, subject_id: int) -> None:
    for day in range(INVOICES):
        f.InvoiceFactory(
            subject_id=subject_id,
            invoice_number=f"INV-{day:03d}",
            issued_on=date(2025, 1, 1) + timedelta(days=day),
        )
    session.commit()


def with_answers(session: Session, subject_id: int) -> None:
    activity = Activity(
        code="nkiq-2026",
        kind=ActivityKind.SURVEY,
        title="Kundnöjdhet 2026",
        starts_on=date(2026, 1, 1),
    )
    session.add(activity)
    session.flush()
    answers = {"rating": 5, "comment": "Snabb hjälp", "household": {"adults": 2}}
    session.add(
        Participation(
            subject_id=subject_id,
            activity_id=activity.id,
            consented_at=utc_now(),
            answers=json.dumps(answers),
        )
    )
    session.commit()


def view(client: TestClient, subject_id: int, purpose: str, **params: str) -> str:
    page = client.get(f"/subjects/{subject_id}/view", params={"purpose": purpose, **params})
    assert page.status_code == 200, page.text[:500]
    return html.unescape(page.text)


class TestNavigation:
    def test_links_to_every_shown_category_with_its_row_count(
        self, staff: TestClient, session: Session, factories: None
    ) -> None:
        subject_id = make_person(session)
        with_invoices(session, subject_id)
        text = view(staff, subject_id, CONTRACT_PURPOSE)
        sections = re.findall(r'<h2 id="cat-([^"]+)"', text)
        assert BILLING in sections
        assert len(sections) > 1
        nav = text.split('class="in-page"', 1)[1].split("</nav>", 1)[0]
        assert re.findall(r'href="#cat-([^"]+)"', nav) == sections
        assert re.search(rf'href="#cat-{BILLING}">[^<]+</a> \({INVOICES}\)', nav)


class TestPaging:
    def test_more_shows_the_older_rows_and_is_decided_and_audited(
        self, staff: TestClient, session: Session, factories: None
    ) -> None:
        subject_id = make_person(session)
        with_invoices(session, subject_id)
        first = view(staff, subject_id, CONTRACT_PURPOSE)
        assert "INV-059" in first
        assert "INV-010" in first
        assert "INV-009" not in first
        more = f"more={BILLING}.invoice&page=2"
        assert more in first
        assert "Visa fler" in first

        second = view(staff, subject_id, CONTRACT_PURPOSE, more=f"{BILLING}.invoice", page="2")
        assert "INV-009" in second
        assert "INV-000" in second
        assert "INV-010" not in second
        assert "INV-059" not in second
        assert "page=3" not in second  # nothing after the last page
        audited = session.scalars(
            select(AuditEntry).where(
                AuditEntry.subject_id == subject_id, AuditEntry.action == "subject.show"
            )
        ).all()
        pages = [json.loads(row.detail_json) for row in audited]
        assert any(
            d.get("table") == "invoice" and d.get("page") == 2 and d["categories"] == [BILLING]
            for d in pages
        )

    def test_a_table_not_shown_for_the_purpose_is_404(
        self, staff: TestClient, session: Session
    ) -> None:
        subject_id = make_person(session)
        page = staff.get(
            f"/subjects/{subject_id}/view",
            params={
                "purpose": CONTRACT_PURPOSE,
                "more": f"{PARTICIPATION}.participation",
                "page": "2",
            },
        )
        assert page.status_code == 404

    def test_page_number_is_bounded(self, staff: TestClient, session: Session) -> None:
        subject_id = make_person(session)
        page = staff.get(
            f"/subjects/{subject_id}/view",
            params={"purpose": CONTRACT_PURPOSE, "more": f"{BILLING}.invoice", "page": "99999"},
        )
        assert page.status_code == 422


class TestReadableValues:
    def test_survey_answers_are_key_value_lines(
        self, client_for: ClientFor, session: Session
    ) -> None:
        subject_id = make_person(session)
        with_answers(session, subject_id)
        text = view(client_for(DPO), subject_id, RIGHTS)
        assert "<li>rating: 5</li>" in text
        assert "<li>comment: Snabb hjälp</li>" in text
        assert "<li>household.adults: 2</li>" in text
        assert '"rating"' not in text


class TestSummary:
    def test_consent_based_purpose_says_the_consent_stands(
        self, staff: TestClient, session: Session
    ) -> None:
        subject_id = make_person(session)
        with_answers(session, subject_id)
        give_consent(session, subject_id=subject_id, purpose=CONSENTED, channel="staff")
        session.commit()
        text = view(staff, subject_id, CONSENTED)
        assert "den registrerades samtycke gäller" in text
        assert "Ingen invändning mot ändamålet" in text

    def test_without_consent_the_view_is_refused(self, staff: TestClient, session: Session) -> None:
        subject_id = make_person(session)
        page = staff.get(f"/subjects/{subject_id}/view", params={"purpose": CONSENTED})
        assert page.status_code == 403

    def test_hidden_categories_say_why_and_which_purpose_shows_them(
        self, staff: TestClient, session: Session
    ) -> None:
        subject_id = make_person(session)
        give_consent(session, subject_id=subject_id, purpose=CONSENTED, channel="staff")
        session.commit()
        text = view(staff, subject_id, CONSENTED)
        summary = text.split('class="summary"', 1)[1].split("</section>", 1)[0]
        billing = re.search(rf'<li id="hidden-{BILLING}">(.*?)</li>', summary, re.DOTALL)
        assert billing, summary
        assert "ändamålet använder den inte" in billing.group(1)
        contract_title = COMPANY.purpose(CONTRACT_PURPOSE).title.sv
        assert f"Visas under: {contract_title}" in billing.group(1)

    def test_a_restricted_category_is_listed_with_its_reason(
        self, staff: TestClient, session: Session, factories: None
    ) -> None:
        subject_id = make_person(session)
        with_invoices(session, subject_id)
        session.add(
            Restriction(subject_id=subject_id, category=BILLING, reason="Beloppet bestrids")
        )
        session.commit()
        text = view(staff, subject_id, CONTRACT_PURPOSE)
        summary = text.split('class="summary"', 1)[1].split("</section>", 1)[0]
        billing = re.search(rf'<li id="hidden-{BILLING}">(.*?)</li>', summary, re.DOTALL)
        assert billing, summary
        assert "begränsad (artikel 18)" in billing.group(1)
        assert "Beloppet bestrids" in billing.group(1)
        assert "INV-059" not in text
        assert f'href="#cat-{BILLING}"' not in text
