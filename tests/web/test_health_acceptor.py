"""`dataskydd serve`'s loop leaves accepting to a process beside the worker that answers
/healthz itself (web/health_acceptor.py, web/health_process.py, web/health_loop.py): while the
event loop is busy the check still answers, a loop stalled too long answers 503, every other
connection reaches the app with its bytes intact, a dead accepting process is replaced, and it
never outlives its worker."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dataskydd.web import health_acceptor
from dataskydd.web.health_acceptor import classify, keeps_alive, response
from dataskydd.web.health_loop import LOOP_FACTORY, PROCESS_MODULE, HealthFirstLoop, new_loop
from tests.servers import children_of, free_port, uvicorn_in_thread

seen: list[str] = []


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    seen.append(f"{scope['method']} {scope['path']} {body.decode()}")
    if scope["path"] == "/block":
        # Holds the event loop busy on the CPU, as a long turn under load does: the GIL is
        # given up only when Python's switch interval forces it.
        until = time.monotonic() + float(scope["query_string"].decode() or "1")
        while time.monotonic() < until:
            pass
    payload = b"app:" + body
    headers = [(b"content-length", str(len(payload)).encode())]
    await send({"type": "http.response.start", "status": 418, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


def accepting_processes(pid: int) -> list[int]:
    """The accepting processes started by process `pid`."""
    return children_of(pid, running=PROCESS_MODULE)


servers_processes: dict[int, int] = {}


@contextlib.contextmanager
def running_server() -> Iterator[int]:
    """A uvicorn server on the health-first loop, in a thread; `servers_processes[port]` is
    its accepting process."""
    before = set(accepting_processes(os.getpid()))
    with uvicorn_in_thread(app, loop=LOOP_FACTORY) as port:
        (servers_processes[port],) = set(accepting_processes(os.getpid())) - before
        yield port


@pytest.fixture(scope="module")
def server() -> Iterator[int]:
    with running_server() as port:
        yield port


def exchange(port: int, raw: bytes, *, pause_after: int | None = None) -> bytes:
    """Sends `raw` (pausing past the sorting time after `pause_after` bytes), reads to close."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        if pause_after is None:
            connection.sendall(raw)
        else:
            connection.sendall(raw[:pause_after])
            time.sleep(health_acceptor.SORT_SECONDS + 0.3)
            connection.sendall(raw[pause_after:])
        received = b""
        while True:
            chunk = connection.recv(65536)
            if not chunk:
                return received
            received += chunk


def block_loop(port: int, seconds: float) -> threading.Thread:
    raw = f"GET /block?{seconds} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".encode()
    thread = threading.Thread(target=exchange, args=(port, raw), daemon=True)
    thread.start()
    deadline = time.monotonic() + 5
    while not any(entry.startswith("GET /block") for entry in seen):
        assert time.monotonic() < deadline, "the blocking request never reached the app"
        time.sleep(0.005)
    return thread


