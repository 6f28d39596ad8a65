"""The liveness check, answered by the outermost layer of the app.

A load balancer asks /healthz every few seconds and takes the process out of rotation when it
is slow, so it must answer within milliseconds however busy the server is. Answered here,
before any other layer, it costs one small send on the event loop: it never waits for
admission, a thread, a database connection, or the BaseHTTPMiddleware layers (language,
security headers) that each add a task and a copy of the response. It says the process and
its event loop are alive; it touches no database (readiness is the operator's own probe of
the database, see docs/scaling.md).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

HEALTH_PATH = "/healthz"
BODY = b'{"status":"ok"}'
# Also written by web/health_acceptor.py and web/health_protocol.py, which answer before the
# app under `serve`.
HEADERS = [
    (b"content-type", b"application/json"),
    (b"content-length", str(len(BODY)).encode()),
    (b"cache-control", b"no-store"),
    (b"x-content-type-options", b"nosniff"),
]


class Health:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != HEALTH_PATH:
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        if method not in ("GET", "HEAD"):
            await send(
                {
                    "type": "http.response.start",
                    "status": 405,
                    "headers": [(b"allow", b"GET, HEAD"), (b"content-length", b"0")],
                }
            )
            await send({"type": "http.response.body", "body": b""})
            return
        await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
        await send({"type": "http.response.body", "body": b"" if method == "HEAD" else BODY})
