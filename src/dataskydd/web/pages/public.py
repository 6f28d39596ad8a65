"""Public pages: the privacy notice rendered from the policy, how to ask for a copy."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dataskydd.policy.notice import brand_stylesheet, render_notice
from dataskydd.web.deps import PolicyDep
from dataskydd.web.paths import ACCESS_REQUEST_PATH

router = APIRouter(include_in_schema=False)

NOTICE_CSS = "/static/notice.css"
# The company's colours (policy `branding`), linked by every public page.
BRANDING_CSS = "/branding.css"


@router.get("/")
def home() -> Response:
    return RedirectResponse("/start", status_code=303)


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
