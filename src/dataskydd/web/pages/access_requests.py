"""(being written) The public "Begär registerutdrag" entry point."""

from fastapi import APIRouter, Request
from fastapi.responses import Response

from dataskydd.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/registerutdrag")
def access_request_info(request: Request) -> Response:
    return render(request, "public/access_request.html")
