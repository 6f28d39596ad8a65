"""Statistics: k-anonymous aggregates over the register, as tables and bars."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from dataskydd.analytics import reports
from dataskydd.auth.access import Permission
from dataskydd.datamap import entries
from dataskydd.web.deps import PolicyDep, SessionDep, StaffPrincipal, requires
from dataskydd.web.templating import render

router = APIRouter(include_in_schema=False)

Analyst = Annotated[StaffPrincipal, Depends(requires(Permission.STATISTICS_READ))]


@router.get("/statistics")
def statistics(
    request: Request, session: SessionDep, policy: PolicyDep, principal: Analyst
) -> Response:
    report = reports.build_statistics(
        session, principal.context, policy=policy, category_of=entries.category_of
    )
    return render(request, "statistics/index.html", {"report": report}, principal=principal)
