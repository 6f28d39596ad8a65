"""Real `dataskydd serve` processes, for the tests that need one: the browser tests, the
crash tests (kill -9) and the tests of several workers and instances; and a bare uvicorn
server in a thread, for the tests of what `serve` gives uvicorn (its protocol, its loop)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import httpx
import pytest


def children_of(pid: int, *, running: str | None = None) -> list[int]:
    """The processes whose parent is `pid`, found by their parent in /proc (Linux); with
    `running`, only those whose command line holds it.

    Not through /proc/<pid>/task/*/children: the kernel documents that list as reliable only
    while the children are stopped, and it missed a freshly started one now and then.
    """
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with suppress(FileNotFoundError, ProcessLookupError):
            # The parent is the second field after the parenthesised command name.
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            if parent == pid and (
                running is None or running.encode() in (entry / "cmdline").read_bytes()
            ):
                found.append(int(entry.name))
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_serve(
    workdir: Path, env: Mapping[str, str], *args: str, startup_seconds: float = 120
) -> tuple[subprocess.Popen[bytes], str, Path]:
    """`dataskydd serve --port <free port> *args` in `workdir`, in a process group of its own
    (its workers go with it), logging to a file there. Returns (process, base URL, log) once
    /healthz answers; fails the test with the server's log if it exits or stays silent.

    The deadline is generous on purpose: a worker answers within seconds on a quiet machine,
    but CI runs four test processes on two cores, and a `--workers 2` start beside the browser
    tour once took over 30 s there. A server that never answers still fails, only later."""
    port = free_port()
    log = workdir / f"serve-{port}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "dataskydd", "serve", "--port", str(port), *args],
            cwd=workdir,
            env=dict(env),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + startup_seconds
    while True:
        if process.poll() is not None:
            pytest.fail(f"serve exited ({process.returncode}):\n{log.read_text()}")
        with suppress(httpx.HTTPError):
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return process, base, log
        if time.monotonic() > deadline:
            stop_serve(process)
            pytest.fail(f"serve did not answer within {startup_seconds:g} s:\n{log.read_text()}")
        time.sleep(0.1)


def stop_serve(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL to the whole group: workers left behind would keep the port and
    the database busy."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


@contextmanager
def serving(
    workdir: Path, env: Mapping[str, str], *args: str
) -> Iterator[tuple[subprocess.Popen[bytes], str, Path]]:
    """`start_serve`, stopped on exit."""
    process, base, log = start_serve(workdir, env, *args)
    try:
        yield process, base, log
    finally:
        stop_serve(process)


@contextmanager
def uvicorn_in_thread(app: Any, **options: Any) -> Iterator[int]:
    """uvicorn serving `app` on a free port in a thread, with `options` for its Config; its
    port once it has started. On exit it stops without waiting for a hanging request."""
    import uvicorn

    port = free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="off",
        timeout_graceful_shutdown=1,
        **options,
    )
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not instance.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.02)
    try:
        yield port
    finally:
        instance.should_exit = True
        thread.join(10)
        assert not thread.is_alive(), "the server did not stop"
