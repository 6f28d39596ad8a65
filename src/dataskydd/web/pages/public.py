"""Public pages: the privacy notice rendered from the policy, how to ask for a copy."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dataskydd.policy.notice import render_notice
from dataskydd.web.deps import PolicyDep

router = APIRouter(include_in_schema=False)

ACCESS_REQUEST_PATH = "/registerutdrag"
NOTICE_CSS = "/static/notice.css"


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
        )
    )
