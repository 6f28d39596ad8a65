"""One `dataskydd serve` process on loopback for the HTTP benchmarks, started and awaited."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from typing import IO, Any

import httpx


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(
    url: str,
    port: int,
    *,
    secret: str,
    log: IO[bytes] | Any = None,
    extra_env: Mapping[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """The server with only the given DATASKYDD_* settings (none inherited from the shell);
    returns once /healthz answers, or exits the benchmark after 30 s."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATASKYDD_")}
    env |= {"DATASKYDD_DATABASE_URL": url, "DATASKYDD_SECRET_KEY": secret, **(extra_env or {})}
    process = subprocess.Popen(
        [sys.executable, "-m", "dataskydd", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log if log is not None else sys.stderr,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("server did not start; see its log above")
