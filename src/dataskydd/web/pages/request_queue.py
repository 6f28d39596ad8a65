"""(being written) The DPO's queue of subjects' requests."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from dataskydd.auth.access import Permission
from dataskydd.web.deps import StaffPrincipal, requires
from dataskydd.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/requests")
def queue(
    request: Request,
    principal: Annotated[StaffPrincipal, Depends(requires(Permission.REQUESTS_HANDLE))],
) -> Response:
    return render(request, "start.html", principal=principal)
