"""Values as people read them on the staff pages (issue 15 item 7): amounts in the page's
language, as the registerutdrag PDF writes them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from dataskydd.formatting import format_amount, format_count
from dataskydd.web import i18n
from dataskydd.web.templating import make_templates


@pytest.mark.parametrize(
    ("value", "sv", "en"),
    [
        (Decimal("379"), "379,00", "379.00"),
        (Decimal("1379.5"), "1\u00a0379,50", "1,379.50"),
        (Decimal("-1234567.891"), "-1\u00a0234\u00a0567,89", "-1,234,567.89"),
        (Decimal("0.00"), "0,00", "0.00"),
    ],
)
def test_amounts_in_each_language(value: Decimal, sv: str, en: str) -> None:
    assert format_amount(value, "sv") == sv
    assert format_amount(value, "en") == en


@pytest.mark.parametrize(
    ("value", "sv", "en"),
    [
        (0, "0", "0"),
        (999, "999", "999"),
        (1500, "1\u00a0500", "1,500"),
        (-12345, "-12\u00a0345", "-12,345"),
    ],
)
def test_counts_in_each_language(value: int, sv: str, en: str) -> None:
    assert format_count(value, "sv") == sv
    assert format_count(value, "en") == en


@pytest.mark.parametrize(("lang", "shown"), [("sv", "379,00"), ("en", "379.00")])
def test_the_plain_filter_follows_the_page_language(lang: str, shown: str) -> None:
    template = make_templates().env.from_string("{{ value|plain }}")
    token = i18n.current_language.set(lang)  # type: ignore[arg-type]
    try:
        assert template.render(value=Decimal("379.00")) == shown
    finally:
        i18n.current_language.reset(token)
