"""White-label public pages (issue 15 item 5): every page a customer or visitor sees without
staff sign-in wears the company's name, colours and links from the policy's `branding`, and
none of them leads to the staff side."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from dataskydd.policy.loader import PolicyError, parse_policy
from dataskydd.policy.schema import Branding, Policy
from dataskydd.subject_requests.models import SubjectRequest
from tests.conftest import load_test_policy
from tests.policy_keys import DPO
from tests.web.conftest import ClientFor, csrf_of
from tests.web.test_access_request_pages import (
    EMAIL,
    _complete,
    _download_code,
    _link_in,
    ask,
    code_in,
    last_mail,
    make_person,
    send_code,
)

# Holds for any company's policy: CI runs it against the bookshop too (.ci/run).
pytestmark = pytest.mark.every_company

BUNDLED = Path(__file__).resolve().parents[2] / "src/dataskydd/policy/bundled/omilon.yaml"
STAFF_PATHS = {"start", "login", "admin"}
# Reached without any state.
ANONYMOUS_PAGES = (
    "/",
    "/registerutdrag",
    "/en/access-request",
    "/mina-sidor/logga-in",
    "/integritetspolicy",
    "/en/privacy",
)
MY_PAGES = (
    "/mina-sidor/uppgifter",
    "/mina-sidor/kontaktuppgifter",
    "/mina-sidor/samtycken",
    "/mina-sidor/begaran",
)


def _name(policy: Policy) -> str:
    return policy.branding.display_name(policy.controller)


def _staff_links(page: str) -> list[str]:
    """Every href or form action in the page that leads to the staff side."""
    found = []
    for target in re.findall(r'(?:href|action)="([^"]*)"', page):
        parts = urlsplit(html.unescape(target))
        first = parts.path.lstrip("/").split("/")[0]
        if parts.netloc in ("", "testserver") and first in STAFF_PATHS:
            found.append(target)
    return found


def assert_branded(page: str, policy: Policy) -> None:
    name = html.escape(_name(policy))
    title = re.search(r"<title>(.*?)</title>", page, re.S)
    assert title, "no <title>"
    assert title.group(1).strip().endswith(f"· {name}"), title.group(1)
    assert "dataskydd" not in title.group(1)
    assert _staff_links(page) == []
    for landmark in ("header", "main", "footer"):
        assert len(re.findall(rf"<{landmark}[\s>]", page)) == 1, landmark
    header = re.search(r"<header.*?</header>", page, re.S)
    assert header
    assert name in header.group(0)
    assert 'href="/branding.css"' in page


def _public_pages(client: TestClient, session: Session, dpo: TestClient) -> dict[str, str]:
    """Every public page, reached the way a customer reaches it."""
    pages = {path: client.get(path).text for path in ANONYMOUS_PAGES}
    make_person(session)
    ask(client, EMAIL)
    pages["/registerutdrag/kod"] = client.get("/registerutdrag/kod").text
    received = send_code(client, code_in(last_mail(session, EMAIL)))
    pages["request received"] = received.text  # type: ignore[attr-defined]
    _complete(dpo, session.scalars(select(SubjectRequest.id)).one())
    link = _link_in(last_mail(session, EMAIL))
    pages["download"] = client.get(link).text
    pages["download files"] = _download_code(client, session, link, EMAIL).text  # type: ignore[attr-defined]
    page = client.get("/mina-sidor/logga-in")
    client.post("/mina-sidor/logga-in", data={"contact": EMAIL, "csrf_token": csrf_of(page.text)})
    code_page = client.get("/mina-sidor/kod")
    pages["/mina-sidor/kod"] = code_page.text
    client.post(
        "/mina-sidor/kod",
        data={"code": code_in(last_mail(session, EMAIL)), "csrf_token": csrf_of(code_page.text)},
    )
    pages.update({path: client.get(path).text for path in MY_PAGES})
    assert "Astrid" in pages["/mina-sidor/uppgifter"]  # signed in, not sent back to sign in
    assert "registerutdrag.pdf" in pages["download files"]
    missing = client.get("/mina-sidor/finns-inte")
    assert missing.status_code == 404
    pages["404 under Mina sidor"] = missing.text
    return pages


@pytest.fixture
def dpo(client_for: ClientFor) -> TestClient:
    return client_for(DPO)


def test_every_public_page_wears_the_company_and_never_links_to_staff(
    anonymous: TestClient, session: Session, dpo: TestClient, policy: Policy
) -> None:
    pages = _public_pages(anonymous, session, dpo)
    assert len(pages) == 16
    for where, page in pages.items():
        try:
            assert_branded(page, policy)
        except AssertionError as error:
            raise AssertionError(f"{where}: {error}") from error
    for link in policy.branding.links:
        assert html.escape(link.url) in pages["/registerutdrag"]
        assert link.label.sv in pages["/registerutdrag"]
        assert link.label.en in pages["/en/privacy"]
    home = policy.branding.home_href("/mina-sidor")
    assert f'<a class="brand" href="{html.escape(home)}">' in pages["/mina-sidor/uppgifter"]


def test_a_staff_page_keeps_its_own_frame(anonymous: TestClient, policy: Policy) -> None:
    page = anonymous.get("/login").text
    assert "/branding.css" not in page
    assert re.search(r"<title>.*· dataskydd</title>", page, re.S)


def test_the_colours_are_css_custom_properties(anonymous: TestClient, policy: Policy) -> None:
    answer = anonymous.get("/branding.css")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/css")
    colours = policy.branding.colours
    for variable, value in (
        ("--brand-accent", colours.accent),
        ("--brand-accent-text", colours.accent_text),
        ("--brand-background", colours.background),
        ("--brand-text", colours.text),
    ):
        assert f"{variable}: {value};" in answer.text


class TestWithoutBranding:
    @pytest.fixture
    def policy(self, policy_file: Path | None) -> Policy:
        return load_test_policy(policy_file).model_copy(update={"branding": Branding()})

    def test_the_controller_name_stands_in(self, anonymous: TestClient, policy: Policy) -> None:
        assert policy.branding.name is None
        for path in (*ANONYMOUS_PAGES, "/mina-sidor/finns-inte"):
            page = anonymous.get(path).text
            assert_branded(page, policy)
            assert html.escape(policy.controller.name) in page
            # No website of its own: the name leads to Mina sidor, never the staff start.
            assert '<a class="brand" href="/mina-sidor">' in page


class TestWithALogo:
    @pytest.fixture
    def policy(self, policy_file: Path | None) -> Policy:
        base = load_test_policy(policy_file)
        branding = base.branding.model_copy(update={"logo": "/static/company-logo.svg"})
        return base.model_copy(update={"branding": branding})

    def test_the_logo_carries_the_name(self, anonymous: TestClient, policy: Policy) -> None:
        for path in ("/registerutdrag", "/integritetspolicy"):
            page = anonymous.get(path).text
            name = html.escape(_name(policy))
            assert f'<img class="brand-logo" src="/static/company-logo.svg" alt="{name}">' in page


def _bundled_with(branding: dict[str, Any]) -> str:
    data = yaml.safe_load(BUNDLED.read_text("utf-8"))
    data["branding"] = branding
    return yaml.safe_dump(data, allow_unicode=True)


@pytest.mark.parametrize(
    ("branding", "field", "reason"),
    [
        ({"colours": {"accent": "red"}}, "branding.colours.accent", "pattern"),
        ({"colours": {"accent": "#ffff00"}}, "branding.colours", "contrast"),
        ({"colours": {"text": "#cccccc"}}, "branding.colours", "text #cccccc on background"),
        ({"logo": "javascript:alert(1)"}, "branding.logo", "https://"),
        ({"logo": "/static/../secret"}, "branding.logo", "/static/"),
        ({"website": "http://www.example.se"}, "branding.website", "https://"),
        (
            {"links": [{"label": {"sv": "A", "en": "A"}, "url": "javascript:alert(1)"}]},
            "branding.links[0].url",
            "https://",
        ),
    ],
)
def test_a_bad_colour_or_address_is_a_policy_error_naming_the_field(
    branding: dict[str, Any], field: str, reason: str
) -> None:
    with pytest.raises(PolicyError) as raised:
        parse_policy(_bundled_with(branding), "policy.yaml")
    message = str(raised.value)
    assert f"{field}:" in message
    assert reason in message


def test_readable_colours_and_addresses_are_accepted() -> None:
    branding = {
        "name": "Exempel",
        "logo": "https://cdn.example.se/logo.svg",
        "website": "https://www.example.se",
        "colours": {"accent": "#1e4d2b", "background": "#ffffff"},
    }
    policy = parse_policy(_bundled_with(branding), "policy.yaml")
    assert policy.branding.display_name(policy.controller) == "Exempel"
    assert policy.branding.home_href("/mina-sidor") == "https://www.example.se"
