"""Personal data in paths, query strings and referrers: every kind found and taken out, and
ordinary page addresses left as they are."""

from __future__ import annotations

import random
from base64 import urlsafe_b64encode
from urllib.parse import quote

import pytest

from dataskydd.analytics import ingest, scrub
from dataskydd.analytics.scrub import PLACEHOLDER

# One of each kind, as it turns up in page addresses.
PERSONAL = {
    "email": "anna.svensson@example.se",
    "email-encoded": "anna.svensson%40example.se",
    "personnummer-12-dash": "19811218-9876",
    "personnummer-12": "198112189876",
    "personnummer-10-dash": "811218-9876",
    "personnummer-10": "8112189876",
    "personnummer-100-plus": "811218+9876",
    "samordningsnummer": "811278-9873",
    "samordningsnummer-12": "198112789873",
    "orgnr-dash": "556036-0793",
    "orgnr": "5560360793",
    "orgnr-12": "165560360793",
    "phone-plus46": "+46701234567",
    "phone-0046": "0046701234567",
    "phone-07x": "0701234567",
    "phone-07x-spaced": "070-123 45 67",
    "phone-landline": "08-123 456 78",
    "phone-international": "+4915112345678",
    "jwt": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4f",
    "uuid": "550e8400-e29b-41d4-a716-446655440000",
    "hex-token": "9f86d081884c7d659a2feaa0c55ad015",
    "base64-token": "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA",
    "base64url-token": "x7Kq2_LmP9vRt4WzY8nB3cD-1fGh",
}
# Look like numbers or codes, are not personal data, and must stay.
ORDINARY = [
    "bredband",
    "vinter-erbjudande-2026",
    "iphone-15-pro-max-256gb",
    "how-to-protect-your-personal-data-in-2024",
    "SommarKampanjErbjudandeNu",
    "XMLHttpRequestExample",
    "MP3-320kbps-FLAC-24bit",
    "my-GDPR-DPIA-template-2026",
    "ORD20241130000123",
    "2026",
    "11",
    "article-123456",
    "report-2024.pdf",
    "9780306406157",
    "1234567890",  # ten digits that are neither a personnummer, an orgnr nor a phone number
    "x86_64-linux-gnu",
]


class TestKinds:
    @pytest.mark.parametrize("value", PERSONAL.values(), ids=PERSONAL.keys())
    def test_each_kind_is_personal_data(self, value: str) -> None:
        assert scrub.has_personal_data(value)
        assert scrub.has_personal_data(f"prefix-{value}-suffix")

    @pytest.mark.parametrize("value", ORDINARY)
    def test_ordinary_values_are_not(self, value: str) -> None:
        assert not scrub.has_personal_data(value)

    def test_a_wrong_check_digit_is_no_personnummer(self) -> None:
        assert not scrub.has_personal_data("811218-9877")

    @pytest.mark.parametrize(("length", "share"), [(16, 0.95), (24, 0.99), (32, 0.99)])
    def test_random_tokens_are_found(self, length: int, share: float) -> None:
        # The heuristics miss a few short random values (2 % of 16 bytes, base64url), fewer
        # the longer they are. Seeded: the same values every run.
        chance = random.Random(length)
        tokens = [urlsafe_b64encode(chance.randbytes(length)).decode() for _ in range(500)]
        found = sum(scrub.has_personal_data(token.rstrip("=")) for token in tokens)
        assert found >= share * len(tokens)


class TestPaths:
    @pytest.mark.parametrize("value", PERSONAL.values(), ids=PERSONAL.keys())
    def test_a_segment_with_personal_data_is_replaced(self, value: str) -> None:
        segment = value.replace(" ", "%20")
        assert scrub.scrub_path(f"/konto/{segment}/order") == f"/konto/{PLACEHOLDER}/order"

    def test_other_segments_stay(self) -> None:
        path = "/produkter/2026/11/vinter-erbjudande-2026/"
        assert scrub.scrub_path(path) == path

    def test_path_parameters_are_dropped(self) -> None:
        assert scrub.scrub_path("/kassa;jsessionid=A1B2C3/steg-2") == "/kassa/steg-2"

    def test_an_address_inside_a_segment_takes_the_segment(self) -> None:
        assert scrub.scrub_path("/avregistrera-anna@example.se") == f"/{PLACEHOLDER}"


