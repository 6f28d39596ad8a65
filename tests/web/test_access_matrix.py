"""Every route × every caller gets exactly the access the role table allows.

The routes are read off the app, not listed here: each staff route must depend on
`requires(permission)`, each API route on `api_requires(permission)` (web/deps.py), and the
expected answer for every role comes from the bundled policy's `roles` (their `permissions`)
and `API_KEY_READ` / `API_KEY_WRITE`. A new route therefore joins the matrix by itself, and a
new route without a declared permission fails `test_every_route_declares_its_access` until it
gets one or is added to PUBLIC on purpose.

Only PUBLIC and SAMPLE_PATH_VALUES (how to fill a path parameter) may need care when
routes are added. Access does not depend on the database backend, so this file runs on SQLite
only; tests/web/test_sign_in.py covers sessions on both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi import routing as fastapi_routing
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session

from dataskydd.access.consents import give_consent
from dataskydd.auth import api_keys, sessions
from dataskydd.auth.access import API_KEY_READ, API_KEY_WRITE, Permission
from dataskydd.config import Settings
from dataskydd.policy.schema import LegalBasis
from dataskydd.register import service as register_service
from dataskydd.web.app import create_app
from dataskydd.web.deps import SESSION_COOKIE, verify_csrf
from tests.conftest import TEST_SECRET
from tests.policy_keys import (
    COMPANY,
    COMPANY_MAP_DIR,
    CONTRACT_PURPOSE,
    CUSTOMER_SERVICE,
    DPO,
    NEWSLETTERS,
    statistics_purpose,
)
from tests.web.conftest import BASE_URL, make_staff

# Routes anyone may call. Each is public on purpose; everything else needs a permission.
PUBLIC = frozenset(
    {
        "/",  # the company's privacy home for customers and visitors
        "/integritetspolicy",
        "/en/privacy",
        "/registerutdrag",
        "/login",
        "/login/totp",  # needs the half-signed-in session; checked in the handler
        "/logout",  # needs a session and the CSRF token, but no permission
        # The subject's own pages: a verified code or the subject's session decides access.
        "/en/access-request",
        "/registerutdrag/kod",
        "/registerutdrag/hamta/{token}",
        "/registerutdrag/hamta/{token}/kod",
        "/registerutdrag/hamta/{token}/{name}",
        "/mina-sidor",
        "/mina-sidor/logga-in",
        "/mina-sidor/kod",
        "/mina-sidor/logga-ut",
        "/mina-sidor/uppgifter",
        "/mina-sidor/uppgifter/rader",
        "/mina-sidor/kontaktuppgifter",
        "/mina-sidor/samtycken",
        "/mina-sidor/begaran",
        "/mina-sidor/dataportabilitet.json",
        # The consent banner and collection, embedded on the company's public website.
        "/consent.js",
        "/consent.css",
        "/branding.css",  # the company's colours for the public pages (web/pages/public.py)
        "/consent/config",
        "/consent",
        "/collect",
        "/collect/pixel.gif",
        "/demo-site/",
        "/demo-site/{slug}",
        "/demo-site/site.css",
    }
)
# Framework routes that are not APIRoutes: the OpenAPI document, its explorer, static files.
FRAMEWORK = frozenset({"/openapi.json", "/docs", "/docs/oauth2-redirect", "/static"})

PURPOSE = CONTRACT_PURPOSE
OTHER_PURPOSE = NEWSLETTERS
# Aggregates (/api/v1/analytics) are read under the statistics purpose: the read key holds it
# beside PURPOSE, the other keys do not and are refused.
STATISTICS = statistics_purpose(COMPANY)
AGGREGATES = "/api/v1/analytics"
POLICY = COMPANY
# The write key may write under every purpose the policy lets keys write under, and the subject
# has consented to those that need consent: so the permission alone decides each write route.
# (Writes the key's purposes do not cover are refused: tests/web/test_api_register_data.py.)
WRITE_PURPOSES = list(POLICY.api_access.write_purposes)
SUBJECT = {
    "kind": "person",
    "given_name": "Anna",
    "family_name": "Svensson",
    "personnummer": "811228-9874",
    "emails": ["anna.svensson@example.se"],
    "phones": ["070-123 45 67"],
    "addresses": [{"street": "Storgatan 1", "postal_code": "47321", "city": "Henån"}],
}
SUBJECT_EMAIL = "anna.svensson@example.se"
SUBJECT_PERSONNUMMER = "811228-9874"


@dataclass(frozen=True)
class World:
    """Real rows for path parameters and the API keys of the API matrix."""

    subject_id: int
    staff_id: int
    read_key: str
    read_key_id: int
    write_key: str
    other_purpose_key: str


# How to fill a path parameter, by its name. Unknown names get "1": the handler's 404 or
# 422 still shows the caller got past the access check, which is all this file is about.
SAMPLE_PATH_VALUES: dict[str, Callable[[World], object]] = {
    "subject_id": lambda w: w.subject_id,
    "id": lambda w: w.subject_id,
    "user_id": lambda w: w.staff_id,
    "staff_id": lambda w: w.staff_id,
    "staff_user_id": lambda w: w.staff_id,
    "account_id": lambda w: w.staff_id,
    "api_key_id": lambda w: w.read_key_id,
    "key_id": lambda w: w.read_key_id,
    "purpose": lambda _w: PURPOSE,
    "purpose_key": lambda _w: PURPOSE,
    "category": lambda _w: "contact_details",
    "lang": lambda _w: "sv",
    "table": lambda _w: "pages",
}
SAMPLE_QUERY_VALUES: dict[str, Callable[[World], object]] = {
    "purpose": lambda _w: PURPOSE,
    "q": lambda _w: SUBJECT_EMAIL,
    "query": lambda _w: SUBJECT_EMAIL,
}


# --- discovery ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    permissions: frozenset[Permission]
    api: bool
    csrf: bool
    path_params: tuple[str, ...]
    required_query: tuple[str, ...]
    query_params: tuple[str, ...]

    @property
    def permission(self) -> Permission:
        (only,) = self.permissions
        return only

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"


def route_contexts(app: FastAPI) -> Iterator[tuple[Any, Any]]:
    """(original route, effective route) pairs. FastAPI ≥ 0.12x includes routers lazily, so
    `app.routes` holds the routers; iter_route_contexts flattens them with prefixes and the
    router-level dependencies applied."""
    iterate = getattr(fastapi_routing, "iter_route_contexts", None)
    if iterate is None:
        for route in app.routes:
            yield route, route
        return
    for context in iterate(app.routes):
        yield context.original_route, context


def _calls(dependant: Any) -> Iterator[Callable[..., Any]]:
    for dependency in dependant.dependencies:
        if dependency.call is not None:
            yield dependency.call
        yield from _calls(dependency)


def discover(app: FastAPI) -> tuple[list[Endpoint], list[str]]:
    """The app's endpoints, and what is wrong with their access declarations."""
    endpoints: list[Endpoint] = []
    problems: list[str] = []
    for original, route in route_contexts(app):
        path = route.path
        if not isinstance(original, APIRoute):
            if path not in FRAMEWORK:
                problems.append(f"{path}: not an APIRoute, so no permission can be read off it")
            continue
        calls = list(_calls(route.dependant))
        guards = [call for call in calls if hasattr(call, "permission")]
        permissions = frozenset(call.permission for call in guards)
        api_flags = {bool(getattr(call, "api", False)) for call in guards}
        for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
            where = f"{method} {path}"
            if path in PUBLIC:
                if permissions:
                    problems.append(f"{where}: in PUBLIC but requires {sorted(permissions)}")
                continue
            if len(permissions) != 1:
                problems.append(
                    f"{where}: needs exactly one requires()/api_requires() permission, "
                    f"has {sorted(p.value for p in permissions) or 'none'} "
                    "(or add it to PUBLIC in tests/web/test_access_matrix.py on purpose)"
                )
                continue
            if len(api_flags) != 1:
                problems.append(f"{where}: mixes a staff permission and an API permission")
                continue
            api = api_flags.pop()
            if api != path.startswith("/api/"):
                problems.append(f"{where}: api_requires() belongs on /api/ routes only")
            dependant = route.dependant
            endpoints.append(
                Endpoint(
                    method=method,
                    path=path,
                    permissions=permissions,
                    api=api,
                    csrf=verify_csrf in calls,
                    path_params=tuple(p.name for p in dependant.path_params),
                    required_query=tuple(
                        p.alias for p in dependant.query_params if p.field_info.is_required()
                    ),
                    query_params=tuple(p.alias for p in dependant.query_params),
                )
            )
    return endpoints, problems


