"""Request bodies are bounded before anything parses them (hostile input, issue 9).

A form or JSON parser reads the whole body into memory, so the limit is enforced here, in
front of every route: a declared `Content-Length` over the limit is refused at once, and a
body sent without one (chunked) is counted as it streams and refused when it passes the limit.
Both answer 413: a JSON problem for the JSON paths (web/paths.py) and for non-form
bodies, the error page for forms.

Limits are per path prefix: the JSON API takes the largest of its bodies (a support case with
its 100 messages of up to 20,000 characters each), every other path a form's worth. /collect
and /consent cap their bodies lower still, in web/api/collect.py.

Why here and not in the parsers: Starlette's form parsers cap a field at 1 MiB and a form at
1,000 fields, which still lets one form be a gigabyte, and JSON bodies have no cap at all; one
limit in front of the router also covers plain routes and mounts, in this app's answer shapes.

The JSON API also refuses a request without an `Authorization: Bearer` header here (401),
before its body is read: FastAPI reads a route's body before it runs its dependencies, so the
key check in web/deps.py would come only after a large body had been taken in.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dataskydd.web.errors import problem, too_large

KIB = 1024
MIB = 1024 * KIB
API_PREFIX = "/api/v1"
API_BODY_LIMIT = 4 * MIB
PAGE_BODY_LIMIT = 64 * KIB
LIMITS: tuple[tuple[str, int], ...] = ((API_PREFIX + "/", API_BODY_LIMIT),)


def _detail(limit: int) -> str:
    return f"the request body is larger than {limit} bytes"


def limit_for(path: str, limits: Sequence[tuple[str, int]] = LIMITS) -> int:
    for prefix, limit in limits:
        if path.startswith(prefix):
            return limit
    return PAGE_BODY_LIMIT


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


def has_bearer_token(scope: Scope) -> bool:
    scheme, _, token = (_header(scope, b"authorization") or "").partition(" ")
    return scheme.lower() == "bearer" and bool(token.strip())


def _is_api(path: str) -> bool:
    return path == API_PREFIX or path.startswith(API_PREFIX + "/")


def _unauthenticated() -> Response:
    return problem(
        401,
        "AuthenticationRequired",
        "an API key is required: Authorization: Bearer <key>",
        [],
        {"WWW-Authenticate": "Bearer"},
    )


class BodyLimits:
    def __init__(self, app: ASGIApp, limits: Sequence[tuple[str, int]] = LIMITS) -> None:
        self.app = app
        self.limits = tuple(limits)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _is_api(scope["path"]) and not has_bearer_token(scope):
            await _unauthenticated()(scope, receive, send)
            return
        limit = limit_for(scope["path"], self.limits)
        declared = (_header(scope, b"content-length") or "").strip()
        if declared.isdigit() and int(declared) > limit:
            await too_large(Request(scope), _detail(limit))(scope, receive, send)
            return

        received = 0
        exceeded = False
        started = False

        async def counted_receive() -> Message:
            nonlocal received, exceeded
            if exceeded:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # To the app the client has gone: it stops reading, and whatever it
                    # answers to that is replaced by the 413 below.
                    exceeded = True
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded and not started:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except Exception:
            if not exceeded:
                raise
        if exceeded and not started:
            await too_large(Request(scope), _detail(limit))(scope, receive, send)
