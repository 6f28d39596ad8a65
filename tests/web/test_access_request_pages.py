"""The public registerutdrag flow: ask → code → queue → DPO completes → subject downloads.

Codes are read from the outbox (no SMTP in these tests; tests/subject_requests and the
browser test send through a real SMTP server)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from dataskydd.audit.models import AuditEntry
from dataskydd.mail.models import OutboxMail
from dataskydd.register import service as register_service
from dataskydd.subject_requests.models import RequestStatus, SubjectRequest, VerificationCode
from tests.policy_keys import DPO
from tests.web.conftest import ClientFor, csrf_of

# Holds for any company's policy: CI runs it against the bookshop too (.ci/run).
pytestmark = pytest.mark.every_company

EMAIL = "astrid.lindqvist@example.se"


def make_person(session: Session, email: str = EMAIL, given: str = "Astrid") -> int:
    subject = register_service.create_subject(
        session,
        actor="test",
        data={
            "given_name": given,
            "family_name": "Lindqvist",
            "emails": [email],
            "phones": ["070-123 45 67" if email == EMAIL else "070-765 43 21"],
            "addresses": [{"street": "Storgatan 1", "postal_code": "11122", "city": "Stockholm"}],
        },
    )
    session.commit()
    return subject.id


def last_mail(session: Session, to: str) -> OutboxMail:
    mail = session.scalars(
        select(OutboxMail).where(OutboxMail.to_address == to).order_by(OutboxMail.id.desc())
    ).first()
    assert mail is not None
    return mail


def code_in(mail: OutboxMail) -> str:
    match = re.search(r"\b(\d{8})\b", mail.body)
    assert match, "no code in the mail"
    return match.group(1)


def ask(client: TestClient, contact: str, *, lang: str = "") -> object:
    page = client.get("/registerutdrag" + (f"?lang={lang}" if lang else ""))
    return client.post(
        "/registerutdrag",
        data={"contact": contact, "csrf_token": csrf_of(page.text)},
        follow_redirects=True,
    )


def send_code(client: TestClient, code: str) -> object:
    page = client.get("/registerutdrag/kod")
    return client.post("/registerutdrag/kod", data={"code": code, "csrf_token": csrf_of(page.text)})


def count(session: Session, model: type) -> int:
    return len(session.scalars(select(model)).all())


class TestAsking:
    def test_page_in_swedish_and_english(self, anonymous: TestClient) -> None:
        assert "Begär registerutdrag" in anonymous.get("/registerutdrag").text
        english = anonymous.get("/en/access-request")
        assert "Request a copy of your data" in english.text

    def test_code_goes_to_the_address_on_file_and_confirms_the_request(
        self, anonymous: TestClient, session: Session
    ) -> None:
        subject_id = make_person(session)
        answer = ask(anonymous, "070-123 45 67")  # by phone; the code goes to the e-mail
        assert answer.status_code == 200
        assert "registerutdrag/kod" in str(answer.url)
        mail = last_mail(session, EMAIL)
        confirmed = send_code(anonymous, code_in(mail))
        assert confirmed.status_code == 200, confirmed.text
        request = session.scalars(
            select(SubjectRequest).where(SubjectRequest.subject_id == subject_id)
        ).one()
        assert request.status is RequestStatus.OPEN
        assert request.due_on is not None
        assert f"{request.id}" in confirmed.text
        received = last_mail(session, EMAIL)
        assert request.due_on.isoformat() in received.body

    def test_same_answer_for_unknown_address(self, anonymous: TestClient, session: Session) -> None:
        make_person(session)
        mails_before = count(session, OutboxMail)
        known = ask(anonymous, EMAIL)
        other = TestClient(anonymous.app, base_url="https://testserver")
        unknown = ask(other, "nobody@example.se")
        assert known.status_code == unknown.status_code == 200
        strip = lambda html: re.sub(r'value="[^"]+"', "", html)  # noqa: E731
        assert strip(known.text) == strip(unknown.text)
        assert count(session, OutboxMail) == mails_before + 1
        # A decoy ticket never verifies, whatever is typed.
        assert send_code(other, "12345678").status_code == 422

    def test_invalid_and_oversized_input_is_422(self, anonymous: TestClient) -> None:
        assert ask(anonymous, "not an address").status_code == 422
        page = anonymous.get("/registerutdrag")
        huge = anonymous.post(
            "/registerutdrag", data={"contact": "a" * 5000, "csrf_token": csrf_of(page.text)}
        )
        assert huge.status_code == 422

    def test_form_without_its_cookie_is_refused(self, anonymous: TestClient) -> None:
        page = anonymous.get("/registerutdrag")
        token = csrf_of(page.text)
        anonymous.cookies.clear()
        answer = anonymous.post("/registerutdrag", data={"contact": EMAIL, "csrf_token": token})
        assert answer.status_code == 403

    def test_sending_codes_is_rate_limited(self, anonymous: TestClient, session: Session) -> None:
        statuses = [ask(anonymous, "nobody@example.se").status_code for _ in range(11)]
        assert statuses[:10] == [200] * 10
        assert statuses[10] == 429


class TestCodes:
    def test_wrong_code_then_five_tries_kill_it(
        self, anonymous: TestClient, session: Session
    ) -> None:
        make_person(session)
        ask(anonymous, EMAIL)
        right = code_in(last_mail(session, EMAIL))
        wrong = f"{(int(right) + 1) % 10**8:08d}"
        for _ in range(5):
            assert send_code(anonymous, wrong).status_code == 422
        assert send_code(anonymous, right).status_code == 422
        assert count(session, SubjectRequest) == 0

    def test_a_code_is_single_use(self, anonymous: TestClient, session: Session) -> None:
        make_person(session)
        ask(anonymous, EMAIL)
        code = code_in(last_mail(session, EMAIL))
        assert send_code(anonymous, code).status_code == 200
        anonymous.cookies.set("dataskydd_code_ticket", _ticket_of_last_code(session))
        assert send_code(anonymous, code).status_code == 422

    def test_expired_code_is_refused(self, anonymous: TestClient, session: Session) -> None:
        make_person(session)
        ask(anonymous, EMAIL)
        code = code_in(last_mail(session, EMAIL))
        record = session.scalars(
            select(VerificationCode).order_by(VerificationCode.id.desc())
        ).first()
        assert record is not None
        record.expires_at = record.created_at
        session.commit()
        assert send_code(anonymous, code).status_code == 422


def _ticket_of_last_code(session: Session) -> str:
    from dataskydd.subject_requests.verification import ticket_of

    record = session.scalars(select(VerificationCode).order_by(VerificationCode.id.desc())).first()
    assert record is not None
    return ticket_of(record)


@pytest.fixture
def dpo(client_for: ClientFor) -> TestClient:
    return client_for(DPO)


def _complete(dpo: TestClient, request_id: int) -> None:
    page = dpo.get(f"/requests/{request_id}")
    assert page.status_code == 200
    # The web channel's identity check in the page's language (issue 15 item 2).
    assert "engångskod skickad till e-postadressen i registret" in page.text
    done = dpo.post(
        f"/requests/{request_id}/complete",
        data={"csrf_token": csrf_of(page.text), "note": ""},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text


def _link_in(mail: OutboxMail) -> str:
    match = re.search(r"https?://\S+/registerutdrag/hamta/(\S+)", mail.body)
    assert match
    return f"/registerutdrag/hamta/{match.group(1)}"


def _download_code(client: TestClient, session: Session, link: str, email: str) -> object:
    page = client.get(link)
    client.post(link, data={"csrf_token": csrf_of(page.text)})
    code = code_in(last_mail(session, email))
    page = client.get(link + "?steg=kod")
    return client.post(
        link + "/kod", data={"code": code, "csrf_token": csrf_of(page.text)}, follow_redirects=True
    )


class TestDownload:
    def test_subject_downloads_pdf_and_json_after_a_fresh_code(
        self, anonymous: TestClient, session: Session, dpo: TestClient
    ) -> None:
        subject_id = make_person(session)
        ask(anonymous, EMAIL)
        send_code(anonymous, code_in(last_mail(session, EMAIL)))
        request_id = session.scalars(select(SubjectRequest.id)).one()
        _complete(dpo, request_id)
        request = session.get(SubjectRequest, request_id)
        assert request is not None
        assert request.status is RequestStatus.COMPLETED
        link = _link_in(last_mail(session, EMAIL))

        fresh = TestClient(anonymous.app, base_url="https://testserver")
        assert fresh.get(link + "/registerutdrag.json", follow_redirects=False).status_code == 303
        files = _download_code(fresh, session, link, EMAIL)
        assert "registerutdrag.pdf" in files.text
        pdf = fresh.get(link + "/registerutdrag.pdf")
        assert pdf.status_code == 200
        assert pdf.content.startswith(b"%PDF")
        extract = fresh.get(link + "/registerutdrag.json").json()
        assert extract["schema"] == "dataskydd-registerutdrag/1"
        assert extract["subject"]["id"] == subject_id
        actions = set(session.scalars(select(AuditEntry.action)))
        assert {
            "subject_request.open",
            "subject_request.complete",
            "subject_request.download",
        } <= actions

    def test_another_subjects_grant_does_not_open_a_link(
        self, anonymous: TestClient, session: Session, dpo: TestClient
    ) -> None:
        make_person(session)
        other_email = "bertil@example.se"
        make_person(session, other_email, "Bertil")
        links = {}
        for email in (EMAIL, other_email):
            client = TestClient(anonymous.app, base_url="https://testserver")
            ask(client, email)
            send_code(client, code_in(last_mail(session, email)))
        for request_id in session.scalars(select(SubjectRequest.id)).all():
            _complete(dpo, request_id)
        for email in (EMAIL, other_email):
            links[email] = _link_in(last_mail(session, email))
        bertil = TestClient(anonymous.app, base_url="https://testserver")
        _download_code(bertil, session, links[other_email], other_email)
        assert bertil.get(links[other_email] + "/registerutdrag.json").status_code == 200
        # Bertil's grant does not reach Astrid's files, and codes go to Astrid's address.
        grant = bertil.cookies.get("dataskydd_download")
        stranger = TestClient(anonymous.app, base_url="https://testserver")
        stranger.cookies.set("dataskydd_download", grant or "")
        answer = stranger.get(links[EMAIL] + "/registerutdrag.json", follow_redirects=False)
        assert answer.status_code == 303

    def test_forged_or_unknown_link_is_404(self, anonymous: TestClient) -> None:
        assert anonymous.get("/registerutdrag/hamta/1.999999.abc").status_code == 404
        assert anonymous.get("/registerutdrag/hamta/x").status_code == 404
