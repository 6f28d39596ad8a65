"""Security headers on every response (SPEC 6): no inline script, no framing, no sniffing.

Pure ASGI (not BaseHTTPMiddleware): the headers are added to the response's start message as
it passes, so a request costs no extra task, stream or copy of the response (the load test's
event loop time per request, benchmarks/bench_collect.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

_ALWAYS: tuple[tuple[bytes, bytes], ...] = (
    # /docs too: it is a server-rendered page without scripts (web/pages/api_reference.py).
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
)
_HSTS = (b"strict-transport-security", b"max-age=31536000")
# Pages show personal data: never kept in shared or browser caches.
_NO_STORE = (b"cache-control", b"no-store")


def _cacheable(path: str) -> bool:
    return path == "/healthz" or path.startswith("/static")


class SecurityHeaders:
    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self.headers = (*_ALWAYS, _HSTS) if hsts else _ALWAYS

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        wanted = self.headers if _cacheable(scope["path"]) else (*self.headers, _NO_STORE)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _value in headers}
                # A header the response set itself wins (a file's own Cache-Control, say).
                headers.extend(pair for pair in wanted if pair[0] not in present)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
