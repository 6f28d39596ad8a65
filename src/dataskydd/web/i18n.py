"""Swedish first, English second: gettext catalogs (.po files) selected per request.

Message ids are English; `locales/sv/LC_MESSAGES/*.po` hold the Swedish, one file per area of
the app. They are merged and compiled in memory at start-up, so no binary .mo files are kept in
the repository. polib does the reading and compiling: Babel, which the catalogue tests use to
extract messages, would add 35 MB of locale data to every install for this alone (issue 13).
"""

from __future__ import annotations

import gettext
import io
from contextvars import ContextVar
from functools import cache
from importlib import resources

import polib

from dataskydd.policy.schema import Lang

DEFAULT_LANGUAGE: Lang = "sv"
LANGUAGES: tuple[Lang, ...] = ("sv", "en")
current_language: ContextVar[Lang] = ContextVar("current_language", default=DEFAULT_LANGUAGE)


@cache
def translations(lang: Lang) -> gettext.NullTranslations:
    if lang == "en":
        return gettext.NullTranslations()
    folder = resources.files("dataskydd.web").joinpath(f"locales/{lang}/LC_MESSAGES")
    catalog = polib.POFile()
    # Each file's header names the charset and the plural rule; the .mo carries them over.
    catalog.metadata = {"Content-Type": "text/plain; charset=UTF-8"}
    # Keyed by context and id: a message in two files is translated once, the later file's.
    messages: dict[tuple[str | None, str], polib.POEntry] = {}
    for source in sorted(folder.iterdir(), key=lambda item: item.name):
        if not source.name.endswith(".po"):
            continue
        po = polib.pofile(source.read_text(encoding="utf-8"))
        catalog.metadata.update(po.metadata)
        # Translated only: no fuzzy, obsolete or empty entries (as gettext's msgfmt).
        for entry in po.translated_entries():
            messages[entry.msgctxt, entry.msgid] = entry
    catalog.extend(messages.values())
    return gettext.GNUTranslations(io.BytesIO(catalog.to_binary()))


def gettext_(message: str) -> str:
    return translations(current_language.get()).gettext(message)


def ngettext_(singular: str, plural: str, count: int) -> str:
    return translations(current_language.get()).ngettext(singular, plural, count)


def pick_language(query: str | None, cookie: str | None) -> Lang:
    """The `?lang=` switch, then the remembered choice, else Swedish. The browser's
    Accept-Language is not used: the product is Swedish first, with English on request."""
    for candidate in (query, cookie):
        if candidate in LANGUAGES:
            return "sv" if candidate == "sv" else "en"
    return DEFAULT_LANGUAGE
