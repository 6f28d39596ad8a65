"""Issue 15 item 9: an issued password is changed at first use, and an organisation can require
two-step verification of every account. Until then the account reaches only My account."""

from __future__ import annotations

import re

import pyotp
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from dataskydd.auth.models import StaffUser
from tests.policy_keys import ADMIN, DPO
from tests.web.conftest import PASSWORD, ClientFor, csrf_of, make_staff
from tests.web.test_sign_in import sign_in

# Holds for any company's policy: CI runs it against the bookshop too (.ci/run).
pytestmark = pytest.mark.every_company

OWN_PASSWORD = "Egen-Lång-Fras-Med-Siffror-2026"


def _user(session: Session, username: str) -> StaffUser:
    session.expire_all()
    return session.scalars(select(StaffUser).where(StaffUser.username == username)).one()


def _issued(client: TestClient, path: str, data: dict[str, str]) -> str:
    page = client.post(path, data=data)
    match = re.search(r'<code class="secret" id="shown-password">([^<]+)</code>', page.text)
    assert match, page.text
    return match.group(1)


class TestIssuedPassword:
    def test_a_new_account_must_choose_its_own_password_first(
        self, client_for: ClientFor, anonymous: TestClient, session: Session
    ) -> None:
        admin = client_for(ADMIN, "admin1")
        token = csrf_of(admin.get("/admin/accounts").text)
        issued = _issued(
            admin,
            "/admin/accounts",
            {"csrf_token": token, "username": "nisse", "display_name": "Nils", "role": DPO},
        )
        assert _user(session, "nisse").must_change_password

        sign_in(anonymous, "nisse", issued)
        for path in ("/start", "/subjects", "/audit", "/requests"):
            answer = anonymous.get(path, follow_redirects=False)
            assert answer.status_code == 303, path
            assert answer.headers["location"] == "/account"
        page = anonymous.get("/account")
        assert page.status_code == 200
        assert 'id="needs-setup"' in page.text
        assert "Välj ett eget" in page.text

        changed = anonymous.post(
            "/account/password",
            data={
                "csrf_token": csrf_of(page.text),
                "current_password": issued,
                "new_password": OWN_PASSWORD,
                "new_password_again": OWN_PASSWORD,
            },
            follow_redirects=False,
        )
        assert changed.status_code == 303
        assert not _user(session, "nisse").must_change_password
        assert anonymous.get("/start", follow_redirects=False).status_code == 200
        assert 'id="needs-setup"' not in anonymous.get("/account").text

    def test_a_reset_password_must_be_changed_too(
        self, client_for: ClientFor, anonymous: TestClient, session: Session
    ) -> None:
        make_staff(session, DPO, "berit")
        admin = client_for(ADMIN, "admin1")
        token = csrf_of(admin.get("/admin/accounts").text)
        user_id = _user(session, "berit").id
        issued = _issued(admin, f"/admin/accounts/{user_id}/password", {"csrf_token": token})
        assert _user(session, "berit").must_change_password
        sign_in(anonymous, "berit", issued)
        assert anonymous.get("/start", follow_redirects=False).headers["location"] == "/account"
        # Signing out stays possible.
        csrf = csrf_of(anonymous.get("/account").text)
        out = anonymous.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
        assert out.status_code == 303
        assert (
            anonymous.get("/account", follow_redirects=False)
            .headers["location"]
            .startswith("/login")
        )

    def test_a_password_the_holder_chose_is_not_forced(
        self, client_for: ClientFor, session: Session
    ) -> None:
        client = client_for(DPO, "karin")
        assert not _user(session, "karin").must_change_password
        assert client.get("/start", follow_redirects=False).status_code == 200


class TestTwoFactorRequired:
    @pytest.fixture
    def required(self, app: FastAPI) -> None:
        app.state.settings = app.state.settings.model_copy(update={"require_two_factor": True})

    def test_an_account_without_it_sets_it_up_first_and_cannot_turn_it_off(
        self, required: None, anonymous: TestClient, session: Session
    ) -> None:
        make_staff(session, DPO, "karin")
        sign_in(anonymous, "karin", PASSWORD)
        assert anonymous.get("/start", follow_redirects=False).headers["location"] == "/account"
        assert anonymous.get("/api/v1/subjects").status_code == 401  # the API is keys only
        page = anonymous.get("/account")
        assert "Alla konton här måste använda tvåstegsverifiering" in page.text
        token = csrf_of(page.text)
        setup = anonymous.post("/account/totp/setup", data={"csrf_token": token})
        secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', setup.text)
        sealed = re.search(r'name="sealed" value="([^"]+)"', setup.text)
        assert secret
        assert sealed
        confirmed = anonymous.post(
            "/account/totp/confirm",
            data={
                "csrf_token": token,
                "sealed": sealed.group(1),
                "code": pyotp.TOTP(secret.group(1)).now(),
            },
            follow_redirects=False,
        )
        assert confirmed.status_code == 303
        assert anonymous.get("/start", follow_redirects=False).status_code == 200

        page = anonymous.get("/account")
        assert "/account/totp/disable" not in page.text
        refused = anonymous.post(
            "/account/totp/disable", data={"csrf_token": token, "password": PASSWORD}
        )
        assert refused.status_code == 403
        assert "Tvåstegsverifiering krävs för alla konton här" in refused.text
        assert _user(session, "karin").totp_secret == secret.group(1)

    def test_not_required_by_default(self, client_for: ClientFor) -> None:
        client = client_for(DPO, "karin")
        assert client.get("/start", follow_redirects=False).status_code == 200
