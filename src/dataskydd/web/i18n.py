"""Swedish first, English second: gettext catalogs (.po files) selected per request.

Message ids are English; `locales/sv/LC_MESSAGES/*.po` hold the Swedish, one file per area of
the app. They are merged and compiled in memory at start-up, so no binary .mo files are kept in
the repository. polib does the reading and compiling: Babel, which the catalogue tests use to
extract messages, would add 35 MB of locale data to every install for this alone (issue 13).
"""

from __future__ import annotations

from contextvars import ContextVar

# The catalogues are loaded below the web layer: the domains translate stored texts too.
from dataskydd.catalogues import translations as translations
from dataskydd.policy.schema import Lang

DEFAULT_LANGUAGE: Lang = "sv"
LANGUAGES: tuple[Lang, ...] = ("sv", "en")
current_language: ContextVar[Lang] = ContextVar("current_language", default=DEFAULT_LANGUAGE)


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
