"""The DPO's page of promises: every promise the public notice makes, checked on live data,
the same report as `dataskydd promises`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from dataskydd.auth.access import Permission
from dataskydd.promises import service
from dataskydd.web.deps import (
    PolicyDep,
    SessionDep,
    SettingsDep,
    StaffPrincipal,
    inactivity_timeout,
    requires,
)
from dataskydd.web.templating import render

router = APIRouter(include_in_schema=False)

AuditReader = Annotated[StaffPrincipal, Depends(requires(Permission.AUDIT_READ))]


@router.get("/promises")
def promises(
    request: Request,
    session: SessionDep,
    policy: PolicyDep,
    settings: SettingsDep,
    principal: AuditReader,
) -> Response:
    report = service.check_promises(
        session,
        policy,
        principal.context,
        settings=settings,
        inactivity_timeout=inactivity_timeout(request),
    )
    return render(request, "promises/index.html", {"report": report}, principal=principal)