@pytest.mark.parametrize(
    ("head", "verdict"),
    [
        (b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n", "health"),
        (b"HEAD /healthz HTTP/1.0\r\n\r\n", "health"),
        (b"GET /healthz HTTP/1.1\r\nHost: a\r\n", "wait"),
        (b"GET /heal", "wait"),
        (b"G", "wait"),
        (b"GET /healthz", "wait"),
        (b"GET /healthz?full=1 HTTP/1.1\r\n\r\n", "loop"),
        (b"GET /healthzz HTTP/1.1\r\n\r\n", "loop"),
        (b"GET /login HTTP/1.1\r\n\r\n", "loop"),
        (b"POST /healthz HTTP/1.1\r\nContent-Length: 0\r\n\r\n", "loop"),
        (b"GET /healthz HTTP/1.1\r\nContent-Length: 5\r\n\r\nabcde", "loop"),
        (b"GET /healthz HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n", "loop"),
        (b"GET /healthz HTTP/2.0\r\n\r\n", "loop"),
        (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "loop"),
        (b"\x16\x03\x01\x02\x00", "loop"),
        (b"GET /healthz HTTP/1.1\r\n" + b"X: " + b"y" * 5000, "loop"),
    ],
)
def test_classify(head: bytes, verdict: str) -> None:
    assert classify(head) == verdict


def test_response_for_head_has_no_body_and_stalled_says_retry_after() -> None:
    ok = response(b"HEAD /healthz HTTP/1.1\r\n\r\n", alive=True)
    assert ok.startswith(b"HTTP/1.1 200 OK\r\n")
    assert ok.endswith(b"\r\n\r\n")
    assert b"content-length: 15\r\n" in ok
    stalled = response(b"GET /healthz HTTP/1.1\r\n\r\n", alive=False)
    head, _, body = stalled.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 503 Service Unavailable")
    assert b"retry-after: 5" in head
    assert f"content-length: {len(body)}".encode() in head


@pytest.mark.parametrize(
    ("head", "kept"),
    [
        (b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n", True),
        (b"GET /healthz HTTP/1.1\r\nHost: a\r\nConnection: Close\r\n\r\n", False),
        (b"GET /healthz HTTP/1.1\r\nconnection:close\r\n\r\n", False),
        (b"GET /healthz HTTP/1.0\r\n\r\n", False),
        (b"GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", False),
    ],
)
def test_keeps_alive(head: bytes, kept: bool) -> None:
    assert keeps_alive(head) is kept
    answer = response(head, alive=True, keep_alive=kept)
    assert (b"connection: close" in answer) is not kept


def test_a_kept_alive_health_connection_goes_on_to_the_app(server: int) -> None:
    seen.clear()
    with socket.create_connection(("127.0.0.1", server), timeout=10) as connection:
        connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        first = b""
        while not first.endswith(b'{"status":"ok"}'):
            chunk = connection.recv(4096)
            assert chunk, "closed after the health answer"
            first += chunk
        assert b"connection: close" not in first
        connection.sendall(b"GET /next HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        rest = b""
        while chunk := connection.recv(4096):
            rest += chunk
    assert rest.startswith(b"HTTP/1.1 418")
    assert rest.endswith(b"app:")
    assert seen == ["GET /next "]


def test_the_factory_gives_the_health_first_loop() -> None:
    loop = new_loop()
    try:
        assert isinstance(loop, HealthFirstLoop)
    finally:
        loop.close()


def test_health_answers_while_the_event_loop_is_blocked(server: int) -> None:
    seen.clear()
    blocker = block_loop(server, 2)
    started = time.monotonic()
    answer = exchange(server, b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    took = time.monotonic() - started
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK"), head
    assert b"connection: close" in head
    assert body == b'{"status":"ok"}'
    # The loop is blocked for 2 s; through the loop the answer would wait for it.
    assert took < 1.0, took
    blocker.join(10)
    assert not any("/healthz" in entry for entry in seen)


def test_a_stalled_loop_answers_503(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(health_acceptor, "STALLED_SECONDS", 0.3)
    with running_server() as port:
        seen.clear()
        blocker = block_loop(port, 3)
        time.sleep(1)
        answer = exchange(port, b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 503 Service Unavailable"), answer
        assert answer.endswith(b'{"status":"stalled"}')
        blocker.join(10)
        # Once the loop turns again its heartbeat makes the check healthy.
        deadline = time.monotonic() + 5
        while not exchange(port, b"HEAD /healthz HTTP/1.0\r\n\r\n").startswith(b"HTTP/1.1 200"):
            assert time.monotonic() < deadline, "the check stayed 503 after the loop turned"
            time.sleep(0.1)


def test_other_requests_reach_the_app_whole(server: int) -> None:
    seen.clear()
    answer = exchange(
        server,
        b"POST /healthz HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello",
    )
    assert b"HTTP/1.1 418" in answer
    assert answer.endswith(b"app:hello")
    answer = exchange(server, b"GET /page HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    assert answer.endswith(b"app:")
    assert seen == ["POST /healthz hello", "GET /page "]


def test_a_slow_request_line_goes_to_the_loop_after_the_sorting_time(server: int) -> None:
    seen.clear()
    raw = b"GET /slow HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
    answer = exchange(server, raw, pause_after=4)
    assert answer.endswith(b"app:"), answer
    assert "GET /slow " in seen
    # A health check that arrives too slowly is answered by the loop's own route instead.
    slow_health = b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
    assert b"HTTP/1.1 418" in exchange(server, slow_health, pause_after=6)


def test_connections_that_close_unasked_leave_the_server_serving(server: int) -> None:
    for _ in range(20):
        socket.create_connection(("127.0.0.1", server), timeout=5).close()
    with socket.create_connection(("127.0.0.1", server), timeout=5) as half:
        half.sendall(b"GET /hea")
    answer = exchange(server, b"GET /healthz HTTP/1.0\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200 OK")


def test_closing_the_server_ends_the_accepting_process() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        listener = socket.create_server(("127.0.0.1", 0))
        before = set(accepting_processes(os.getpid()))
        server = await loop.create_server(asyncio.Protocol, sock=listener)
        assert server.is_serving()
        (process,) = set(accepting_processes(os.getpid())) - before
        server.close()
        await server.wait_closed()
        assert not server.is_serving()
        assert not Path(f"/proc/{process}").exists()
        listener.close()

    # In a thread of its own: an earlier test in the same process may have left this thread
    # marked as running a loop, which a new loop refuses to run beside.
    failure: list[BaseException] = []

    def run() -> None:
        loop = new_loop()
        try:
            loop.run_until_complete(main())
        except BaseException as error:  # handed to the test's thread
            failure.append(error)
        finally:
            loop.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive(), "the loop did not finish"
    if failure:
        raise failure[0]


def test_a_killed_accepting_process_is_replaced(server: int) -> None:
    process = servers_processes[server]
    others = set(accepting_processes(os.getpid())) - {process}
    os.kill(process, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while not set(accepting_processes(os.getpid())) - others - {process}:
        assert time.monotonic() < deadline, "no new accepting process"
        time.sleep(0.05)
    answer = exchange(server, b"GET /healthz HTTP/1.0\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200 OK")
    assert exchange(server, b"GET /after HTTP/1.0\r\n\r\n").endswith(b"app:")


WORKER = """
import sys, uvicorn
from tests.web.test_health_acceptor import app
uvicorn.run(app, port=int(sys.argv[1]), loop=sys.argv[2], log_level="warning", lifespan="off")
"""


def test_the_accepting_process_ends_with_a_killed_worker() -> None:
    port = free_port()
    worker = subprocess.Popen(
        [sys.executable, "-c", WORKER, str(port), LOOP_FACTORY],
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            assert time.monotonic() < deadline, "the worker did not start"
            with contextlib.suppress(OSError):
                if exchange(port, b"GET /healthz HTTP/1.0\r\n\r\n").startswith(b"HTTP/1.1 200"):
                    break
            time.sleep(0.1)
        (process,) = accepting_processes(worker.pid)
    finally:
        worker.kill()
        worker.wait()
    deadline = time.monotonic() + 10
    while Path(f"/proc/{process}").exists() and b"Z" not in _state(process):
        assert time.monotonic() < deadline, "the accepting process outlived its worker"
        time.sleep(0.05)


def _state(pid: int) -> bytes:
    with contextlib.suppress(FileNotFoundError):
        return Path(f"/proc/{pid}/stat").read_bytes().split(b") ")[1][:1]
    return b"Z"


def test_a_worker_slow_to_take_connections_does_not_hold_up_health_checks() -> None:
    """The worker's end of the channel is not read while 800 connections arrive: they wait in
    the acceptor (more than the channel's buffer holds), a new probe is answered meanwhile,
    and once the worker reads, every connection reaches it."""
    listener = socket.create_server(("127.0.0.1", 0), backlog=1024)
    port = listener.getsockname()[1]
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    acceptor = health_acceptor.HealthAcceptor(listener, theirs, alive=lambda: True)
    thread = threading.Thread(target=acceptor.serve, daemon=True)
    thread.start()
    clients = []
    try:
        for _ in range(800):
            client = socket.create_connection(("127.0.0.1", port), timeout=10)
            client.sendall(b"GET /x HTTP/1.1\r\nHost: t\r\n\r\n")
            clients.append(client)
        time.sleep(0.5)
        started = time.monotonic()
        answer = exchange(port, b"GET /healthz HTTP/1.0\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 200 OK")
        assert time.monotonic() - started < 1
        received = 0
        deadline = time.monotonic() + 20
        while received < len(clients):
            assert time.monotonic() < deadline, f"only {received} connections reached the worker"
            _message, descriptors, _flags, _address = socket.recv_fds(ours, 1, 1)
            for fd in descriptors:
                with socket.socket(fileno=fd) as adopted:
                    assert adopted.recv(64).startswith(b"GET /x ")
                received += 1
    finally:
        ours.close()  # end-of-file on the channel ends the acceptor
        thread.join(10)
        for client in clients:
            client.close()
        listener.close()
    assert not thread.is_alive()
