"""/account: password change and the TOTP second factor, through the browser's forms."""

from __future__ import annotations

import re

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from dataskydd.auth import passwords
from dataskydd.auth.models import StaffSession, StaffUser
from tests.policy_keys import ANALYST, DPO
from tests.web.conftest import PASSWORD, ClientFor, csrf_of
from tests.web.test_sign_in import sign_in

# Holds for any company's policy: CI runs it against the bookshop too (.ci/run).
pytestmark = pytest.mark.every_company

NEW_PASSWORD = "Ny-Lång-Fras-Med-Siffror-2026"


def _user(session: Session, username: str) -> StaffUser:
    session.expire_all()
    return session.scalars(select(StaffUser).where(StaffUser.username == username)).one()


class TestAccountPage:
    def test_shows_name_role_and_forms(self, client_for: ClientFor) -> None:
        client = client_for(ANALYST, "berit")
        page = client.get("/account")
        assert page.status_code == 200
        assert f"Test {ANALYST}" in page.text
        assert "Byt lösenord" in page.text
        assert 'action="/account/totp/setup"' in page.text

    def test_needs_a_session(self, anonymous: TestClient) -> None:
        response = anonymous.get("/account", follow_redirects=False)
        assert response.status_code == 303


class TestChangePassword:
    def _post(self, client: TestClient, **fields: str) -> object:
        data = {
            "csrf_token": csrf_of(client.get("/account").text),
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "new_password_again": NEW_PASSWORD,
            **fields,
        }
        return client.post("/account/password", data=data, follow_redirects=False)

    def test_success_ends_every_session_and_re_signs_this_browser_in(
        self, client_for: ClientFor, session: Session
    ) -> None:
        client = client_for(DPO, "karin")
        response = self._post(client)
        assert response.status_code == 303  # type: ignore[attr-defined]
        assert response.headers["location"] == "/account?done=password"  # type: ignore[attr-defined]
        assert client.get("/account").status_code == 200
        user = _user(session, "karin")
        assert passwords.verify_password(user.password_hash, NEW_PASSWORD)
        live = session.scalars(
            select(StaffSession).where(
                StaffSession.user_id == user.id, StaffSession.ended_at.is_(None)
            )
        ).all()
        assert len(live) == 1
        ended = session.scalars(
            select(StaffSession).where(
                StaffSession.user_id == user.id, StaffSession.end_reason == "password"
            )
        ).all()
        assert len(ended) == 1

    def test_wrong_current_password_is_refused(
        self, client_for: ClientFor, session: Session
    ) -> None:
        client = client_for(DPO, "karin")
        response = self._post(client, current_password="Fel-lösenord-123")
        assert response.status_code == 422  # type: ignore[attr-defined]
        assert "fel" in response.text.lower()  # type: ignore[attr-defined]
        assert passwords.verify_password(_user(session, "karin").password_hash, PASSWORD)

    def test_weak_or_mismatched_new_password_is_refused(
        self, client_for: ClientFor, session: Session
    ) -> None:
        client = client_for(DPO, "karin")
        for fields in (
            {"new_password": "kort", "new_password_again": "kort"},
            {"new_password_again": "Något-Annat-Lösen-99"},
            {"new_password": "karin-Password-123", "new_password_again": "karin-Password-123"},
        ):
            response = self._post(client, **fields)
            assert response.status_code == 422  # type: ignore[attr-defined]
        assert passwords.verify_password(_user(session, "karin").password_hash, PASSWORD)

    def test_without_csrf_token_nothing_changes(
        self, client_for: ClientFor, session: Session
    ) -> None:
        client = client_for(DPO, "karin")
        for token in ("wrong", None):
            data = {
                "current_password": PASSWORD,
                "new_password": NEW_PASSWORD,
                "new_password_again": NEW_PASSWORD,
            }
            if token:
                data["csrf_token"] = token
            assert client.post("/account/password", data=data).status_code == 403
        assert passwords.verify_password(_user(session, "karin").password_hash, PASSWORD)


