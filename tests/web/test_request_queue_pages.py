"""The DPO's queue pages: filters, registering a letter request, extend, erasure plan, outbox."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from dataskydd.access.models import Objection
from dataskydd.audit.models import AuditEntry
from dataskydd.clock import today_in_sweden
from dataskydd.subject_requests.models import RequestStatus, SubjectRequest
from dataskydd.subject_requests.objections import record_objections
from tests.policy_keys import COMPANY, CUSTOMER_SERVICE, DPO, NEWSLETTERS, OBJECTABLE_INTEREST
from tests.web.conftest import ClientFor, csrf_of
from tests.web.test_access_request_pages import make_person

# Holds for any company's policy: CI runs it against the bookshop too (.ci/run).
pytestmark = pytest.mark.every_company


@pytest.fixture
def dpo(client_for: ClientFor) -> TestClient:
    return client_for(DPO)


def register(dpo: TestClient, subject_id: int, kind: str = "access", **extra: str) -> object:
    page = dpo.get(f"/requests/new?subject_id={subject_id}")
    data = {
        "csrf_token": csrf_of(page.text),
        "subject_id": str(subject_id),
        "kind": kind,
        "channel": "letter",
        "identity_check": "ID-kort kontrollerat mot registret",
        **extra,
    }
    return dpo.post("/requests/new", data=data, follow_redirects=False)


def test_customer_service_has_no_queue(client_for: ClientFor) -> None:
    assert client_for(CUSTOMER_SERVICE).get("/requests").status_code == 403


def test_register_a_letter_request_and_see_it_in_the_queue(
    dpo: TestClient, session: Session
) -> None:
    subject_id = make_person(session)
    answer = register(dpo, subject_id)
    assert answer.status_code == 303
    detail = dpo.get(answer.headers["location"])
    assert "Astrid Lindqvist" in detail.text
    queue = dpo.get("/requests?view=open&kind=access")
    assert answer.headers["location"].rsplit("/", 1)[1] in queue.text
    assert dpo.get("/requests?view=nonsense").status_code == 422


def test_bad_registration_is_422_and_saves_nothing(dpo: TestClient, session: Session) -> None:
    subject_id = make_person(session)
    assert register(dpo, subject_id, identity_check=" ").status_code == 422
    assert register(dpo, subject_id, channel="web").status_code == 422
    assert register(dpo, 999999).status_code == 404
    assert session.scalars(select(SubjectRequest)).all() == []


def test_extend_needs_a_reason(dpo: TestClient, session: Session) -> None:
    location = register(dpo, make_person(session)).headers["location"]  # type: ignore[attr-defined]
    page = dpo.get(location)
    assert (
        dpo.post(f"{location}/extend", data={"csrf_token": csrf_of(page.text)}).status_code == 422
    )
    done = dpo.post(
        f"{location}/extend",
        data={"csrf_token": csrf_of(page.text), "reason": "Komplex begäran"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    request = session.scalars(select(SubjectRequest)).one()
    assert request.status is RequestStatus.EXTENDED


def test_erasure_shows_the_plan_then_erases(dpo: TestClient, session: Session) -> None:
    location = register(dpo, make_person(session), "erasure").headers["location"]  # type: ignore[attr-defined]
    page = dpo.get(location)
    assert 'id="erasure-plan"' in page.text
    done = dpo.post(
        f"{location}/complete", data={"csrf_token": csrf_of(page.text)}, follow_redirects=True
    )
    assert done.status_code == 200
    assert "Raderat" in done.text  # the subject is told in Swedish unless they wrote in English


def test_outbox_page_shows_mail_without_smtp(dpo: TestClient, session: Session) -> None:
    register(dpo, make_person(session))
    page = dpo.get("/requests/outbox")
    assert page.status_code == 200
    assert "astrid.lindqvist@example.se" in page.text


def test_forms_need_the_csrf_token(dpo: TestClient, session: Session) -> None:
    location = register(dpo, make_person(session)).headers["location"]  # type: ignore[attr-defined]
    assert dpo.post(f"{location}/complete", data={"csrf_token": "forged"}).status_code == 403


class TestObjections:
    """Art. 21.1 on the DPO's page: compelling grounds only where the law allows them."""

    def _object(self, session: Session, *purposes: str) -> int:
        subject_id = make_person(session)
        record_objections(
            session,
            policy=COMPANY,
            actor=f"subject:{subject_id}",
            subject_id=subject_id,
            purposes=list(purposes),
        )
        session.commit()
        return subject_id

    def test_grounds_for_a_legitimate_interest_purpose_are_kept(
        self, dpo: TestClient, session: Session
    ) -> None:
        subject_id = self._object(session, OBJECTABLE_INTEREST, NEWSLETTERS)
        page = dpo.get("/requests/objections")
        assert page.status_code == 200
        # Marketing has no form: direct marketing always stops (art. 21.3).
        assert page.text.count(f'action="/requests/objections/{subject_id}/grounds"') == 1
        response = dpo.post(
            f"/requests/objections/{subject_id}/grounds",
            data={
                "csrf_token": csrf_of(page.text),
                "purpose": OBJECTABLE_INTEREST,
                "reason": "Utredning av misstänkt bedrägeri mot tjänsten, ärende 2026-114",
            },
            follow_redirects=False,
        )
        assert response.status_code == 303
        row = session.scalars(
            select(Objection).where(
                Objection.subject_id == subject_id, Objection.purpose == OBJECTABLE_INTEREST
            )
        ).one()
        session.refresh(row)
        assert row.overridden_at is not None
        assert (row.overridden_by or "").startswith("staff:")
        assert "misstänkt bedrägeri" in (row.override_reason or "")

    @pytest.mark.parametrize(
        ("purpose", "reason", "message"),
        [
            (NEWSLETTERS, "Vi vill fortsätta skicka erbjudanden", "direktmarknadsföring"),
            (OBJECTABLE_INTEREST, "kort", "reason: måste vara 10 till 500 tecken"),
        ],
    )
    def test_refused_grounds_are_shown_and_nothing_is_saved(
        self, dpo: TestClient, session: Session, purpose: str, reason: str, message: str
    ) -> None:
        subject_id = self._object(session, purpose)
        page = dpo.get("/requests/objections")
        response = dpo.post(
            f"/requests/objections/{subject_id}/grounds",
            data={"csrf_token": csrf_of(page.text), "purpose": purpose, "reason": reason},
        )
        assert response.status_code in (409, 422)
        assert message in response.text
        row = session.scalars(select(Objection).where(Objection.subject_id == subject_id)).one()
        session.refresh(row)
        assert row.overridden_at is None

    def test_customer_service_cannot_record_grounds(
        self, client_for: ClientFor, session: Session
    ) -> None:
        staff = client_for(CUSTOMER_SERVICE)
        assert staff.get("/requests/objections").status_code == 403


