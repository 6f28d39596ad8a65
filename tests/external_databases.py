"""Throw-away databases on the real servers, standing in for a company's other systems.

Each context manager creates an empty database and yields its URL, then drops it. The servers
are the machine's: PostgreSQL at 127.0.0.1:5432 (trust auth) and MariaDB at 127.0.0.1:3306
(root, empty password); SQLite is a file. Outside CI an absent server skips the test with the
reason; with CI=true it fails (tests/conftest.py: unavailable).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from tests.conftest import unavailable

POSTGRES_ADMIN_URL = os.environ.get(
    "DATASKYDD_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
MARIADB_ADMIN_URL = os.environ.get(
    "DATASKYDD_TEST_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/test"
)
KINDS = ("postgresql", "mariadb", "sqlite")


def _name() -> str:
    return f"ext_{uuid.uuid4().hex[:12]}"


@contextmanager
def postgres_database() -> Iterator[str]:
    name = _name()
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as error:
        admin.dispose()
        unavailable("PostgreSQL at 127.0.0.1:5432", error)
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def mariadb_database() -> Iterator[str]:
    name = _name()
    admin = create_engine(MARIADB_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
    except OperationalError as error:
        admin.dispose()
        unavailable("MariaDB at 127.0.0.1:3306", error)
    base = MARIADB_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
        admin.dispose()


@contextmanager
def sqlite_database(directory: Path) -> Iterator[str]:
    path = directory / f"{_name()}.db"
    yield f"sqlite:///{path}"
    path.unlink(missing_ok=True)


@contextmanager
def external_database(kind: str, directory: Path) -> Iterator[str]:
    """An empty database of `kind` (one of KINDS); its URL."""
    if kind == "postgresql":
        with postgres_database() as url:
            yield url
    elif kind == "mariadb":
        with mariadb_database() as url:
            yield url
    else:
        with sqlite_database(directory) as url:
            yield url
