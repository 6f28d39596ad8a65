"""Ingest: truncated IPs, bots, campaign parameters, and nothing stored without consent."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dataskydd.analytics import ingest
from dataskydd.analytics.models import EventKind, PageEvent, PageTotal
from dataskydd.consent import service as consent_service
from dataskydd.consent.schemas import ConsentChoice
from dataskydd.errors import InvalidInput
from dataskydd.policy.loader import load_bundled_policy
from dataskydd.policy.schema import BannerPurpose, ConsentBanner, Policy

POLICY = load_bundled_policy()
assert POLICY.consent_banner is not None
BANNER: ConsentBanner = POLICY.consent_banner
VERSION = BANNER.text_version
NO_COUNT = BANNER.model_copy(update={"count_anonymous_page_views": False})
BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36"
VISITOR = "ab" * 16
VISIT = "cd" * 16


def consent(
    session: Session, granted: list[str], visitor: str = VISITOR, policy: Policy = POLICY
) -> None:
    choice = ConsentChoice(visitor_id=visitor, text_version=VERSION, granted=granted)
    consent_service.record_choice(
        session, policy, choice=choice, user_agent=BROWSER, gpc_header=None
    )


def with_choices(**flags: dict[str, object]) -> Policy:
    """The bundled policy whose banner has other keys, with the flags given."""
    text = {"title": {"sv": "t", "en": "t"}, "description": {"sv": "d", "en": "d"}}
    choices = {key: BannerPurpose.model_validate({**text, **f}) for key, f in flags.items()}
    return POLICY.model_copy(
        update={"consent_banner": BANNER.model_copy(update={"purposes": choices})}
    )


def pixel_event() -> ingest.Accepted:
    pixel = ingest.accept_pixel(
        visitor_id=VISITOR,
        visit_id=None,
        page="/erbjudande?utm_campaign=vinter",
        user_agent=BROWSER,
        client_ip="203.0.113.1",
    )
    assert pixel is not None
    return pixel


def view(
    page: str = "/bredband?utm_source=nyhetsbrev&email=a@b.se", **extra: object
) -> ingest.Accepted:
    event = ingest.CollectedEvent.model_validate(
        {"kind": "view", "page": page, "visitor_id": VISITOR, "visit_id": VISIT, **extra}
    )
    accepted = ingest.accept_event(event, user_agent=BROWSER, client_ip="203.0.113.77")
    assert accepted is not None
    return accepted


def stored(session: Session) -> list[PageEvent]:
    return list(session.scalars(select(PageEvent)))


class TestPlainRules:
    @pytest.mark.parametrize(
        ("address", "network"),
        [
            ("203.0.113.77", "203.0.113.0/24"),
            ("2001:db8:abcd:12:1:2:3:4", "2001:db8:abcd::/48"),
            ("::ffff:198.51.100.9", "198.51.100.0/24"),
            ("testclient", None),
            (None, None),
        ],
    )
    def test_ip_addresses_are_cut_to_their_network(
        self, address: str | None, network: str | None
    ) -> None:
        assert ingest.truncate_ip(address) == network

    @pytest.mark.parametrize(
        "agent",
        [
            None,
            "",
            "curl/8.5.0",
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 HeadlessChrome/120.0",
            "python-requests/2.31",
        ],
    )
    def test_bots_are_recognised(self, agent: str | None) -> None:
        assert ingest.is_bot(agent)

    def test_a_browser_is_not_a_bot(self) -> None:
        assert not ingest.is_bot(BROWSER)

    def test_only_campaign_parameters_survive_from_the_query(self) -> None:
        path, campaign = ingest.split_page("/erbjudande?utm_campaign=vinter&utm_source=fb&q=x")
        assert path == "/erbjudande"
        assert campaign == ("fb", None, "vinter")

    @pytest.mark.parametrize("page", ["bredband", "https://evil.example", "/" + "a" * 400, "/a b"])
    def test_pages_must_be_paths(self, page: str) -> None:
        with pytest.raises(InvalidInput):
            ingest.split_page(page)

    @pytest.mark.parametrize(
        ("page", "reason"),
        [
            pytest.param("http://[::1/a", "not a valid address", id="unclosed-ipv6-host"),
            pytest.param("//[x/y", "not a valid address", id="unclosed-ipv6-netloc"),
            pytest.param(
                "/a?" + "&".join(f"k{n}=1" for n in range(51)),
                "at most 50 query parameters",
                id="51-query-keys",
            ),
            pytest.param("/a\x00b", "control characters", id="nul"),
            pytest.param("/a\x1b[2J", "control characters", id="escape"),
            pytest.param("/a\ud800", "control characters", id="lone-surrogate"),
            pytest.param("/a?utm_source=x%00y", "control characters", id="nul-in-campaign"),
        ],
    )
    @pytest.mark.parametrize("field", ["page", "previous", "p"])
    def test_hostile_pages_are_invalid_input_naming_the_field(
        self, page: str, reason: str, field: str
    ) -> None:
        with pytest.raises(InvalidInput) as error:
            ingest.split_page(page, field)
        assert error.value.field == field
        assert reason in error.value.reason

    def test_fifty_query_keys_are_fine(self) -> None:
        page = "/a?" + "&".join(f"k{n}=1" for n in range(49)) + "&utm_source=x"
        assert ingest.split_page(page) == ("/a", ("x", None, None))

    def test_device_class(self) -> None:
        assert ingest.device_class(BROWSER) == "desktop"
        assert ingest.device_class("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1) Mobile") == "mobile"
        assert ingest.device_class("Mozilla/5.0 (iPad; CPU OS 18_1)") == "tablet"

    def test_an_anonymous_count_carries_no_identifier(self) -> None:
        event = ingest.CollectedEvent(kind="count", page="/", visitor_id=VISITOR)
        with pytest.raises(InvalidInput):
            ingest.accept_event(event, user_agent=BROWSER, client_ip=None)


class TestStore:
    def test_without_consent_nothing_identifying_is_stored(self, session: Session) -> None:
        assert ingest.store(session, [view()], banner=BANNER) == 0
        assert stored(session) == []
        totals = session.execute(select(PageTotal.path, PageTotal.count)).all()
        assert [tuple(t) for t in totals] == [("/bredband", 1)]

    def test_refusal_stores_nothing(self, session: Session) -> None:
        consent(session, [])
        assert ingest.store(session, [view()], banner=NO_COUNT) == 0
        assert session.scalar(select(func.count()).select_from(PageTotal)) == 0

    def test_with_analytics_consent_the_event_is_stored_with_a_cut_ip(
        self, session: Session
    ) -> None:
        consent(session, ["analytics"])
        assert ingest.store(session, [view(previous="/start")], banner=BANNER) == 1
        (event,) = stored(session)
        assert (event.path, event.referrer_path, event.utm_source) == (
            "/bredband",
            "/start",
            "nyhetsbrev",
        )
        assert event.ip_network == "203.0.113.0/24"
        assert event.visitor_id == VISITOR
        assert event.visit_id == VISIT

    def test_withdrawal_stops_collection(self, session: Session) -> None:
        consent(session, ["analytics"])
        consent(session, [])
        assert ingest.store(session, [view()], banner=BANNER) == 0

    def test_the_pixel_needs_marketing_consent(self, session: Session) -> None:
        pixel = pixel_event()
        consent(session, ["analytics"])
        assert ingest.store(session, [pixel], banner=BANNER) == 0
        consent(session, ["analytics", "marketing"])
        assert ingest.store(session, [pixel], banner=BANNER) == 1

    def test_what_each_event_needs_is_the_policy_s_choices(self, session: Session) -> None:
        other = with_choices(
            kakor={"necessary": True},
            sidor={"policy_purpose": "web_analytics", "measures_visits": True},
            tid={"policy_purpose": "web_analytics", "measures_visits": True},
            kampanj={"policy_purpose": "web_analytics", "tracking_pixel": True},
        )
        banner = other.consent_banner
        assert banner is not None
        consent(session, ["sidor", "kampanj"], policy=other)
        # Views need every choice that measures visits; the pixel its own.
        assert ingest.store(session, [view()], banner=banner) == 0
        assert ingest.store(session, [pixel_event()], banner=banner) == 1
        consent(session, ["sidor", "tid"], policy=other)
        assert ingest.store(session, [view(), pixel_event()], banner=banner) == 1
        assert sorted(e.kind for e in stored(session)) == ["pixel", "view"]

    def test_without_a_pixel_choice_the_pixel_stores_nothing(self, session: Session) -> None:
        other = with_choices(
            kakor={"necessary": True},
            sidor={"policy_purpose": "web_analytics", "measures_visits": True},
        )
        assert other.consent_banner is not None
        consent(session, ["sidor"], policy=other)
        assert ingest.store(session, [pixel_event()], banner=other.consent_banner) == 0
        assert ingest.needed_choices(other.consent_banner)[EventKind.PIXEL] is None

    def test_bots_are_dropped_before_anything_else(self) -> None:
        event = ingest.CollectedEvent(kind="view", page="/", visitor_id=VISITOR)
        assert ingest.accept_event(event, user_agent="Googlebot/2.1", client_ip=None) is None

    def test_page_totals_add_up_per_day_and_path(self, session: Session) -> None:
        counts = [view("/a"), view("/a"), view("/b")]
        ingest.store(session, counts, banner=BANNER)
        ingest.store(session, [view("/a")], banner=BANNER)
        rows = dict(session.execute(select(PageTotal.path, PageTotal.count)).all())
        assert rows == {"/a": 3, "/b": 1}


def test_time_is_the_servers(session: Session) -> None:
    before = view().occurred_at
    assert view().occurred_at - before < timedelta(seconds=5)


def test_every_valid_event_fits_in_a_body() -> None:
    """The largest event the model accepts, every page character escaped as a surrogate pair,
    is within MAX_BODY_BYTES: a body /openapi.json calls valid is never a 413."""
    page = "/" + "\U0001f600" * (ingest.MAX_PAGE - 1)
    largest = {
        "kind": "leave",
        "page": page,
        "visitor_id": VISITOR,
        "visit_id": VISITOR,
        "previous": page,
        "seconds": 24 * 3600,
    }
    ingest.CollectedEvent.model_validate(largest)
    assert len(json.dumps(largest, ensure_ascii=True).encode()) <= ingest.MAX_BODY_BYTES


@pytest.mark.parametrize("seconds", [10.0, 0.0, 86400.0])
def test_seconds_may_be_written_with_a_fraction_of_zero(seconds: float) -> None:
    event = {"kind": "leave", "page": "/", "visitor_id": VISITOR, "seconds": seconds}
    assert ingest.CollectedEvent.model_validate(event).seconds == int(seconds)


@pytest.mark.parametrize("seconds", [10.5, True, "10", float("inf")])
def test_seconds_are_whole_numbers(seconds: object) -> None:
    event = {"kind": "leave", "page": "/", "visitor_id": VISITOR, "seconds": seconds}
    with pytest.raises(ValueError, match="seconds"):
        ingest.CollectedEvent.model_validate(event)


def test_the_pixels_page_is_checked_without_a_visitor_too() -> None:
    with pytest.raises(InvalidInput, match=r"^p: "):
        ingest.accept_pixel(
            visitor_id=None, visit_id=None, page="nopath", user_agent=BROWSER, client_ip=None
        )
    assert (
        ingest.accept_pixel(
            visitor_id=None, visit_id=None, page="/a", user_agent=BROWSER, client_ip=None
        )
        is None
    )
