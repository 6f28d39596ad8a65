"""A throw-away working directory with its own database and key, as a new operator has."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner, Result

from dataskydd import runtime
from dataskydd.cli import app
from dataskydd.config import get_settings
from tests.conftest import POSTGRES_URL, company_env, postgres_schema

Run = Callable[..., Result]


@pytest.fixture
def workdir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, policy_file: Path | None
) -> Iterator[Path]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATASKYDD_DATABASE_URL", f"sqlite:///{tmp_path / 'dataskydd.db'}")
    monkeypatch.setenv("DATASKYDD_KEY_FILE", str(tmp_path / "dataskydd.key"))
    monkeypatch.delenv("DATASKYDD_SECRET_KEY", raising=False)
    for name in ("DATASKYDD_POLICY_FILE", "DATASKYDD_DATA_MAP"):
        monkeypatch.delenv(name, raising=False)
    for name, value in company_env(policy_file).items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    runtime.engine_for.cache_clear()
    yield tmp_path
    for engine in list(_engines()):
        engine.dispose()
    runtime.engine_for.cache_clear()
    get_settings.cache_clear()


@contextmanager
def on_postgres(prefix: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """The commands of a `workdir` test pointed at a new, empty PostgreSQL schema (dropped
    afterwards); yields an engine on the same schema, for the test's own reads."""
    with postgres_schema(prefix) as engine:
        with engine.connect() as connection:
            schema = connection.scalar(text("SELECT current_schema()"))
        url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
        monkeypatch.setenv("DATASKYDD_DATABASE_URL", url.render_as_string(hide_password=False))
        get_settings.cache_clear()
        runtime.engine_for.cache_clear()
        try:
            yield engine
        finally:
            runtime.engine_for(get_settings().database_url).dispose()
            runtime.engine_for.cache_clear()


def _engines() -> Iterator[object]:
    url = get_settings().database_url
    yield runtime.engine_for(url)


@pytest.fixture
def run(workdir: Path) -> Run:
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None) -> Result:
        return runner.invoke(app, list(args), input=input, catch_exceptions=False)

    return invoke


@pytest.fixture
def initialised(run: Run) -> Result:
    result = run("init", "--admin-password", "Korrekt-Häst-Batteri-9")
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(autouse=True)
def every_read_is_decided(sql_guard: Any) -> Iterator[None]:
    """Issue 8: a route or command that reads personal data without an access decision fails
    its test here, whatever the test itself asserts (tests/access/sql_guard.py)."""
    sql_guard.only_through = ("web/", "cli/")
    with sql_guard.watching():
        yield
    sql_guard.assert_clean(saw_personal_data=False)
