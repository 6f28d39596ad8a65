"""Every read of personal data goes through the access decision (issue 8): with the SQL guard
watching (tests/access/sql_guard.py), drive the public surface — every GET route of the staff
app for every role of the policy, the API's reads, search and writes with keys of different
scopes, the DPO's request handling, the public request and download pages, Mina sidor, and
`dataskydd subject find|show|export|erase` — and fail on any statement that touches a
category no decision granted.

Refusals are part of the surface: a role asking for a purpose it may not use must be refused
without the refused data being read first. Server errors fail too, since a 500 can hide a
read that never happened. Runs on SQLite: which statements run does not depend on the backend.
"""

from __future__ import annotations

import contextvars
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi import routing as fastapi_routing
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from dataskydd import runtime
from dataskydd.access import guard
from dataskydd.access.consents import give_consent
from dataskydd.auth import api_keys, passwords, sessions
from dataskydd.auth.models import StaffUser
from dataskydd.cli import app as cli_app
from dataskydd.clock import today_in_sweden, utc_now
from dataskydd.config import Settings, get_settings
from dataskydd.datamap import entries
from dataskydd.db.session import make_session_factory, transaction
from dataskydd.mail.models import OutboxMail
from dataskydd.policy.schema import LegalBasis, Permission
from dataskydd.register.models import Subject
from dataskydd.subject_requests.models import (
    RequestChannel,
    RequestKind,
    RequestStatus,
    SubjectRequest,
)
from dataskydd.subject_requests.requests import QueueView
from dataskydd.web.app import create_app
from dataskydd.web.deps import SESSION_COOKIE, get_session
from tests import factories
from tests.access.sql_guard import SqlGuard
from tests.access.world import (
    Customer,
    build_customer,
    mapped_tables_with_rows,
    personnummer,
)
from tests.conftest import TEST_SECRET
from tests.policy_keys import (
    BOOKKEEPING,
    COMPANY,
    COMPANY_MAP_DIR,
    CONTACT,
    CONTRACT_PURPOSE,
    CUSTOMER_SERVICE,
    DPO,
    OBJECTABLE_INTEREST,
    USAGE,
)

POLICY = COMPANY
BASE_URL = "https://testserver"
PASSWORD = "Rätt-Häst-Batteri-Häftklammer-7"
# Public pages and the consent banner hold no subject's data; they are driven by the flows.
PUBLIC_PREFIXES = ("/registerutdrag", "/en/access-request", "/mina-sidor", "/consent", "/collect")


# --- the app on the test database -------------------------------------------------------------


@pytest.fixture
def engine(sqlite_engine: Engine) -> Engine:
    return sqlite_engine


@pytest.fixture
def app(engine: Engine, session: Session) -> Iterator[FastAPI]:
    settings = Settings(
        secret_key=TEST_SECRET,  # type: ignore[arg-type]
        database_url="sqlite://",
        public_base_url=BASE_URL,  # links in mail start with it (docs/scaling.md)
        data_map=COMPANY_MAP_DIR,
    )
    application = create_app(settings, policy=POLICY, engine=engine)

    def test_session() -> Iterator[Session]:
        with transaction(lambda: session) as db_session:  # type: ignore[arg-type,return-value]
            yield db_session

    application.dependency_overrides[get_session] = test_session
    yield application
    application.dependency_overrides.clear()


@dataclass(frozen=True)
class World:
    customer: Customer
    other: Customer
    # kind of request -> its id; all open, of `customer` except the erasure (of `other`).
    requests: dict[str, int]
    read_key: str
    write_key: str
    narrow_key: str
    staff_id: int
    key_id: int


def _request(session: Session, subject_id: int, kind: RequestKind) -> int:
    row = SubjectRequest(
        kind=kind,
        status=RequestStatus.OPEN,
        channel=RequestChannel.LETTER,
        subject_id=subject_id,
        identity_check="ID card checked at the counter",
        received_at=utc_now(),
        due_on=today_in_sweden() + timedelta(days=30),
    )
    session.add(row)
    session.flush()
    return row.id