def routes_app() -> FastAPI:
    """The app only for reading its routes at collection time; it never opens the database."""
    settings = Settings(secret_key=TEST_SECRET, database_url="sqlite://", data_map=COMPANY_MAP_DIR)  # type: ignore[arg-type]
    return create_app(settings, policy=COMPANY, engine=create_engine("sqlite://"))


ENDPOINTS, DECLARATION_PROBLEMS = discover(routes_app())
# Sample values for the path parameters of public routes (a made-up token is refused cleanly).
PUBLIC_SAMPLES = {"token": "not-a-real-token", "slug": "bredband", "name": "registerutdrag.pdf"}
ASSET_SUFFIXES = (".js", ".css", ".gif", "/consent/config")


def public_gets(app: FastAPI) -> list[str]:
    """Paths of the public GET routes, path parameters filled with PUBLIC_SAMPLES."""
    paths = set()
    for original, route in route_contexts(app):
        if isinstance(original, APIRoute) and route.path in PUBLIC and "GET" in original.methods:
            paths.add(route.path.format(**PUBLIC_SAMPLES))
    return sorted(paths - {"/logout", "/login/totp"})


PUBLIC_GETS = public_gets(routes_app())
STAFF_ENDPOINTS = [e for e in ENDPOINTS if not e.api]
API_ENDPOINTS = [e for e in ENDPOINTS if e.api]
ROLES: list[str | None] = [None, *POLICY.roles]  # None: not signed in
API_CALLERS = ["no_key", "staff_session", "read_key", "write_key", "other_purpose_key"]


