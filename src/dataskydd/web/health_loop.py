"""The event loop `dataskydd serve` runs: uvicorn's own choice (uvloop when installed), whose
TCP server leaves accepting to a small process beside the worker that answers /healthz itself
(web/health_acceptor.py, web/health_process.py).

uvicorn takes a custom loop factory by import string (its `loop` setting), in every worker
process it starts, and it opens its listening socket through `loop.create_server`: that call
is the one place where both the socket and uvicorn's protocol factory are known, so the loop
overrides it and nothing of uvicorn is copied or patched. The server it returns closes like
asyncio's: no new connections, the connections already handed to the loop run on.

Off Linux (no memfd, no SCM_RIGHTS over SOCK_SEQPACKET) and for TLS the ordinary server is
used, and /healthz is answered by the HTTP protocol (web/health_protocol.py).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from dataskydd.web import health_acceptor
from dataskydd.web.health_process import SharedHeartbeat

try:
    import uvloop

    _BaseLoop: type[asyncio.AbstractEventLoop] = uvloop.Loop
except ImportError:  # uvloop is optional: asyncio's own loop does the same job, slower
    _BaseLoop = asyncio.SelectorEventLoop

log = logging.getLogger("dataskydd.web")

LOOP_FACTORY = "dataskydd.web.health_loop:new_loop"
PROCESS_MODULE = "dataskydd.web.health_process"
SUPPORTED = sys.platform == "linux" and hasattr(os, "memfd_create") and hasattr(socket, "send_fds")
# Connections taken from the accepting process per turn of the loop.
RECEIVE_BATCH = 256


class HealthProcess:
    """The worker's side: starts the accepting process, adopts the connections it passes,
    stamps the heartbeat, and starts a new process if the old one dies."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        listener: socket.socket,
        adopt: Callable[[socket.socket], None],
    ) -> None:
        self.loop = loop
        self.listener = listener
        self.adopt = adopt
        self.heartbeat = SharedHeartbeat.create()
        self.process: subprocess.Popen[bytes] | None = None
        self.channel: socket.socket | None = None
        self.closing = False
        self._beat: asyncio.TimerHandle | None = None
        self._started_at = 0.0

    def start(self) -> None:
        self._stamp()
        self._spawn()

    def _stamp(self) -> None:
        self.heartbeat.stamp()
        self._beat = self.loop.call_later(health_acceptor.BEAT_SECONDS, self._stamp)

    def _spawn(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        descriptors = (self.listener.fileno(), theirs.fileno(), self.heartbeat.fd)
        self.process = subprocess.Popen(  # noqa: S603 (our own module, our own interpreter)
            [
                sys.executable,
                "-m",
                PROCESS_MODULE,
                *(str(fd) for fd in descriptors),
                str(health_acceptor.STALLED_SECONDS),
            ],
            pass_fds=descriptors,
            stdin=subprocess.DEVNULL,
        )
        theirs.close()
        ours.setblocking(False)
        self.channel = ours
        self._started_at = time.monotonic()
        self.loop.add_reader(ours.fileno(), self._receive)

    def _receive(self) -> None:
        channel = self.channel
        assert channel is not None
        for _ in range(RECEIVE_BATCH):
            try:
                message, descriptors, _flags, _address = socket.recv_fds(channel, 1, 1)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                message, descriptors = b"", []
            if not message and not descriptors:  # the accepting process has ended
                self._lost()
                return
            for fd in descriptors:
                self.adopt(socket.socket(fileno=fd))

    def _lost(self) -> None:
        self._drop_channel()
        if self.closing:
            return
        code = self.process.poll() if self.process is not None else None
        log.error("the accepting process ended (exit %s); starting another", code)
        # At most one start a second, so a process that cannot run does not spin a core.
        delay = max(0.0, self._started_at + 1.0 - time.monotonic())
        self.loop.call_later(delay, self._respawn)

    def _respawn(self) -> None:
        if not self.closing:
            self._reap()
            self._spawn()

    def _drop_channel(self) -> None:
        if self.channel is not None:
            self.loop.remove_reader(self.channel.fileno())
            self.channel.close()
            self.channel = None

    def _reap(self) -> None:
        if self.process is None:
            return
        try:
            self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def close(self) -> None:
        """No new connections after this: the accepting process sees its channel close."""
        if self.closing:
            return
        self.closing = True
        if self._beat is not None:
            self._beat.cancel()
        self._drop_channel()
        self._reap()
        self.heartbeat.close()


class AcceptorServer:
    """What `create_server` returns: enough of asyncio.Server for uvicorn, which closes it at
    shutdown and reads its sockets."""

    def __init__(self, health: HealthProcess) -> None:
        self._health = health
        self.sockets = [health.listener]
        self._closed = asyncio.Event()

    def close(self) -> None:
        self._health.close()
        self._closed.set()

    async def wait_closed(self) -> None:
        await self._closed.wait()

    def is_serving(self) -> bool:
        return not self._closed.is_set()


class HealthFirstLoop(_BaseLoop):  # type: ignore[misc,valid-type]
    async def create_server(
        self,
        protocol_factory: Any,
        host: str | None = None,
        port: int | None = None,
        *,
        sock: socket.socket | None = None,
        ssl: Any = None,
        backlog: int = 100,
        **options: Any,
    ) -> Any:
        if not SUPPORTED or ssl is not None or (sock is None and port is None):
            # TLS belongs to the proxy in front (docs/scaling.md); served the ordinary way.
            return await super().create_server(
                protocol_factory, host, port, sock=sock, ssl=ssl, backlog=backlog, **options
            )
        if sock is None:
            address = host or "127.0.0.1"
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            sock = socket.create_server((address, port or 0), family=family, backlog=backlog)
        else:
            # A socket bound by uvicorn's supervisor for its workers is not listening yet:
            # asyncio's create_server would listen, so this one does too.
            sock.listen(backlog)

        def adopt(connection: socket.socket) -> None:
            task = self.create_task(self.connect_accepted_socket(protocol_factory, connection))
            task.add_done_callback(_forget_refused)

        health = HealthProcess(self, sock, adopt)
        health.start()
        return AcceptorServer(health)


def _forget_refused(task: asyncio.Task[Any]) -> None:
    # A client that hung up between accept and adoption: nothing to serve, nothing to log.
    if task.cancelled():
        return
    error = task.exception()
    if error is not None and not isinstance(error, OSError):
        log.error("a connection could not be handed to the loop: %s", type(error).__name__)


def new_loop() -> asyncio.AbstractEventLoop:
    """uvicorn's `loop` setting points here (cli/serve.py)."""
    return HealthFirstLoop()