@pytest.fixture
def world(session: Session) -> Iterator[World]:
    factories.bind_factories(session)
    customer = build_customer(session, label="astrid")
    other = build_customer(session, label="bertil")
    for key, purpose in POLICY.purposes.items():
        if purpose.legal_basis is LegalBasis.CONSENT:
            give_consent(session, subject_id=customer.id, purpose=key, channel="staff")
    requests = {kind.value: _request(session, customer.id, kind) for kind in RequestKind}
    requests[RequestKind.ERASURE.value] = _request(session, other.id, RequestKind.ERASURE)
    read_row, read_key = api_keys.create_api_key(
        session,
        actor="test",
        policy=POLICY,
        name="read all",
        purposes=list(POLICY.api_access.read_purposes),
    )
    _row, write_key = api_keys.create_api_key(
        session,
        actor="test",
        policy=POLICY,
        name="write",
        purposes=list(POLICY.api_access.write_purposes),
        can_write=True,
    )
    _row, narrow_key = api_keys.create_api_key(
        session, actor="test", policy=POLICY, name="narrow", purposes=[CONTRACT_PURPOSE]
    )
    colleague = _staff(session, CUSTOMER_SERVICE)
    session.commit()
    yield World(
        customer,
        other,
        requests,
        read_key,
        write_key,
        narrow_key,
        colleague.id,
        read_row.id,
    )
    factories.bind_factories(None)


_numbers = iter(range(1, 10_000))


def _staff(session: Session, role: str) -> StaffUser:
    user = StaffUser(
        username=f"{role.replace('_', '')}-{next(_numbers)}",
        display_name=f"Test {role}",
        role=role,
        password_hash=_password_hash(),
    )
    session.add(user)
    session.flush()
    return user


_HASH: list[str] = []


def _password_hash() -> str:
    if not _HASH:
        _HASH.append(passwords.hash_password(PASSWORD))
    return _HASH[0]


def signed_in(app: FastAPI, session: Session, role: str) -> tuple[TestClient, str]:
    user = _staff(session, role)
    record, token = sessions.start_session(session, user)
    session.commit()
    client = TestClient(app, base_url=BASE_URL)
    client.cookies.set(SESSION_COOKIE, token)
    return client, record.csrf_token


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


def last_mail(session: Session, to: str) -> OutboxMail:
    mail = session.scalars(
        select(OutboxMail).where(OutboxMail.to_address == to).order_by(OutboxMail.id.desc())
    ).first()
    assert mail is not None, f"no mail to {to}"
    return mail


def code_in(mail: OutboxMail) -> str:
    match = re.search(r"\b(\d{8})\b", mail.body)
    assert match, "no code in the mail"
    return match.group(1)


