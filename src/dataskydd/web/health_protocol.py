"""The HTTP protocol `dataskydd serve` runs: uvicorn's httptools protocol, answering /healthz
as soon as its headers are parsed.

web/health.py answers the check in the app's outermost layer, but that layer runs in a task
the event loop starts only on its next turn, after every callback already waiting; under load
a turn of the loop is tens of milliseconds. Answered here, in the callback that read the
request, the check waits for no task and no other request: the load balancer sees an alive
process within milliseconds however busy it is (benchmarks/bench_load.py, issue 9). Every
other request, and other methods on /healthz (405 from web/health.py), go to the app as before.

uvicorn's protocol is subclassed at its request-start hook; if a uvicorn release no longer has
it, `protocol()` gives uvicorn's own choice and web/health.py still answers.
"""

from __future__ import annotations

from typing import Any

from dataskydd.web.health import BODY, HEADERS, HEALTH_PATH

try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # httptools not installed: uvicorn's h11 protocol serves, unchanged
    HttpToolsProtocol = None  # type: ignore[assignment,misc]

_STATUS = b"HTTP/1.1 200 OK\r\n"
_FIXED = b"".join(name + b": " + value + b"\r\n" for name, value in HEADERS)


if HttpToolsProtocol is not None and hasattr(HttpToolsProtocol, "_start_asgi_task"):

    class HealthFirstProtocol(HttpToolsProtocol):
        def _start_asgi_task(self, cycle: Any, app: Any) -> None:
            scope = cycle.scope
            if (
                scope["path"] == HEALTH_PATH
                and scope["method"] in ("GET", "HEAD")
                and app is self.app  # not uvicorn's own 503 for a concurrency limit
            ):
                self._answer_health(cycle, head=scope["method"] == "HEAD")
                return
            super()._start_asgi_task(cycle, app)

        def _answer_health(self, cycle: Any, *, head: bool) -> None:
            parts = [_STATUS]
            parts.extend(name + b": " + value + b"\r\n" for name, value in cycle.default_headers)
            parts.append(_FIXED)
            if not cycle.keep_alive:
                parts.append(b"connection: close\r\n")
            parts.append(b"\r\n")
            if not head:
                parts.append(BODY)
            # The cycle is done before the parser reads on: a body sent with the GET is
            # ignored (on_body and on_message_complete see a complete response).
            cycle.response_started = True
            cycle.response_complete = True
            cycle.message_event.set()
            self.transport.write(b"".join(parts))
            if not cycle.keep_alive:
                self.transport.close()
            cycle.on_response()

    def protocol() -> type[Any] | str:
        """The protocol class for uvicorn's `http` setting."""
        return HealthFirstProtocol

else:

    def protocol() -> type[Any] | str:
        return "auto"
