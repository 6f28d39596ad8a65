"""Swedish first, English second: gettext catalogs (Babel .po files) selected per request.

Message ids are English; `locales/sv/LC_MESSAGES/*.po` hold the Swedish, one file per area of
the app. They are merged and compiled in memory at start-up, so no binary .mo files are kept in
the repository.
"""

from __future__ import annotations

import gettext
import io
from contextvars import ContextVar
from functools import cache
from importlib import resources

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from dataskydd.policy.schema import Lang

DEFAULT_LANGUAGE: Lang = "sv"
LANGUAGES: tuple[Lang, ...] = ("sv", "en")
current_language: ContextVar[Lang] = ContextVar("current_language", default=DEFAULT_LANGUAGE)


@cache
def translations(lang: Lang) -> gettext.NullTranslations:
    if lang == "en":
        return gettext.NullTranslations()
    folder = resources.files("dataskydd.web").joinpath(f"locales/{lang}/LC_MESSAGES")
    catalog = Catalog(locale=lang)
    for source in sorted(folder.iterdir(), key=lambda item: item.name):
        if not source.name.endswith(".po"):
            continue
        with source.open("rb") as handle:
            for message in read_po(handle, locale=lang):
                if message.id and message.string:
                    catalog[message.id] = message
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


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
