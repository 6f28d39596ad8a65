"""The banner's public endpoints over HTTP: script, config, consent, collect, pixel, CORS,
and bad input (4xx, nothing stored, never 500).

The choice keys come from the policy under test (`policy` fixture; DATASKYDD_TEST_POLICY), so
the module runs unchanged against a policy whose banner names its choices differently.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dataskydd.analytics import ingest
from dataskydd.analytics.models import PageEvent, PageTotal
from dataskydd.consent.models import ConsentRecord
from dataskydd.policy.schema import Policy
from dataskydd.validation import NUL_REASON

BROWSER = {"user-agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0"}
VISITOR = "5" * 32


@dataclass(frozen=True)
class Choices:
    """The banner of the policy under test, as the tests need it."""

    version: str
    optional: list[str]
    visits: list[str]  # what page views need
    pixel: str  # what the pixel needs
    reopen: str


@pytest.fixture
def choices(policy: Policy) -> Choices:
    banner = policy.consent_banner
    assert banner is not None
    assert banner.pixel_choice is not None, "these tests need a tracking pixel choice"
    return Choices(
        version=banner.text_version,
        optional=sorted(banner.optional_choices),
        visits=sorted(banner.visit_choices),
        pixel=banner.pixel_choice,
        reopen=banner.buttons.reopen.sv,
    )


def rows(session: Session, model: type) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def give(
    client: TestClient, choices: Choices, granted: list[str], **headers: str
) -> dict[str, object]:
    body = {"visitor_id": VISITOR, "text_version": choices.version, "granted": granted}
    response = client.post(
        "/consent",
        content=json.dumps(body),
        headers={**BROWSER, "content-type": "text/plain", **headers},
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def view(client: TestClient, **extra: object) -> int:
    body = {"kind": "view", "page": "/demo-site/bredband", "visitor_id": VISITOR, **extra}
    return client.post("/collect", json=body, headers=BROWSER).status_code


class TestScriptAndConfig:
    def test_consent_js_is_small_javascript_cached_for_an_hour(self, anonymous: TestClient) -> None:
        response = anonymous.get("/consent.js")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/javascript")
        assert response.headers["cache-control"] == "public, max-age=3600"
        assert len(response.content) < 15_000
        assert anonymous.get("/consent.css").headers["content-type"].startswith("text/css")

    @pytest.mark.parametrize("lang", ["sv", "en"])
    def test_config_per_language(self, anonymous: TestClient, policy: Policy, lang: str) -> None:
        banner = policy.consent_banner
        assert banner is not None
        config = anonymous.get(f"/consent/config?language={lang}").json()
        assert config["accept"] == banner.buttons.accept.get(lang)  # type: ignore[arg-type]
        assert config["text_version"] == banner.text_version
        assert config["cookie_name"] == "dataskydd_consent"
        assert [p["key"] for p in config["purposes"]] == list(banner.purposes)
        for shown in config["purposes"]:
            declared = banner.purposes[shown["key"]]
            assert shown["required"] is declared.necessary
            assert shown["measures_visits"] is declared.measures_visits
            assert shown["tracking_pixel"] is declared.tracking_pixel
            assert shown["refused_under_gpc"] is declared.refused_under_gpc

    def test_the_script_names_no_choice(self, anonymous: TestClient, policy: Policy) -> None:
        script = anonymous.get("/consent.js").text
        banner = policy.consent_banner
        assert banner is not None
        for key in banner.purposes:
            assert f'"{key}"' not in script


class TestConsentAndCollect:
    def test_refusal_then_events_store_nothing_identifying(
        self, anonymous: TestClient, session: Session, choices: Choices
    ) -> None:
        assert give(anonymous, choices, [])["refused"] == choices.optional
        assert view(anonymous) == 204
        assert rows(session, PageEvent) == 0
        assert rows(session, ConsentRecord) == 1
        assert (
            "set-cookie"
            not in anonymous.post(
                "/collect", json={"kind": "count", "page": "/"}, headers=BROWSER
            ).headers
        )

    def test_acceptance_stores_events_and_change_of_mind_stops_them(
        self, anonymous: TestClient, session: Session, choices: Choices
    ) -> None:
        give(anonymous, choices, choices.optional)
        assert view(anonymous, visit_id="6" * 32) == 204
        assert rows(session, PageEvent) == 1
        give(anonymous, choices, [])
        assert view(anonymous) == 204
        assert rows(session, PageEvent) == 1

    def test_views_need_every_choice_that_measures_visits(
        self, anonymous: TestClient, session: Session, choices: Choices
    ) -> None:
        others = [key for key in choices.optional if key not in choices.visits]
        give(anonymous, choices, others)
        assert view(anonymous) == 204
        assert rows(session, PageEvent) == 0

    def test_gpc_header_refuses_the_pixel(
        self, anonymous: TestClient, session: Session, policy: Policy, choices: Choices
    ) -> None:
        banner = policy.consent_banner
        assert banner is not None
        assert choices.pixel in banner.refused_under_gpc, "the test needs GPC to refuse the pixel"
        recorded = give(anonymous, choices, [*choices.visits, choices.pixel], **{"sec-gpc": "1"})
        assert recorded["granted"] == sorted(set(choices.visits) - banner.refused_under_gpc)
        assert choices.pixel in recorded["refused"]  # type: ignore[operator]
        assert recorded["gpc"] is True
        pixel = anonymous.get(f"/collect/pixel.gif?v={VISITOR}&p=/erbjudande", headers=BROWSER)
        assert pixel.status_code == 200
        assert pixel.headers["content-type"] == "image/gif"
        assert rows(session, PageEvent) == 0

    def test_pixel_with_its_choice(
        self, anonymous: TestClient, session: Session, choices: Choices
    ) -> None:
        give(anonymous, choices, [choices.pixel])
        url = f"/collect/pixel.gif?v={VISITOR}&p=/erbjudande%3Futm_campaign%3Dvinter"
        assert anonymous.get(url, headers=BROWSER).status_code == 200
        event = session.scalars(select(PageEvent)).one()
        assert (event.kind, event.utm_campaign) == ("pixel", "vinter")

    def test_anonymous_count_has_no_identifier(
        self, anonymous: TestClient, session: Session
    ) -> None:
        response = anonymous.post(
            "/collect", json={"kind": "count", "page": "/x?y=1"}, headers=BROWSER
        )
        assert response.status_code == 204
        assert rows(session, PageEvent) == 0
        assert [tuple(row) for row in session.execute(select(PageTotal.path, PageTotal.count))] == [
            ("/x", 1)
        ]

    def test_bots_are_not_counted(self, anonymous: TestClient, session: Session) -> None:
        bot = {"user-agent": "Mozilla/5.0 (compatible; Googlebot/2.1)"}
        anonymous.post("/collect", json={"kind": "count", "page": "/"}, headers=bot)
        assert rows(session, PageTotal) == 0

    def test_an_unknown_choice_is_a_422_naming_it(
        self, anonymous: TestClient, session: Session, policy: Policy, choices: Choices
    ) -> None:
        banner = policy.consent_banner
        assert banner is not None
        for key in ("sell_everything", banner.necessary_choice):
            body = {"visitor_id": VISITOR, "text_version": choices.version, "granted": [key]}
            response = anonymous.post("/consent", json=body, headers=BROWSER)
            assert response.status_code == 422, response.text
            detail = response.json()["detail"]
            assert f"unknown choice '{key}'" in detail
            assert ", ".join(banner.optional_choices) in detail
        assert rows(session, ConsentRecord) == 0

    def test_a_stale_text_version_is_a_conflict(
        self, anonymous: TestClient, session: Session
    ) -> None:
        body = {"visitor_id": VISITOR, "text_version": "1999", "granted": []}
        response = anonymous.post("/consent", json=body, headers=BROWSER)
        assert response.status_code == 409
        assert response.json()["error"] == "Conflict"
        assert rows(session, ConsentRecord) == 0


BAD_BODIES = [
    pytest.param(b"{not json", "application/json", 400, id="malformed-json"),
    pytest.param(
        b'{"a": 1' + b" " * ingest.MAX_BODY_BYTES + b"}", "application/json", 413, id="huge-body"
    ),
    pytest.param(b"[" * 5000 + b"]" * 5000, "text/plain", 400, id="deep-nesting"),
    pytest.param(b"[1, 2]", "application/json", 422, id="not-an-object"),
    pytest.param(b"null", "application/json", 422, id="null"),
    pytest.param(b"kind=view", "application/x-www-form-urlencoded", 415, id="form"),
]
CURRENT = "<the policy's text version>"
BAD_CONSENT = [
    {"visitor_id": "../../etc", "text_version": CURRENT, "granted": []},
    {"visitor_id": "A" * 32, "text_version": CURRENT, "granted": []},
    {"visitor_id": VISITOR, "text_version": CURRENT, "granted": ["sell_everything"]},
    {"visitor_id": VISITOR, "text_version": CURRENT, "granted": ["../etc"]},
    {"visitor_id": VISITOR, "text_version": CURRENT, "granted": ["a" * 60]},
    {"visitor_id": VISITOR, "text_version": CURRENT, "granted": "everything"},
    {"visitor_id": VISITOR, "text_version": 7, "granted": []},
    {"visitor_id": VISITOR, "text_version": CURRENT, "granted": [], "gpc": "1"},
    {"visitor_id": VISITOR, "text_version": "x" * 100, "granted": []},
    {"visitor_id": VISITOR},
]
BAD_EVENTS = [
    {"kind": "view", "page": "/", "visitor_id": "forged-id"},
    {"kind": "view", "page": "/", "visitor_id": VISITOR[:-1] + "G"},
    {"kind": "click", "page": "/", "visitor_id": VISITOR},
    {"kind": "view", "page": "no-slash", "visitor_id": VISITOR},
    {"kind": "view", "page": "/" + "a" * 500, "visitor_id": VISITOR},
    {"kind": "view", "page": "/"},
    {"kind": "leave", "page": "/", "visitor_id": VISITOR},
    {"kind": "leave", "page": "/", "visitor_id": VISITOR, "seconds": "12"},
    {"kind": "leave", "page": "/", "visitor_id": VISITOR, "seconds": -1},
    {"kind": "view", "page": 12, "visitor_id": VISITOR},
    {"kind": "count", "page": "/", "visitor_id": VISITOR},
    {"kind": "view", "page": "/", "visitor_id": VISITOR, "email": "a@b.se"},
]


class TestBadInput:
    @pytest.mark.parametrize("path", ["/consent", "/collect"])
    @pytest.mark.parametrize(("body", "kind", "status"), BAD_BODIES)
    def test_bad_bodies(
        self,
        anonymous: TestClient,
        session: Session,
        path: str,
        body: bytes,
        kind: str,
        status: int,
        choices: Choices,
    ) -> None:
        give(anonymous, choices, choices.visits)
        response = anonymous.post(path, content=body, headers={**BROWSER, "content-type": kind})
        assert response.status_code == status, response.text
        kinds = {413: "PayloadTooLarge", 415: "UnsupportedMediaType"}
        assert response.json()["error"] == kinds.get(status, "InvalidInput")
        assert (rows(session, ConsentRecord), rows(session, PageEvent)) == (1, 0)

    @pytest.mark.parametrize("body", BAD_CONSENT)
    def test_bad_consent(
        self, anonymous: TestClient, session: Session, choices: Choices, body: dict[str, object]
    ) -> None:
        body = {k: choices.version if v == CURRENT else v for k, v in body.items()}
        response = anonymous.post("/consent", json=body, headers=BROWSER)
        assert response.status_code == 422, response.text
        assert "../" not in response.text
        assert rows(session, ConsentRecord) == 0

    @pytest.mark.parametrize("body", BAD_EVENTS)
    def test_bad_events(
        self, anonymous: TestClient, session: Session, choices: Choices, body: object
    ) -> None:
        give(anonymous, choices, choices.visits)
        response = anonymous.post("/collect", json=body, headers=BROWSER)
        assert response.status_code == 422, response.text
        assert "a@b.se" not in response.text
        assert (rows(session, PageEvent), rows(session, PageTotal)) == (0, 0)

    @pytest.mark.parametrize("query", ["v=forged", "v=" + VISITOR + "&p=nopath", "s=xyz"])
    def test_bad_pixels(
        self, anonymous: TestClient, session: Session, choices: Choices, query: str
    ) -> None:
        give(anonymous, choices, [choices.pixel])
        response = anonymous.get(f"/collect/pixel.gif?{query}", headers=BROWSER)
        assert 400 <= response.status_code < 500
        assert rows(session, PageEvent) == 0

    @pytest.mark.parametrize(
        ("query", "field"),
        [
            ("v=AAA", "v"),
            ("s=" + "a" * 31 + "%00", "s"),
            ("p=nopath", "p"),  # without a visitor id too: nothing stored, still refused
            ("p=", "p"),
            ("v=" + VISITOR + "&p=/a%01", "p"),
        ],
    )
    def test_a_bad_pixel_is_a_json_problem_naming_the_parameter(
        self, anonymous: TestClient, session: Session, choices: Choices, query: str, field: str
    ) -> None:
        give(anonymous, choices, [choices.pixel])
        response = anonymous.get(f"/collect/pixel.gif?{query}", headers=BROWSER)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/json"
        problem = response.json()
        assert problem["error"] == "InvalidInput"
        assert [item["field"] for item in problem["problems"]] == [field]
        assert rows(session, PageEvent) == 0

    def test_a_lying_content_length_is_refused(self, anonymous: TestClient) -> None:
        response = anonymous.post(
            "/collect",
            content=b"{}",
            headers={**BROWSER, "content-type": "application/json", "content-length": "99999"},
        )
        assert response.status_code == 413


MANY_KEYS = "/a?" + "&".join(f"k{n}=1" for n in range(51))
HOSTILE_PAGES = [
    pytest.param("http://[::1/a", "is not a valid address", id="unclosed-ipv6-host"),
    pytest.param(MANY_KEYS, "may have at most 50 query parameters", id="51-query-keys"),
    pytest.param("/a\x00b", "must not contain control characters", id="nul"),
    # Refused by pydantic already; split_page refuses it too for the pixel's query.
    pytest.param("/a\ud800b", "unable to parse raw data as a unicode string", id="surrogate"),
    pytest.param(
        "/a?utm_campaign=%00",
        "campaign parameters must not contain control characters",
        id="nul-in-campaign",
    ),
]


class TestHostileInput:
    """Unauthenticated input that once reached a 500: a 4xx problem naming the field."""

    @pytest.mark.parametrize(("page", "reason"), HOSTILE_PAGES)
    @pytest.mark.parametrize("field", ["page", "previous"])
    def test_collect(
        self,
        anonymous: TestClient,
        session: Session,
        choices: Choices,
        field: str,
        page: str,
        reason: str,
    ) -> None:
        give(anonymous, choices, choices.visits)
        body = {"kind": "view", "page": "/", "visitor_id": VISITOR, field: page}
        # json.dumps escapes a lone surrogate as \ud800, as a browser's JSON.stringify does.
        response = anonymous.post(
            "/collect",
            content=json.dumps(body),
            headers={**BROWSER, "content-type": "text/plain"},
        )
        assert response.status_code == 422, response.text
        problem = response.json()
        assert problem["error"] == "InvalidInput"
        assert problem["detail"].startswith(f"{field}: ")
        assert reason in problem["detail"]
        assert (rows(session, PageEvent), rows(session, PageTotal)) == (0, 0)

    @pytest.mark.parametrize(("page", "reason"), HOSTILE_PAGES[:3])
    def test_pixel(
        self, anonymous: TestClient, session: Session, choices: Choices, page: str, reason: str
    ) -> None:
        give(anonymous, choices, [choices.pixel])
        response = anonymous.get(
            "/collect/pixel.gif", params={"v": VISITOR, "p": page}, headers=BROWSER
        )
        assert response.status_code == 422, response.text
        # A NUL byte is refused first by the rule every query parameter has (validation.Line).
        expected = NUL_REASON if "\x00" in page else reason
        assert response.json()["detail"] == f"p: {expected}"
        assert rows(session, PageEvent) == 0

    @pytest.mark.parametrize("origin", ["http://[::1", "https://[", "http://]x["])
    def test_an_origin_urllib_cannot_parse_is_refused(
        self, anonymous: TestClient, session: Session, choices: Choices, origin: str
    ) -> None:
        headers = {**BROWSER, "origin": origin}
        body = {"visitor_id": VISITOR, "text_version": choices.version, "granted": []}
        assert anonymous.post("/consent", json=body, headers=headers).status_code == 403
        event = {"kind": "count", "page": "/"}
        assert anonymous.post("/collect", json=event, headers=headers).status_code == 403
        assert anonymous.options("/collect", headers=headers).status_code == 403
        assert anonymous.get("/consent/config", headers=headers).status_code == 403
        assert (rows(session, ConsentRecord), rows(session, PageTotal)) == (0, 0)

    @pytest.mark.parametrize("declared", ["\u00b2", "1\u00b9", "-1", "1e3", ""])
    def test_a_content_length_that_is_no_number_is_refused(
        self, anonymous: TestClient, declared: str
    ) -> None:
        response = anonymous.post(
            "/collect",
            content=b"{}",
            headers={
                **BROWSER,
                "content-type": "application/json",
                "content-length": declared.encode("latin-1"),
            },
        )
        assert response.status_code == 413


# Text that reaches urllib's corners: brackets, colons, percent escapes, separators, controls.
_URLISH = st.text(alphabet=st.sampled_from("/?&=;#[]:%@.aZ09_ \x00\x7f\u00e5\ud800"), max_size=80)
_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True),
    st.text(max_size=40),
    _URLISH,
    st.just(VISITOR),
    st.sampled_from(["view", "leave", "count", "click", ""]),
)
_JSON = st.recursive(
    _VALUES,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=10,
)
_EVENTS = st.dictionaries(
    st.sampled_from(["kind", "page", "visitor_id", "visit_id", "previous", "seconds", "x"]),
    _JSON,
)
_CHOICES = st.dictionaries(
    st.sampled_from(["visitor_id", "text_version", "granted", "gpc", "x"]), _JSON
)
FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


class TestNeverA500:
    """Whatever an anonymous client sends to the banner's endpoints, the answer is below 500."""

    @FUZZ
    @given(body=st.one_of(_EVENTS, _JSON))
    def test_collect_bodies(self, anonymous: TestClient, choices: Choices, body: object) -> None:
        give(anonymous, choices, choices.visits)
        response = anonymous.post(
            "/collect",
            content=json.dumps(body),
            headers={**BROWSER, "content-type": "text/plain"},
        )
        assert response.status_code < 500, response.text

    @FUZZ
    @given(body=st.one_of(_CHOICES, _JSON))
    def test_consent_bodies(self, anonymous: TestClient, body: object) -> None:
        response = anonymous.post(
            "/consent", content=json.dumps(body), headers={**BROWSER, "content-type": "text/plain"}
        )
        assert response.status_code < 500, response.text

    @FUZZ
    @given(raw=st.binary(max_size=200))
    def test_raw_bodies(self, anonymous: TestClient, raw: bytes) -> None:
        for path in ("/collect", "/consent"):
            response = anonymous.post(
                path, content=raw, headers={**BROWSER, "content-type": "text/plain"}
            )
            assert response.status_code < 500, response.text

    @FUZZ
    @given(
        query=st.dictionaries(
            st.sampled_from(["v", "s", "p", "x"]),
            # A URL cannot carry a lone surrogate: percent-escapes decode with replacement.
            st.one_of(
                _URLISH.map(lambda text: text.replace("\ud800", "%ED%A0%80")), st.just(VISITOR)
            ),
        ),
        raw=st.text(alphabet=st.sampled_from("vsp=&%0aF/[]:?#"), max_size=40),
    )
    def test_pixel_queries(
        self, anonymous: TestClient, choices: Choices, query: dict[str, str], raw: str
    ) -> None:
        give(anonymous, choices, [choices.pixel])
        for response in (
            anonymous.get("/collect/pixel.gif", params=query, headers=BROWSER),
            anonymous.get(f"/collect/pixel.gif?{raw}", headers=BROWSER),
        ):
            assert response.status_code < 500, response.text


