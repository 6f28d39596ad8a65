"""The embeddable banner: /consent.js, its stylesheet, and its texts per language as JSON.

Any website adds `<script src="https://<this host>/consent.js" defer></script>`. The script
and stylesheet are static files of this package, served with a short public cache so that a
changed banner reaches visitors within the hour.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from dataskydd.consent import service as consent_service
from dataskydd.web import i18n
from dataskydd.web.api.collect import cors_headers, refused_origin
from dataskydd.web.deps import PolicyDep

router = APIRouter(include_in_schema=False)

_CACHE = "public, max-age=3600"


@cache
def _asset(name: str) -> bytes:
    return resources.files("dataskydd.web").joinpath(f"static/{name}").read_bytes()


def _served(name: str, media_type: str) -> Response:
    return Response(
        _asset(name),
        media_type=media_type,
        headers={"Cache-Control": _CACHE, "Cross-Origin-Resource-Policy": "cross-origin"},
    )


@router.get("/consent.js")
def consent_script() -> Response:
    return _served("consent.js", "text/javascript; charset=utf-8")


@router.get("/consent.css")
def consent_stylesheet() -> Response:
    return _served("consent.css", "text/css; charset=utf-8")


def banner_words() -> dict[str, str]:
    """The software's own texts in the banner, in the current language: the cookie table's
    headings, the banner's own storage, and what is said after a choice."""
    _ = i18n.gettext_
    return {
        "cookies": _("Cookies and stored data"),
        "name": _("Name"),
        "provider": _("Set by"),
        "lifetime": _("Kept for"),
        "purpose": _("What it does"),
        "first_party": _("this website"),
        "consent_cookie": _(
            "Remembers your choice about cookies and which text it was made under."
        ),
        "consent_cookie_lifetime": _("%(days)d days") % {"days": consent_service.COOKIE_DAYS},
        "visit_id": _("A random id that links the pages of one visit, to measure visits."),
        "visit_id_lifetime": _("until the tab is closed, or 30 minutes without activity"),
        "saved": _("Your choice is saved. You can change it under cookie settings."),
    }


@router.get("/consent/config")
def banner_config(
    request: Request,
    policy: PolicyDep,
    language: Annotated[Literal["sv", "en"], Query()] = "sv",
) -> Response:
    """The policy's banner texts and text version; `language` follows the page's lang."""
    headers = cors_headers(request)
    if headers is None:
        return refused_origin("this origin may not use the consent banner")
    token = i18n.current_language.set(language)
    try:
        words = banner_words()
    finally:
        i18n.current_language.reset(token)
    config = consent_service.banner_config(policy, lang=language, words=words)
    headers["Cache-Control"] = "public, max-age=300"
    return JSONResponse(config.model_dump(), headers=headers)
