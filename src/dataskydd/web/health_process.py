"""The accepting process beside each `dataskydd serve` worker (web/health_acceptor.py), and the
heartbeat the two share.

    python -m dataskydd.web.health_process LISTENER_FD CHANNEL_FD HEARTBEAT_FD STALLED_SECONDS

Started by the worker (web/health_loop.py) with three descriptors: the listening socket, its
end of a SOCK_SEQPACKET pair over which every connection that is not a health check goes to
the worker (SCM_RIGHTS: the same socket, no bytes copied), and a memfd holding the worker
loop's heartbeat. It imports nothing of the app. It ends when the worker closes its end or
dies (the channel reads end-of-file), so it never outlives its worker.
"""

from __future__ import annotations

import logging
import mmap
import os
import signal
import socket
import struct
import sys
import time

from dataskydd.web import health_acceptor

_STAMP = struct.Struct("d")


class SharedHeartbeat:
    """A monotonic-clock stamp in shared memory: the worker writes it, the acceptor reads it
    (CLOCK_MONOTONIC is one clock for every process of the machine)."""

    def __init__(self, fd: int, stalled_seconds: float = health_acceptor.STALLED_SECONDS) -> None:
        self.fd = fd
        self.stalled_seconds = stalled_seconds
        self._memory = mmap.mmap(fd, _STAMP.size)

    @classmethod
    def create(cls) -> SharedHeartbeat:
        fd = os.memfd_create("dataskydd-heartbeat", os.MFD_CLOEXEC)
        os.ftruncate(fd, _STAMP.size)
        heartbeat = cls(fd)
        heartbeat.stamp()
        return heartbeat

    def stamp(self) -> None:
        _STAMP.pack_into(self._memory, 0, time.monotonic())

    def alive(self) -> bool:
        (stamped,) = _STAMP.unpack_from(self._memory, 0)
        return bool(time.monotonic() - stamped < self.stalled_seconds)

    def close(self) -> None:
        self._memory.close()
        os.close(self.fd)


def main(argv: list[str] | None = None) -> None:
    listener, channel_fd, heartbeat_fd, stalled = argv if argv is not None else sys.argv[1:]
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # Ctrl+C reaches the whole process group: the worker shuts down and closes the channel,
    # which ends this process; a KeyboardInterrupt here would only add a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    heartbeat = SharedHeartbeat(int(heartbeat_fd), float(stalled))
    acceptor = health_acceptor.HealthAcceptor(
        socket.socket(fileno=int(listener)),
        socket.socket(fileno=int(channel_fd)),
        alive=heartbeat.alive,
    )
    acceptor.serve()


if __name__ == "__main__":
    main()