class TestQuery:
    @pytest.mark.parametrize("value", PERSONAL.values(), ids=PERSONAL.keys())
    def test_a_pair_with_a_personal_value_is_dropped(self, value: str) -> None:
        query = f"utm_source=nyhetsbrev&q={value.replace(' ', '+')}&sida=2"
        assert scrub.scrub_query(query) == [("utm_source", "nyhetsbrev"), ("sida", "2")]

    @pytest.mark.parametrize(
        "key",
        ["token", "access_token", "apiKey", "code", "session", "password", "auth", "sig",
         "email", "user_email", "telefon", "gclid", "fbclid"],
    )  # fmt: skip
    def test_a_pair_with_a_sensitive_key_is_dropped_whatever_its_value(self, key: str) -> None:
        assert scrub.scrub_query(f"{key}=abc&sida=2") == [("sida", "2")]

    def test_keys_that_only_contain_a_sensitive_word_stay(self) -> None:
        assert scrub.scrub_query("keyword=vinter&monkey=1") == [
            ("keyword", "vinter"),
            ("monkey", "1"),
        ]

    def test_a_plus_kept_as_plus_still_finds_the_number(self) -> None:
        assert scrub.scrub_query("q=%2B46701234567") == []
        assert scrub.scrub_query("q=+46701234567") == []  # '+' read as a space


class TestPageAddresses:
    """What the collector stores of a page address (ingest.read_page)."""

    @pytest.mark.parametrize("value", PERSONAL.values(), ids=PERSONAL.keys())
    def test_utm_values_with_personal_data_are_dropped(self, value: str) -> None:
        encoded = quote(value, safe="")
        page = f"/e?utm_source=nyhetsbrev&utm_campaign={encoded}&utm_content={encoded}"
        assert ingest.read_page(page) == ("/e", ("nyhetsbrev", None, None, None, None))

    def test_every_utm_value_is_kept_and_nothing_else(self) -> None:
        page = (
            "/e?utm_source=fb&utm_medium=social&utm_campaign=vinter&utm_term=bredband"
            "&utm_content=banner-a&q=anna&sida=2#anna@example.se"
        )
        assert ingest.read_page(page) == ("/e", ("fb", "social", "vinter", "bredband", "banner-a"))

    def test_the_path_is_scrubbed(self) -> None:
        path, _ = ingest.read_page("/kund/811218-9876/faktura?utm_source=x")
        assert path == f"/kund/{PLACEHOLDER}/faktura"


class TestReferrers:
    @pytest.mark.parametrize(
        ("referrer", "site"),
        [
            ("https://www.google.se/search?q=anna%40example.se", "google.se"),
            ("https://l.facebook.com/l.php?u=https%3A%2F%2Fx.se&h=AT0abc", "l.facebook.com"),
            ("http://anna:hemligt@Example.COM:8080/p?email=anna@example.se#x", "example.com"),
            ("duckduckgo.com", "duckduckgo.com"),
            ("android-app://com.google.android.gm/", "com.google.android.gm"),
            ("https://192.0.2.7/intern", None),
            ("https://[2001:db8::1]/", None),
            ("https://0701234567.example.se/", None),
            ("not an address", None),
            ("https://", None),
            ("", None),
        ],
    )
    def test_a_referrer_is_reduced_to_its_site(self, referrer: str, site: str | None) -> None:
        assert scrub.referrer_site(referrer) == site

    def test_the_site_itself_is_no_referrer(self) -> None:
        own = "https://www.exempel.se"
        assert scrub.referrer_site("https://exempel.se/a?b=c", own_site=own) is None
        assert scrub.referrer_site("https://bing.com/", own_site=own) == "bing.com"

    def test_site_of_an_origin_header(self) -> None:
        assert scrub.site_of("https://www.exempel.se") == "exempel.se"
        assert scrub.site_of(None) is None