class Calls:
    """Responses of the drive: a 5xx fails the test (it may hide a read never reached)."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.count = 0
        self.answers: list[tuple[str, int, str]] = []

    def check(self, what: str, response: Response) -> Response:
        self.count += 1
        self.answers.append((what, response.status_code, str(response.url)))
        if response.status_code >= 500:
            self.errors.append(f"{what}: {response.status_code} {response.text[:200]}")
        return response

    def succeeded(self, prefix: str) -> int:
        """How many calls whose label starts with `prefix` succeeded (2xx after redirects)."""
        return sum(
            1
            for what, status, _url in self.answers
            if what.startswith(prefix) and 200 <= status < 300
        )


# --- discovering the staff routes --------------------------------------------------------------


def route_contexts(app: FastAPI) -> Iterator[tuple[Any, Any]]:
    iterate = getattr(fastapi_routing, "iter_route_contexts", None)
    if iterate is None:
        for route in app.routes:
            yield route, route
        return
    for context in iterate(app.routes):
        yield context.original_route, context


@dataclass(frozen=True)
class Get:
    path: str
    path_params: tuple[str, ...]
    query_params: tuple[str, ...]


def staff_gets(app: FastAPI) -> list[Get]:
    found = []
    for original, route in route_contexts(app):
        if not isinstance(original, APIRoute) or "GET" not in original.methods:
            continue
        if route.path.startswith(("/api/", *PUBLIC_PREFIXES)):
            continue
        dependant = route.dependant
        found.append(
            Get(
                route.path,
                tuple(p.name for p in dependant.path_params),
                tuple(p.alias for p in dependant.query_params),
            )
        )
    return found


def samples(get: Get, world: World) -> list[tuple[str, dict[str, str]]]:
    """Each way to fill the route's parameters worth trying: every purpose of the policy for a
    purpose (the case for those that need one), several kinds of query for a search, every
    request and both subjects."""
    by_name: dict[str, list[object]] = {
        "subject_id": [world.customer.id, world.other.id],
        "request_id": sorted(world.requests.values()),
        "user_id": [world.staff_id],
        "key_id": [world.key_id],
    }
    paths = [get.path]
    for name in get.path_params:
        values = by_name.get(name, [1])
        paths = [p.replace("{" + name + "}", str(v)) for p in paths for v in values]
    queries: list[dict[str, str]] = [{}]
    if "purpose" in get.query_params:
        queries = []
        for key, purpose in POLICY.purposes.items():
            queries.append({"purpose": key})
            if purpose.case_required and "case" in get.query_params:
                queries.append({"purpose": key, "case": f"request:{world.requests['access']}"})
    elif "q" in get.query_params:
        c = world.customer
        queries = [{"q": q} for q in (c.email, c.phone, c.personnummer, "Anna Svensson", "Bolaget")]
    elif "view" in get.query_params:
        queries = [{"view": v.value} for v in QueueView]
    elif "subject_id" in get.query_params:
        queries = [{"subject_id": str(world.customer.id)}]
    return [(path, query) for path in paths for query in queries]


ROLES = list(POLICY.roles)


@pytest.mark.parametrize("role", ROLES)
def test_every_staff_page_reads_only_what_a_decision_granted(
    app: FastAPI, session: Session, world: World, sql_guard: SqlGuard, role: str
) -> None:
    client, _csrf = signed_in(app, session, role)
    calls = Calls()
    with sql_guard.watching():
        for get in staff_gets(app):
            for path, query in samples(get, world):
                calls.check(f"GET {path} {query}", client.get(path, params=query))
    assert calls.count > 10
    assert not calls.errors, calls.errors
    if Permission.SUBJECT_READ in POLICY.role(role).permissions:
        # Some purposes of the role showed the subject: the drive read data, not only refusals.
        assert calls.succeeded(f"GET /subjects/{world.customer.id}/view") > 0
    reads = {Permission.SUBJECT_SEARCH, Permission.SUBJECT_READ, Permission.REQUESTS_HANDLE}
    sql_guard.assert_clean(saw_personal_data=bool(reads & set(POLICY.role(role).permissions)))


def test_staff_writes_and_request_handling(
    app: FastAPI, session: Session, world: World, sql_guard: SqlGuard
) -> None:
    """Rectifying, registering and handling each kind of request, and the outbox."""
    service, service_csrf = signed_in(app, session, CUSTOMER_SERVICE)
    dpo, csrf = signed_in(app, session, DPO)
    calls = Calls()
    c = world.customer
    with sql_guard.watching():
        calls.check(
            "rectify",
            service.post(
                f"/subjects/{c.id}/edit",
                data={
                    "csrf_token": service_csrf,
                    "kind": "person",
                    "given_name": "Anna",
                    "family_name": "Svensson-Berg",
                    "email": c.email,
                    "phone": c.phone,
                    "street": "Storgatan 3",
                    "postal_code": "47321",
                    "city": "Henån",
                    "reason": "married",
                },
                follow_redirects=True,
            ),
        )
        calls.check(
            "register request",
            dpo.post(
                "/requests/new",
                data={
                    "csrf_token": csrf,
                    "subject_id": str(c.id),
                    "kind": "rectification",
                    "channel": "letter",
                    "identity_check": "letter with a copy of the ID card",
                },
                follow_redirects=True,
            ),
        )
        requests = world.requests
        calls.check(
            "extend",
            dpo.post(
                f"/requests/{requests['rectification']}/extend",
                data={"csrf_token": csrf, "reason": "many records to check"},
                follow_redirects=True,
            ),
        )
        forms: dict[str, dict[str, Any]] = {
            "access": {},
            "portability": {},
            "erasure": {},
            "restriction": {"categories": [USAGE]},
            "objection": {"purposes": [OBJECTABLE_INTEREST]},
            "rectification": {"note": "corrected the address"},
        }
        for kind, extra in forms.items():
            calls.check(
                f"complete {kind}",
                dpo.post(
                    f"/requests/{requests[kind]}/complete",
                    data={"csrf_token": csrf, "note": "", **extra},
                    follow_redirects=True,
                ),
            )
        refused = _request_in_app(session, c.id, RequestKind.ACCESS)
        calls.check(
            "refuse",
            dpo.post(
                f"/requests/{refused}/refuse",
                data={"csrf_token": csrf, "reason": "a manifestly unfounded repeat request"},
                follow_redirects=True,
            ),
        )
        calls.check("outbox", dpo.get("/requests/outbox"))
        calls.check(
            "outbox send",
            dpo.post("/requests/outbox/send", data={"csrf_token": csrf}, follow_redirects=True),
        )
        for request_id in (*requests.values(), refused):
            calls.check(f"request {request_id}", dpo.get(f"/requests/{request_id}"))
    assert not calls.errors, calls.errors
    done = {what: url for what, _status, url in calls.answers}
    for kind in forms:
        assert "done=completed" in done[f"complete {kind}"], (kind, done[f"complete {kind}"])
    assert "done=refused" in done["refuse"]
    assert "done=extended" in done["extend"]
    assert "saved=" in done["rectify"]
    sql_guard.assert_clean()


def _request_in_app(session: Session, subject_id: int, kind: RequestKind) -> int:
    with guard.internal():
        request_id = _request(session, subject_id, kind)
        session.commit()
    return request_id


# --- the API --------------------------------------------------------------------------------------


def test_api_reads_search_and_writes_with_keys_of_every_scope(
    app: FastAPI, session: Session, world: World, sql_guard: SqlGuard
) -> None:
    client = TestClient(app, base_url=BASE_URL)
    calls = Calls()
    c = world.customer
    keys = {"read": world.read_key, "write": world.write_key, "narrow": world.narrow_key}
    bodies = _register_bodies()
    with sql_guard.watching():
        for name, key in keys.items():
            auth = {"Authorization": f"Bearer {key}"}
            for q in (c.email, c.phone, c.personnummer, "Svensson", "Bolaget"):
                calls.check(
                    f"{name} search", client.get("/api/v1/subjects", params={"q": q}, headers=auth)
                )
            for purpose, stated in POLICY.purposes.items():
                params: dict[str, Any] = {"purpose": purpose}
                if stated.case_required:
                    params["case"] = f"request:{world.requests['access']}"
                calls.check(
                    f"{name} read {purpose}",
                    client.get(f"/api/v1/subjects/{c.id}", params=params, headers=auth),
                )
                calls.check(
                    f"{name} read {purpose} contact",
                    client.get(
                        f"/api/v1/subjects/{c.id}",
                        params={**params, "category": [CONTACT]},
                        headers=auth,
                    ),
                )
            created = calls.check(
                f"{name} create",
                client.post(
                    "/api/v1/subjects",
                    json={
                        "kind": "person",
                        "given_name": "Nils",
                        "family_name": f"Nyman{name}",
                        "personnummer": personnummer(90_000 + len(name)),
                        "emails": [f"nils.{name}@example.se"],
                    },
                    headers=auth,
                ),
            )
            calls.check(
                f"{name} rectify",
                client.patch(
                    f"/api/v1/subjects/{c.id}",
                    json={"phone": "+46701112233", "reason": f"new phone via {name}"},
                    headers=auth,
                ),
            )
            subject_id = created.json()["id"] if created.status_code == 201 else c.id
            for path, body in bodies(name, c):
                for target in (subject_id, c.id):
                    calls.check(
                        f"{name} POST {path}",
                        client.post(f"/api/v1/subjects/{target}/{path}", json=body, headers=auth),
                    )
    assert not calls.errors, calls.errors
    # Every key read and searched; the write key created a subject and wrote rows of each kind.
    for name in keys:
        assert calls.succeeded(f"{name} read") > 0, name
        assert calls.succeeded(f"{name} search") > 0, name
    assert calls.succeeded("write create") == 1
    assert calls.succeeded("write rectify") == 1
    written = {what for what, status, _url in calls.answers if status == 201}
    assert len([w for w in written if w.startswith("write POST")]) == 11, sorted(written)
    sql_guard.assert_clean()


def _register_bodies() -> Callable[[str, Customer], list[tuple[str, dict[str, Any]]]]:
    def bodies(tag: str, c: Customer) -> list[tuple[str, dict[str, Any]]]:
        moment = "2025-02-06T20:00:00+01:00"
        return [
            (
                f"connections/{c.connection_id}/ip-assignments",
                {"ip_address": "192.0.2.7", "assigned_at": moment},
            ),
            (
                f"invoices/{c.invoice_id}/payments",
                {"paid_on": "2025-02-10", "amount": "399.00", "method": "card"},
            ),
            ("participation", {"activity_code": c.activity_code, "consented_at": moment}),
            (
                "contracts",
                {
                    "contract_number": f"AV-{tag}-1",
                    "signed_on": "2025-01-02",
                    "starts_on": "2025-01-15",
                },
            ),
            (
                "equipment",
                {
                    "kind": "router",
                    "model": "AX",
                    "serial_number": f"SN-{tag}",
                    "installed_on": "2025-01-15",
                },
            ),
            (
                "connections",
                {
                    "access_kind": "fibre",
                    "street": "Storgatan 9",
                    "postal_code": "47321",
                    "city": "Henån",
                    "activated_on": "2025-01-15",
                    "contract_id": c.contract_id,
                },
            ),
            (
                "invoices",
                {
                    "invoice_number": f"F-{tag}-1",
                    "issued_on": "2025-02-01",
                    "due_on": "2025-03-01",
                    "amount": "399.00",
                },
            ),
            (
                "correspondence",
                {
                    "kind": "email",
                    "received_at": "2025-02-03T10:00:00+01:00",
                    "subject_line": "Fråga",
                    "body": "Hej",
                },
            ),
            (
                "support-cases",
                {"channel": "phone", "topic": "Ingen tv", "opened_at": "2025-02-04T10:00:00+01:00"},
            ),
            (
                "newsletter-subscriptions",
                {
                    "list_code": "nyheter",
                    "subscribed_at": "2025-02-05T10:00:00+01:00",
                    "consent_text_version": "v1",
                },
            ),
            ("usage-events", {"occurred_at": "2025-02-06T20:00:00+01:00", "kind": "view"}),
        ]

    return bodies


# --- the subject's side: public request, download, Mina sidor ------------------------------------


def test_public_request_download_and_mina_sidor(
    app: FastAPI, session: Session, world: World, sql_guard: SqlGuard
) -> None:
    c = world.customer
    anonymous = TestClient(app, base_url=BASE_URL)
    dpo, csrf = signed_in(app, session, DPO)
    calls = Calls()
    with sql_guard.watching():
        # Ask for a registerutdrag, known and unknown address; confirm with the code.
        for contact in (c.email, "nobody@example.se", c.phone):
            page = anonymous.get("/registerutdrag")
            calls.check(
                "ask",
                anonymous.post(
                    "/registerutdrag",
                    data={"contact": contact, "csrf_token": csrf_of(page.text)},
                ),
            )
        page = anonymous.get("/registerutdrag/kod")
        calls.check(
            "confirm",
            anonymous.post(
                "/registerutdrag/kod",
                data={
                    "code": code_in(last_mail(session, c.email)),
                    "csrf_token": csrf_of(page.text),
                },
            ),
        )
        # The DPO answers the access request; the subject downloads with a fresh code.
        calls.check(
            "complete access",
            dpo.post(
                f"/requests/{world.requests['access']}/complete",
                data={"csrf_token": csrf, "note": ""},
            ),
        )
        link = _link_in(last_mail(session, c.email))
        page = calls.check("download page", anonymous.get(link))
        calls.check("download code", anonymous.post(link, data={"csrf_token": csrf_of(page.text)}))
        page = anonymous.get(link + "?steg=kod")
        calls.check(
            "download verify",
            anonymous.post(
                link + "/kod",
                data={
                    "code": code_in(last_mail(session, c.email)),
                    "csrf_token": csrf_of(page.text),
                },
            ),
        )
        for name in ("registerutdrag.pdf", "registerutdrag.json"):
            answer = calls.check(name, anonymous.get(f"{link}/{name}"))
            assert answer.status_code == 200, (name, answer.status_code)

        # Mina sidor: sign in with a code, look, correct, choose, object, ask, export.
        me = TestClient(app, base_url=BASE_URL)
        page = me.get("/mina-sidor/logga-in")
        calls.check(
            "sign in",
            me.post(
                "/mina-sidor/logga-in", data={"contact": c.email, "csrf_token": csrf_of(page.text)}
            ),
        )
        page = me.get("/mina-sidor/kod")
        signed = calls.check(
            "sign-in code",
            me.post(
                "/mina-sidor/kod",
                data={
                    "code": code_in(last_mail(session, c.email)),
                    "csrf_token": csrf_of(page.text),
                },
                follow_redirects=False,
            ),
        )
        assert signed.status_code == 303, signed.text[:300]
        for path in (
            "/mina-sidor",
            "/mina-sidor/uppgifter",
            "/mina-sidor/kontaktuppgifter",
            "/mina-sidor/samtycken",
            "/mina-sidor/begaran",
            "/mina-sidor/dataportabilitet.json",
        ):
            calls.check(path, me.get(path))
        page = me.get("/mina-sidor/kontaktuppgifter")
        calls.check(
            "correct contact",
            me.post(
                "/mina-sidor/kontaktuppgifter",
                data={
                    "csrf_token": csrf_of(page.text),
                    "email": c.email,
                    "phone": c.phone,
                    "street": "Storgatan 5",
                    "postal_code": "47321",
                    "city": "Henån",
                },
            ),
        )
        page = me.get("/mina-sidor/samtycken")
        token = csrf_of(page.text)
        for what, key, give in (
            ("newsletter", "nyheter", "false"),
            ("newsletter", "nyheter", "true"),
            ("objection", OBJECTABLE_INTEREST, "true"),
            ("objection", OBJECTABLE_INTEREST, "false"),
        ):
            calls.check(
                f"{what} {key} {give}",
                me.post(
                    "/mina-sidor/samtycken",
                    data={"csrf_token": token, "what": what, "key": key, "give": give},
                ),
            )
        # The open restriction request is answered first, so that the subject may ask again.
        calls.check(
            "refuse restriction",
            dpo.post(
                f"/requests/{world.requests['restriction']}/refuse",
                data={"csrf_token": csrf, "reason": "the data was shown to be accurate"},
            ),
        )
        page = me.get("/mina-sidor/begaran")
        asked = calls.check(
            "ask restriction",
            me.post(
                "/mina-sidor/begaran",
                data={"csrf_token": csrf_of(page.text), "kind": "restriction", "note": "x"},
            ),
        )
        assert asked.status_code == 200, asked.text[:300]
        page = me.get("/mina-sidor/uppgifter")
        calls.check(
            "sign out",
            me.post("/mina-sidor/logga-ut", data={"csrf_token": csrf_of(page.text)}),
        )
    assert not calls.errors, calls.errors
    sql_guard.assert_clean()


def _link_in(mail: OutboxMail) -> str:
    match = re.search(r"https?://\S+/registerutdrag/hamta/(\S+)", mail.body)
    assert match, "no download link in the mail"
    return f"/registerutdrag/hamta/{match.group(1)}"


# --- the command line ---------------------------------------------------------------------------


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Any]]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATASKYDD_DATABASE_URL", f"sqlite:///{tmp_path / 'dataskydd.db'}")
    monkeypatch.setenv("DATASKYDD_KEY_FILE", str(tmp_path / "dataskydd.key"))
    monkeypatch.delenv("DATASKYDD_SECRET_KEY", raising=False)
    monkeypatch.delenv("DATASKYDD_POLICY_FILE", raising=False)
    get_settings.cache_clear()
    runtime.engine_for.cache_clear()
    runner = CliRunner()

    def invoke(*args: str) -> Any:
        # Each command in its own context, as each is its own process in production.
        return contextvars.copy_context().run(
            lambda: (guard.reset(), runner.invoke(cli_app, list(args), catch_exceptions=False))[1]
        )

    yield invoke
    runtime.engine_for(get_settings().database_url).dispose()
    runtime.engine_for.cache_clear()
    get_settings.cache_clear()


def test_the_subject_commands(cli: Callable[..., Any], tmp_path: Path, sql_guard: SqlGuard) -> None:
    results = []
    with sql_guard.watching():
        results.append(cli("init", "--admin-password", "Korrekt-Häst-Batteri-9"))
        assert results[0].exit_code == 0, results[0].output
        engine = runtime.engine_for(get_settings().database_url)
        with transaction(make_session_factory(engine)) as session, guard.internal():
            factories.bind_factories(session)
            customer = build_customer(session, label="cli")
            factories.bind_factories(None)
        results.append(cli("demo", "--customers", "15"))
        results.append(cli("init", "--admin-password", "Korrekt-Häst-Batteri-9"))
        for query in (customer.email, customer.phone, customer.personnummer, "Anna Svensson"):
            results.append(cli("subject", "find", query))
            results.append(cli("subject", "find", query, "--json"))
        for purpose, stated in POLICY.purposes.items():
            case = ["--case", f"request:{customer.request_id}"] if stated.case_required else []
            results.append(cli("subject", "show", str(customer.id), "--purpose", purpose, *case))
        results.append(cli("subject", "export", str(customer.id), "--out", str(tmp_path / "x")))
        results.append(cli("subject", "erase", str(customer.id), "--dry-run"))
        results.append(cli("requests", "list", "--view", "all"))
        results.append(cli("requests", "outbox"))
        results.append(cli("subject", "erase", str(customer.id), "--yes"))
        results.append(cli("subject", "show", str(customer.id), "--purpose", BOOKKEEPING))
    crashed = [
        r.output[-300:]
        for r in results
        if r.exception is not None and not isinstance(r.exception, SystemExit)
    ]
    assert not crashed, crashed
    sql_guard.assert_clean()


def test_the_cli_built_a_subject_in_every_table(session: Session, factories: None) -> None:
    """The drives above are only as good as the data: the customer has rows everywhere."""
    customer = build_customer(session)
    assert mapped_tables_with_rows(session, customer.id) == {
        e.table for e in entries.register_tables()
    }
    assert session.get(Subject, customer.id) is not None
