"""The language of each request: `?lang=` when given (and then remembered in a cookie), else
the cookie, else Swedish; set in `i18n.current_language` for everything the request does.

Pure ASGI (not BaseHTTPMiddleware), so the language is set in the request's own task (and
copied into the threads it runs work in) without an extra task and stream per request.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl

from dataskydd.web import i18n
from dataskydd.web.deps import LANGUAGE_COOKIE

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_YEAR = 365 * 24 * 3600


def _asked(scope: Scope) -> str | None:
    query: bytes = scope.get("query_string", b"")
    if b"lang=" not in query:
        return None
    for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
        if name == "lang":
            return value
    return None


def _remembered(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"cookie" and LANGUAGE_COOKIE.encode() in value:
            cookie: SimpleCookie = SimpleCookie()
            try:
                cookie.load(value.decode("latin-1"))
            except Exception:
                return None
            morsel = cookie.get(LANGUAGE_COOKIE)
            return morsel.value if morsel is not None else None
    return None


class Language:
    def __init__(self, app: ASGIApp, *, secure: bool) -> None:
        self.app = app
        self.secure = secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        asked = _asked(scope)
        lang = i18n.pick_language(asked, _remembered(scope))
        token = i18n.current_language.set(lang)
        try:
            if asked in i18n.LANGUAGES:
                await self.app(scope, receive, self._remembering(send, lang))
            else:
                await self.app(scope, receive, send)
        finally:
            i18n.current_language.reset(token)

    def _remembering(self, send: Send, lang: str) -> Send:
        attributes = f"Max-Age={_YEAR}; Path=/; HttpOnly; SameSite=lax"
        if self.secure:
            attributes += "; Secure"
        cookie = f"{LANGUAGE_COOKIE}={lang}; {attributes}".encode("latin-1")

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), (b"set-cookie", cookie)]
            await send(message)

        return send_with_cookie
