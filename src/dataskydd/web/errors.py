"""Errors → HTTP, in one place: a JSON problem for the JSON paths (web/paths.py: /api, the
banner's /consent and /collect), a page for everything else.

Domain errors carry their status (errors.py). Below them is a safety net, so that no input
ever answers 500 with a traceback: a value the database cannot store (an integer past its
type, a NUL byte in PostgreSQL text) is a 400; a locked or overloaded database is a 503 with
`Retry-After`; anything else unexpected is a 500 problem or page, with the same security
headers as every other response and a log line naming the exception's type and where it was
raised, never its message (messages of database errors quote the values).
"""

from __future__ import annotations

import logging
import sqlite3
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi import routing as fastapi_routing
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dataskydd.errors import AuthenticationRequired, DataskyddError, InvalidInput
from dataskydd.validation import field_path
from dataskydd.web import i18n
from dataskydd.web.deps import LANGUAGE_COOKIE
from dataskydd.web.paths import answers_json, is_public_path

log = logging.getLogger("dataskydd.web")

RETRY_AFTER_SECONDS = "1"
# PostgreSQL SQLSTATE classes and codes that mean "try again shortly": connection trouble,
# too many connections or no memory, a statement timeout or shutdown, a lock not granted, a
# serialization failure or deadlock.
_TRANSIENT_SQLSTATE_CLASSES = ("08", "53", "57")
_TRANSIENT_SQLSTATES = ("55P03", "40001", "40P01")
_TRANSIENT_WORDS = ("locked", "busy", "timeout", "timed out", "too many", "could not connect")
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _is_json(request: Request) -> bool:
    return answers_json(request.url.path)


def error_page(
    request: Request, status: int, message: str, headers: dict[str, str] | None = None
) -> Response:
    templates = request.app.state.templates
    # A person reads it: the catalogue's words for it (a `Msg` built from values is looked
    # up by its template, then filled).
    context: dict[str, Any] = {
        "status": status,
        "message": i18n.gettext_(message),
        "lang": i18n.current_language.get(),  # <html lang>, which screen readers go by
    }
    name = "error.html"
    if is_public_path(request.url.path):
        # A customer's error page: the company's frame, no link to the staff side.
        name = "public/error.html"
        context.update(policy=request.app.state.policy)
    return templates.TemplateResponse(  # type: ignore[no-any-return]
        request,
        name,
        context,
        status_code=status,
        headers=headers,
    )


def problem(
    status: int,
    kind: str,
    detail: str,
    problems: list[dict[str, str]],
    headers: dict[str, str] | None = None,
    *,
    message: str | None = None,
) -> Response:
    body: dict[str, Any] = {"error": kind, "detail": detail, "problems": problems}
    if message is not None:
        body["message"] = message
    return JSONResponse(body, status_code=status, headers=headers)


async def _domain_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, DataskyddError)
    if isinstance(error, AuthenticationRequired) and not _is_json(request):
        target = "/login"
        if error.reason == "second_factor":
            target = "/login/totp"
        elif error.reason == "setup":
            target = "/account"
        elif error.reason:
            target += f"?reason={quote(error.reason)}"
        return RedirectResponse(target, status_code=303)
    if _is_json(request):
        # `error` and `detail` are stable (English) for scripts; `message` is for a person.
        problems = (
            [
                {"field": field, "reason": reason, "message": i18n.gettext_(reason)}
                for field, reason in error.problems
            ]
            if isinstance(error, InvalidInput)
            else []
        )
        response = problem(
            error.status_code,
            type(error).__name__,
            error.message,
            problems,
            message=i18n.gettext_(error.message),
        )
        if isinstance(error, AuthenticationRequired):
            response.headers["WWW-Authenticate"] = "Bearer"
        return response
    return error_page(request, error.status_code, error.message)


async def _validation_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    # Pydantic's messages can echo the input; only field paths and rule texts go out.
    problems = [
        {
            "field": field_path(tuple(item["loc"])[1:] or tuple(item["loc"])),
            "reason": str(item["msg"]).removeprefix("Value error, "),
        }
        for item in error.errors()
    ]
    if _is_json(request):
        message = "; ".join(f"{p['field']}: {p['reason']}" for p in problems)
        return problem(422, "InvalidInput", message, problems)
    fields = ", ".join(dict.fromkeys(p["field"] for p in problems))
    message = i18n.gettext_("These fields were not accepted: %(fields)s.") % {"fields": fields}
    return error_page(request, 422, message)


def _route_contexts(app: FastAPI) -> Iterator[Any]:
    # FastAPI includes routers lazily; iter_route_contexts flattens them with their prefixes.
    iterate = getattr(fastapi_routing, "iter_route_contexts", None)
    if iterate is None:
        yield from app.routes
    else:
        yield from iterate(app.routes)


