"""Swedish first, English complete: every message the pages, the web layer and the domains
mark for translation has its Swedish text, with the same placeholders.

The messages are found the way a translator's tool finds them (Babel's extraction over the
templates and all of the package's Python, with `Msg` for the messages built from values that
domain errors carry), so a new string without a Swedish line fails here rather than showing up
in English on a Swedish page.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from dataskydd.messages_i18n import placeholders

SOURCE = Path(__file__).resolve().parents[2] / "src" / "dataskydd"
SWEDISH = SOURCE / "web" / "locales" / "sv" / "LC_MESSAGES"
KEYWORDS = {
    "_": None,
    "gettext_": None,
    "ngettext_": (1, 2),
    "gettext": None,
    "ngettext": (1, 2),
    "Msg": None,
}
TEMPLATES = "web/templates/**.html"
METHODS = [(TEMPLATES, "jinja2.ext:babel_extract"), ("**.py", "python")]
OPTIONS = {TEMPLATES: {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true"}}

Message = str | tuple[str, str]


def _marked() -> Iterator[tuple[Message, str]]:
    for filename, lineno, message, _comments, _context in extract_from_dir(
        SOURCE, METHODS, OPTIONS, KEYWORDS
    ):
        if isinstance(message, tuple):
            singular, plural = message[0], message[1]
            if singular and plural:
                yield (singular, plural), f"{filename}:{lineno}"
        elif message:
            yield message, f"{filename}:{lineno}"


def _swedish() -> Catalog:
    merged = Catalog(locale="sv")
    for po in sorted(SWEDISH.glob("*.po")):
        with po.open("rb") as handle:
            for message in read_po(handle, locale="sv"):
                if message.id:
                    merged[message.id] = message
    return merged


def test_extraction_finds_the_pages_messages() -> None:
    # Guards the test itself: an extractor that found nothing would pass everything below.
    found = dict(_marked())
    assert len(found) > 300
    assert any(isinstance(message, tuple) for message in found)
    # The domains' error messages, by their `Msg` templates.
    assert "request {request_id} does not exist" in found
    assert any(where.startswith("access/") for where in found.values())


def test_swedish_keeps_the_brace_placeholders() -> None:
    # `Msg` templates are filled with str.format after translation: a placeholder lost or
    # renamed in Swedish would fall back to English (messages_i18n.Msg.render).
    catalog = _swedish()
    problems = []
    for message, where in _marked():
        entry = catalog.get(message) if isinstance(message, str) else None
        if entry is None or not isinstance(entry.string, str) or "{" not in message:
            continue
        if placeholders(message) != placeholders(entry.string):
            problems.append(f"{where}: {message!r} -> {entry.string!r}")
    assert not problems, "\n".join(problems)


def test_every_marked_message_has_swedish() -> None:
    catalog = _swedish()
    missing = []
    for message, where in _marked():
        key = message[0] if isinstance(message, tuple) else message
        entry = catalog.get(key)
        strings = () if entry is None else entry.string
        texts = strings if isinstance(strings, tuple) else (strings,)
        complete = (
            entry is not None
            and all(texts)
            and (isinstance(message, str) or isinstance(entry.id, tuple))
        )
        if not complete:
            missing.append(f"{where}: {message!r}")
    assert not missing, "no Swedish for:\n" + "\n".join(sorted(set(missing)))


@pytest.mark.parametrize("po", sorted(SWEDISH.glob("*.po")), ids=lambda path: path.name)
def test_swedish_keeps_the_placeholders(po: Path) -> None:
    with po.open("rb") as handle:
        catalog = read_po(handle, locale="sv")
    problems = [
        f"{po.name}: {message.id!r}: {error}"
        for message, errors in catalog.check()
        for error in errors
    ]
    assert not problems, "\n".join(problems)
