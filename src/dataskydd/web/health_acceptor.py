"""The accepting side of `dataskydd serve`: accepts every connection of the listening socket,
answers a plain `GET /healthz` itself and hands every other connection on.

It runs in a small process of its own beside each worker (web/health_process.py, started by
web/health_loop.py), not in the worker. A load balancer's probe arrives on a new connection;
in the worker it would wait for the event loop's next turn to be accepted and read, and under
load a turn runs every ready request's layers, while up to DATASKYDD_CONCURRENT_REQUESTS
threads hold Python's GIL in turn (each for up to its 5 ms switch interval): the probe waited
50-250 ms (issue 9, benchmarks/bench_load.py). A process of its own shares no GIL.

What the answer means: "ok" only while the worker's event loop is turning, which the loop
proves by stamping a heartbeat every `BEAT_SECONDS` in memory shared with this process; a
loop that has not stamped for `STALLED_SECONDS` is stalled, and the check answers 503 so the
balancer stops sending traffic there. It touches no database (readiness is the operator's,
docs/scaling.md).

Anything that is not exactly a bodiless GET or HEAD of /healthz, or whose first bytes do not
arrive within `SORT_SECONDS`, is handed on untouched: the acceptor only peeks (`MSG_PEEK`),
so the worker's protocol reads the request from its first byte.
"""

from __future__ import annotations

import logging
import selectors
import socket
import time
from collections import deque
from collections.abc import Callable
from email.utils import formatdate

from dataskydd.web.health import BODY, HEADERS, HEALTH_PATH

log = logging.getLogger("dataskydd.web")

BEAT_SECONDS = 0.25
STALLED_SECONDS = 10.0
# How long a new connection's request line is waited for before the worker gets it.
SORT_SECONDS = 0.5
# A health request is a request line and a few headers; anything longer goes to the loop.
MAX_HEALTH_REQUEST = 4096
# Connections waiting for their first bytes here, at most; beyond it, to the worker.
MAX_SORTING = 256
# Connections waiting for the worker to take them, at most (its loop is slow under load).
MAX_WAITING = 4096
ACCEPT_BATCH = 64
# After a failed accept (out of descriptors, say) the listener rests this long, and the
# failure is logged at most once per LOG_EVERY_SECONDS, so a lasting fault neither spins a
# core nor floods the log.
ACCEPT_PAUSE_SECONDS = 0.1
LOG_EVERY_SECONDS = 60.0

_TARGETS = (b"GET " + HEALTH_PATH.encode(), b"HEAD " + HEALTH_PATH.encode())
_BODY_HEADERS = (b"\r\ncontent-length:", b"\r\ntransfer-encoding:")
_STALLED_BODY = b'{"status":"stalled"}'


def _fixed_headers(body: bytes) -> bytes:
    lines = [
        name + b": " + (str(len(body)).encode() if name == b"content-length" else value)
        for name, value in HEADERS
    ]
    return b"\r\n".join(lines) + b"\r\n"


_OK_HEADERS = _fixed_headers(BODY)
_STALLED_HEADERS = _fixed_headers(_STALLED_BODY) + b"retry-after: 5\r\n"


def classify(head: bytes) -> str:
    """'health' for a complete bodiless GET/HEAD of the health path, 'wait' for bytes that may
    still become one, 'loop' for anything else."""
    for target in _TARGETS:
        if len(head) <= len(target):
            if target.startswith(head):
                return "wait"
            continue
        if not head.startswith(target) or head[len(target) : len(target) + 1] != b" ":
            continue
        end = head.find(b"\r\n\r\n")
        if end < 0:
            return "wait" if len(head) < MAX_HEALTH_REQUEST else "loop"
        request_line, _, header_block = head[:end].partition(b"\r\n")
        if not request_line.endswith((b" HTTP/1.1", b" HTTP/1.0")):
            return "loop"
        if any(marker in b"\r\n" + header_block.lower() for marker in _BODY_HEADERS):
            return "loop"
        return "health"
    return "loop"


def keeps_alive(head: bytes) -> bool:
    """Whether the client of this health request wants its connection kept (HTTP/1.1 without
    `Connection: close`)."""
    request_line, _, header_block = head.partition(b"\r\n")
    if not request_line.endswith(b" HTTP/1.1"):
        return False
    for line in header_block.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"connection" and b"close" in value.lower():
            return False
    return True


def response(head: bytes, *, alive: bool, keep_alive: bool = False) -> bytes:
    """The whole answer to the health request `head`."""
    status = b"HTTP/1.1 200 OK\r\n" if alive else b"HTTP/1.1 503 Service Unavailable\r\n"
    headers = _OK_HEADERS if alive else _STALLED_HEADERS
    body = b"" if head.startswith(b"HEAD ") else (BODY if alive else _STALLED_BODY)
    date = b"date: " + formatdate(usegmt=True).encode() + b"\r\n"
    closing = b"" if keep_alive else b"connection: close\r\n"
    return status + date + headers + closing + b"\r\n" + body