def allowed_methods(request: Request) -> list[str]:
    """Every method some route answers at this path (GET and POST are often two routes);
    HEAD wherever GET is (web/head.py)."""
    # The path as the app's router sees it (inside a mount, scope["root_path"] has grown).
    app_root = request.scope.get("app_root_path", "")
    path = request.scope["path"].removeprefix(app_root) or "/"
    methods: set[str] = set()
    for context in _route_contexts(request.app):
        regex = getattr(context, "path_regex", None)
        if regex is None or not regex.match(path):
            continue
        if isinstance(getattr(context, "original_route", context), Mount):
            methods.update(("GET", "HEAD"))  # static files
        methods.update(getattr(context, "methods", None) or ())
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)


def too_large(request: Request, detail: str) -> Response:
    """413: a problem for the API and other non-form bodies, the error page for a form."""
    content_type = request.headers.get("content-type", "").lower()
    if _is_json(request) or not content_type.startswith(_FORM_TYPES):
        return problem(413, "PayloadTooLarge", detail, [])
    return error_page(request, 413, i18n.gettext_("The request was too large; nothing was saved."))


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    if error.status_code == 413:
        return too_large(request, str(error.detail))
    headers = dict(error.headers or {})
    if error.status_code == 405:
        headers["Allow"] = ", ".join(allowed_methods(request))
    if _is_json(request) or error.status_code == 405:
        return problem(error.status_code, "HTTPError", str(error.detail), [], headers)
    return error_page(request, error.status_code, str(error.detail), headers)


def _where(error: BaseException) -> str:
    """The innermost frame of the traceback, as file:line in function: no values."""
    frames = traceback.extract_tb(error.__traceback__)
    if not frames:
        return "unknown"
    frame = frames[-1]
    return f"{Path(frame.filename).name}:{frame.lineno} in {frame.name}"


def _route(request: Request) -> str:
    route = request.scope.get("route")
    return getattr(route, "path", None) or "(no route)"


def _original(error: BaseException) -> BaseException:
    return getattr(error, "orig", None) or error


async def _unstorable_value(request: Request, error: Exception) -> Response:
    """A value the database refuses (DataError) or cannot even bind (OverflowError)."""
    log.warning(
        "refused a value the database cannot store: %s on %s %s",
        type(_original(error)).__name__,
        request.method,
        _route(request),
    )
    if _is_json(request):
        message = "a value is out of range or not valid for the database"
        return problem(400, "InvalidInput", message, [])
    return error_page(request, 400, i18n.gettext_("A value was out of range or not valid."))


def is_transient(error: BaseException) -> bool:
    """Whether a database error means "busy, try again" rather than a fault."""
    if isinstance(error, sa_exc.TimeoutError):  # no pooled connection came free in time
        return True
    original = _original(error)
    sqlstate = getattr(original, "sqlstate", None)
    if isinstance(sqlstate, str) and (
        sqlstate.startswith(_TRANSIENT_SQLSTATE_CLASSES) or sqlstate in _TRANSIENT_SQLSTATES
    ):
        return True
    if isinstance(original, sqlite3.OperationalError) or sqlstate is None:
        text = str(original).lower()
        return any(word in text for word in _TRANSIENT_WORDS)
    return False


def _busy(request: Request) -> Response:
    headers = {"Retry-After": RETRY_AFTER_SECONDS}
    if _is_json(request):
        message = "the database is busy; retry in a moment"
        return problem(503, "ServiceUnavailable", message, [], headers)
    message = i18n.gettext_("The service is busy right now. Try again in a moment.")
    return error_page(request, 503, message, headers)


async def _database_error(request: Request, error: Exception) -> Response:
    if not is_transient(error):
        raise error  # a fault, not load: ServerErrors answers 500 and logs it
    log.warning(
        "database busy: %s on %s %s",
        type(_original(error)).__name__,
        request.method,
        _route(request),
    )
    return _busy(request)


def add_exception_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DataskyddError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(sa_exc.DataError, _unstorable_value)
    app.add_exception_handler(OverflowError, _unstorable_value)
    app.add_exception_handler(sa_exc.OperationalError, _database_error)
    app.add_exception_handler(sa_exc.TimeoutError, _database_error)


class ServerErrors:
    """The last net, inside the security headers: an unexpected exception becomes a 500
    problem (JSON paths) or error page, never a traceback to the client or in the server's log."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception as error:
            request = Request(scope)
            log.error(
                "unexpected %s on %s %s at %s",
                type(error).__name__,
                request.method,
                _route(request),
                _where(error),
            )
            if started:
                return  # the answer is on its way; the server ends the connection
            response = _server_error(request, error)
            await response(scope, receive, send)


def _server_error(request: Request, error: Exception) -> Response:
    # Outside the language middleware: the page's language is picked here again.
    language = i18n.pick_language(
        request.query_params.get("lang"), request.cookies.get(LANGUAGE_COOKIE)
    )
    token = i18n.current_language.set(language)
    try:
        if isinstance(error, sa_exc.DBAPIError | sa_exc.TimeoutError) and is_transient(error):
            return _busy(request)
        if _is_json(request):
            message = "an unexpected error occurred; it was logged"
            return problem(500, "ServerError", message, [])
        message = i18n.gettext_("An unexpected error occurred. It has been logged.")
        return error_page(request, 500, message)
    finally:
        i18n.current_language.reset(token)
