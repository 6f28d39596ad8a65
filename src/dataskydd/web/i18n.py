"""Swedish first, English second: gettext catalogs (.po files) selected per request.

Message ids are English; `locales/sv/LC_MESSAGES/*.po` hold the Swedish, one file per area of
the app. They are merged and compiled in memory at start-up, so no binary .mo files are kept in
the repository. polib does the reading and compiling: Babel, which the catalogue tests use to
extract messages, would add 35 MB of locale data to every install for this alone (issue 13).
"""

from __future__ import annotations

from contextvars import ContextVar

from markupsafe import escape

# The catalogues are loaded below the web layer: the domains translate stored texts too.
from dataskydd.catalogues import translations as translations
from dataskydd.messages_i18n import Msg
from dataskydd.policy.schema import Lang

DEFAULT_LANGUAGE: Lang = "sv"
LANGUAGES: tuple[Lang, ...] = ("sv", "en")
current_language: ContextVar[Lang] = ContextVar("current_language", default=DEFAULT_LANGUAGE)


def gettext_(message: str) -> str:
    """A message in the request's language; a `Msg` (built from values) is looked up by its
    template and then filled."""
    gettext = translations(current_language.get()).gettext
    return message.render(gettext) if isinstance(message, Msg) else gettext(message)


def template_gettext(message: str) -> str:
    """`_()` in the templates: as `gettext_`, but a `Msg`'s text is escaped here (its values
    may come from the request) and its `%` kept from Jinja's formatting."""
    if not isinstance(message, Msg):
        return gettext_(message)
    return escape(gettext_(message)).replace("%", "%%")


def finalize(value: object) -> object:
    """Every `{{ … }}` of the templates: a `Msg` put in a page's context as it is (an error's
    message) is shown in the request's language, escaped like any other value."""
    return gettext_(value) if isinstance(value, Msg) else value


def ngettext_(singular: str, plural: str, count: int) -> str:
    return translations(current_language.get()).ngettext(singular, plural, count)


def pick_language(query: str | None, cookie: str | None) -> Lang:
    """The `?lang=` switch, then the remembered choice, else Swedish. The browser's
    Accept-Language is not used: the product is Swedish first, with English on request."""
    for candidate in (query, cookie):
        if candidate in LANGUAGES:
            return "sv" if candidate == "sv" else "en"
    return DEFAULT_LANGUAGE
