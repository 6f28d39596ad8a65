"""/admin/accounts and /admin/api-keys: shown-once secrets, session ends, self-protection."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dataskydd.auth.models import ApiKey, StaffSession, StaffUser
from tests.policy_keys import (
    ADMIN,
    ANALYST,
    BOOKKEEPING,
    CONTRACT_PURPOSE,
    CUSTOMER_SERVICE,
    DPO,
    NEWSLETTERS,
)
from tests.web.conftest import ClientFor, csrf_of, make_staff
from tests.web.test_sign_in import sign_in

# Holds for any company's policy: CI runs it against the bookshop too (.ci/run).
pytestmark = pytest.mark.every_company


def _user(session: Session, username: str) -> StaffUser:
    session.expire_all()
    return session.scalars(select(StaffUser).where(StaffUser.username == username)).one()


def _admin(client_for: ClientFor) -> tuple[TestClient, str]:
    client = client_for(ADMIN, "admin1")
    return client, csrf_of(client.get("/admin/accounts").text)


def _shown_password(html: str) -> str:
    match = re.search(r'<code class="secret" id="shown-password">([^<]+)</code>', html)
    assert match
    return match.group(1)


class TestAccounts:
    def test_list_shows_staff(self, client_for: ClientFor, session: Session) -> None:
        make_staff(session, ANALYST, "berit")
        client, _token = _admin(client_for)
        page = client.get("/admin/accounts")
        assert page.status_code == 200
        assert "berit" in page.text
        assert "Personalkonton" in page.text

    def test_only_admins(self, client_for: ClientFor) -> None:
        assert client_for(DPO).get("/admin/accounts").status_code == 403
        assert client_for(ANALYST, "a2").get("/admin/api-keys").status_code == 403

    def test_create_shows_the_password_once_and_it_works(
        self, client_for: ClientFor, anonymous: TestClient, session: Session
    ) -> None:
        client, token = _admin(client_for)
        response = client.post(
            "/admin/accounts",
            data={"csrf_token": token, "username": "Nisse", "display_name": "Nils", "role": DPO},
        )
        assert response.status_code == 200
        password = _shown_password(response.text)
        assert password not in client.get("/admin/accounts").text
        assert _user(session, "nisse").role == DPO
        assert sign_in(anonymous, "nisse", password).headers["location"] == "/start"  # type: ignore[attr-defined]

    @pytest.mark.parametrize(
        ("fields", "status"),
        [
            ({"username": "x", "display_name": "X", "role": DPO}, 422),
            ({"username": "ok.name", "display_name": "X", "role": "king"}, 422),
            ({"username": "ok.name", "display_name": " ", "role": DPO}, 422),
            ({"username": "admin1", "display_name": "X", "role": DPO}, 409),
            ({"username": "ok.name", "role": DPO}, 422),
        ],
    )
    def test_bad_create_is_refused(
        self, client_for: ClientFor, session: Session, fields: dict[str, str], status: int
    ) -> None:
        client, token = _admin(client_for)
        before = session.scalar(select(func.count()).select_from(StaffUser))
        response = client.post("/admin/accounts", data={"csrf_token": token, **fields})
        assert response.status_code == status
        assert session.scalar(select(func.count()).select_from(StaffUser)) == before

    def test_role_change_ends_the_users_sessions(
        self, client_for: ClientFor, session: Session
    ) -> None:
        victim = client_for(CUSTOMER_SERVICE, "kim")
        assert victim.get("/start").status_code == 200
        client, token = _admin(client_for)
        kim_id = _user(session, "kim").id
        response = client.post(
            f"/admin/accounts/{kim_id}/role",
            data={"csrf_token": token, "role": ANALYST},
            follow_redirects=False,
        )
        assert response.status_code == 303
        assert _user(session, "kim").role == ANALYST
        assert victim.get("/start", follow_redirects=False).status_code == 303
        live = select(func.count()).where(
            StaffSession.user_id == kim_id, StaffSession.ended_at.is_(None)
        )
        assert session.scalar(live) == 0

    def test_self_demotion_and_self_deactivation_are_refused(
        self, client_for: ClientFor, session: Session
    ) -> None:
        client, token = _admin(client_for)
        me_id = _user(session, "admin1").id
        demote = client.post(
            f"/admin/accounts/{me_id}/role", data={"csrf_token": token, "role": ANALYST}
        )
        assert demote.status_code == 403
        off = client.post(
            f"/admin/accounts/{me_id}/active", data={"csrf_token": token, "active": "false"}
        )
        assert off.status_code == 403
        reset = client.post(f"/admin/accounts/{me_id}/password", data={"csrf_token": token})
        assert reset.status_code == 403
        me = _user(session, "admin1")
        assert (me.role, me.is_active) == (ADMIN, True)
        assert client.get("/admin/accounts").status_code == 200

    def test_deactivate_and_activate(
        self, client_for: ClientFor, anonymous: TestClient, session: Session
    ) -> None:
        victim = client_for(DPO, "karin")
        client, token = _admin(client_for)
        url = f"/admin/accounts/{_user(session, 'karin').id}/active"
        client.post(url, data={"csrf_token": token, "active": "false"})
        assert _user(session, "karin").is_active is False
        assert victim.get("/start", follow_redirects=False).status_code == 303
        client.post(url, data={"csrf_token": token, "active": "true"})
        assert _user(session, "karin").is_active is True
        assert client.post(url, data={"csrf_token": token, "active": "maybe"}).status_code == 422

    def test_reset_shows_a_new_password_that_works(
        self, client_for: ClientFor, anonymous: TestClient, session: Session
    ) -> None:
        make_staff(session, DPO, "karin")
        client, token = _admin(client_for)
        karin = _user(session, "karin")
        response = client.post(f"/admin/accounts/{karin.id}/password", data={"csrf_token": token})
        password = _shown_password(response.text)
        assert sign_in(anonymous, "karin", password).headers["location"] == "/start"  # type: ignore[attr-defined]

    def test_unknown_account_is_404(self, client_for: ClientFor) -> None:
        client, token = _admin(client_for)
        response = client.post("/admin/accounts/999999/password", data={"csrf_token": token})
        assert response.status_code == 404

    def test_every_form_needs_the_csrf_token(self, client_for: ClientFor, session: Session) -> None:
        make_staff(session, DPO, "karin")
        client, _token = _admin(client_for)
        karin = _user(session, "karin")
        before = karin.password_hash
        forms = [
            ("/admin/accounts", {"username": "ny", "display_name": "Ny", "role": DPO}),
            (f"/admin/accounts/{karin.id}/role", {"role": ANALYST}),
            (f"/admin/accounts/{karin.id}/active", {"active": "false"}),
            (f"/admin/accounts/{karin.id}/password", {}),
            ("/admin/api-keys", {"name": "crm", "purposes": BOOKKEEPING}),
        ]
        for path, data in forms:
            assert client.post(path, data={**data, "csrf_token": "forged"}).status_code == 403
            assert client.post(path, data=data).status_code == 403
        karin = _user(session, "karin")
        assert (karin.role, karin.is_active, karin.password_hash) == (DPO, True, before)
        assert session.scalar(select(func.count()).select_from(ApiKey)) == 0
        assert session.scalar(select(func.count()).where(StaffUser.username == "ny")) == 0


class TestApiKeys:
    def test_create_shows_the_key_once_and_it_works(
        self, client_for: ClientFor, anonymous: TestClient, session: Session
    ) -> None:
        client, token = _admin(client_for)
        response = client.post(
            "/admin/api-keys",
            data={
                "csrf_token": token,
                "name": "CRM",
                "purposes": [CONTRACT_PURPOSE, NEWSLETTERS],
                "can_write": "true",
            },
        )
        assert response.status_code == 200
        match = re.search(r'id="new-key">([^<]+)</code>', response.text)
        assert match
        key = match.group(1)
        listing = client.get("/admin/api-keys").text
        assert key not in listing
        assert key[:12] in listing
        api = anonymous.get(
            "/api/v1/subjects", params={"q": "nobody"}, headers={"Authorization": f"Bearer {key}"}
        )
        assert api.status_code == 200
        row = session.scalars(select(ApiKey)).one()
        assert row.can_write is True

    @pytest.mark.parametrize(
        "fields",
        [
            {"name": "CRM"},
            {"name": "x", "purposes": BOOKKEEPING},
            {"name": "CRM", "purposes": "no_such_purpose"},
            # The policy keeps bookkeeping from API keys (api_access.read_purposes).
            {"name": "CRM", "purposes": BOOKKEEPING},
        ],
    )
    def test_bad_key_is_422(
        self, client_for: ClientFor, session: Session, fields: dict[str, str]
    ) -> None:
        client, token = _admin(client_for)
        response = client.post("/admin/api-keys", data={"csrf_token": token, **fields})
        assert response.status_code == 422
        assert session.scalar(select(func.count()).select_from(ApiKey)) == 0

    def test_revoke_stops_the_key(
        self, client_for: ClientFor, anonymous: TestClient, session: Session
    ) -> None:
        client, token = _admin(client_for)
        page = client.post(
            "/admin/api-keys",
            data={"csrf_token": token, "name": "CRM", "purposes": CONTRACT_PURPOSE},
        )
        match = re.search(r'id="new-key">([^<]+)</code>', page.text)
        assert match
        # Issue 15 item 9: the hint shows the whole header with the key in it.
        assert f'id="new-key-header">Authorization: Bearer {match.group(1)}</code>' in page.text
        headers = {"Authorization": f"Bearer {match.group(1)}"}
        row_id = session.scalars(select(ApiKey)).one().id
        assert (
            client.post(f"/admin/api-keys/{row_id}/revoke", data={"csrf_token": "x"}).status_code
            == 403
        )
        assert (
            anonymous.get("/api/v1/subjects", params={"q": "x"}, headers=headers).status_code == 200
        )
        done = client.post(
            f"/admin/api-keys/{row_id}/revoke", data={"csrf_token": token}, follow_redirects=False
        )
        assert done.status_code == 303
        assert (
            anonymous.get("/api/v1/subjects", params={"q": "x"}, headers=headers).status_code == 401
        )
        assert (
            client.post("/admin/api-keys/999999/revoke", data={"csrf_token": token}).status_code
            == 404
        )
