"""Issue 15: who handles a request (taken or assigned on its page, shown and filtered in the
queue, audited and in its history) and the language of a request registered by staff."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from dataskydd.audit.models import AuditEntry
from dataskydd.auth import sessions
from dataskydd.auth.models import StaffUser
from dataskydd.policy.schema import Permission, Policy
from dataskydd.subject_requests import assignment
from dataskydd.subject_requests.models import RequestKind, SubjectRequest
from dataskydd.web.deps import SESSION_COOKIE
from tests.policy_keys import ADMIN, CUSTOMER_SERVICE, DPO, rights_purpose
from tests.web.conftest import BASE_URL, csrf_of, make_staff
from tests.web.test_access_request_pages import EMAIL, last_mail, make_person
from tests.web.test_request_queue_pages import register

pytestmark = pytest.mark.every_company

# Swedish words that must not be in a mail to a subject who wrote in English.
SWEDISH = re.compile(r"\b(Hej|ärende|begäran|senast|Vi har)\b")


def signed_in(app: FastAPI, session: Session, role: str, name: str) -> tuple[TestClient, int]:
    user = make_staff(session, role)
    user.display_name = name
    _record, token = sessions.start_session(session, user)
    session.commit()
    client = TestClient(app, base_url=BASE_URL)
    client.cookies.set(SESSION_COOKIE, token)
    return client, user.id


@pytest.fixture
def anna(app: FastAPI, session: Session) -> tuple[TestClient, int]:
    return signed_in(app, session, DPO, "Anna Handläggare")


def new_request(client: TestClient, session: Session) -> str:
    answer = register(client, make_person(session))
    assert answer.status_code == 303  # type: ignore[attr-defined]
    return str(answer.headers["location"])  # type: ignore[attr-defined]


def post(client: TestClient, location: str, action: str, **data: str) -> object:
    page = client.get(location)
    return client.post(
        f"{location}/{action}",
        data={"csrf_token": csrf_of(page.text), **data},
        follow_redirects=False,
    )


def owner_of(session: Session, location: str) -> int | None:
    request_id = int(location.rsplit("/", 1)[1])
    session.expire_all()
    request = session.get(SubjectRequest, request_id)
    assert request is not None
    return request.owner_id


def queue_ids(client: TestClient, owner: str) -> set[str]:
    page = client.get(f"/requests?view=open&owner={owner}")
    assert page.status_code == 200, page.text
    return set(re.findall(r'<a href="/requests/(\d+)">', page.text))


class TestOwners:
    def test_owners_are_the_roles_that_handle_requests_under_the_rights_purpose(
        self, policy: Policy
    ) -> None:
        roles = assignment.handling_roles(policy)
        assert DPO in roles
        assert CUSTOMER_SERVICE not in roles
        assert ADMIN not in roles
        for key in roles:
            role = policy.roles[key]
            assert Permission.REQUESTS_HANDLE in role.permissions
            assert rights_purpose(policy) in role.purposes


class TestTakeAndAssign:
    def test_take_shows_the_owner_and_filters_the_queue(
        self, anna: tuple[TestClient, int], session: Session
    ) -> None:
        client, anna_id = anna
        mine = new_request(client, session)
        other = new_request(client, session)
        assert 'id="take"' in client.get(mine).text
        done = post(client, mine, "take")
        assert done.status_code == 303  # type: ignore[attr-defined]
        assert owner_of(session, mine) == anna_id
        page = client.get(mine)
        assert 'id="take"' not in page.text
        assert "Anna Handläggare" in page.text
        mine_id, other_id = mine.rsplit("/", 1)[1], other.rsplit("/", 1)[1]
        assert queue_ids(client, "mine") == {mine_id}
        assert queue_ids(client, "unassigned") == {other_id}
        assert queue_ids(client, "") == {mine_id, other_id}
        assert client.get("/requests?owner=someone").status_code == 422
        # The filter form as a browser sends it: the empty choices mean "all".
        assert client.get("/requests?view=open&kind=&owner=&q=").status_code == 200

    def test_assignment_is_audited_and_in_the_history(
        self, app: FastAPI, anna: tuple[TestClient, int], session: Session
    ) -> None:
        client, _anna_id = anna
        _bo, bo_id = signed_in(app, session, DPO, "Bo Ombud")
        location = new_request(client, session)
        assert post(client, location, "assign", owner=str(bo_id)).status_code == 303  # type: ignore[attr-defined]
        assert owner_of(session, location) == bo_id
        assert post(client, location, "assign", owner="").status_code == 303  # type: ignore[attr-defined]
        assert owner_of(session, location) is None
        entries = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "subject_request.assign")
            .order_by(AuditEntry.id)  # the order compared below
        ).all()
        request_id = int(location.rsplit("/", 1)[1])
        assert [e.detail for e in entries] == [
            {"request": request_id, "owner": bo_id, "previous": None},
            {"request": request_id, "owner": None, "previous": bo_id},
        ]
        assert all(e.actor.startswith("staff:") for e in entries)
        assert all(e.subject_id for e in entries)
        history = client.get(location).text.split('id="history"', 1)[1]
        assert "Bo Ombud" in history
        assert history.count("<tr>") == 4  # header, opened, assigned, unassigned

    @pytest.mark.parametrize("who", ["customer_service", "inactive", "unknown"])
    def test_only_an_active_request_handler_can_own_one(
        self, app: FastAPI, anna: tuple[TestClient, int], session: Session, who: str
    ) -> None:
        client, _anna_id = anna
        if who == "unknown":
            owner = 999999
        else:
            _other, owner = signed_in(
                app, session, CUSTOMER_SERVICE if who == "customer_service" else DPO, "Cilla"
            )
            if who == "inactive":
                user = session.get(StaffUser, owner)
                assert user is not None
                user.is_active = False
                session.commit()
        location = new_request(client, session)
        answer = post(client, location, "assign", owner=str(owner))
        assert answer.status_code == 422  # type: ignore[attr-defined]
        assert 'id="form-error"' in answer.text  # type: ignore[attr-defined]
        assert owner_of(session, location) is None

    def test_forms_need_the_csrf_token_and_the_role(
        self, app: FastAPI, anna: tuple[TestClient, int], session: Session
    ) -> None:
        client, _anna_id = anna
        location = new_request(client, session)
        refused = client.post(f"{location}/take", data={}, follow_redirects=False)
        assert refused.status_code in (400, 403)
        service, _ = signed_in(app, session, CUSTOMER_SERVICE, "Kund Service")
        assert service.post(f"{location}/take", data={}).status_code == 403
        assert owner_of(session, location) is None

    def test_a_closed_request_keeps_its_owner(
        self, anna: tuple[TestClient, int], session: Session
    ) -> None:
        client, anna_id = anna
        location = new_request(client, session)
        post(client, location, "take")
        assert post(client, location, "refuse", reason="Uppenbart ogrundad").status_code == 303  # type: ignore[attr-defined]
        page = client.get(location)
        assert 'id="take"' not in page.text
        assert 'id="assign"' not in page.text
        session.expire_all()
        assert post(client, location, "assign", owner="").status_code == 409  # type: ignore[attr-defined]
        assert owner_of(session, location) == anna_id

    def test_a_deactivated_owners_open_requests_say_so(
        self, app: FastAPI, anna: tuple[TestClient, int], session: Session
    ) -> None:
        client, _anna_id = anna
        _bo, bo_id = signed_in(app, session, DPO, "Bo Ombud")
        location = new_request(client, session)
        post(client, location, "assign", owner=str(bo_id))
        user = session.get(StaffUser, bo_id)
        assert user is not None
        user.is_active = False
        session.commit()
        inactive = "tilldelad inaktiv användare"
        assert inactive in client.get("/requests?view=open").text
        assert inactive in client.get(location).text
        english = client.get("/requests?view=open&lang=en").text
        assert "assigned to an inactive user" in english


class TestLanguage:
    @pytest.mark.parametrize("lang", ["sv", "en"])
    def test_a_letter_request_is_answered_in_the_language_chosen(
        self, anna: tuple[TestClient, int], session: Session, lang: str
    ) -> None:
        client, _anna_id = anna
        form = client.get("/requests/new").text
        assert 'name="lang"' in form
        assert 'value="en"' in form
        answer = register(client, make_person(session), lang=lang)
        assert answer.status_code == 303  # type: ignore[attr-defined]
        request = session.scalars(
            select(SubjectRequest).where(SubjectRequest.kind == RequestKind.ACCESS)
        ).one()
        assert request.lang == lang
        shown = client.get(f"/requests/{request.id}").text
        assert f'id="lang">{"engelska" if lang == "en" else "svenska"}<' in shown
        mail = last_mail(session, EMAIL)
        text = mail.subject_line + "\n" + mail.body
        if lang == "en":
            assert "We have received your request" in mail.subject_line
            assert not SWEDISH.findall(text), text
        else:
            assert "We have received" not in text
            assert SWEDISH.search(text)

    def test_an_unknown_language_is_refused(
        self, anna: tuple[TestClient, int], session: Session
    ) -> None:
        client, _anna_id = anna
        assert register(client, make_person(session), lang="de").status_code == 422  # type: ignore[attr-defined]
        assert session.scalars(select(SubjectRequest)).all() == []