def _secret_and_sealed(html: str) -> tuple[str, str]:
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', html)
    sealed = re.search(r'name="sealed" value="([^"]+)"', html)
    assert secret
    assert sealed
    return secret.group(1), sealed.group(1)


class TestTotp:
    def test_full_flow_then_sign_in_asks_for_the_code(
        self, client_for: ClientFor, anonymous: TestClient, session: Session
    ) -> None:
        client = client_for(DPO, "karin")
        token = csrf_of(client.get("/account").text)
        setup = client.post("/account/totp/setup", data={"csrf_token": token})
        assert setup.status_code == 200
        assert 'src="data:image/svg+xml' in setup.text
        secret, sealed = _secret_and_sealed(setup.text)
        assert _user(session, "karin").totp_secret is None  # not stored before confirmation

        wrong = client.post(
            "/account/totp/confirm", data={"csrf_token": token, "sealed": sealed, "code": "000000"}
        )
        assert wrong.status_code == 422
        assert _user(session, "karin").totp_secret is None

        code = pyotp.TOTP(secret).now()
        ok = client.post(
            "/account/totp/confirm",
            data={"csrf_token": token, "sealed": sealed, "code": code},
            follow_redirects=False,
        )
        assert ok.status_code == 303
        assert _user(session, "karin").totp_secret == secret

        login = sign_in(anonymous, "karin", PASSWORD)
        assert login.headers["location"] == "/login/totp"  # type: ignore[attr-defined]
        assert anonymous.get("/start", follow_redirects=False).headers["location"] == "/login/totp"
        form = anonymous.get("/login/totp")
        done = anonymous.post(
            "/login/totp",
            data={"code": pyotp.TOTP(secret).now(), "csrf_token": csrf_of(form.text)},
            follow_redirects=False,
        )
        assert done.headers["location"] == "/start"

    def test_tampered_or_foreign_setup_is_refused(
        self, client_for: ClientFor, session: Session
    ) -> None:
        first = client_for(DPO, "karin")
        second = client_for(ANALYST, "berit")
        token = csrf_of(first.get("/account").text)
        secret, sealed = _secret_and_sealed(
            first.post("/account/totp/setup", data={"csrf_token": token}).text
        )
        other_token = csrf_of(second.get("/account").text)
        code = pyotp.TOTP(secret).now()
        for value in (sealed, "v1:garbage", sealed[:-4] + "AAAA"):
            response = second.post(
                "/account/totp/confirm",
                data={"csrf_token": other_token, "sealed": value, "code": code},
            )
            assert response.status_code == 422
        assert _user(session, "berit").totp_secret is None

    def test_disable_needs_the_password(self, client_for: ClientFor, session: Session) -> None:
        client = client_for(DPO, "karin")
        user = _user(session, "karin")
        user.totp_secret = pyotp.random_base32()
        session.commit()
        token = csrf_of(client.get("/account").text)
        wrong = client.post("/account/totp/disable", data={"csrf_token": token, "password": "nej"})
        assert wrong.status_code == 422
        assert _user(session, "karin").totp_secret is not None
        ok = client.post(
            "/account/totp/disable",
            data={"csrf_token": token, "password": PASSWORD},
            follow_redirects=False,
        )
        assert ok.status_code == 303
        assert _user(session, "karin").totp_secret is None

    def test_every_totp_form_needs_the_csrf_token(
        self, client_for: ClientFor, session: Session
    ) -> None:
        client = client_for(DPO, "karin")
        for path, data in (
            ("/account/totp/setup", {}),
            ("/account/totp/confirm", {"sealed": "x", "code": "123456"}),
            ("/account/totp/disable", {"password": PASSWORD}),
        ):
            assert client.post(path, data={**data, "csrf_token": "wrong"}).status_code == 403
            assert client.post(path, data=data).status_code == 403
        assert _user(session, "karin").totp_secret is None