class TestCrossOrigin:
    @pytest.fixture
    def site(self, app: FastAPI) -> TestClient:
        app.state.settings = app.state.settings.model_copy(
            update={"consent_origins": "https://www.omilon.example"}
        )
        return TestClient(app, base_url="https://testserver")

    def test_a_configured_origin_gets_cors_headers(self, site: TestClient) -> None:
        origin = {"origin": "https://www.omilon.example"}
        config = site.get("/consent/config", headers=origin)
        assert config.headers["access-control-allow-origin"] == "https://www.omilon.example"
        assert "access-control-allow-credentials" not in config.headers
        preflight = site.options(
            "/consent", headers={**origin, "access-control-request-method": "POST"}
        )
        assert preflight.status_code == 204
        assert "POST" in preflight.headers["access-control-allow-methods"]
        event = site.post(
            "/collect", json={"kind": "count", "page": "/"}, headers={**BROWSER, **origin}
        )
        assert event.status_code == 204
        assert event.headers["access-control-allow-origin"] == "https://www.omilon.example"

    def test_other_origins_are_refused_and_nothing_stored(
        self, site: TestClient, session: Session, choices: Choices
    ) -> None:
        evil = {**BROWSER, "origin": "https://evil.example"}
        body = {"visitor_id": VISITOR, "text_version": choices.version, "granted": choices.visits}
        assert site.post("/consent", json=body, headers=evil).status_code == 403
        assert (
            site.post("/collect", json={"kind": "count", "page": "/"}, headers=evil).status_code
            == 403
        )
        assert site.options("/collect", headers=evil).status_code == 403
        assert site.get("/consent/config", headers=evil).status_code == 403
        assert (rows(session, ConsentRecord), rows(session, PageTotal)) == (0, 0)

    def test_the_same_origin_needs_no_configuration(self, anonymous: TestClient) -> None:
        response = anonymous.post(
            "/collect",
            json={"kind": "count", "page": "/"},
            headers={**BROWSER, "origin": "https://testserver"},
        )
        assert response.status_code == 204


class TestDemoSite:
    @pytest.mark.parametrize("slug", ["", "bredband", "tv", "kundservice", "om-oss", "erbjudande"])
    def test_pages_embed_the_banner_without_inline_code(
        self, anonymous: TestClient, choices: Choices, slug: str
    ) -> None:
        response = anonymous.get(f"/demo-site/{slug}")
        assert response.status_code == 200
        html = response.text
        assert '<script src="/consent.js" defer' in html
        assert "data-dataskydd-settings" in html
        assert choices.reopen in html
        assert "<style" not in html
        assert "style=" not in html
        assert "<script>" not in html
        assert "script-src 'self'" in response.headers["content-security-policy"]

    def test_unknown_page(self, anonymous: TestClient) -> None:
        assert anonymous.get("/demo-site/nope").status_code == 404
