"""Web analytics for staff (analyst and up): k-anonymous charts with their numbers beside."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from dataskydd.analytics import charts, web_reports
from dataskydd.auth.access import Permission
from dataskydd.web import i18n
from dataskydd.web.deps import PolicyDep, SessionDep, StaffPrincipal, requires
from dataskydd.web.params import Line
from dataskydd.web.templating import render

router = APIRouter(include_in_schema=False)

Analyst = Annotated[StaffPrincipal, Depends(requires(Permission.STATISTICS_READ))]
From = Annotated[date | None, Query(alias="from")]
To = Annotated[date | None, Query(alias="to")]


def _page(
    request: Request,
    session: SessionDep,
    policy: PolicyDep,
    principal: StaffPrincipal,
    *,
    report: str,
    start: date | None,
    end: date | None,
    page: str | None = None,
) -> Response:
    result = web_reports.build_web_report(
        session, principal.context, policy=policy, report=report, start=start, end=end, page=page
    )
    return render(
        request,
        f"analytics/{report}.html",
        {
            "report": result,
            "charts": charts,
            "current": report,
            "weekdays": [i18n.gettext_(day) for day in web_reports.WEEKDAYS],
            "translate": i18n.gettext_,
        },
        principal=principal,
    )


@router.get("/analytics")
def traffic(
    request: Request,
    session: SessionDep,
    policy: PolicyDep,
    principal: Analyst,
    start: From = None,
    end: To = None,
) -> Response:
    return _page(request, session, policy, principal, report="traffic", start=start, end=end)


@router.get("/analytics/times")
def busy_times(
    request: Request,
    session: SessionDep,
    policy: PolicyDep,
    principal: Analyst,
    start: From = None,
    end: To = None,
    page: Annotated[Line | None, Query(max_length=300)] = None,
) -> Response:
    return _page(
        request, session, policy, principal, report="times", start=start, end=end, page=page or None
    )


@router.get("/analytics/paths")
def navigation(
    request: Request,
    session: SessionDep,
    policy: PolicyDep,
    principal: Analyst,
    start: From = None,
    end: To = None,
) -> Response:
    return _page(request, session, policy, principal, report="paths", start=start, end=end)


@router.get("/analytics/visits")
def visit_lengths(
    request: Request,
    session: SessionDep,
    policy: PolicyDep,
    principal: Analyst,
    start: From = None,
    end: To = None,
) -> Response:
    return _page(request, session, policy, principal, report="visits", start=start, end=end)


@router.get("/analytics/campaigns")
def campaigns(
    request: Request,
    session: SessionDep,
    policy: PolicyDep,
    principal: Analyst,
    start: From = None,
    end: To = None,
) -> Response:
    return _page(request, session, policy, principal, report="campaigns", start=start, end=end)
