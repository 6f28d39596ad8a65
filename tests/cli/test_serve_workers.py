"""`dataskydd serve --workers N`, and several instances on one PostgreSQL (issue 9).

Real servers: `python -m dataskydd serve` in subprocesses on free loopback ports, each awaited
for at most 30 s and stopped afterwards (its whole process group, if it does not stop).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from dataskydd.config import get_settings
from tests import servers
from tests.cli.conftest import Run
from tests.conftest import POSTGRES_URL, postgres_schema

ADMIN_PASSWORD = "Korrekt-Häst-Batteri-9"
STARTUP_SECONDS = 30


def _environment(workdir: Path, database_url: str) -> dict[str, str]:
    # DATASKYDD_LANGUAGE kept: the CLI speaks English in the suite (tests/conftest.py).
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("DATASKYDD_") or k == "DATASKYDD_LANGUAGE"
    }
    env.update(
        {
            "DATASKYDD_DATABASE_URL": database_url,
            "DATASKYDD_KEY_FILE": str(workdir / "dataskydd.key"),
            # Plain http on loopback: the clients below must get the form cookies back.
            "DATASKYDD_COOKIE_SECURE": "false",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def _init(workdir: Path, env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "-m", "dataskydd", "init", "--admin-password", ADMIN_PASSWORD],
        cwd=workdir,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )


@contextmanager
def serving(workdir: Path, env: dict[str, str], *args: str) -> Iterator[tuple[str, int]]:
    """(base URL, pid) of `dataskydd serve *args` on a free port, stopped on exit."""
    with servers.serving(workdir, env, *args) as (process, base, _log):
        yield base, process.pid


def _workers_of(pid: int) -> int:
    """Child processes of `pid` started by multiprocessing (uvicorn's workers)."""
    count = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = (entry / "stat").read_text().rsplit(")", 1)[1].split()[1]
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if parent == str(pid) and b"spawn_main" in command:
            count += 1
    return count


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="counts worker processes in /proc")
def test_serve_with_two_workers_answers_requests(tmp_path: Path) -> None:
    env = _environment(tmp_path, f"sqlite:///{tmp_path / 'dataskydd.db'}")
    _init(tmp_path, env)
    with serving(tmp_path, env, "--workers", "2") as (base, pid):
        deadline = time.monotonic() + STARTUP_SECONDS
        while _workers_of(pid) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _workers_of(pid) == 2
        with httpx.Client(base_url=base, timeout=10) as client:
            for path in ("/healthz", "/login", "/integritetspolicy", "/registerutdrag") * 5:
                assert client.get(path).status_code == 200, path


def _wrong_login(client: httpx.Client) -> int:
    page = client.get("/login")
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    answer = client.post(
        "/login", data={"username": "nobody", "password": "Fel-lösenord-123", "csrf_token": token}
    )
    return answer.status_code


@pytest.mark.postgres
def test_instances_on_one_postgresql_share_the_login_limit(tmp_path: Path) -> None:
    with postgres_schema("serve") as engine:
        with engine.connect() as connection:
            schema = connection.scalar(text("SELECT current_schema()"))
        url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
        env = _environment(tmp_path, url.render_as_string(hide_password=False))
        _init(tmp_path, env)
        with (
            serving(tmp_path, env, "--workers", "2") as (first, _),
            serving(tmp_path, env) as (second, _),
            httpx.Client(base_url=first, timeout=30) as one,
            httpx.Client(base_url=second, timeout=30) as two,
        ):
            statuses = [_wrong_login(client) for _ in range(10) for client in (one, two)]
            assert statuses == [401] * 20
            assert _wrong_login(one) == 429
            assert _wrong_login(two) == 429


class TestRefusals:
    """Settings `serve` refuses before anything listens (exit code 6, configuration)."""

    def test_beyond_loopback_without_a_public_url(self, run: Run) -> None:
        result = run("serve", "--host", "0.0.0.0")  # noqa: S104
        assert result.exit_code == 6
        assert "DATASKYDD_PUBLIC_BASE_URL is not set" in result.output

    def test_behind_a_proxy_without_a_public_url(
        self, run: Run, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("DATASKYDD_TRUSTED_PROXIES", "127.0.0.1")
        get_settings.cache_clear()
        result = run("serve")
        assert result.exit_code == 6
        assert "through a proxy" in result.output

    def test_a_malformed_proxy_list(self, run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("DATASKYDD_TRUSTED_PROXIES", "10.0.0.0/8, *")
        get_settings.cache_clear()
        try:
            result = run("serve")
        finally:
            monkeypatch.delenv("DATASKYDD_TRUSTED_PROXIES")  # the fixture reads the settings
            get_settings.cache_clear()
        assert result.exit_code == 6
        assert "DATASKYDD_TRUSTED_PROXIES" in result.output
        assert "not an IP address" not in result.output
        assert "would believe any client" in result.output

    @pytest.mark.parametrize("workers", ["0", "17"])
    def test_workers_out_of_bounds(self, run: Run, workers: str) -> None:
        assert run("serve", "--workers", workers).exit_code == 2
