"""Shared fixtures: a migrated database per backend, a rolled-back session per test.

Every service test runs on SQLite and on the PostgreSQL server at 127.0.0.1:5432. Outside CI
the PostgreSQL runs are skipped (with the reason) when the server is absent; with CI=true they
fail instead, because a CI run that skips them has not tested what it claims.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import NoReturn

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from dataskydd import crypto
from dataskydd.datamap import entries
from dataskydd.datamap.connections import url_variable
from dataskydd.datamap.entries import DataMap
from dataskydd.datamap.map_files import load_bundled_map, load_map_directory
from dataskydd.db.migrate import upgrade_to_head
from dataskydd.db.session import make_engine
from dataskydd.policy.loader import load_bundled_policy, load_policy
from dataskydd.policy.schema import Policy
from tests import company_schemas

POSTGRES_URL = os.environ.get(
    "DATASKYDD_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() == "true"
# The command line speaks the machine's language (cli/__init__.py: language()); the suite
# asserts its English texts, so it runs in English here and in every process a test starts
# (tests/cli/test_cli_language.py sets another language where it tests one).
os.environ["DATASKYDD_LANGUAGE"] = "en"
TEST_SECRET = "test-secret-" + "x" * 40


def unavailable(what: str, error: Exception) -> NoReturn:
    message = f"{what} is not reachable ({type(error).__name__})"
    if IN_CI:
        pytest.fail(f"{message}; CI must run these tests", pytrace=False)
    pytest.skip(message)


# The policy the suite runs against: the bundled Omilon policy, or the file named by
# DATASKYDD_TEST_POLICY (a relative path is taken from the repository root), e.g.
# `DATASKYDD_TEST_POLICY=examples/bokhandel/policy.yaml pytest`. A policy file with a
# `data-map` directory beside it (a company directory under examples/) brings its data map;
# DATASKYDD_TEST_DATA_MAP names another. The `policy` fixture, the
# web app (tests/web/conftest.py), the CLI's working directory (tests/cli/conftest.py) and the
# browser tests' server use it; modules that load the bundled policy themselves do not.
TEST_POLICY_ENV = "DATASKYDD_TEST_POLICY"
REPO = Path(__file__).resolve().parents[1]


TEST_DATA_MAP_ENV = "DATASKYDD_TEST_DATA_MAP"


def _from_env(name: str) -> Path | None:
    value = os.environ.get(name, "").strip()
    if not value:
        return None
    path = Path(value)
    return path if path.is_absolute() else REPO / path


def configured_policy_file() -> Path | None:
    return _from_env(TEST_POLICY_ENV)


def data_map_beside(policy_file: Path | None) -> Path | None:
    """The data map directory of the policy under test: DATASKYDD_TEST_DATA_MAP, else the
    company directory's `data-map` beside its policy, else None (the bundled map)."""
    named = _from_env(TEST_DATA_MAP_ENV)
    if named is not None:
        return named
    if policy_file is not None and (policy_file.parent / "data-map").is_dir():
        return policy_file.parent / "data-map"
    return None


def company_env(policy_file: Path | None) -> dict[str, str]:
    """The settings a server or CLI process under test needs for the company under test."""
    env: dict[str, str] = {}
    if policy_file is not None:
        env["DATASKYDD_POLICY_FILE"] = str(policy_file)
    directory = data_map_beside(policy_file)
    if directory is not None:
        env["DATASKYDD_DATA_MAP"] = str(directory)
    return env


@cache
def load_test_data_map(directory: Path | None) -> DataMap:
    return load_map_directory(directory) if directory is not None else load_bundled_map()


@cache
def load_test_policy(path: Path | None) -> Policy:
    return load_policy(path) if path is not None else load_bundled_policy()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """`@pytest.mark.omilon_only(reason)`: a test of the bundled Omilon policy's own content
    (its exact sentences, its telecom tables). It runs in the default suite, where nothing may
    skip, and is skipped, with its reason, only when another company's policy is under test."""
    configured = configured_policy_file()
    if configured is None or load_test_policy(configured) == load_bundled_policy():
        return
    for item in items:
        marker = item.get_closest_marker("omilon_only")
        if marker is not None:
            reason = marker.kwargs.get("reason") or (marker.args[0] if marker.args else "")
            item.add_marker(pytest.mark.skip(reason=f"Omilon's own content: {reason}"))


