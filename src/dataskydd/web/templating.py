"""Jinja2 templates with gettext, Swedish date formats and masking filters."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any
from urllib.parse import urlencode

from fastapi import Response
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader, select_autoescape

from dataskydd.formatting import format_amount, format_moment
from dataskydd.web import i18n


def _format_time(value: datetime | date | None) -> str:
    return "" if value is None else format_moment(value)


def _plain(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return _format_time(value)
    if isinstance(value, Decimal):
        return format_amount(value, i18n.current_language.get())
    return str(getattr(value, "value", value))


def language_href(request: Any, lang: str) -> str:
    """The page the visitor is on, in another language: the query string kept (a customer
    view needs its purpose, a search its terms), only `lang` replaced."""
    kept = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    return "?" + urlencode([*kept, ("lang", lang)])


@cache
def make_templates() -> Jinja2Templates:
    """One environment per process: every app built in it shares the compiled templates
    (nothing in it depends on the app; the test suite builds an app per test)."""
    env = Environment(
        loader=PackageLoader("dataskydd.web", "templates"),
        autoescape=select_autoescape(["html"]),
        finalize=i18n.finalize,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(i18n.template_gettext, i18n.ngettext_, newstyle=True)  # type: ignore[attr-defined]
    env.filters["time"] = _format_time
    env.filters["plain"] = _plain
    env.globals["language_href"] = language_href
    return Jinja2Templates(env=env)


def render(
    request: Any,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    principal: Any = None,
    status_code: int = 200,
) -> Response:
    """A page with what every template needs: the signed-in staff member, the CSRF token,
    the language and the permissions that decide which menu entries exist."""
    full = {
        "principal": principal,
        "csrf_token": principal.csrf_token if principal is not None else None,
        "permissions": {p.value for p in principal.context.permissions} if principal else set(),
        "lang": i18n.current_language.get(),
        "policy": request.app.state.policy,
        "inactivity_seconds": int(request.app.state.inactivity_timeout.total_seconds()),
    }
    full.update(context or {})
    templates: Jinja2Templates = request.app.state.templates
    response: Response = templates.TemplateResponse(request, name, full, status_code=status_code)
    return response
