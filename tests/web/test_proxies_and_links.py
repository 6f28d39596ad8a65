"""Who the client is behind proxies, and where links in mail lead (issue 9, docs/scaling.md).

X-Forwarded-For is believed only from DATASKYDD_TRUSTED_PROXIES; links in mail start with
DATASKYDD_PUBLIC_BASE_URL whatever Host the request carried, and without it only a local demo
gets a link at all.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from dataskydd.auth import passwords, sessions
from dataskydd.config import Settings
from dataskydd.db.session import transaction
from dataskydd.policy.schema import Policy
from dataskydd.subject_requests.models import RequestStatus, SubjectRequest
from dataskydd.web.addresses import client_key
from dataskydd.web.app import create_app
from dataskydd.web.deps import SESSION_COOKIE, get_session
from tests.conftest import TEST_SECRET
from tests.policy_keys import COMPANY_MAP_DIR, DPO
from tests.web.conftest import BASE_URL, csrf_of, make_staff
from tests.web.test_access_request_pages import code_in, last_mail, make_person
from tests.web.test_sign_in import sign_in

# Holds for any company's policy: CI runs it against the bookshop too (.ci/run).
pytestmark = pytest.mark.every_company

PUBLIC = "https://dataskydd.example.se"
EMAIL = "astrid.lindqvist@example.se"
AppFor = Callable[..., FastAPI]


@pytest.fixture
def app_for(engine: Engine, session: Session, policy: Policy) -> Iterator[AppFor]:
    """An app on the test's session with the given settings, like tests/web/conftest.py's."""
    made: list[FastAPI] = []

    def make(**settings: Any) -> FastAPI:
        application = create_app(
            Settings(
                secret_key=TEST_SECRET,
                database_url="sqlite://",
                data_map=COMPANY_MAP_DIR,
                **settings,
            ),
            policy=policy,
            engine=engine,
        )

        def test_session() -> Iterator[Session]:
            with transaction(lambda: session) as db_session:  # type: ignore[arg-type,return-value]
                yield db_session

        application.dependency_overrides[get_session] = test_session

        @application.get("/test-whoami")
        def whoami(request: Request) -> dict[str, str]:
            client = request.client.host if request.client else ""
            return {"client": client, "scheme": request.url.scheme}

        made.append(application)
        return application

    yield make
    for application in made:
        application.dependency_overrides.clear()


def peer(app: FastAPI, address: str, base_url: str = BASE_URL) -> TestClient:
    return TestClient(app, base_url=base_url, client=(address, 40000))


class TestTrustedProxies:
    def test_without_trusted_proxies_forwarding_headers_are_ignored(self, app_for: AppFor) -> None:
        # uvicorn on its own would believe 127.0.0.1; nothing is believed unless configured.
        client = peer(app_for(), "127.0.0.1")
        seen = client.get(
            "/test-whoami", headers={"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "http"}
        ).json()
        assert seen == {"client": "127.0.0.1", "scheme": "https"}

    def test_an_untrusted_peer_cannot_name_its_address(self, app_for: AppFor) -> None:
        client = peer(app_for(trusted_proxies="10.0.0.0/8"), "198.51.100.7")
        seen = client.get("/test-whoami", headers={"X-Forwarded-For": "203.0.113.9"}).json()
        assert seen["client"] == "198.51.100.7"

    def test_a_trusted_proxy_names_the_client(self, app_for: AppFor) -> None:
        client = peer(app_for(trusted_proxies="10.0.0.0/8, 192.0.2.1"), "10.1.2.3")
        headers = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "http"}
        assert client.get("/test-whoami", headers=headers).json() == {
            "client": "203.0.113.9",
            "scheme": "http",
        }
        # The client may prepend anything; the address the (last) trusted proxy saw counts.
        chain = {"X-Forwarded-For": "198.51.100.1, 203.0.113.9, 192.0.2.1"}
        assert client.get("/test-whoami", headers=chain).json()["client"] == "203.0.113.9"

    def test_the_login_limit_counts_the_forwarded_client(
        self, app_for: AppFor, session: Session, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # Every password is wrong, without argon2's half second: the limit is under test.
        monkeypatch.setattr(passwords, "verify_password", lambda _hash, _password: False)
        app = app_for(trusted_proxies="10.0.0.0/8")
        proxy = peer(app, "10.0.0.2")
        attacker = {"X-Forwarded-For": "203.0.113.9"}
        statuses = [sign_in_via(proxy, attacker, "nobody", "Fel-lösenord-123") for _ in range(21)]
        assert statuses == [401] * 20 + [429]
        # Another client behind the same proxy is not blocked …
        assert sign_in_via(proxy, {"X-Forwarded-For": "203.0.113.10"}, "nobody", "x") == 401
        # … nor can anyone block the attacker's address by claiming it directly.
        direct = peer(app, "198.51.100.7")
        assert sign_in_via(direct, attacker, "nobody", "x") == 401


def sign_in_via(client: TestClient, headers: dict[str, str], username: str, password: str) -> int:
    client.headers.update(headers)
    response = sign_in(client, username, password)
    return response.status_code  # type: ignore[attr-defined,no-any-return]


class TestClientKey:
    @pytest.mark.parametrize(
        ("address", "key"),
        [
            ("192.0.2.10", "192.0.2.10"),
            ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
            ("2001:db8:1:2:bbbb::7", "2001:db8:1:2::/64"),
            ("::ffff:192.0.2.10", "192.0.2.10"),
            ("testclient", "testclient"),
        ],
    )
    def test_ipv6_clients_count_per_64(self, address: str, key: str) -> None:
        request = Request({"type": "http", "client": (address, 1), "headers": []})
        assert client_key(request) == key


# --- links in mail -------------------------------------------------------------------------


def open_access_request(app: FastAPI, session: Session) -> int:
    """A confirmed access request of a subject on file, asked for through the public pages."""
    make_person(session)
    subject = TestClient(app, base_url=BASE_URL)
    page = subject.get("/registerutdrag")
    subject.post("/registerutdrag", data={"contact": EMAIL, "csrf_token": csrf_of(page.text)})
    page = subject.get("/registerutdrag/kod")
    code = code_in(last_mail(session, EMAIL))
    subject.post("/registerutdrag/kod", data={"code": code, "csrf_token": csrf_of(page.text)})
    request_id = session.scalars(select(SubjectRequest.id)).one()
    return int(request_id)


def complete_as_dpo(app: FastAPI, session: Session, request_id: int, client: TestClient) -> Any:
    user = make_staff(session, DPO)
    _record, token = sessions.start_session(session, user)
    session.commit()
    client.cookies.set(SESSION_COOKIE, token)
    page = client.get(f"/requests/{request_id}")
    assert page.status_code == 200
    return client.post(
        f"/requests/{request_id}/complete",
        data={"csrf_token": csrf_of(page.text), "note": ""},
        follow_redirects=False,
    )


def mailed_link(session: Session) -> str:
    match = re.search(r"(\S+)/registerutdrag/hamta/\S+", last_mail(session, EMAIL).body)
    assert match, "no download link in the mail"
    return match.group(1)


def status_of(session: Session, request_id: int) -> RequestStatus:
    session.expire_all()
    request = session.get(SubjectRequest, request_id)
    assert request is not None
    return request.status


class TestLinksInMail:
    def test_the_link_starts_with_the_public_base_url_whatever_the_host(
        self, app_for: AppFor, session: Session
    ) -> None:
        app = app_for(public_base_url=PUBLIC + "/")
        request_id = open_access_request(app, session)
        dpo = TestClient(app, base_url="https://evil.example")
        done = complete_as_dpo(app, session, request_id, dpo)
        assert done.status_code == 303, done.text
        assert mailed_link(session) == PUBLIC

    def test_a_forwarded_host_changes_nothing_either(
        self, app_for: AppFor, session: Session
    ) -> None:
        app = app_for(public_base_url=PUBLIC, trusted_proxies="10.0.0.0/8")
        request_id = open_access_request(app, session)
        dpo = peer(app, "10.0.0.2")
        dpo.headers.update({"X-Forwarded-Host": "evil.example", "Host": "evil.example"})
        assert complete_as_dpo(app, session, request_id, dpo).status_code == 303
        assert mailed_link(session) == PUBLIC

    def test_without_a_public_url_a_local_demo_links_to_itself(
        self, app_for: AppFor, session: Session
    ) -> None:
        app = app_for(cookie_secure=False)
        request_id = open_access_request(app, session)
        local = peer(app, "127.0.0.1", base_url="http://127.0.0.1:8000")
        assert complete_as_dpo(app, session, request_id, local).status_code == 303
        assert mailed_link(session) == "http://127.0.0.1:8000"

    @pytest.mark.parametrize(
        ("address", "base_url", "headers"),
        [
            ("203.0.113.5", "https://dataskydd.example.se", {}),
            # A proxy on this machine passing the public Host, or its own.
            ("127.0.0.1", "https://dataskydd.example.se", {}),
            ("127.0.0.1", "http://127.0.0.1:8000", {"X-Forwarded-For": "203.0.113.5"}),
        ],
    )
    def test_without_a_public_url_anything_else_is_refused_and_nothing_changes(
        self,
        app_for: AppFor,
        session: Session,
        address: str,
        base_url: str,
        headers: dict[str, str],
    ) -> None:
        app = app_for(cookie_secure=False)
        request_id = open_access_request(app, session)
        dpo = TestClient(app, base_url=base_url, client=(address, 40000), headers=headers)
        refused = complete_as_dpo(app, session, request_id, dpo)
        assert refused.status_code == 500
        assert "DATASKYDD_PUBLIC_BASE_URL" in refused.text
        assert "Inget ändrades" in refused.text
        assert status_of(session, request_id) is not RequestStatus.COMPLETED