@pytest.fixture
def policy_file() -> Path | None:
    """The policy file under test; None for the bundled policy. Override it in a module to run
    that module against another policy (tests/test_other_company_policy.py)."""
    return configured_policy_file()


@pytest.fixture
def policy(policy_file: Path | None) -> Policy:
    return load_test_policy(policy_file)


@pytest.fixture
def data_map_dir(policy_file: Path | None) -> Path | None:
    return data_map_beside(policy_file)


@pytest.fixture(scope="session")
def other_system_urls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The example companies' other systems (tests/company_schemas.py), each an SQLite file
    made once per run and named by its DATASKYDD_SYSTEM_<KEY>_URL, as an operator sets it."""
    directory = tmp_path_factory.mktemp("systems")
    urls: dict[str, str] = {}
    for system in company_schemas.SCHEMAS:
        urls[system] = f"sqlite:///{directory / system}.db"
        company_schemas.create(system, urls[system])
    before = {key: os.environ.get(url_variable(key)) for key in urls}
    os.environ.update({url_variable(key): url for key, url in urls.items()})
    yield urls
    for key, value in before.items():
        if value is None:
            os.environ.pop(url_variable(key), None)
        else:
            os.environ[url_variable(key)] = value


@pytest.fixture(autouse=True)
def data_map(data_map_dir: Path | None, other_system_urls: dict[str, str]) -> Iterator[DataMap]:
    """The company's data map installed for the test (as the entry points do at start-up),
    and the suite's own put back afterwards."""
    installed = load_test_data_map(data_map_dir)
    entries.install(installed)
    yield installed
    entries.install(load_test_data_map(data_map_beside(configured_policy_file())))


@pytest.fixture(autouse=True)
def keyring() -> Iterator[crypto.Keyring]:
    ring = crypto.Keyring(TEST_SECRET)
    crypto.install_keyring(ring)
    yield ring
    crypto.install_keyring(None)


def _sqlite_engine(path: Path) -> Engine:
    # make_engine takes over BEGIN from pysqlite (BEGIN IMMEDIATE), which also makes the
    # SAVEPOINTs of the rolled-back test session work (SQLAlchemy SQLite docs).
    return make_engine(f"sqlite:///{path}")


@pytest.fixture(scope="session")
def sqlite_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    crypto.install_keyring(crypto.Keyring(TEST_SECRET))
    engine = _sqlite_engine(tmp_path_factory.mktemp("db") / "test.db")
    upgrade_to_head(engine)
    yield engine
    engine.dispose()


@contextmanager
def postgres_schema(prefix: str) -> Iterator[Engine]:
    """An engine whose search_path is a new, empty schema, dropped afterwards."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = make_engine(POSTGRES_URL)
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as error:
        admin.dispose()
        unavailable("PostgreSQL at " + POSTGRES_URL, error)
    engine = make_engine(POSTGRES_URL, connect_args={"options": f"-csearch_path={schema}"})
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_engine() -> Iterator[Engine]:
    with postgres_schema("t") as engine:
        crypto.install_keyring(crypto.Keyring(TEST_SECRET))
        upgrade_to_head(engine)
        yield engine


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest) -> Engine:
    fixture = "sqlite_engine" if request.param == "sqlite" else "postgres_engine"
    return request.getfixturevalue(fixture)  # type: ignore[no-any-return]


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session inside an outer transaction that is rolled back after the test."""
    connection = engine.connect()
    outer = connection.begin()
    db_session = Session(bind=connection, join_transaction_mode="create_savepoint")
    try:
        yield db_session
    finally:
        db_session.close()
        outer.rollback()
        connection.close()


@pytest.fixture
def factories(session: Session) -> Iterator[None]:
    from tests import factories as module

    module.bind_factories(session)
    yield
    module.bind_factories(None)


@pytest.fixture
def sql_guard() -> Iterator[object]:
    """Opt-in watch on every SQL statement: reads of personal-data categories that no access
    decision granted become violations (tests/access/sql_guard.py). Use `with
    sql_guard.watching(): ...` around the calls under test, then `sql_guard.assert_clean()`."""
    from dataskydd.access import guard
    from tests.access.sql_guard import SqlGuard

    # Grants of earlier tests in this thread must not cover this test's reads.
    guard.reset()
    yield SqlGuard()
    guard.reset()


# Test modules that read the map at import (parametrize lists) see the company under test's.
entries.install(load_test_data_map(data_map_beside(configured_policy_file())))
