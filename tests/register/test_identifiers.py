"""Validation of Swedish identifiers and contact data: canonical forms and clear refusals."""

import re
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dataskydd.register import identifiers


class TestPersonnummer:
    @pytest.mark.parametrize(
        "given", ["811228-9874", "8112289874", "19811228-9874", "198112289874", " 811228 9874 "]
    )
    def test_accepts_every_common_spelling_as_twelve_digits(self, given: str) -> None:
        assert identifiers.normalise_personnummer(given) == "198112289874"

    def test_centenarian_plus_sign_moves_the_century(self) -> None:
        assert identifiers.normalise_personnummer("811228+9874") == "188112289874"

    def test_samordningsnummer_keeps_day_plus_sixty(self) -> None:
        canonical = identifiers.normalise_personnummer("701063-2391")
        assert canonical == "197010632391"
        assert identifiers.is_coordination_number(canonical)
        assert identifiers.birth_date(canonical).isoformat() == "1970-10-03"

    @pytest.mark.parametrize(
        ("given", "rule"),
        [
            ("811228-9875", "wrong check digit"),
            ("811328-9874", "impossible date"),
            ("810230-9874", "impossible date"),
            ("701093-2391", "impossible date"),
            ("701063-2392", "wrong check digit"),
            ("81122-9874", "not a personnummer"),
            ("abcdef-ghij", "not a personnummer"),
            ("", "not a personnummer"),
        ],
    )
    def test_refuses_with_the_rule_and_without_the_value(self, given: str, rule: str) -> None:
        with pytest.raises(ValueError, match=rule) as caught:
            identifiers.normalise_personnummer(given)
        assert given.strip() == "" or given not in str(caught.value)

    def test_masking_hides_the_last_four_digits(self) -> None:
        assert identifiers.mask_personnummer("198112289874") == "19811228-XXXX"


class TestOtherIdentifiers:
    def test_organisationsnummer_is_formatted_with_hyphen(self) -> None:
        assert identifiers.normalise_organisationsnummer("5560360793") == "556036-0793"

    @pytest.mark.parametrize("given", ["556036-0794", "12345", "556036-07x3"])
    def test_organisationsnummer_refused(self, given: str) -> None:
        with pytest.raises(ValueError, match="organisationsnummer"):
            identifiers.normalise_organisationsnummer(given)

    @pytest.mark.parametrize(
        ("given", "expected"),
        [
            ("020-12 13 50", "+4620121350"),
            ("070-123 45 67", "+46701234567"),
            ("+47 22 12 34 56", "+4722123456"),
        ],
    )
    def test_phone_is_e164(self, given: str, expected: str) -> None:
        assert identifiers.normalise_phone(given) == expected

    @pytest.mark.parametrize("given", ["070-12", "phone", "+46 0000000000000"])
    def test_phone_refused(self, given: str) -> None:
        with pytest.raises(ValueError, match="phone number"):
            identifiers.normalise_phone(given)

    def test_email_is_lower_cased(self) -> None:
        assert identifiers.normalise_email("Anna.Svensson@Example.SE") == "anna.svensson@example.se"

    @pytest.mark.parametrize("given", ["anna@", "@example.se", "anna example.se", "a@b@c.se"])
    def test_email_refused(self, given: str) -> None:
        with pytest.raises(ValueError, match="e-mail"):
            identifiers.normalise_email(given)

    @pytest.mark.parametrize("given", ["47321", "473 21"])
    def test_postal_code_is_nnn_nn(self, given: str) -> None:
        assert identifiers.normalise_postal_code(given) == "473 21"

    @pytest.mark.parametrize("given", ["4732", "07321", "ABC DE", "473211"])
    def test_postal_code_refused(self, given: str) -> None:
        with pytest.raises(ValueError, match="postal code"):
            identifiers.normalise_postal_code(given)

    def test_mac_and_ip(self) -> None:
        assert identifiers.normalise_mac("00-1A-2B-3C-4D-5E") == "00:1a:2b:3c:4d:5e"
        assert identifiers.normalise_ip(" 2001:DB8::1 ") == "2001:db8::1"
        with pytest.raises(ValueError, match="MAC"):
            identifiers.normalise_mac("00:1A:2B")
        with pytest.raises(ValueError, match="IP"):
            identifiers.normalise_ip("300.1.1.1")

    def test_any_well_formed_mac_address(self) -> None:
        """The maker's prefix is not looked up: 02:… is locally administered, and a
        universally administered prefix the bundled registry does not know is still one."""
        assert identifiers.normalise_mac("02:00:00:00:00:01") == "02:00:00:00:00:01"
        assert identifiers.normalise_mac("FC-FF-FF-00-00-01") == "fc:ff:ff:00:00:01"

    def test_an_ipv6_zone_is_refused(self) -> None:
        with pytest.raises(ValueError, match="IP"):
            identifiers.normalise_ip("fe80::1%eth0")


def _accepts(normalise: Callable[[str], str], value: str) -> bool:
    try:
        normalise(value)
    except ValueError:
        return False
    return True


def _matches(pattern: str, value: str) -> bool:
    # As JSON Schema reads it (ECMA-262): `$` is the end, not the end or before a last "\n".
    return re.search(pattern.removesuffix("$") + r"\Z", value) is not None


def _spelled(alphabet: str, parts: int) -> st.SearchStrategy[str]:
    return st.text(alphabet=alphabet, max_size=parts)


class TestSchemaPatterns:
    """The patterns /openapi.json states accept exactly what the functions accept (for text
    without control characters: the API refuses those first, whatever the field)."""

    @settings(max_examples=500, deadline=None)
    @given(
        value=st.one_of(
            _spelled("0123456789 -sSeEx", 14),
            st.from_regex(identifiers.POSTAL_CODE_PATTERN, fullmatch=True),
        )
    )
    def test_postal_code(self, value: str) -> None:
        expected = _accepts(identifiers.normalise_postal_code, value)
        assert _matches(identifiers.POSTAL_CODE_PATTERN, value) == expected

    @settings(max_examples=500, deadline=None)
    @given(
        value=st.one_of(
            _spelled("0aF9g:- ", 24),
            st.lists(_spelled("0aF9g ", 3), min_size=5, max_size=7).map(":".join),
            st.from_regex(identifiers.MAC_PATTERN, fullmatch=True),
        )
    )
    def test_mac_address(self, value: str) -> None:
        expected = _accepts(identifiers.normalise_mac, value)
        assert _matches(identifiers.MAC_PATTERN, value) == expected