# --- fixtures and helpers -------------------------------------------------------------------


@pytest.fixture
def engine(sqlite_engine: Engine) -> Engine:
    return sqlite_engine


@pytest.fixture
def world(session: Session) -> World:
    return make_world(session)


def make_world(session: Session) -> World:
    policy = POLICY
    subject = register_service.create_subject(session, actor="test", data=SUBJECT)
    for purpose in WRITE_PURPOSES:
        if policy.purposes[purpose].legal_basis is LegalBasis.CONSENT:
            give_consent(session, subject_id=subject.id, purpose=purpose, channel="staff")
    other_staff = make_staff(session, CUSTOMER_SERVICE, "kollega")
    read_row, read_key = api_keys.create_api_key(
        session, actor="test", policy=policy, name="read", purposes=[PURPOSE, STATISTICS]
    )
    _row, write_key = api_keys.create_api_key(
        session, actor="test", policy=policy, name="write", purposes=WRITE_PURPOSES, can_write=True
    )
    _row, other_key = api_keys.create_api_key(
        session, actor="test", policy=policy, name="other", purposes=[OTHER_PURPOSE]
    )
    session.commit()
    return World(
        subject_id=subject.id,
        staff_id=other_staff.id,
        read_key=read_key,
        read_key_id=read_row.id,
        write_key=write_key,
        other_purpose_key=other_key,
    )


def signed_in(app: FastAPI, session: Session, role: str) -> tuple[TestClient, str]:
    """A client with a live session of a new `role` user, and that session's CSRF token."""
    user = make_staff(session, role)
    record, token = sessions.start_session(session, user)
    session.commit()
    client = TestClient(app, base_url=BASE_URL)
    client.cookies.set(SESSION_COOKIE, token)
    return client, record.csrf_token


def url_of(endpoint: Endpoint, world: World) -> str:
    values = {
        name: SAMPLE_PATH_VALUES.get(name, lambda _w: 1)(world) for name in endpoint.path_params
    }
    return endpoint.path.format(**values)


def query_of(endpoint: Endpoint, world: World) -> dict[str, str]:
    query = {"purpose": PURPOSE} if "purpose" in endpoint.query_params else {}
    for name in endpoint.required_query:
        query[name] = str(SAMPLE_QUERY_VALUES.get(name, lambda _w: "x")(world))
    return query


