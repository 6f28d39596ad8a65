"""Over HTTP: what /collect and the pixel store holds none of the personal data they were sent
(issue 14, item 2), only the reduced forms: a placeholder, the referrer's site, the classes of
the User-Agent header and the IP address's network."""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from dataskydd.analytics import scrub
from dataskydd.analytics.models import PageEvent, PageTotal
from dataskydd.config import Settings
from dataskydd.db.session import transaction
from dataskydd.policy.schema import Policy
from dataskydd.web.app import create_app
from dataskydd.web.deps import get_session
from tests.conftest import TEST_SECRET

BASE_URL = "https://testserver"
SITE = "https://www.exempel.se"  # the website the banner is on
VISITOR = "7" * 32
VISIT = "8" * 32
USER_AGENT = (
    "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "SamsungBrowser/27.0 Chrome/125.0.0.0 Mobile Safari/537.36"
)
HEADERS = {"user-agent": USER_AGENT}
BEACON = {**HEADERS, "content-type": "text/plain"}
# What a careless site puts in its addresses, one of each kind.
SECRETS = {
    "email": "anna.svensson@example.se",
    "personnummer": "19811218-9876",
    "personnummer-short": "8112189876",
    "samordningsnummer": "811278-9873",
    "orgnr": "556036-0793",
    "phone": "+46701234567",
    "phone-07x": "070-123 45 67",
    "jwt": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4f",
    "token": "x7Kq2_LmP9vRt4WzY8nB3cD-1fGh",
}


def q(value: str) -> str:
    return quote(value, safe="")


@pytest.fixture
def app(engine: Engine, session: Session, policy: Policy) -> Iterator[FastAPI]:
    settings = Settings(
        secret_key=TEST_SECRET,
        database_url="sqlite://",
        public_base_url=BASE_URL,
        consent_origins=SITE,
    )
    application = create_app(settings, policy=policy, engine=engine)

    def test_session() -> Iterator[Session]:
        with transaction(lambda: session) as db_session:  # type: ignore[arg-type]
            yield db_session

    application.dependency_overrides[get_session] = test_session
    yield application
    application.dependency_overrides.clear()


@pytest.fixture
def client(app: FastAPI, policy: Policy) -> TestClient:
    """A client whose visitor granted everything the banner offers."""
    banner = policy.consent_banner
    assert banner is not None
    assert banner.pixel_choice is not None
    client = TestClient(app, base_url=BASE_URL)
    body = {
        "visitor_id": VISITOR,
        "text_version": banner.text_version,
        "granted": sorted(banner.optional_choices),
    }
    response = client.post("/consent", content=json.dumps(body), headers=BEACON)
    assert response.status_code == 201, response.text
    return client


def stored_text(session: Session) -> list[str]:
    """Every text value of every stored event and total, but the visitor's and the visit's
    random ids, which consent allows (they look like tokens, being random)."""
    values: list[str] = []
    for model in (PageEvent, PageTotal):
        for row in session.scalars(select(model)):
            values += [
                value
                for column in model.__table__.columns
                if column.key not in ("visitor_id", "visit_id")
                and isinstance(value := getattr(row, column.key), str)
            ]
    return values


def assert_nothing_personal(session: Session) -> None:
    values = stored_text(session)
    assert values
    for value in values:
        assert not scrub.has_personal_data(value), value
        assert "Mozilla" not in value, value
        assert "Samsung" not in value, value
        for secret in SECRETS.values():
            assert secret not in value, (secret, value)
            assert q(secret) not in value, (secret, value)


