"""Admission control: a bounded number of requests at work per process, a bounded queue, and a
fast 503 with Retry-After beyond it, instead of timeouts and "database is locked" for everyone.

Each admitted request may hold a worker thread and one database connection; more at once than
the connection pool holds would only make them wait inside the database layer, holding a
thread each, until they time out together (what the load test showed before: 500s and 30-second
hangs above about 40 connections). Requests past the limit wait here, on the event loop, with
neither a thread nor a connection, first come first served, at most `wait_seconds`; when the
queue is full or the wait runs out they get 503 at once. The health check and static files
are never queued, so a saturated server still says it is alive within milliseconds.

The banner's collector (`/collect` and the pixel) has a lane of its own: it holds neither a
thread nor a connection while its event waits for the group commit (analytics/writer.py,
itself a bounded queue), so counting it among the `limit` requests would only cap the
writer's batches at that many events, and the collector's throughput with them. Up to
`collector_limit` collector requests are at work at once (each holds at most its body,
64 kB); beyond that, 503 at once.

Pure ASGI (not BaseHTTPMiddleware): a waiting request costs one coroutine and nothing else.
"""

from __future__ import annotations

import json
import math
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import anyio
from starlette.requests import HTTPConnection

from dataskydd.policy.schema import Lang
from dataskydd.web import i18n
from dataskydd.web.deps import LANGUAGE_COOKIE
from dataskydd.web.paths import answers_json

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# Never queued: files that touch no database (web/health.py answers /healthz outside this layer).
EXEMPT_PREFIXES = ("/static/",)
# The collector's lane (web/api/collect.py): events wait for the writer, not for a thread.
COLLECTOR_PATHS = frozenset({"/collect", "/collect/pixel.gif"})
COLLECTOR_LIMIT = 1000


class Admission:
    def __init__(
        self,
        app: ASGIApp,
        *,
        limit: int,
        queue: int,
        wait_seconds: float,
        collector_limit: int = COLLECTOR_LIMIT,
    ) -> None:
        self.app = app
        self.limit = limit
        self.collector_limit = collector_limit
        self.collecting = 0
        self.queue = queue
        self.wait_seconds = wait_seconds
        self.retry_after = max(1, math.ceil(wait_seconds / 4))
        self.working = 0
        self.waiting = 0
        self.refused = 0
        # Made on first use, inside the server's event loop.
        self._semaphore: anyio.Semaphore | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(EXEMPT_PREFIXES):
            await self.app(scope, receive, send)
            return
        if scope["path"] in COLLECTOR_PATHS and scope["method"] != "OPTIONS":
            await self._collect(scope, receive, send)
            return
        if self._semaphore is None:
            self._semaphore = anyio.Semaphore(self.limit, fast_acquire=True)
        semaphore = self._semaphore
        admitted = False
        if semaphore.value > 0 and self.waiting == 0:
            await semaphore.acquire()  # a free slot and no one before us: no wait
            admitted = True
        elif self.waiting < self.queue:
            self.waiting += 1
            try:
                with anyio.move_on_after(self.wait_seconds):
                    await semaphore.acquire()
                    admitted = True
            finally:
                self.waiting -= 1
        if not admitted:
            self.refused += 1
            await self._busy(scope, send)
            return
        self.working += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.working -= 1
            semaphore.release()

    async def _collect(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.collecting >= self.collector_limit:
            self.refused += 1
            await self._busy(scope, send)
            return
        self.collecting += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.collecting -= 1

    def state(self) -> dict[str, int]:
        return {
            "collecting": self.collecting,
            "working": self.working,
            "waiting": self.waiting,
            "limit": self.limit,
            "queue": self.queue,
            "refused": self.refused,
        }

    async def _busy(self, scope: Scope, send: Send) -> None:
        lang = _language_of(scope)
        token = i18n.current_language.set(lang)
        try:
            message = i18n.gettext_("The service is busy. Please try again in a moment.")
        finally:
            i18n.current_language.reset(token)
        headers = [
            (b"retry-after", str(self.retry_after).encode()),
            (b"cache-control", b"no-store"),
        ]
        if answers_json(scope["path"]):
            body = json.dumps(
                {"error": "ServiceUnavailable", "detail": message, "problems": []},
                ensure_ascii=False,
            ).encode()
            headers.append((b"content-type", b"application/json"))
        else:
            body = (
                f'<!doctype html><html lang="{lang}"><meta charset="utf-8">'
                f"<title>503</title><p>{message}</p></html>"
            ).encode()
            headers.append((b"content-type", b"text/html; charset=utf-8"))
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": 503, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _language_of(scope: Scope) -> Lang:
    """The same choice the language middleware makes (?lang=, then the cookie), read from the
    raw request: this answer is sent before that middleware runs."""
    connection = HTTPConnection(scope)
    return i18n.pick_language(
        connection.query_params.get("lang"), connection.cookies.get(LANGUAGE_COOKIE)
    )