def call(
    client: TestClient,
    endpoint: Endpoint,
    world: World,
    *,
    csrf: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    kwargs: dict[str, Any] = {
        "params": query_of(endpoint, world),
        "headers": headers or {},
        "follow_redirects": False,
    }
    if endpoint.method in ("POST", "PUT", "PATCH", "DELETE"):
        if endpoint.api:
            kwargs["json"] = {}
        elif csrf is not None:
            kwargs["data"] = {"csrf_token": csrf}
    return client.request(endpoint.method, url_of(endpoint, world), **kwargs)


def may(role: str, permission: Permission) -> bool:
    return permission in POLICY.roles[role].permissions


# --- the declarations -----------------------------------------------------------------------


def test_every_route_declares_its_access() -> None:
    assert DECLARATION_PROBLEMS == []


def test_public_routes_exist() -> None:
    """A PUBLIC entry for a route that is gone would silently widen what the set allows."""
    paths = {route.path for _original, route in route_contexts(routes_app())}
    assert PUBLIC - paths == set()


def test_every_permission_is_enforced_somewhere() -> None:
    """A permission no route checks is either dead or checked by hand somewhere."""
    used = {e.permission for e in ENDPOINTS}
    assert set(Permission) - used == set()


def test_every_staff_form_post_checks_csrf() -> None:
    unchecked = [e.id for e in STAFF_ENDPOINTS if e.method != "GET" and not e.csrf]
    assert unchecked == []


# --- the matrix -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("endpoint", "role"),
    [
        pytest.param(e, role, id=f"{e.id} {role or 'anonymous'}")
        for e in STAFF_ENDPOINTS
        for role in ROLES
    ],
)
def test_staff_route_access(
    app: FastAPI, session: Session, world: World, endpoint: Endpoint, role: str | None
) -> None:
    if role is None:
        response = call(TestClient(app, base_url=BASE_URL), endpoint, world, csrf="anything")
        assert response.status_code == 303, response.text[:300]
        assert response.headers["location"].startswith("/login")
        return
    client, csrf = signed_in(app, session, role)
    # A valid CSRF token, so that the permission alone decides.
    response = call(client, endpoint, world, csrf=csrf)
    if may(role, endpoint.permission):
        assert response.status_code not in (401, 403), response.text[:500]
        assert not response.headers.get("location", "").startswith("/login")
    else:
        assert response.status_code == 403, response.text[:300]
        assert f"inte tillåtet: {endpoint.permission.value}" in response.text  # a Swedish page


@pytest.mark.parametrize(
    ("endpoint", "caller"),
    [
        pytest.param(e, caller, id=f"{e.id} {caller}")
        for e in API_ENDPOINTS
        for caller in API_CALLERS
    ],
)
def test_api_route_access(
    app: FastAPI, session: Session, world: World, endpoint: Endpoint, caller: str
) -> None:
    client = TestClient(app, base_url=BASE_URL)
    headers: dict[str, str] = {}
    if caller == "staff_session":
        # A signed-in browser is not an integration: the API takes keys only.
        client, _csrf = signed_in(app, session, DPO)
    elif caller != "no_key":
        key = {
            "read_key": world.read_key,
            "write_key": world.write_key,
            "other_purpose_key": world.other_purpose_key,
        }[caller]
        headers["Authorization"] = f"Bearer {key}"
    response = call(client, endpoint, world, headers=headers)
    body = response.text[:300]

    if caller in ("no_key", "staff_session"):
        assert response.status_code == 401, body
        assert response.headers["www-authenticate"] == "Bearer"
        return
    granted = API_KEY_WRITE if caller == "write_key" else API_KEY_READ
    if endpoint.permission not in granted:
        assert response.status_code == 403, body
        return
    if endpoint.path.startswith(AGGREGATES) and caller != "read_key":
        assert response.status_code == 403, body
        assert STATISTICS in response.json()["detail"]
        return
    if caller == "other_purpose_key" and "purpose" in endpoint.query_params:
        assert response.status_code == 403, body
        assert PURPOSE in response.json()["detail"]
        return
    assert response.status_code not in (401, 403), body


def test_a_wrong_or_revoked_key_is_401(app: FastAPI, session: Session, world: World) -> None:
    reads = [e for e in API_ENDPOINTS if e.method == "GET"]
    if not reads:
        pytest.skip("no API read route yet")
    client = TestClient(app, base_url=BASE_URL)
    url = url_of(reads[0], world)
    params = query_of(reads[0], world)
    wrong = world.read_key[:-4] + "AAAA"
    assert (
        client.get(url, params=params, headers={"Authorization": f"Bearer {wrong}"}).status_code
        == 401
    )
    assert (
        client.get(url, params=params, headers={"Authorization": world.read_key}).status_code == 401
    )
    api_keys.revoke_api_key(session, actor="test", api_key_id=world.read_key_id)
    session.commit()
    revoked = client.get(url, params=params, headers={"Authorization": f"Bearer {world.read_key}"})
    assert revoked.status_code == 401


@pytest.mark.parametrize("path", PUBLIC_GETS)
def test_public_pages_answer_anonymous(anonymous: TestClient, path: str) -> None:
    response = anonymous.get(path, follow_redirects=False)
    made_up = any(sample in path for sample in PUBLIC_SAMPLES.values() if sample != "bredband")
    # A made-up download token is refused, cleanly; every other public page just answers.
    assert response.status_code < (500 if made_up else 400), response.text[:300]


def test_the_matrix_is_not_empty() -> None:
    assert STAFF_ENDPOINTS, "no staff route found: did route discovery break?"
