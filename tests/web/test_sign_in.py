"""Sign-in, sign-out, inactivity and the security of the session cookie."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dataskydd.auth.models import StaffSession
from dataskydd.clock import utc_now
from tests.policy_keys import ANALYST, COMPANY, CUSTOMER_SERVICE, DPO
from tests.web.conftest import PASSWORD, ClientFor, csrf_of, make_staff

# Holds for any company's policy: CI runs it against the bookshop too (.ci/run).
pytestmark = pytest.mark.every_company


def sign_in(client: TestClient, username: str, password: str) -> object:
    token = csrf_of(client.get("/login").text)
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        follow_redirects=False,
    )


class TestSignIn:
    def test_right_password_starts_a_secure_session(
        self, anonymous: TestClient, session: Session
    ) -> None:
        make_staff(session, DPO, "karin")
        response = sign_in(anonymous, "karin", PASSWORD)
        assert response.status_code == 303
        assert response.headers["location"] == "/start"
        cookie = next(
            v
            for k, v in response.headers.multi_items()
            if k == "set-cookie" and v.startswith("dataskydd_session=")
        )
        assert "HttpOnly" in cookie
        assert "Secure" in cookie
        assert "SameSite=strict" in cookie
        page = anonymous.get("/start")
        assert page.status_code == 200
        assert "Välkommen" in page.text

    def test_unknown_user_and_wrong_password_get_the_same_answer(
        self, anonymous: TestClient, session: Session
    ) -> None:
        make_staff(session, DPO, "karin")
        wrong = sign_in(anonymous, "karin", "Fel-lösenord-123")
        unknown = sign_in(anonymous, "nobody", "Fel-lösenord-123")
        assert wrong.status_code == unknown.status_code == 401
        assert "Fel användarnamn eller lösenord" in wrong.text
        assert "Fel användarnamn eller lösenord" in unknown.text

    def test_login_without_the_form_token_is_refused(
        self, anonymous: TestClient, session: Session
    ) -> None:
        make_staff(session, DPO, "karin")
        anonymous.get("/login")
        response = anonymous.post(
            "/login", data={"username": "karin", "password": PASSWORD, "csrf_token": "forged"}
        )
        assert response.status_code == 403

    def test_missing_fields_are_422_not_500(self, anonymous: TestClient) -> None:
        response = anonymous.post("/login", data={"username": "x"})
        assert response.status_code == 422
        assert "password" in response.text


class TestSessionEnds:
    def test_after_inactivity_with_the_reason_shown(
        self, client_for: ClientFor, session: Session
    ) -> None:
        client = client_for(CUSTOMER_SERVICE)
        assert client.get("/start").status_code == 200
        minutes = COMPANY.security.session_inactivity_minutes
        idle = utc_now() - timedelta(minutes=minutes + 1)
        session.execute(update(StaffSession).values(last_seen_at=idle))
        response = client.get("/start", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == "/login?reason=inactivity"
        page = client.get("/login?reason=inactivity")
        assert f"inaktiv i {minutes} minuter" in page.text
        ended = session.scalars(select(StaffSession)).one()
        assert ended.end_reason == "inactivity"

    def test_sign_out_needs_the_csrf_token(self, client_for: ClientFor) -> None:
        client = client_for(ANALYST)
        assert client.post("/logout", data={"csrf_token": "wrong"}).status_code == 403
        assert client.post("/logout", data={}).status_code == 403
        token = csrf_of(client.get("/start").text)
        response = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
        assert response.headers["location"] == "/login?reason=logout"
        assert client.get("/start", follow_redirects=False).status_code == 303


class TestHeaders:
    def test_security_headers_on_pages(self, anonymous: TestClient) -> None:
        response = anonymous.get("/login")
        csp = response.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["cache-control"] == "no-store"

    def test_english_switch(self, anonymous: TestClient) -> None:
        assert "Username" in anonymous.get("/login?lang=en").text
        assert "Username" in anonymous.get("/login").text  # the choice is remembered
        assert "Användarnamn" in anonymous.get("/login?lang=sv").text


def test_swedish_even_when_the_browser_prefers_english(anonymous: TestClient) -> None:
    page = anonymous.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert "Användarnamn" in page.text