class TestWorkload:
    """Issue 15 item 6: the queue names each case's subject with its days left and can be
    searched; the DPO's start page counts what is overdue and due this week."""

    def test_the_queue_shows_names_and_days_left_and_finds_a_case(
        self, dpo: TestClient, session: Session
    ) -> None:
        subject_id = make_person(session)
        location = register(dpo, subject_id).headers["location"]  # type: ignore[attr-defined]
        case = location.rsplit("/", 1)[1]
        queue = dpo.get("/requests?view=open")
        assert "Astrid Lindqvist" in queue.text
        assert f"nr {subject_id}" in queue.text
        request = session.scalars(select(SubjectRequest)).one()
        assert request.due_on is not None
        left = (request.due_on - today_in_sweden()).days
        assert f'<td class="number">{left}</td>' in queue.text
        # One audited decision for the list, naming the subjects shown.
        listed = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "subject_request.list")
            .order_by(AuditEntry.id)  # the last one is this page's
        ).all()
        assert listed
        assert subject_id in listed[-1].detail["subjects"]

        for query in ("lindqvist", case, str(subject_id)):
            found = dpo.get("/requests", params={"view": "open", "q": query})
            assert f'href="/requests/{case}"' in found.text, query
        none = dpo.get("/requests", params={"view": "open", "q": "Ingen Sådan"})
        assert f'href="/requests/{case}"' not in none.text

    def test_the_start_page_counts_the_queue(self, dpo: TestClient, session: Session) -> None:
        register(dpo, make_person(session))
        start = dpo.get("/start")
        assert 'id="requests-open">1<' in start.text
        assert 'id="requests-overdue">0<' in start.text
        request = session.scalars(select(SubjectRequest)).one()
        request.due_on = today_in_sweden() - timedelta(days=1)
        session.commit()
        start = dpo.get("/start")
        assert 'id="requests-overdue">1<' in start.text
        assert 'href="/requests?view=overdue"' in start.text

    def test_the_subject_page_offers_to_register_a_request(
        self, dpo: TestClient, session: Session
    ) -> None:
        subject_id = make_person(session)
        page = dpo.get(f"/subjects/{subject_id}")
        assert f'href="/requests/new?subject_id={subject_id}"' in page.text


class TestPreview:
    """Issue 15 item 6: the handler reads the registerutdrag before the link is sent."""

    def test_the_preview_is_the_subjects_pdf_and_is_audited(
        self, dpo: TestClient, session: Session
    ) -> None:
        subject_id = make_person(session)
        location = register(dpo, subject_id).headers["location"]  # type: ignore[attr-defined]
        case = int(location.rsplit("/", 1)[1])
        page = dpo.get(location)
        assert f'href="/requests/{case}/preview.pdf"' in page.text
        pdf = dpo.get(f"/requests/{case}/preview.pdf")
        assert pdf.status_code == 200
        assert pdf.headers["content-type"] == "application/pdf"
        assert pdf.headers["cache-control"] == "no-store"
        text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
        assert "Lindqvist" in text
        previews = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "subject_request.preview")
        ).all()
        assert [entry.subject_id for entry in previews] == [subject_id]
        # Nothing was sent: the request is still open.
        request = session.get(SubjectRequest, case)
        assert request is not None
        assert request.status is RequestStatus.OPEN

    def test_no_preview_for_other_kinds_or_other_roles(
        self, dpo: TestClient, client_for: ClientFor, session: Session
    ) -> None:
        location = register(dpo, make_person(session), "erasure").headers["location"]  # type: ignore[attr-defined]
        case = location.rsplit("/", 1)[1]
        assert f"/requests/{case}/preview.pdf" not in dpo.get(location).text
        assert dpo.get(f"/requests/{case}/preview.pdf").status_code == 409
        assert client_for(CUSTOMER_SERVICE).get(f"/requests/{case}/preview.pdf").status_code == 403
