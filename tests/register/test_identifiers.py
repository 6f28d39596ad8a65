"""Validation of Swedish identifiers and contact data: canonical forms and clear refusals."""

import pytest

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
