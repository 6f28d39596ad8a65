"""One `dataskydd serve` process on loopback for the HTTP benchmarks, started and awaited."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import httpx
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from dataskydd.db.session import make_engine


@contextmanager
def fresh_database(kind: str, workdir: Path, postgres_url: str) -> Iterator[tuple[str, Engine]]:
    """A URL the server can open, and an engine on the same database."""
    if kind == "sqlite":
        url = f"sqlite:///{workdir / 'bench.db'}"
        engine = make_engine(url)
        try:
            yield url, engine
        finally:
            engine.dispose()
        return
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(postgres_url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    # The server gets the schema through the URL (libpq's `options` connection parameter),
    # and a name, so that its connections can be ended before the schema is dropped: a
    # backend waiting for a lock notices only later that its client is gone.
    url = make_url(postgres_url).update_query_dict(
        {"options": f"-csearch_path={schema}", "application_name": schema}
    )
    engine = make_engine(url.render_as_string(hide_password=False))
    try:
        yield url.render_as_string(hide_password=False), engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE application_name = :name"
                ),
                {"name": schema},
            )
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def stop(server: subprocess.Popen[bytes]) -> None:
    """Stop the server even with requests in flight: uvicorn waits for them on SIGTERM, and
    its open transactions (with the chain lock) would block every other user of the database."""
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=10)


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
    workers: int = 1,
    command: Sequence[str] | None = None,
) -> subprocess.Popen[bytes]:
    """The server with only the given DATASKYDD_* settings (none inherited from the shell);
    returns once /healthz answers, or exits the benchmark after 30 s. `command` replaces
    `dataskydd serve` (a script serving the same app with additions)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATASKYDD_")}
    env |= {"DATASKYDD_DATABASE_URL": url, "DATASKYDD_SECRET_KEY": secret, **(extra_env or {})}
    process = subprocess.Popen(
        list(command)
        if command is not None
        else [
            *(sys.executable, "-m", "dataskydd", "serve", "--host", "127.0.0.1"),
            *("--port", str(port), "--workers", str(workers)),
        ],
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
