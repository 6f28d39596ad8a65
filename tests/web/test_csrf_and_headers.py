"""CSRF on every staff form, security headers on every page, cookie flags, and no personal
data in the application's log records.

The routes come from the same discovery as the access matrix (tests/web/test_access_matrix.py),
so a new form or page is covered without editing this file.
"""

from __future__ import annotations

import logging

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from dataskydd.auth.models import StaffSession
from dataskydd.web.deps import LANGUAGE_COOKIE, LOGIN_CSRF_COOKIE, SESSION_COOKIE
from tests.policy_keys import ADMIN, ANALYST, CUSTOMER_SERVICE, DPO
from tests.web.conftest import PASSWORD, csrf_of, make_staff
from tests.web.test_access_matrix import (
    ASSET_SUFFIXES,
    ENDPOINTS,
    POLICY,
    PUBLIC_GETS,
    PURPOSE,
    STAFF_ENDPOINTS,
    SUBJECT_EMAIL,
    SUBJECT_PERSONNUMMER,
    Endpoint,
    World,
    call,
    make_world,
    may,
    signed_in,
)

# Holds for any company's policy: CI runs it against the bookshop too (.ci/run).
pytestmark = pytest.mark.every_company

FORMS = [e for e in STAFF_ENDPOINTS if e.method != "GET"]
STAFF_PAGES = [e for e in STAFF_ENDPOINTS if e.method == "GET"]
PUBLIC_PAGES = [
    p for p in PUBLIC_GETS if p not in ("/healthz", "/") and not p.endswith(ASSET_SUFFIXES)
]
PUBLIC_ASSETS = [p for p in PUBLIC_GETS if p.endswith(ASSET_SUFFIXES)]


@pytest.fixture
def engine(sqlite_engine: Engine) -> Engine:
    return sqlite_engine


@pytest.fixture
def world(session: Session) -> World:
    return make_world(session)


def role_with(endpoint: Endpoint) -> str:
    return next(role for role in POLICY.roles if may(role, endpoint.permission))


def set_cookies(response: object, name: str) -> list[str]:
    headers = response.headers  # type: ignore[attr-defined]
    return [
        value
        for key, value in headers.multi_items()
        if key == "set-cookie" and value.startswith(f"{name}=")
    ]


# --- CSRF -----------------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", [pytest.param(e, id=e.id) for e in FORMS])
@pytest.mark.parametrize("token", ["missing", "wrong", "other_session"])
def test_staff_form_without_the_right_token_is_refused(
    app: FastAPI, session: Session, world: World, endpoint: Endpoint, token: str
) -> None:
    """By a role that has the permission, so only the token can be the reason."""
    client, real = signed_in(app, session, role_with(endpoint))
    _other_client, other = signed_in(app, session, ADMIN)
    sent = {"missing": None, "wrong": real[:-3] + "xyz", "other_session": other}[token]
    response = call(client, endpoint, world, csrf=sent)
    assert response.status_code == 403, response.text[:300]
    assert "not allowed" not in response.text  # refused for the token, not the role


def test_sign_out_refuses_a_missing_and_a_wrong_token(app: FastAPI, session: Session) -> None:
    client, token = signed_in(app, session, ANALYST)
    assert client.post("/logout", data={}).status_code == 403
    assert client.post("/logout", data={"csrf_token": token + "x"}).status_code == 403
    assert client.get("/start", follow_redirects=False).status_code == 200


def test_a_form_token_from_another_session_does_not_sign_out(
    app: FastAPI, session: Session
) -> None:
    victim, _token = signed_in(app, session, DPO)
    _attacker, attackers_token = signed_in(app, session, ANALYST)
    assert victim.post("/logout", data={"csrf_token": attackers_token}).status_code == 403


# --- security headers -----------------------------------------------------------------------


def assert_page_headers(response: object) -> None:
    headers = response.headers  # type: ignore[attr-defined]
    csp = headers["content-security-policy"]
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["cache-control"] == "no-store"
    assert headers["referrer-policy"] == "same-origin"
    assert headers["strict-transport-security"].startswith("max-age=")


@pytest.mark.parametrize("endpoint", [pytest.param(e, id=e.id) for e in STAFF_PAGES])
def test_security_headers_on_every_staff_page(
    app: FastAPI, session: Session, world: World, endpoint: Endpoint
) -> None:
    client, _token = signed_in(app, session, role_with(endpoint))
    response = call(client, endpoint, world)
    assert response.status_code < 500
    assert_page_headers(response)


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_security_headers_on_every_public_page(anonymous: TestClient, path: str) -> None:
    response = anonymous.get(path, follow_redirects=False)
    assert response.status_code < 500
    assert_page_headers(response)


