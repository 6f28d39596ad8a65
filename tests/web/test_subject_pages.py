"""Staff subject pages: search, the purpose question, the view by category, rectification."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dataskydd.audit.models import AuditEntry
from dataskydd.policy.schema import LegalBasis
from dataskydd.register import service as register_service
from dataskydd.register.models import ContactPoint, PostalAddress, Rectification
from dataskydd.subject_requests.models import RequestChannel, RequestKind
from dataskydd.subject_requests.requests import open_request
from tests.policy_keys import (
    ANALYST,
    BILLING,
    BOOKKEEPING,
    CHANGE_HISTORY,
    COMPANY,
    CONTACT,
    CONTRACT_PURPOSE,
    CUSTOMER_SERVICE,
    DPO,
    LEGAL_CLAIMS,
    NAME,
    NEWSLETTERS,
    PERSONNUMMER,
    STATISTICS,
)
from tests.web.conftest import ClientFor, csrf_of

# Holds for any company's policy: CI runs it against the bookshop too (.ci/run).
pytestmark = pytest.mark.every_company

PNR = "19811218-9876"
ORGNR = "556036-0793"


def make_person(session: Session, **overrides: Any) -> int:
    data: dict[str, Any] = {
        "given_name": "Astrid",
        "family_name": "Lindqvist",
        "personnummer": PNR,
        "emails": ["astrid.lindqvist@example.se"],
        "phones": ["070-123 45 67"],
        "addresses": [{"street": "Storgatan 1", "postal_code": "11122", "city": "Stockholm"}],
    } | overrides
    subject = register_service.create_subject(session, actor="test", data=data)
    session.commit()
    return subject.id


def make_company(session: Session) -> int:
    subject = register_service.create_subject(
        session,
        actor="test",
        data={
            "kind": "organisation",
            "organisation_name": "Fiberbolaget AB",
            "organisationsnummer": ORGNR,
            "emails": ["info@fiberbolaget.se"],
        },
    )
    session.commit()
    return subject.id


def access_request(session: Session, subject_id: int) -> int:
    """The id of a registered access request of the subject: a case legal claims may name."""
    request = open_request(
        session,
        actor="test",
        policy=COMPANY,
        subject_id=subject_id,
        kind=RequestKind.ACCESS,
        channel=RequestChannel.LETTER,
        identity_check="ID card checked at the counter",
    )
    request_id = request.id
    session.commit()
    return request_id


def audit_rows(session: Session, action: str, subject_id: int) -> list[AuditEntry]:
    statement = select(AuditEntry).where(
        AuditEntry.action == action, AuditEntry.subject_id == subject_id
    )
    return list(session.scalars(statement))


@pytest.fixture
def staff(client_for: ClientFor) -> TestClient:
    return client_for(CUSTOMER_SERVICE)


class TestSearch:
    @pytest.mark.parametrize(
        "query",
        ["Lindqvist", "astrid lindqvist", "ASTRID.LINDQVIST@example.se", "070-1234567", PNR],
    )
    def test_finds_a_person_by_each_identifier(
        self, staff: TestClient, session: Session, query: str
    ) -> None:
        subject_id = make_person(session)
        page = staff.get("/subjects", params={"q": query})
        assert page.status_code == 200
        assert f'href="/subjects/{subject_id}"' in page.text
        assert "19811218-XXXX" in page.text
        assert "198112189876" not in page.text

    def test_finds_a_company_by_organisationsnummer(
        self, staff: TestClient, session: Session
    ) -> None:
        subject_id = make_company(session)
        page = staff.get("/subjects", params={"q": "5560360793"})
        assert f'href="/subjects/{subject_id}"' in page.text
        assert "Fiberbolaget AB" in page.text

    def test_empty_query_shows_only_the_form(self, staff: TestClient) -> None:
        page = staff.get("/subjects")
        assert page.status_code == 200
        assert 'name="q"' in page.text
        assert "Träffar" not in page.text

    def test_no_match_says_so(self, staff: TestClient, session: Session) -> None:
        make_person(session)
        page = staff.get("/subjects", params={"q": "Nobody Atall"})
        assert page.status_code == 200
        assert "Ingen registrerad matchar sökningen" in page.text

    def test_too_long_query_is_422_not_500(self, staff: TestClient) -> None:
        assert staff.get("/subjects", params={"q": "x" * 500}).status_code == 422


class TestPurposeQuestion:
    def test_offers_single_subject_purposes_and_shows_no_personal_data(
        self, staff: TestClient, session: Session
    ) -> None:
        subject_id = make_person(session)
        page = staff.get(f"/subjects/{subject_id}")
        assert page.status_code == 200
        assert "Varför öppnar du den här registrerade?" in page.text
        assert f'action="/subjects/{subject_id}/view"' in page.text
        assert f'value="{CONTRACT_PURPOSE}"' in page.text
        assert "Fullgörande av avtal" in page.text
        assert f'value="{STATISTICS}"' not in page.text
        for secret in ("Astrid", "Lindqvist", "astrid.lindqvist", "19811218", "Storgatan"):
            assert secret not in page.text

    def test_unknown_subject_is_404(self, staff: TestClient) -> None:
        assert staff.get("/subjects/999999").status_code == 404


class TestView:
    def test_customer_relationship_shows_contact_details_with_policy_terms(
        self, staff: TestClient, session: Session
    ) -> None:
        subject_id = make_person(session)
        page = staff.get(f"/subjects/{subject_id}/view", params={"purpose": CONTRACT_PURPOSE})
        assert page.status_code == 200
        text = page.text
        assert "astrid.lindqvist@example.se" in text
        assert COMPANY.category(NAME).title.sv in text
        assert COMPANY.category(CONTACT).title.sv in text
        assert "Fullgörande av avtal" in text
        assert "Lagringstid" in text
        assert "Efternamn" in text
        assert "family_name" not in text
        assert f'href="/subjects/{subject_id}/edit"' in text
        assert f'href="/subjects/{subject_id}/history"' in text
        rows = audit_rows(session, "subject.show", subject_id)
        assert [row.purpose for row in rows] == [CONTRACT_PURPOSE]

    def test_a_purpose_sees_only_its_categories(
        self, client_for: ClientFor, session: Session
    ) -> None:
        subject_id = make_person(session)
        # A purpose a staff role may open a subject under that does not use the personnummer:
        # Omilon's service quality (customer service), which uses no billing or contact details
        # either; a bookshop's bookkeeping (its DPO).
        role, purpose = next(
            (role, key)
            for role in (CUSTOMER_SERVICE, DPO)
            for key in COMPANY.role(role).purposes
            if PERSONNUMMER not in COMPANY.purpose(key).categories
            and not COMPANY.purpose(key).aggregates_only
            and not COMPANY.purpose(key).case_required
            and COMPANY.purpose(key).legal_basis is not LegalBasis.CONSENT
        )
        uses = set(COMPANY.purpose(purpose).categories)
        page = client_for(role).get(f"/subjects/{subject_id}/view", params={"purpose": purpose})
        assert page.status_code == 200
        # The withheld categories are listed in the summary above the shown sections.
        summary, _, shown = page.text.partition('<nav class="in-page"')
        withheld = summary.partition("Visas inte för det här ändamålet")[2]
        personnummer = COMPANY.category(PERSONNUMMER).title.sv
        assert personnummer not in shown
        assert "198112189876" not in page.text
        if BILLING not in uses:
            assert COMPANY.category(BILLING).title.sv not in shown
        assert ("astrid.lindqvist@example.se" in page.text) == (CONTACT in uses)
        assert withheld, "the withheld categories are listed"
        assert personnummer in withheld
        rows = audit_rows(session, "subject.show", subject_id)
        assert [row.purpose for row in rows] == [purpose]

    @pytest.mark.parametrize("purpose", [NEWSLETTERS, BOOKKEEPING, LEGAL_CLAIMS])
    def test_customer_service_may_not_use_purposes_outside_its_role(
        self, staff: TestClient, session: Session, purpose: str
    ) -> None:
        subject_id = make_person(session)
        # A real case of the subject, so that only the role can be the reason.
        case = f"request:{access_request(session, subject_id)}"
        page = staff.get(f"/subjects/{subject_id}/view", params={"purpose": purpose, "case": case})
        assert page.status_code == 403
        assert f"rollen {CUSTOMER_SERVICE} får inte använda ändamålet {purpose}" in page.text
        assert "Astrid" not in page.text
        refused = audit_rows(session, "subject.show.refused", subject_id)
        assert [row.purpose for row in refused] == [purpose]

    def test_legal_claims_needs_a_case_of_the_subject(
        self, client_for: ClientFor, session: Session
    ) -> None:
        subject_id = make_person(session)
        other_id = make_person(session, personnummer="19811228-9874", emails=[], phones=[])
        dpo = client_for(DPO)
        mine, theirs = access_request(session, subject_id), access_request(session, other_id)
        url = f"/subjects/{subject_id}/view"
        purpose = LEGAL_CLAIMS
        without = dpo.get(url, params={"purpose": purpose})
        assert without.status_code == 403
        assert "kräver ett ärende" in without.text
        wrong = dpo.get(url, params={"purpose": purpose, "case": f"request:{theirs}"})
        assert wrong.status_code == 403
        assert "gäller inte den här registrerade" in wrong.text
        page = dpo.get(url, params={"purpose": purpose, "case": f"request:{mine}"})
        assert page.status_code == 200, page.text
        shown = audit_rows(session, "subject.show", subject_id)
        (row,) = [r for r in shown if r.purpose == purpose]
        assert row.detail["case"] == f"request:{mine}"
        assert len(audit_rows(session, "subject.show.refused", subject_id)) == 2

    def test_aggregates_only_purpose_is_refused_and_the_refusal_kept(
        self, client_for: ClientFor, session: Session
    ) -> None:
        subject_id = make_person(session)
        # The DPO's role may use the statistics purpose, so only its being aggregate-only refuses.
        page = client_for(DPO).get(f"/subjects/{subject_id}/view", params={"purpose": STATISTICS})
        assert page.status_code == 403
        assert "sammanställningar" in page.text
        assert "Astrid" not in page.text
        refused = audit_rows(session, "subject.show.refused", subject_id)
        assert [row.purpose for row in refused] == [STATISTICS]

    def test_unknown_purpose_names_the_valid_ones(
        self, staff: TestClient, session: Session
    ) -> None:
        subject_id = make_person(session)
        page = staff.get(f"/subjects/{subject_id}/view", params={"purpose": "curiosity"})
        assert page.status_code == 404
        assert CONTRACT_PURPOSE in page.text

    def test_english_on_request(self, staff: TestClient, session: Session) -> None:
        subject_id = make_person(session)
        page = staff.get(
            f"/subjects/{subject_id}/view",
            params={"purpose": CONTRACT_PURPOSE, "lang": "en"},
        )
        assert COMPANY.category(NAME).title.en in page.text
        assert "Retention" in page.text
        assert "Family name" in page.text


def edit(client: TestClient, subject_id: int, **changes: str) -> Any:
    form = client.get(f"/subjects/{subject_id}/edit")
    assert form.status_code == 200
    data = {
        "csrf_token": csrf_of(form.text),
        "kind": "person",
        "given_name": "Astrid",
        "family_name": "Lindqvist",
        "email": "astrid.lindqvist@example.se",
        "phone": "+46701234567",
        "care_of": "",
        "street": "Storgatan 1",
        "postal_code": "111 22",
        "city": "Stockholm",
        "reason": "Kunden ringde och meddelade ny adress",
    } | changes
    return client.post(f"/subjects/{subject_id}/edit", data=data, follow_redirects=False)


def stored_email(session: Session, subject_id: int) -> str:
    session.expire_all()
    return session.scalars(
        select(ContactPoint.value).where(
            ContactPoint.subject_id == subject_id, ContactPoint.kind == "email"
        )
    ).one()


def rectification_count(session: Session, subject_id: int) -> int:
    statement = select(func.count()).where(Rectification.subject_id == subject_id)
    return session.scalar(statement) or 0


class TestEdit:
    def test_form_shows_current_values_and_the_read_is_audited(
        self, staff: TestClient, session: Session
    ) -> None:
        subject_id = make_person(session)
        page = staff.get(f"/subjects/{subject_id}/edit")
        assert 'value="astrid.lindqvist@example.se"' in page.text
        assert 'value="111 22"' in page.text
        assert 'name="reason"' in page.text
        assert 'for="f-email"' in page.text
        rows = audit_rows(session, "subject.show", subject_id)
        assert [row.purpose for row in rows] == [CONTRACT_PURPOSE]

    def test_valid_change_is_kept_in_the_history(
        self, client_for: ClientFor, session: Session
    ) -> None:
        client = client_for(CUSTOMER_SERVICE, "kim")
        subject_id = make_person(session)
        response = edit(client, subject_id, email="astrid@nyadress.se", city="Uppsala")
        assert response.status_code == 303
        assert response.headers["location"].startswith(f"/subjects/{subject_id}/history")
        assert stored_email(session, subject_id) == "astrid@nyadress.se"
        # Unchanged fields are not rectified.
        assert rectification_count(session, subject_id) == 2
        history = client.get(response.headers["location"])
        assert history.status_code == 200
        text = history.text
        assert "Ändringarna har sparats" in text
        assert "astrid.lindqvist@example.se" in text
        assert "astrid@nyadress.se" in text
        assert "Stockholm" in text
        assert "Uppsala" in text
        assert "staff:kim" in text
        assert "Kunden ringde och meddelade ny adress" in text
        assert "E-post" in text
        assert "Ort" in text
        read = audit_rows(session, "subject.show", subject_id)
        assert any(
            row.detail.get("view") == "rectification_history"
            and CHANGE_HISTORY in row.detail["categories"]
            for row in read
        )

    @pytest.mark.parametrize(
        ("changes", "field_label"),
        [
            ({"email": "not-an-address"}, "E-post"),
            ({"postal_code": "1234", "city": "Uppsala"}, "Postnummer"),
            ({"email": "ny@example.se", "reason": ""}, "Anledning till ändringen"),
        ],
    )
    def test_invalid_input_is_422_names_the_field_and_saves_nothing(
        self, staff: TestClient, session: Session, changes: dict[str, str], field_label: str
    ) -> None:
        subject_id = make_person(session)
        response = edit(staff, subject_id, **changes)
        assert response.status_code == 422
        assert f"{field_label}: " in response.text
        assert 'aria-invalid="true"' in response.text
        assert stored_email(session, subject_id) == "astrid.lindqvist@example.se"
        assert rectification_count(session, subject_id) == 0
        session.expire_all()
        city = session.scalars(
            select(PostalAddress.city).where(PostalAddress.subject_id == subject_id)
        ).one()
        assert city == "Stockholm"

    @pytest.mark.parametrize("token", [None, "forged"])
    def test_post_without_the_form_token_is_refused(
        self, staff: TestClient, session: Session, token: str | None
    ) -> None:
        subject_id = make_person(session)
        data = {"email": "ny@example.se", "reason": "Kunden bad om det"}
        if token:
            data["csrf_token"] = token
        response = staff.post(f"/subjects/{subject_id}/edit", data=data)
        assert response.status_code == 403
        assert stored_email(session, subject_id) == "astrid.lindqvist@example.se"
        assert rectification_count(session, subject_id) == 0

    def test_nothing_changed_saves_nothing(self, staff: TestClient, session: Session) -> None:
        subject_id = make_person(session)
        response = edit(staff, subject_id)
        assert response.status_code == 303
        assert rectification_count(session, subject_id) == 0
        assert "Inget ändrades" in staff.get(response.headers["location"]).text


class TestAccess:
    def test_analyst_cannot_open_subject_pages(
        self, client_for: ClientFor, session: Session
    ) -> None:
        subject_id = make_person(session)
        analyst = client_for(ANALYST)
        assert analyst.get("/subjects", params={"q": "Lindqvist"}).status_code == 403
        assert analyst.get(f"/subjects/{subject_id}").status_code == 403

    def test_signed_out_visitor_is_sent_to_sign_in(self, anonymous: TestClient) -> None:
        response = anonymous.get("/subjects", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login")


class TestPartialForm:
    def test_fields_left_out_keep_their_values(self, staff: TestClient, session: Session) -> None:
        subject_id = make_person(session)
        token = csrf_of(staff.get(f"/subjects/{subject_id}/edit").text)
        response = staff.post(
            f"/subjects/{subject_id}/edit",
            data={"csrf_token": token, "email": "ny@example.se", "reason": "Ny e-postadress"},
            follow_redirects=False,
        )
        assert response.status_code == 303
        assert stored_email(session, subject_id) == "ny@example.se"
        assert rectification_count(session, subject_id) == 1


class TestLanguageSwitch:
    """Issue 15 item 1: switching language keeps the page, its purpose and its search."""

    def test_the_switch_keeps_the_query_and_the_page_answers_in_english(
        self, staff: TestClient, session: Session
    ) -> None:
        subject_id = make_person(session)
        page = staff.get(f"/subjects/{subject_id}/view", params={"purpose": CONTRACT_PURPOSE})
        link = re.search(r'<a href="([^"]+)" hreflang="en"', page.text)
        assert link is not None
        href = html.unescape(link.group(1))
        assert href == f"?purpose={CONTRACT_PURPOSE}&lang=en"
        english = staff.get(f"/subjects/{subject_id}/view{href}")
        assert english.status_code == 200
        assert '<html lang="en">' in english.text
        assert "astrid.lindqvist@example.se" in english.text

    def test_search_terms_survive_and_an_old_lang_is_replaced(self, staff: TestClient) -> None:
        page = staff.get("/subjects", params={"q": "Lindqvist", "lang": "en"})
        link = re.search(r'<a href="([^"]+)" hreflang="sv"', page.text)
        assert link is not None
        assert link.group(1) == "?q=Lindqvist&amp;lang=sv"


def test_an_unknown_page_says_so_in_swedish(staff: TestClient) -> None:
    page = staff.get("/no-such-page")
    assert page.status_code == 404
    assert "Sidan finns inte." in page.text
    assert "Not Found" not in page.text
    assert "Not Found" in staff.get("/no-such-page", params={"lang": "en"}).text
