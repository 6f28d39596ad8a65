"""No words in the page templates outside a translation call: the text a reader sees (and the
`title`, `alt`, `placeholder` and `aria-label` a screen reader reads) comes from `_()` or a
`{% trans %}` block, so a Swedish page never shows an English sentence someone forgot to mark.

Jinja's own lexer splits each template into its text and its tags, so `{{ _("…") }}` and
`{% trans %}` are told apart from text exactly; the text is then read as HTML, without the
contents of `<script>` and `<style>`. What may stand untranslated is listed below: names,
formats and technical terms that are the same in both languages, never words of a sentence.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from jinja2 import Environment

TEMPLATES = Path(__file__).resolve().parents[1] / "src" / "dataskydd" / "web" / "templates"
# The demo company's own web site (`dataskydd demo`), written in both of its languages side by
# side: its text is the fictional company's, not the product's.
OWN_LANGUAGES = ("demo_site/",)
# Not words of a sentence: the product's and the demo company's names, the language names in
# their own language, file formats and protocol terms, date formats, Swedish law references.
NOT_WORDS = {
    "dataskydd",
    "English",
    "Svenska",
    "CSV",
    "JSON",
    "PDF",
    "SHA-256",
    "OpenAPI",
    "/openapi.json",
    "Authorization",
    "Bearer",
    "YYYY-MM-DD",
    "HH:MM",
    "RB",
    "OSL",
    "kap",
}
VISIBLE_ATTRIBUTES = {"title", "alt", "placeholder", "aria-label"}
_LETTER = re.compile(r"[^\W\d_]")
_WORD = re.compile(r"[/\w][\w./:-]*")


def _words(text: str) -> list[str]:
    return [
        word.rstrip(".:")
        for word in _WORD.findall(text)
        if _LETTER.search(word) and word.rstrip(".:") not in NOT_WORDS
    ]


class _Text(HTMLParser):
    """The visible text of an HTML fragment, with its line."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hidden: list[str] = []
        self.found: list[tuple[int, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self.hidden.append(tag)
        for name, value in attrs:
            if name in VISIBLE_ATTRIBUTES and value and _words(value):
                self.found.append((self.getpos()[0], f'{name}="{value}"'))

    def handle_endtag(self, tag: str) -> None:
        if self.hidden and self.hidden[-1] == tag:
            self.hidden.pop()

    def handle_data(self, data: str) -> None:
        if not self.hidden and _words(data):
            self.found.append((self.getpos()[0], data.strip()))


def untranslated_text(source: str) -> list[tuple[int, str]]:
    """(line, text) of each piece of text outside `_()`, `{{ … }}` and `{% trans %}`."""
    environment = Environment(extensions=["jinja2.ext.i18n"], autoescape=True)
    text: list[str] = []  # the template's text, each tag kept as its line breaks only
    in_trans = False
    for _line, kind, value in environment.lex(source):
        if kind == "data" and not in_trans:
            text.append(value)
            continue
        if kind == "name" and value in ("trans", "pluralize", "endtrans"):
            in_trans = value != "endtrans"
        text.append("\n" * str(value).count("\n"))
    parser = _Text()
    parser.feed("".join(text))
    parser.close()
    return parser.found


def _templates() -> list[Path]:
    return [
        path
        for path in sorted(TEMPLATES.rglob("*.html"))
        if not path.relative_to(TEMPLATES).as_posix().startswith(OWN_LANGUAGES)
    ]


@pytest.mark.parametrize(
    "source",
    [
        "<p>Saved.</p>",
        '<p>{{ _("Saved.") }} and more</p>',
        '<input placeholder="your name">',
        "{% if x %}<td>none</td>{% endif %}",
    ],
)
def test_the_check_finds_text_outside_translation(source: str) -> None:
    assert untranslated_text(source)


@pytest.mark.parametrize(
    "source",
    [
        '<p>{{ _("Saved.") }}</p>',
        "{% trans count=n %}one file{% pluralize %}{{ count }} files{% endtrans %}",
        '<a href="/x" class="button">{{ name }}</a> · 3 / 4',
        "<script>var label = 'not shown';</script><style>p { color: red }</style>",
        '<input placeholder="YYYY-MM-DD"> <abbr title="{{ _("Portable") }}">PDF</abbr>',
    ],
)
def test_the_check_accepts_translated_text_and_non_words(source: str) -> None:
    assert untranslated_text(source) == []


def test_the_templates_are_found() -> None:
    assert len(_templates()) > 50


def test_no_template_has_untranslated_text() -> None:
    found = [
        f"{path.relative_to(TEMPLATES)}:{line}: {text[:80]!r}"
        for path in _templates()
        for line, text in untranslated_text(path.read_text(encoding="utf-8"))
    ]
    assert not found, "text outside a translation call:\n" + "\n".join(found)
