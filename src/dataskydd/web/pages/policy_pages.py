"""The policy as staff read it: overview, preview of the public notice (GDPR art. 13–14) and
the record of processing activities (art. 30), as a page and as CSV."""

from __future__ import annotations

from dataclasses import astuple
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from dataskydd.auth.access import Permission
from dataskydd.policy import records_of_processing as ropa
from dataskydd.policy.notice import notice_view, render_notice
from dataskydd.policy.schema import Lang
from dataskydd.web import i18n
from dataskydd.web.deps import PolicyDep, StaffPrincipal, requires
from dataskydd.web.templating import render

router = APIRouter(include_in_schema=False)

PolicyReader = Annotated[StaffPrincipal, Depends(requires(Permission.POLICY_READ))]
LangQuery = Annotated[Lang | None, Query()]


@router.get("/policy")
def overview(request: Request, policy: PolicyDep, principal: PolicyReader) -> Response:
    view = notice_view(policy, i18n.current_language.get(), access_request_href="/registerutdrag")
    return render(request, "policy/overview.html", {"n": view}, principal=principal)


@router.get("/policy/notice")
def notice_preview(policy: PolicyDep, _principal: PolicyReader, lang: LangQuery = None) -> Response:
    html = render_notice(
        policy, lang=lang or i18n.current_language.get(), stylesheet_href="/static/notice.css"
    )
    return HTMLResponse(html)


@router.get("/policy/ropa")
def ropa_page(request: Request, policy: PolicyDep, principal: PolicyReader) -> Response:
    lang = i18n.current_language.get()
    rows = [astuple(row) for row in ropa.ropa_rows(policy, lang)]
    return render(
        request,
        "policy/ropa.html",
        {"headers": ropa.ropa_headers(lang), "rows": rows},
        principal=principal,
    )


@router.get("/policy/ropa.csv")
def ropa_csv(policy: PolicyDep, _principal: PolicyReader, lang: LangQuery = None) -> Response:
    text = ropa.render_ropa_csv(policy, lang or i18n.current_language.get())
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": "attachment; filename=registerforteckning.csv"},
    )
