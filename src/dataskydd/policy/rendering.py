"""The Jinja2 environments shared by the notice and the record of processing."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

from markupsafe import Markup

if TYPE_CHECKING:
    from jinja2 import Environment


@lru_cache(maxsize=2)
def environment(*, html: bool) -> Environment:
    # Imported here: every command imports the policy package, few render a text from it.
    from jinja2 import Environment, PackageLoader, StrictUndefined

    # StrictUndefined: a misspelt variable in a template fails the tests instead of leaving a
    # silent gap in a legal text.
    env = Environment(
        loader=PackageLoader("dataskydd.policy", "templates"),
        # Markdown output is plain text for a site generator; HTML escaping would corrupt it.
        autoescape=html,  # noqa: S701
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["squash"] = squash
    env.filters["href"] = href
    env.filters["link_text"] = link_text
    return env


def squash(value: str) -> str:
    """Collapse template indentation and line breaks into single spaces.

    Needed for Markdown, where an indented line would become a code block; keeps Markup
    as Markup so that autoescaping does not escape already-rendered HTML twice.
    """
    text = " ".join(str(value).split())
    # Already-escaped input stays marked safe; re-wrapping it does not unescape anything.
    return Markup(text) if isinstance(value, Markup) else text  # noqa: S704


def href(address: str) -> str:
    """A link target for a web address written without a scheme ("www.imy.se")."""
    return address if re.match(r"^[a-z]+:", address) else f"https://{address}"


def link_text(address: str) -> str:
    return re.sub(r"^https?://", "", address).rstrip("/")


def tidy_markdown(text: str) -> str:
    """Strip template indentation and keep at most one blank line between blocks."""
    lines = [line.strip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"
