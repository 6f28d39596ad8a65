"""Public pages: the privacy notice rendered from the policy, how to ask for a copy."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from dataskydd.policy.notice import brand_stylesheet, render_notice
from dataskydd.web.deps import PolicyDep
from dataskydd.web.paths import ACCESS_REQUEST_PATH, HOME_PATH
from dataskydd.web.templating import render

router = APIRouter(include_in_schema=False)

NOTICE_CSS = "/static/notice.css"
# The company's colours (policy `branding`), linked by every public page.
BRANDING_CSS = "/branding.css"


@router.get(HOME_PATH, response_class=HTMLResponse)
def home(request: Request) -> Response:
    """The company's privacy home for customers and visitors: the notice, a copy of one's
    data, Mina sidor. Staff sign in at /login; nothing here links there (issue 15)."""
    return render(request, "public/home.html", {"access_request_href": ACCESS_REQUEST_PATH})


@router.get("/integritetspolicy", response_class=HTMLResponse)
def notice_sv(policy: PolicyDep) -> HTMLResponse:
    return HTMLResponse(
        render_notice(
            policy,
            lang="sv",
            fmt="html",
            access_request_href=ACCESS_REQUEST_PATH,
            stylesheet_href=NOTICE_CSS,
            brand_stylesheet_href=BRANDING_CSS,
        )
    )


@router.get("/en/privacy", response_class=HTMLResponse)
def notice_en(policy: PolicyDep) -> HTMLResponse:
    return HTMLResponse(
        render_notice(
            policy,
            lang="en",
            fmt="html",
            access_request_href=ACCESS_REQUEST_PATH,
            stylesheet_href=NOTICE_CSS,
            brand_stylesheet_href=BRANDING_CSS,
        )
    )


@router.get(BRANDING_CSS)
def branding_css(policy: PolicyDep) -> Response:
    # A stylesheet rather than an inline <style>: the Content-Security-Policy allows styles
    # only from the app's own files.
    return Response(
        brand_stylesheet(policy.branding),
        media_type="text/css",
        headers={"Cache-Control": "public, max-age=300"},
    )