def test_collect_stores_none_of_it(client: TestClient, session: Session) -> None:
    # One app for every kind: making one is the slow part of these tests.
    for secret in SECRETS.values():
        utm = "".join(
            f"&utm_{key}={q(secret)}" for key in ("source", "medium", "campaign", "term", "content")
        )
        event = {
            "kind": "view",
            "page": f"/konto/{q(secret)}/order?utm_campaign=vinter{utm}&q={q(secret)}#{secret}",
            "visitor_id": VISITOR,
            "visit_id": VISIT,
            "referrer": f"https://www.google.se/search?q={q(secret)}&email={q(secret)}",
        }
        # As consent.js sends it: JSON as text/plain, a CORS simple request.
        response = client.post("/collect", content=json.dumps(event), headers=BEACON)
        assert response.status_code == 204, response.text
        leave = {**event, "kind": "leave", "seconds": 12, "previous": f"/kund/{q(secret)}"}
        del leave["referrer"]
        assert client.post("/collect", json=leave, headers=HEADERS).status_code == 204
    events = session.scalars(select(PageEvent).order_by(PageEvent.id)).all()
    assert len(events) == 2 * len(SECRETS)
    for view, left in zip(events[::2], events[1::2], strict=True):
        assert (view.path, view.referrer_site, view.referrer_path) == (
            "/konto/*/order",
            "google.se",
            None,
        )
        assert (view.utm_source, view.utm_medium, view.utm_term, view.utm_content) == (None,) * 4
        assert view.utm_campaign == "vinter"  # the second utm_campaign, personal, was dropped
        assert (view.device, view.browser) == ("mobile", "samsung_internet")
        assert (left.path, left.referrer_path, left.seconds_on_page) == (
            "/konto/*/order",
            "/kund/*",
            12,
        )
    assert_nothing_personal(session)


def test_the_pixel_stores_none_of_it(client: TestClient, session: Session) -> None:
    for secret in SECRETS.values():
        page = f"/erbjudande/{q(secret)}?utm_campaign=vinter&utm_content={q(secret)}&e={q(secret)}"
        referrer = f"https://mail.example.com/inbox/{q(secret)}"
        url = f"/collect/pixel.gif?v={VISITOR}&s={VISIT}&p={q(page)}&r={q(referrer)}"
        response = client.get(url, headers=HEADERS)
        assert response.status_code == 200, response.text
    events = session.scalars(select(PageEvent)).all()
    assert len(events) == len(SECRETS)
    for event in events:
        assert (event.kind, event.path, event.utm_campaign, event.utm_content) == (
            "pixel",
            "/erbjudande/*",
            "vinter",
            None,
        )
        assert (event.referrer_site, event.browser) == ("mail.example.com", "samsung_internet")
    assert_nothing_personal(session)


def test_campaigns_and_ordinary_paths_are_kept(client: TestClient, session: Session) -> None:
    event = {
        "kind": "view",
        "page": "/bredband/100-mbit?utm_source=nyhetsbrev&utm_medium=e-post&utm_campaign=vinter"
        "&utm_term=fiber&utm_content=knapp-a",
        "visitor_id": VISITOR,
        "referrer": "https://duckduckgo.com/",
    }
    assert client.post("/collect", json=event, headers=HEADERS).status_code == 204
    (row,) = session.scalars(select(PageEvent))
    assert row.path == "/bredband/100-mbit"
    campaign = (row.utm_source, row.utm_medium, row.utm_campaign, row.utm_term, row.utm_content)
    assert campaign == ("nyhetsbrev", "e-post", "vinter", "fiber", "knapp-a")
    assert row.referrer_site == "duckduckgo.com"


def test_a_referrer_from_the_site_itself_is_not_a_referrer_site(
    client: TestClient, session: Session
) -> None:
    headers = {**HEADERS, "origin": SITE}
    for referrer in ("https://exempel.se/b?e=anna@example.se", "https://bing.com/search?q=x"):
        event = {"kind": "view", "page": "/a", "visitor_id": VISITOR, "referrer": referrer}
        assert client.post("/collect", json=event, headers=headers).status_code == 204
    sites = session.scalars(select(PageEvent.referrer_site).order_by(PageEvent.id)).all()
    assert sites == [None, "bing.com"]
