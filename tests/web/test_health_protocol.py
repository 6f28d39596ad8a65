"""`dataskydd serve`'s protocol answers /healthz as soon as the request is read
(web/health_protocol.py): without the app, on kept-alive and closing connections, for HEAD;
everything else still reaches the app."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest

from dataskydd.web.health_protocol import HealthFirstProtocol, protocol
from tests.servers import uvicorn_in_thread

seen: list[str] = []


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Answers every request but one that would hang: /healthz must never get here."""
    if scope["type"] != "http":
        return
    seen.append(f"{scope['method']} {scope['path']}")
    if scope["path"] == "/hang":
        await asyncio.sleep(3600)
    headers = [(b"content-length", b"3")]
    await send({"type": "http.response.start", "status": 418, "headers": headers})
    await send({"type": "http.response.body", "body": b"app"})


@pytest.fixture(scope="module")
def server() -> Iterator[int]:
    # The hanging request of the last test is not waited for at the end.
    with uvicorn_in_thread(app, http=protocol()) as port:
        yield port


def exchange(port: int, raw: bytes, *, until_closed: bool = False, expect: int = 1) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
        connection.sendall(raw)
        received = b""
        while True:
            if (
                not until_closed
                and received.count(b"HTTP/1.1 ") >= expect
                and (
                    received.endswith(b'{"status":"ok"}')
                    or received.endswith(b"app")
                    or received.endswith(b"\r\n\r\n")
                )
            ):
                return received
            chunk = connection.recv(65536)
            if not chunk:
                return received
            received += chunk


def test_serve_uses_the_health_first_protocol() -> None:
    assert protocol() is HealthFirstProtocol


def test_health_is_answered_without_the_app(server: int) -> None:
    seen.clear()
    answer = exchange(server, b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK")
    assert b"cache-control: no-store" in head
    assert b"x-content-type-options: nosniff" in head
    assert body == b'{"status":"ok"}'
    assert seen == []


def test_kept_alive_connection_serves_health_then_the_app(server: int) -> None:
    seen.clear()
    raw = (
        b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n"
        b"HEAD /healthz HTTP/1.1\r\nHost: t\r\n\r\n"
        b"GET /other HTTP/1.1\r\nHost: t\r\n\r\n"
    )
    answer = exchange(server, raw, expect=3)
    assert answer.count(b"HTTP/1.1 200 OK") == 2
    assert answer.count(b'{"status":"ok"}') == 1  # HEAD has no body
    assert b"HTTP/1.1 418" in answer
    assert answer.endswith(b"app")
    assert seen == ["GET /other"]


def test_http_1_0_gets_the_answer_and_the_connection_closed(server: int) -> None:
    answer = exchange(server, b"GET /healthz HTTP/1.0\r\n\r\n", until_closed=True)
    assert answer.startswith(b"HTTP/1.1 200 OK")
    assert b"connection: close" in answer
    assert answer.endswith(b'{"status":"ok"}')


def test_other_methods_and_paths_reach_the_app(server: int) -> None:
    seen.clear()
    answer = exchange(server, b"POST /healthz HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n")
    assert b"HTTP/1.1 418" in answer
    assert seen == ["POST /healthz"]


def test_health_answers_while_a_request_of_the_connection_before_hangs(server: int) -> None:
    with socket.create_connection(("127.0.0.1", server), timeout=5) as hanging:
        hanging.sendall(b"GET /hang HTTP/1.1\r\nHost: t\r\n\r\n")
        started = time.monotonic()
        answer = exchange(server, b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 200 OK")
        assert time.monotonic() - started < 1