@pytest.mark.parametrize("path", PUBLIC_ASSETS)
def test_public_assets_are_typed(anonymous: TestClient, path: str) -> None:
    response = anonymous.get(path)
    assert response.status_code == 200
    assert response.headers["x-content-type-options"] == "nosniff"
    expected = {"js": "javascript", "css": "text/css", "gif": "image/gif", "config": "json"}
    assert expected[path.rsplit(".", 1)[-1].rsplit("/", 1)[-1]] in response.headers["content-type"]


def test_security_headers_on_errors_redirects_and_the_api(anonymous: TestClient) -> None:
    for path in ("/no-such-page", "/start", "/api/v1/no-such-thing"):
        response = anonymous.get(path, follow_redirects=False)
        assert response.status_code in (303, 401, 404)
        assert_page_headers(response)


def test_every_get_route_is_covered_by_a_header_test() -> None:
    covered = {e.path for e in STAFF_PAGES} | set(PUBLIC_PAGES) | set(PUBLIC_ASSETS)
    pages = {e.path for e in ENDPOINTS if e.method == "GET" and not e.api}
    assert pages - covered == set()


# --- cookies --------------------------------------------------------------------------------


def test_session_and_form_cookies_are_httponly_secure_and_same_site(
    anonymous: TestClient, session: Session
) -> None:
    make_staff(session, CUSTOMER_SERVICE, "lisa")
    login_page = anonymous.get("/login")
    (login_cookie,) = set_cookies(login_page, LOGIN_CSRF_COOKIE)
    for flag in ("HttpOnly", "Secure", "SameSite=strict"):
        assert flag in login_cookie
    signed = anonymous.post(
        "/login",
        data={"username": "lisa", "password": PASSWORD, "csrf_token": csrf_of(login_page.text)},
        follow_redirects=False,
    )
    assert signed.status_code == 303
    (cookie,) = set_cookies(signed, SESSION_COOKIE)
    for flag in ("HttpOnly", "Secure", "SameSite=strict", "Path=/"):
        assert flag in cookie
    # A browser-session cookie: nothing keeps it after the browser closes; the server ends
    # the session itself after inactivity.
    assert "expires" not in cookie.lower()
    assert "max-age" not in cookie.lower()
    language = anonymous.get("/login?lang=en")
    (lang_cookie,) = set_cookies(language, LANGUAGE_COOKIE)
    assert "HttpOnly" in lang_cookie
    assert "Secure" in lang_cookie


def test_the_session_token_is_not_stored_in_clear(app: FastAPI, session: Session) -> None:
    client, _csrf = signed_in(app, session, DPO)
    token = client.cookies[SESSION_COOKIE]
    stored = session.scalars(select(StaffSession.token_hash)).all()
    assert token not in stored
    assert all(token not in value for value in stored)


# --- no personal data in logs ---------------------------------------------------------------


def personal_values() -> list[str]:
    pnr_digits = SUBJECT_PERSONNUMMER.replace("-", "")
    return [SUBJECT_EMAIL, SUBJECT_PERSONNUMMER, pnr_digits, "19" + pnr_digits, "Svensson"]


def test_no_personal_data_in_log_records(
    app: FastAPI,
    session: Session,
    world: World,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    client, csrf = signed_in(app, session, CUSTOMER_SERVICE)
    found = client.get("/subjects", params={"q": SUBJECT_EMAIL})
    assert found.status_code == 200
    assert f"/subjects/{world.subject_id}" in found.text
    for query in (SUBJECT_PERSONNUMMER, "Anna Svensson", "070-123 45 67", "not-an@email"):
        client.get("/subjects", params={"q": query})
    shown = client.get(f"/subjects/{world.subject_id}/view", params={"purpose": PURPOSE})
    assert shown.status_code == 200
    assert SUBJECT_EMAIL in shown.text  # the page shows it, so a leak would be possible
    # A refused read and a bad form also go through the error paths.
    client.get(f"/subjects/{world.subject_id}/view", params={"purpose": "no_such_purpose"})
    client.post(
        f"/subjects/{world.subject_id}/edit",
        data={"csrf_token": csrf, "email": "svensson@@bad", "reason": "x"},
    )
    api_reads = [e for e in ENDPOINTS if e.api and e.method == "GET"]
    for endpoint in api_reads:
        call(client, endpoint, world, headers={"Authorization": f"Bearer {world.read_key}"})
    # httpx logs the test client's own request lines; a server has no such client.
    records = [r for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]
    logged = "\n".join(
        f"{record.getMessage()} {record.args!r} {record.exc_text or ''}" for record in records
    )
    for value in personal_values():
        assert value not in logged, f"personal data in the log: {value}"
