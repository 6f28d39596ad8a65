"""Hostile input (issue 9): every input path answers 4xx — a JSON problem under /api, an error
page elsewhere — never a 500 or a traceback, on SQLite and on PostgreSQL."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi import routing as fastapi_routing
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import BeforeValidator
from sqlalchemy import exc as sa_exc
from sqlalchemy import text
from sqlalchemy.orm import Session

from dataskydd.analytics import web_stats
from dataskydd.auth import api_keys
from dataskydd.register import service as register_service
from dataskydd.validation import MAX_ROW_ID, Line, Text
from dataskydd.web.body_limits import API_BODY_LIMIT, PAGE_BODY_LIMIT
from dataskydd.web.deps import SessionDep
from tests.policy_keys import (
    ADMIN,
    COMPANY,
    COMPANY_MAP,
    CONTRACT_PURPOSE,
    CUSTOMER_SERVICE,
    DPO,
    api_write_purpose,
)
from tests.web.conftest import BASE_URL, ClientFor, csrf_of

PERSON: dict[str, Any] = {
    "given_name": "Anna",
    "family_name": "Svensson",
    "emails": ["anna.svensson@example.se"],
    "addresses": [{"street": "Storgatan 1", "postal_code": "11122", "city": "Stockholm"}],
}
TOO_BIG_IDS = ["99999999999999999999999", str(2**31), str(2**63), "0", "-1"]

# Omilon writes usage events under service quality; a bookshop lets no API key write them.
USAGE_WRITER = api_write_purpose(COMPANY, COMPANY_MAP, "usage_event")


def api_headers(session: Session, purpose: str = CONTRACT_PURPOSE) -> dict[str, str]:
    _row, key = api_keys.create_api_key(
        session,
        actor="test",
        policy=COMPANY,
        name="hostile",
        purposes=[purpose],
        can_write=True,
    )
    session.commit()
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def headers(session: Session) -> dict[str, str]:
    return api_headers(session)


@pytest.fixture
def subject_id(session: Session) -> int:
    subject = register_service.create_subject(session, actor="test", data=PERSON)
    session.commit()
    return subject.id


def assert_problem(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert set(body) == {"error", "detail", "problems"}
    if field is not None:
        assert field in [problem["field"] for problem in body["problems"]], body
    assert "Traceback" not in response.text
    return body


def assert_error_page(response: Any, status: int) -> None:
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"].startswith("text/html")
    assert "Traceback" not in response.text
    assert response.headers["content-security-policy"]


# --- 1. ids in the path ---------------------------------------------------------------------


def _param_fields(dependant: Dependant) -> Iterator[tuple[str, Any]]:
    for kind in ("path_params", "query_params", "body_params"):
        for field in getattr(dependant, kind):
            yield kind, field
    for sub in dependant.dependencies:
        yield from _param_fields(sub)


def _routes(app: FastAPI) -> list[Any]:
    """Every API route with its prefix (FastAPI includes routers lazily)."""
    contexts = fastapi_routing.iter_route_contexts(app.routes)
    found = [c for c in contexts if isinstance(c.original_route, APIRoute)]
    assert len(found) > 50
    return found


class TestIdsInThePath:
    def test_every_id_in_a_path_is_bounded_to_the_schema(self, app: FastAPI) -> None:
        unbounded = []
        for route in _routes(app):
            for kind, field in _param_fields(route.dependant):
                if kind != "path_params" or field.field_info.annotation is not int:
                    continue
                bounds = {type(m).__name__: m for m in field.field_info.metadata}
                ge, le = bounds.get("Ge"), bounds.get("Le")
                if not (ge and ge.ge == 1 and le and le.le == MAX_ROW_ID):
                    unbounded.append(f"{route.path} {field.name}")
        assert unbounded == []

    @pytest.mark.parametrize("bad", TOO_BIG_IDS)
    def test_staff_pages_answer_422_pages(self, client_for: ClientFor, bad: str) -> None:
        client = client_for(DPO)
        for path in (f"/subjects/{bad}", f"/subjects/{bad}/history", f"/requests/{bad}"):
            assert_error_page(client.get(path), 422)

    @pytest.mark.parametrize("bad", TOO_BIG_IDS)
    def test_the_api_answers_422_naming_the_field(
        self, anonymous: TestClient, headers: dict[str, str], bad: str
    ) -> None:
        response = anonymous.get(
            f"/api/v1/subjects/{bad}",
            params={"purpose": CONTRACT_PURPOSE},
            headers=headers,
        )
        assert_problem(response, 422, "subject_id")
        response = anonymous.post(
            f"/api/v1/subjects/{bad}/invoices/{bad}/payments", json={}, headers=headers
        )
        body = assert_problem(response, 422, "subject_id")
        assert "invoice_id" in [problem["field"] for problem in body["problems"]]

    def test_form_posts_with_huge_ids_are_refused(self, client_for: ClientFor) -> None:
        admin = client_for(ADMIN)
        token = csrf_of(admin.get("/admin/accounts").text)
        response = admin.post(
            f"/admin/accounts/{2**40}/role", data={"csrf_token": token, "role": DPO}
        )
        assert_error_page(response, 422)
        dpo = client_for(DPO)
        token = csrf_of(dpo.get("/requests/new").text)
        response = dpo.post(
            "/requests/new",
            data={"csrf_token": token, "subject_id": str(2**40), "kind": "access"},
        )
        assert_error_page(response, 422)

    def test_a_query_id_past_the_schema_is_refused(self, client_for: ClientFor) -> None:
        dpo = client_for(DPO)
        assert_error_page(dpo.get("/audit", params={"before_id": 2**40}), 422)
        response = dpo.get("/audit", params={"subject_id": "9" * 30})
        assert response.status_code == 422
        assert "Traceback" not in response.text


# --- 2. NUL bytes and control characters ----------------------------------------------------


def _text_checked(field: Any) -> bool:
    metadata = [*field.field_info.metadata, *getattr(field.field_info, "__metadata__", ())]
    annotation = field.field_info.annotation
    metadata.extend(getattr(annotation, "__metadata__", ()))
    for arg in getattr(annotation, "__args__", ()):
        metadata.extend(getattr(arg, "__metadata__", ()))
        for inner in getattr(arg, "__args__", ()):
            metadata.extend(getattr(inner, "__metadata__", ()))
    rules = (*Line.__metadata__, *Text.__metadata__)  # type: ignore[attr-defined]
    checks = {m.func for m in rules if isinstance(m, BeforeValidator)}
    return any(isinstance(m, BeforeValidator) and m.func in checks for m in metadata)


def _is_text(annotation: Any) -> bool:
    if annotation is str:
        return True
    return any(_is_text(arg) for arg in getattr(annotation, "__args__", ()))


class TestControlCharacters:
    def test_every_text_form_field_and_query_parameter_is_checked(self, app: FastAPI) -> None:
        unchecked = []
        for route in _routes(app):
            for kind, field in _param_fields(route.dependant):
                if kind == "body_params" and route.path.startswith("/api/"):
                    continue  # JSON bodies: their models derive from validation.InputModel
                if _is_text(field.field_info.annotation) and not _text_checked(field):
                    unchecked.append(f"{route.path} {field.name}")
        assert unchecked == []

    @pytest.mark.parametrize(
        ("field", "value", "where"),
        [
            ("given_name", "An\x00na", "given_name"),
            ("family_name", "Svens\x1bson", "family_name"),
            ("family_name", "Svensson\n", "family_name"),
            ("given_name", "Anna\x85", "given_name"),
            ("emails", ["anna\x00@example.se"], "emails"),
        ],
    )
    def test_api_names_refuse_nul_and_control_characters(
        self,
        anonymous: TestClient,
        headers: dict[str, str],
        field: str,
        value: object,
        where: str,
    ) -> None:
        response = anonymous.post("/api/v1/subjects", json=PERSON | {field: value}, headers=headers)
        assert_problem(response, 422, where)

    def test_api_streets_refuse_nul(self, anonymous: TestClient, headers: dict[str, str]) -> None:
        address = {"street": "Storgatan\x00 1", "postal_code": "11122", "city": "Stockholm"}
        response = anonymous.post(
            "/api/v1/subjects", json=PERSON | {"addresses": [address]}, headers=headers
        )
        assert_problem(response, 422, "addresses.0.street")

    def test_api_search_refuses_nul(self, anonymous: TestClient, headers: dict[str, str]) -> None:
        for q in ("Anna\x00", "\x00", "Anna\x07"):
            assert_problem(
                anonymous.get("/api/v1/subjects", params={"q": q}, headers=headers), 422, "q"
            )

    def test_free_text_keeps_line_breaks_but_not_nul(
        self, anonymous: TestClient, headers: dict[str, str], subject_id: int
    ) -> None:
        path = f"/api/v1/subjects/{subject_id}"
        change = {"phone": "070-765 43 21"}
        ok = anonymous.patch(
            path, json=change | {"reason": "Kunden ringde.\r\n\tNytt nummer."}, headers=headers
        )
        assert ok.status_code == 200, ok.text
        bad = anonymous.patch(path, json=change | {"reason": "Kunden\x00 ringde"}, headers=headers)
        assert_problem(bad, 422, "reason")
        bad = anonymous.patch(path, json=change | {"reason": "Kunden\x0c ringde"}, headers=headers)
        assert_problem(bad, 422, "reason")

    def test_correspondence_body_and_answers(
        self, anonymous: TestClient, session: Session, subject_id: int
    ) -> None:
        headers = api_headers(session)
        letter = {
            "kind": "email",
            "received_at": "2026-03-01T10:00:00+01:00",
            "subject_line": "Fråga",
            "body": "Hej!\n\nMvh",
        }
        path = f"/api/v1/subjects/{subject_id}/correspondence"
        assert anonymous.post(path, json=letter, headers=headers).status_code == 201
        bad = anonymous.post(path, json=letter | {"body": "Hej\x00"}, headers=headers)
        assert_problem(bad, 422, "body")
        bad = anonymous.post(path, json=letter | {"subject_line": "Fr\någa"}, headers=headers)
        assert_problem(bad, 422, "subject_line")

    def test_staff_search_and_forms_refuse_nul(
        self, client_for: ClientFor, subject_id: int
    ) -> None:
        staff = client_for(CUSTOMER_SERVICE)
        assert_error_page(staff.get("/subjects", params={"q": "Anna\x00"}), 422)
        form = staff.get(f"/subjects/{subject_id}/edit")
        data = {
            "csrf_token": csrf_of(form.text),
            "kind": "person",
            "given_name": "Anna",
            "family_name": "Svensson",
            "street": "Storgatan\x00 2",
            "postal_code": "11122",
            "city": "Stockholm",
            "reason": "Kunden flyttade",
        }
        response = staff.post(f"/subjects/{subject_id}/edit", data=data, follow_redirects=False)
        assert response.status_code == 422
        assert "Traceback" not in response.text

    def test_sign_in_and_public_forms_refuse_nul(self, anonymous: TestClient) -> None:
        login = anonymous.get("/login")
        response = anonymous.post(
            "/login",
            data={"username": "x\x00", "password": "y", "csrf_token": csrf_of(login.text)},
        )
        assert_error_page(response, 422)
        page = anonymous.get("/registerutdrag")
        response = anonymous.post(
            "/registerutdrag",
            data={"contact": "anna\x00@example.se", "csrf_token": csrf_of(page.text)},
        )
        assert_error_page(response, 422)
        assert_error_page(anonymous.get("/registerutdrag/hamta/abc%00def"), 422)


# --- 3. strict types in the API -------------------------------------------------------------


CONTRACT: dict[str, Any] = {
    "contract_number": "K-1",
    "signed_on": "2026-01-01",
    "starts_on": "2026-01-02",
}


class TestStrictTypes:
    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"starts_on": 0}, "starts_on"),
            ({"signed_on": 20260101}, "signed_on"),
            ({"starts_on": False}, "starts_on"),
            ({"starts_on": "2026-01-02T00:00:00"}, "starts_on"),
        ],
    )
    def test_dates_are_iso_text_only(
        self,
        anonymous: TestClient,
        headers: dict[str, str],
        subject_id: int,
        change: dict[str, Any],
        field: str,
    ) -> None:
        path = f"/api/v1/subjects/{subject_id}/contracts"
        response = anonymous.post(path, json=CONTRACT | change, headers=headers)
        assert_problem(response, 422, field)

    def test_iso_dates_still_work(
        self, anonymous: TestClient, headers: dict[str, str], subject_id: int
    ) -> None:
        path = f"/api/v1/subjects/{subject_id}/contracts"
        assert anonymous.post(path, json=CONTRACT, headers=headers).status_code == 201

    @pytest.mark.skipif(USAGE_WRITER is None, reason="the company lets no API key write usage")
    def test_booleans_and_text_are_not_numbers(
        self, anonymous: TestClient, session: Session, subject_id: int
    ) -> None:
        usage = api_headers(session, USAGE_WRITER)  # type: ignore[arg-type]
        event = {"occurred_at": "2026-03-01T10:00:00+01:00", "kind": "view"}
        path = f"/api/v1/subjects/{subject_id}/usage-events"
        for bad in (False, True, "60", 1.5):
            response = anonymous.post(path, json=event | {"duration_seconds": bad}, headers=usage)
            assert_problem(response, 422, "duration_seconds")
        response = anonymous.post(path, json=event | {"occurred_at": 1700000000}, headers=usage)
        assert_problem(response, 422, "occurred_at")
        response = anonymous.post(path, json=event | {"occurred_at": "3"}, headers=usage)
        assert_problem(response, 422, "occurred_at")
        assert anonymous.post(path, json=event | {"duration_seconds": 60}, headers=usage).is_success

    @pytest.mark.skipif(USAGE_WRITER is None, reason="the company lets no API key write usage")
    def test_a_whole_number_may_be_written_with_a_zero_fraction(
        self, anonymous: TestClient, session: Session, subject_id: int
    ) -> None:
        """JSON has one kind of number, and JSON Schema's "integer" counts 60.0 as one."""
        usage = api_headers(session, USAGE_WRITER)  # type: ignore[arg-type]
        event = {"occurred_at": "2026-03-01T10:00:00+01:00", "kind": "view"}
        path = f"/api/v1/subjects/{subject_id}/usage-events"
        response = anonymous.post(path, json=event | {"duration_seconds": 60.0}, headers=usage)
        assert response.status_code == 201, response.text

    @pytest.mark.parametrize("amount", ["1e3", ".5", "5.", "-1", "1.005", "1_000", " 5", 1.005])
    def test_an_amount_is_plain_decimal_text_or_a_number_in_hundredths(
        self, anonymous: TestClient, headers: dict[str, str], subject_id: int, amount: object
    ) -> None:
        invoice = {"invoice_number": "F-1", "issued_on": "2026-01-01", "due_on": "2026-01-31"}
        path = f"/api/v1/subjects/{subject_id}/invoices"
        response = anonymous.post(path, json=invoice | {"amount": amount}, headers=headers)
        assert_problem(response, 422, "amount")

    @pytest.mark.parametrize(
        "amount", ["399", "399.5", "399.50", "399.500", 399.5, 0, 9999999999.99]
    )
    def test_amounts(
        self, anonymous: TestClient, headers: dict[str, str], subject_id: int, amount: object
    ) -> None:
        invoice = {"invoice_number": "F-1", "issued_on": "2026-01-01", "due_on": "2026-01-31"}
        path = f"/api/v1/subjects/{subject_id}/invoices"
        response = anonymous.post(path, json=invoice | {"amount": amount}, headers=headers)
        assert response.status_code == 201, response.text

    def test_an_amount_is_not_a_boolean(
        self, anonymous: TestClient, headers: dict[str, str], subject_id: int
    ) -> None:
        invoice = {"invoice_number": "F-1", "issued_on": "2026-01-01", "due_on": "2026-01-31"}
        path = f"/api/v1/subjects/{subject_id}/invoices"
        response = anonymous.post(path, json=invoice | {"amount": False}, headers=headers)
        assert_problem(response, 422, "amount")


