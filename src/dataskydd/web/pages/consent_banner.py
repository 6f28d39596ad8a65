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
    config = consent_service.banner_config(policy, lang=language)
    headers["Cache-Control"] = "public, max-age=300"
    return JSONResponse(config.model_dump(), headers=headers)
