from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dataskydd.policy import load_bundled_policy, load_policy, render_notice
from dataskydd.policy.labels import legal_basis, transfer_mechanism
from dataskydd.policy.retention import describe_retention
from dataskydd.policy.schema import Lang

WritePolicy = Callable[[dict[str, Any]], Path]

RIGHTS: dict[str, list[str]] = {
    "sv": [
        "Rätt till tillgång (registerutdrag)",
        "Rätt till rättelse",
        "Rätt till radering",
        "Rätt till begränsning av behandling",
        "Rätt till dataportabilitet",
        "Rätt att invända",
        "direktmarknadsföring",
        "Rätt att återkalla samtycke",
        "påverkar inte lagligheten av behandlingen innan samtycket återkallades",
        "Klagomål till tillsynsmyndigheten",
        "rätt att lämna klagomål till tillsynsmyndigheten, Integritetsskyddsmyndigheten (IMY)",
    ],
    "en": [
        "Right of access",
        "Right to rectification",
        "Right to erasure",
        "Right to restriction of processing",
        "Right to data portability",
        "Right to object",
        "direct marketing",
        "Right to withdraw consent",
        "does not affect the lawfulness of processing before the consent was withdrawn",
        "lodge a complaint with the supervisory authority",
    ],
}
HEADINGS: dict[str, list[str]] = {
    "sv": [
        "Personuppgiftsansvarig",
        "Dataskyddsombud",
        "Vilka personuppgifter behandlar vi?",
        "Dina rättigheter",
        "Hur länge sparar vi uppgifterna?",
        "Vem delar vi uppgifterna med?",
        "Överföring till länder utanför EU/EES",
        "Måste du lämna dina personuppgifter?",
        "Automatiserade beslut och profilering",
        "Cookies och spårningsbilder",
    ],
    "en": [
        "Controller",
        "Data protection officer",
        "What personal data do we process?",
        "Your rights",
        "How long do we keep the data?",
        "Who do we share the data with?",
        "Transfers outside the EU/EEA",
        "Do you have to give us your personal data?",
        "Automated decision-making and profiling",
        "Cookies and tracking pixels",
    ],
}


def _plain(text: str) -> str:
    """Text without HTML tags and with HTML's escapes undone, for substring checks."""
    text = re.sub(r"<[^>]+>", " ", text)
    text = text.replace("&#34;", '"').replace("&#39;", "'").replace("&amp;", "&")
    return " ".join(text.split())


@pytest.mark.parametrize("fmt", ["html", "md"])
@pytest.mark.parametrize("lang", ["sv", "en"])
def test_notice_covers_every_article_13_item(lang: Lang, fmt: str) -> None:
    policy = load_bundled_policy()
    text = _plain(render_notice(policy, lang=lang, fmt=fmt))  # type: ignore[arg-type]
    assert policy.controller.name in text
    assert "Box 1" in text
    assert "473 21 Henån" in text
    assert "020-12 13 50" in text
    assert policy.dpo is not None
    assert policy.dpo.name in text
    assert "karl-fredrik.bjorklund@carler.se" in text
    for heading in HEADINGS[lang] + RIGHTS[lang]:
        assert heading in text, heading
    for purpose in policy.purposes.values():
        assert purpose.title.get(lang) in text
        assert legal_basis(purpose.legal_basis, lang) in text
        if purpose.legitimate_interest:
            assert purpose.legitimate_interest.get(lang) in text
    for category in policy.categories.values():
        assert describe_retention(category.retention, lang) in text
    for recipient in policy.recipients:
        assert recipient.name in text
        if recipient.in_third_country:
            assert transfer_mechanism(recipient.transfer_mechanism, lang) in text
    assert policy.supervisory_authority.name.get(lang) in text
    assert "www.imy.se" in text
    assert "15" in text  # the inactivity logout, in minutes
    assert ("6.1 a" in text) if lang == "sv" else ("6(1)(a)" in text)


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_html_notice_is_a_standalone_document_without_scripts(lang: Lang) -> None:
    html = render_notice(load_bundled_policy(), lang=lang, fmt="html")
    assert html.startswith("<!DOCTYPE html>")
    assert f'<html lang="{lang}">' in html
    assert "<script" not in html.lower()
    assert html.rstrip().endswith("</html>")
    assert '<a href="/registerutdrag">' in html
    assert '<a href="https://www.imy.se">www.imy.se</a>' in html


def test_swedish_notice_has_the_registerutdrag_link_with_a_custom_target() -> None:
    html = render_notice(load_bundled_policy(), fmt="html", access_request_href="/sv/utdrag")
    assert '<a href="/sv/utdrag">Begär registerutdrag</a>' in html
    md = render_notice(load_bundled_policy(), fmt="md")
    assert "[Begär registerutdrag](/registerutdrag)" in md


def test_markdown_notice_is_markdown() -> None:
    md = render_notice(load_bundled_policy(), lang="sv", fmt="md")
    assert md.startswith("# Omilon AB:s personuppgiftspolicy\n")
    assert "\n## Dina rättigheter\n" in md
    assert "\n| Uppgifter | Hur länge de sparas |\n| --- | --- |\n" in md
    assert "<p>" not in md
    assert "<h2>" not in md
    # No indented lines: Markdown would turn them into code blocks.
    assert not any(line.startswith("    ") for line in md.splitlines())
    assert "\n\n\n" not in md


def test_policy_texts_are_escaped_in_html(
    bundled_data: dict[str, Any], write_policy: WritePolicy
) -> None:
    bundled_data["purposes"]["marketing"]["title"]["sv"] = "Nyheter <script>alert(1)</script>"
    html = render_notice(load_policy(write_policy(bundled_data)), lang="sv", fmt="html")
    assert "<script>" not in html
    assert "Nyheter &lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_notice_states_when_nothing_leaves_the_eea(
    bundled_data: dict[str, Any], write_policy: WritePolicy
) -> None:
    bundled_data["recipients"] = [r for r in bundled_data["recipients"] if r["country"] == "SE"]
    text = render_notice(load_policy(write_policy(bundled_data)), lang="sv", fmt="md")
    assert "Vi överför inte personuppgifter till länder utanför EU/EES." in text


def test_notice_without_optional_texts_uses_neutral_defaults(
    bundled_data: dict[str, Any], write_policy: WritePolicy
) -> None:
    del bundled_data["notice"]
    del bundled_data["analytics"]
    text = render_notice(load_policy(write_policy(bundled_data)), lang="sv", fmt="md")
    assert "# Personuppgiftspolicy" in text
    assert "Måste du lämna dina personuppgifter?" in text
    assert "Cookies och spårningsbilder" not in text


def test_unsupported_language_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported language"):
        render_notice(load_bundled_policy(), lang="de", fmt="md")  # type: ignore[arg-type]