# --- 3b. a refusal names the field and the rule, never the value ------------------------------

MARK = "Zq7-value-not-to-repeat"


def _hostile_bodies(schema: dict[str, Any], schemas: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """For each property of a JSON body, a body with the marker there: as text, in a list,
    and in an object, so that every kind of rule (type, format, pattern) refuses it. (Keys
    are named: an unknown key is a name, not a value.)"""
    model = schemas[schema["$ref"].rsplit("/", 1)[-1]]
    for name in model.get("properties", {}):
        for value in (MARK, [MARK], {"street": MARK, "k": MARK}, MARK + "\n"):
            yield {name: value}


class TestNoValueRepeated:
    def test_no_refusal_of_the_api_repeats_a_value(
        self, app: FastAPI, anonymous: TestClient, headers: dict[str, str], subject_id: int
    ) -> None:
        document = app.openapi()
        schemas = document["components"]["schemas"]
        ids = {
            "subject_id": subject_id,
            "connection_id": 1,
            "invoice_id": 1,
            "table": next(iter(web_stats.TABLES)),
        }
        refused = 0
        for path, item in document["paths"].items():
            for method, operation in item.items():
                url = path.format(**ids)
                content = operation.get("requestBody", {}).get("content", {})
                body = content.get("application/json", {}).get("schema")
                bodies = list(_hostile_bodies(body, schemas)) if body else [None]
                for json_body in bodies:
                    query = {
                        parameter["name"]: MARK
                        for parameter in operation.get("parameters", ())
                        if parameter["in"] == "query"
                    }
                    response = anonymous.request(
                        method, url, params=query, json=json_body, headers=headers
                    )
                    assert response.status_code < 500, (method, url, json_body)
                    if response.status_code >= 400:
                        refused += 1
                        assert MARK not in response.text, (method, url, response.text)
        assert refused > 100


# --- 4. HEAD and 405 --------------------------------------------------------------------------


SAME_HEADERS = ("content-type", "content-length", "content-security-policy", "cache-control")


class TestHeadAndAllow:
    @pytest.mark.parametrize("path", ["/", "/registerutdrag", "/static/app.css", "/docs", "/login"])
    def test_head_answers_like_get_without_a_body(self, anonymous: TestClient, path: str) -> None:
        get = anonymous.get(path, follow_redirects=False)
        head = anonymous.head(path, follow_redirects=False)
        assert head.status_code == get.status_code
        assert head.content == b""
        for name in SAME_HEADERS:
            assert head.headers.get(name) == get.headers.get(name), name

    def test_head_on_the_api(self, anonymous: TestClient, headers: dict[str, str]) -> None:
        get = anonymous.get("/api/v1/subjects", params={"q": "Anna"}, headers=headers)
        head = anonymous.head("/api/v1/subjects", params={"q": "Anna"}, headers=headers)
        assert (head.status_code, head.content) == (get.status_code, b"")
        assert head.headers["content-length"] == get.headers["content-length"]

    @pytest.mark.parametrize(
        ("method", "path", "allowed"),
        [
            ("POST", "/", "GET, HEAD"),
            ("DELETE", "/registerutdrag", "GET, HEAD, POST"),
            ("PUT", "/login", "GET, HEAD, POST"),
            ("POST", "/static/app.css", "GET, HEAD"),
            ("DELETE", "/api/v1/subjects", "GET, HEAD, POST"),
            ("PUT", "/api/v1/subjects/1", "GET, HEAD, PATCH"),
        ],
    )
    def test_405_lists_what_the_path_allows(
        self,
        anonymous: TestClient,
        headers: dict[str, str],
        method: str,
        path: str,
        allowed: str,
    ) -> None:
        response = anonymous.request(method, path, headers=headers)
        assert response.status_code == 405
        assert response.headers["allow"] == allowed
        assert response.headers["x-content-type-options"] == "nosniff"


# --- 5. the API reference -------------------------------------------------------------------


class TestApiReference:
    def test_served_here_without_scripts_under_the_csp(self, anonymous: TestClient) -> None:
        page = anonymous.get("/docs")
        assert page.status_code == 200
        assert "script-src 'self'" in page.headers["content-security-policy"]
        assert "cdn" not in page.text.lower()
        assert "swagger" not in page.text.lower()
        assert "<script" not in page.text.replace('<script src="/static/app.js" defer>', "")
        assert "API-referens" in page.text
        assert "/api/v1/subjects/{subject_id}" in page.text
        assert "Authorization: Bearer" in page.text
        assert 'id="schema-SubjectCreate"' in page.text

    def test_in_english_and_the_document_stays(self, anonymous: TestClient) -> None:
        assert "API reference" in anonymous.get("/docs?lang=en").text
        document = anonymous.get("/openapi.json")
        assert document.status_code == 200
        assert "/api/v1/subjects" in document.json()["paths"]


# --- 8. body sizes --------------------------------------------------------------------------


def _chunks(total: int, pulled: list[int], size: int = 64 * 1024) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        pulled.append(size)
        sent += size
        yield b"a" * size


class TestBodyLimits:
    def test_a_large_form_is_refused_before_it_is_read(self, anonymous: TestClient) -> None:
        body = "username=" + "a" * (PAGE_BODY_LIMIT + 1)
        response = anonymous.post(
            "/login",
            content=body,
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert_error_page(response, 413)

    def test_a_streamed_form_is_cut_at_the_limit(self, anonymous: TestClient) -> None:
        pulled: list[int] = []
        response = anonymous.post(
            "/registerutdrag",
            content=_chunks(10 * PAGE_BODY_LIMIT, pulled),
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert_error_page(response, 413)

    def test_the_api_wants_a_key_before_the_body(self, anonymous: TestClient) -> None:
        pulled: list[int] = []
        response = anonymous.post(
            "/api/v1/subjects",
            content=_chunks(50 * 1024 * 1024, pulled),
            headers={"content-type": "application/json"},
        )
        body = assert_problem(response, 401)
        assert body["error"] == "AuthenticationRequired"
        assert response.headers["www-authenticate"] == "Bearer"
        assert sum(pulled) < 1024 * 1024

    def test_the_api_refuses_bodies_past_its_limit(
        self, anonymous: TestClient, headers: dict[str, str]
    ) -> None:
        big = b'{"given_name": "' + b"a" * API_BODY_LIMIT + b'"}'
        response = anonymous.post(
            "/api/v1/subjects",
            content=big,
            headers=headers | {"content-type": "application/json"},
        )
        assert_problem(response, 413)
        pulled: list[int] = []
        response = anonymous.post(
            "/api/v1/subjects",
            content=_chunks(2 * API_BODY_LIMIT, pulled),
            headers=headers | {"content-type": "application/json"},
        )
        assert_problem(response, 413)


# --- the safety net ---------------------------------------------------------------------------


@pytest.fixture
def failing_app(app: FastAPI) -> FastAPI:
    """Routes that reach the database with what it refuses, or fail on their own."""

    def overflow(session: SessionDep) -> dict[str, object]:
        dialect = session.get_bind().dialect.name
        if dialect == "sqlite":
            session.execute(text("SELECT :x"), {"x": 2**70})
        else:
            session.execute(text("SELECT CAST(:x AS text)"), {"x": "a\x00b"})
        return {}

    def locked() -> None:
        locked = sqlite3.OperationalError("database is locked")
        raise sa_exc.OperationalError("UPDATE x", {}, locked)

    def broken() -> None:
        raise RuntimeError("personnummer 19811218-9876 leaked into a message")

    for prefix in ("/api/v1/test", "/test"):
        app.add_api_route(f"{prefix}/overflow", overflow, methods=["GET"])
        app.add_api_route(f"{prefix}/locked", locked, methods=["GET"])
        app.add_api_route(f"{prefix}/broken", broken, methods=["GET"])
    return app


BEARER = {"Authorization": "Bearer not-checked-by-these-routes"}


class TestSafetyNet:
    def test_values_the_database_refuses_are_400(self, failing_app: FastAPI) -> None:
        client = TestClient(failing_app, base_url=BASE_URL)
        body = assert_problem(client.get("/api/v1/test/overflow", headers=BEARER), 400)
        assert "a\x00b" not in body["detail"]
        assert_error_page(client.get("/test/overflow"), 400)

    def test_a_locked_database_is_503_with_retry_after(self, failing_app: FastAPI) -> None:
        client = TestClient(failing_app, base_url=BASE_URL)
        response = client.get("/api/v1/test/locked", headers=BEARER)
        assert_problem(response, 503)
        assert response.headers["retry-after"] == "1"
        page = client.get("/test/locked")
        assert_error_page(page, 503)
        assert page.headers["retry-after"] == "1"

    def test_anything_else_is_a_500_with_the_security_headers_and_no_details(
        self, failing_app: FastAPI, caplog: pytest.LogCaptureFixture
    ) -> None:
        client = TestClient(failing_app, base_url=BASE_URL)
        with caplog.at_level(logging.ERROR, logger="dataskydd.web"):
            response = client.get("/api/v1/test/broken", headers=BEARER)
            page = client.get("/test/broken")
        body = assert_problem(response, 500)
        assert body["error"] == "ServerError"
        assert_error_page(page, 500)
        for answer in (response, page):
            assert answer.headers["x-frame-options"] == "DENY"
            assert answer.headers["cache-control"] == "no-store"
            assert "9876" not in answer.text
        logged = " ".join(record.getMessage() for record in caplog.records)
        assert "RuntimeError" in logged
        assert "9876" not in logged
