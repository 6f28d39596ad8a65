"""Translatable messages built from values: an English msgid with `{named}` placeholders and
the values that fill them, translated late, in the reader's language.

`Msg("unknown purpose {key}", key=key)` is the English text itself (a `str`: logs, the CLI
and code that compares texts see English), and keeps its template and values, so a page or
the API can look the template up in the gettext catalogues and then fill in the values.
`Msg` is an extraction keyword: the catalogue tests find every template and require Swedish.

Values name fields, rules and keys of the policy, never personal data (a name, an e-mail
address, a personnummer): a message is shown to users and written to logs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from functools import cache
from pathlib import PurePath
from re import Pattern
from string import Formatter
from typing import Self

# A value that fills a placeholder (a path or a time in a staff member's message); a `Msg`
# value is translated in turn.
Param = str | int | float | date | PurePath | None


class Msg(str):
    """The English text of a message; `.template` and `.params` render it in another language."""

    template: str
    params: Mapping[str, Param]

    def __new__(cls, template: str, /, **params: Param) -> Self:
        text = super().__new__(cls, template.format_map(params) if params else template)
        text.template = template
        text.params = params
        return text

    def render(self, gettext: Callable[[str], str]) -> str:
        """The message in the language of `gettext`: its template translated, then filled
        (a template without an entry, or whose entry breaks the placeholders, stays English)."""
        values = {
            name: value.render(gettext) if isinstance(value, Msg) else value
            for name, value in self.params.items()
        }
        translated = gettext(self.template)
        if not values:
            return translated
        try:
            return translated.format_map(values)
        except (KeyError, IndexError, ValueError):
            return self.template.format_map(values)

    def fill(self, **params: Param) -> Msg:
        """This message's template with values: for a message marked once as a constant and
        made in several places (or read back from stored text, `read_back`)."""
        return Msg(self.template, **params)

    def __reduce__(self) -> tuple[object, ...]:
        # Pickled (jobs carry errors across processes) as the template and its values.
        return (_rebuild, (self.template, dict(self.params)))


def _rebuild(template: str, params: dict[str, Param]) -> Msg:
    return Msg(template, **params)


def as_msg(text: str) -> Msg:
    """A text that is already a message stays one; any other text is an untranslated one
    (a third-party library's message, passed on as it is)."""
    return text if isinstance(text, Msg) else Msg(text)


def reason_of(error: Exception) -> Msg:
    """The message a ValueError (or another exception) was raised with: a `Msg` when the
    code raised one, else its text as an untranslated message."""
    first = error.args[0] if len(error.args) == 1 else None
    return first if isinstance(first, Msg) else as_msg(str(error))


def joined(parts: Iterable[str], separator: str = "; ") -> Msg:
    """Messages one after the other, each translated with the whole."""
    values = {f"part{n}": part for n, part in enumerate(parts)}
    return Msg(separator.join(f"{{{name}}}" for name in values), **values)


def placeholders(template: str) -> set[str]:
    """The names of a template's `{placeholders}`."""
    return {name for _text, name, _spec, _conv in Formatter().parse(template) if name}


def template_pattern(
    template: str, choices: Mapping[str, Iterable[str]] | None = None
) -> Pattern[str]:
    """A regular expression matching the texts `template` makes: its words as they are, each
    placeholder as little text as it can (or one of `choices[name]`, where given)."""
    parts = re.split(r"\{(\w+)\}", template)
    known = choices or {}
    regex = "".join(
        re.escape(part)
        if index % 2 == 0
        else f"(?P<{part}>{'|'.join(map(re.escape, known[part]))})"
        if part in known
        else f"(?P<{part}>.+?)"
        for index, part in enumerate(parts)
    )
    return re.compile(f"^{regex}$", re.DOTALL)


def read_back(text: str, templates: Iterable[str]) -> Msg:
    """A text one of `templates` (English msgids) made, stored or given as plain text, as that
    message with its values again, so that it can be shown in another language; a value that
    one of them made is read back in turn (a message inside a message). Any other text:
    `as_msg(text)`."""
    listed = tuple(templates)
    found = _read(text, listed)
    return found if found is not None else as_msg(text)


def _read(text: str, templates: tuple[str, ...]) -> Msg | None:
    for template in templates:
        found = _cached_pattern(template).match(text)
        if found is not None:
            values: dict[str, Param] = {}
            for name, value in found.groupdict().items():
                values[name] = _read(value, templates) or value
            return Msg(template, **values)
    return None


@cache
def _cached_pattern(template: str) -> Pattern[str]:
    return template_pattern(template)
