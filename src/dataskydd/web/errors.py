"""Domain errors → HTTP, in one place: a JSON problem for /api, a page for everything else."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from dataskydd.errors import AuthenticationRequired, DataskyddError, InvalidInput
from dataskydd.validation import field_path


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _page(request: Request, status: int, message: str) -> Response:
    templates = request.app.state.templates
    return templates.TemplateResponse(  # type: ignore[no-any-return]
        request, "error.html", {"status": status, "message": message}, status_code=status
    )


def _problem(status: int, kind: str, message: str, problems: list[dict[str, str]]) -> Response:
    return JSONResponse(
        {"error": kind, "detail": message, "problems": problems}, status_code=status
    )


async def _domain_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, DataskyddError)
    if isinstance(error, AuthenticationRequired) and not _is_api(request):
        target = "/login"
        if error.reason == "second_factor":
            target = "/login/totp"
        elif error.reason:
            target += f"?reason={quote(error.reason)}"
        return RedirectResponse(target, status_code=303)
    if _is_api(request):
        problems = (
            [{"field": field, "reason": reason} for field, reason in error.problems]
            if isinstance(error, InvalidInput)
            else []
        )
        response = _problem(error.status_code, type(error).__name__, error.message, problems)
        if isinstance(error, AuthenticationRequired):
            response.headers["WWW-Authenticate"] = "Bearer"
        return response
    return _page(request, error.status_code, error.message)


async def _validation_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    # Pydantic's messages can echo the input; only field paths and rule texts go out.
    problems = [
        {"field": field_path(tuple(item["loc"])[1:] or tuple(item["loc"])), "reason": item["msg"]}
        for item in error.errors()
    ]
    message = "; ".join(f"{p['field']}: {p['reason']}" for p in problems)
    if _is_api(request):
        return _problem(422, "InvalidInput", message, problems)
    return _page(request, 422, message)


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    if _is_api(request) or error.status_code == 405:
        return _problem(error.status_code, "HTTPError", str(error.detail), [])
    return _page(request, error.status_code, str(error.detail))


def add_exception_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DataskyddError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