class HealthAcceptor:
    """Accepts on `listener` until `channel` (to the worker: a non-blocking SOCK_SEQPACKET)
    reads end-of-file: every connection that is not a health check goes over it as its
    descriptor (SCM_RIGHTS); `alive()` gives the answer to one.

    Handing over never blocks: while the worker is slow to take connections they wait here,
    at most MAX_WAITING of them (beyond, a connection is closed and the failure logged), and
    the health checks on new connections are answered meanwhile."""

    def __init__(
        self, listener: socket.socket, channel: socket.socket, alive: Callable[[], bool]
    ) -> None:
        self.listener = listener
        self.channel = channel
        self.alive = alive
        self._waiting: deque[socket.socket] = deque()
        self._selector = selectors.DefaultSelector()
        self._sorting: dict[socket.socket, float] = {}
        self._resume_accepting = 0.0
        self._logged_at = -LOG_EVERY_SECONDS

    def serve(self) -> None:
        self.listener.setblocking(False)
        self._selector.register(self.listener, selectors.EVENT_READ, None)
        self.channel.setblocking(False)
        self._selector.register(self.channel, selectors.EVENT_READ, None)
        try:
            while True:
                deadlines = list(self._sorting.values())
                if self._resume_accepting:
                    deadlines.append(self._resume_accepting)
                timeout = None
                if deadlines:
                    timeout = max(0.0, min(deadlines) - time.monotonic())
                for key, events in self._selector.select(timeout):
                    connection = key.fileobj
                    if connection is self.channel:
                        if events & selectors.EVENT_READ:
                            return  # the worker is closing or gone
                        self._flush()
                        continue
                    if connection is self.listener:
                        self._accept()
                    else:
                        assert isinstance(connection, socket.socket)
                        self._sort(connection)
                now = time.monotonic()
                if self._resume_accepting and now >= self._resume_accepting:
                    self._resume_accepting = 0.0
                    self._selector.register(self.listener, selectors.EVENT_READ, None)
                for connection in [c for c, due in self._sorting.items() if due <= now]:
                    self._pass(connection)
        finally:
            for connection in [*self._sorting, *self._waiting]:
                connection.close()
            self._selector.close()

    def _accept(self) -> None:
        for _ in range(ACCEPT_BATCH):
            try:
                connection, _address = self.listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as error:
                self._pause_accepting(error)
                return
            if len(self._sorting) >= MAX_SORTING:
                self._pass(connection)
                continue
            connection.setblocking(False)
            self._sorting[connection] = time.monotonic() + SORT_SECONDS
            self._selector.register(connection, selectors.EVENT_READ, None)

    def _pause_accepting(self, error: OSError) -> None:
        self._warn(f"accepting connections failed (errno {error.errno}); retrying")
        self._selector.unregister(self.listener)
        self._resume_accepting = time.monotonic() + ACCEPT_PAUSE_SECONDS

    def _sort(self, connection: socket.socket) -> None:
        try:
            head = connection.recv(MAX_HEALTH_REQUEST, socket.MSG_PEEK)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            head = b""
        if not head:  # closed or reset before a request: nothing to serve
            self._forget(connection)
            connection.close()
            return
        verdict = classify(head)
        if verdict == "wait":
            return
        if verdict == "loop":
            self._pass(connection)
            return
        self._forget(connection)
        self._answer(connection, head)

    def _answer(self, connection: socket.socket, head: bytes) -> None:
        request = head[: head.find(b"\r\n\r\n") + 4]
        alive = self.alive()
        # A kept-alive connection goes on to the worker after the answer, as any other: a
        # flood of health checks on kept connections then loads the worker's loop, which
        # answers them in its protocol, and never this process, which must stay free for
        # the probes on new connections. A 503 closes, so the balancer's next try is new.
        keep = alive and keeps_alive(request)
        try:
            connection.recv(len(request))  # what was peeked, so the close sends no reset
            connection.send(response(request, alive=alive, keep_alive=keep))
        except OSError:
            connection.close()  # the prober left; nothing to tell it
            return
        if keep:
            self._pass(connection)
        else:
            connection.close()

    def _forget(self, connection: socket.socket) -> None:
        if connection in self._sorting:
            self._selector.unregister(connection)
            del self._sorting[connection]

    def _pass(self, connection: socket.socket) -> None:
        self._forget(connection)
        if len(self._waiting) >= MAX_WAITING:
            self._failed("the worker takes no connections")
            connection.close()
            return
        self._waiting.append(connection)
        if len(self._waiting) == 1:
            self._flush()

    def _flush(self) -> None:
        while self._waiting:
            connection = self._waiting[0]
            try:
                socket.send_fds(self.channel, [b"c"], [connection.fileno()])
            except (BlockingIOError, InterruptedError):
                # Told when the worker has read some: the channel is watched for writing.
                self._selector.modify(self.channel, selectors.EVENT_READ | selectors.EVENT_WRITE)
                return
            except OSError:  # the worker is gone; end-of-file on the channel stops us
                self._failed("the worker's channel is closed")
                for waiting in self._waiting:
                    waiting.close()
                self._waiting.clear()
                return
            self._waiting.popleft()
            connection.close()  # this process's copy; the worker holds its own
        if self._selector.get_key(self.channel).events != selectors.EVENT_READ:
            self._selector.modify(self.channel, selectors.EVENT_READ)

    def _failed(self, what: str) -> None:
        self._warn(f"a connection was closed unserved: {what}")

    def _warn(self, message: str) -> None:
        """Logged at most once per LOG_EVERY_SECONDS, so a lasting fault does not flood."""
        now = time.monotonic()
        if now - self._logged_at >= LOG_EVERY_SECONDS:
            self._logged_at = now
            log.warning(message)
