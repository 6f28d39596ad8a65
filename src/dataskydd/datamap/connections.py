"""Connections to the company's other systems (docs/data-map.md): the URL of each from the
environment or the secrets file, never from the map; engines with bounded waits, read-only
where nothing is to be changed.

Every wait is bounded so that a system that is down makes a request wait and retry visibly
in the DPO's queue instead of hanging a worker: connecting (5 s), each statement (30 s on
PostgreSQL and MariaDB), the pool (5 s).
"""

from __future__ import annotations

import os
import stat
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from dataskydd.config import Settings
from dataskydd.errors import ConfigurationError, DataskyddError
from dataskydd.messages_i18n import Msg

CONNECT_SECONDS = 5
STATEMENT_SECONDS = 30
_MAX_SECRETS_BYTES = 100_000


class SystemUnavailable(DataskyddError):
    """Another system could not be reached or answered with an error; nothing was changed
    in it by the failed step, and the work can be tried again."""

    status_code = 503
    exit_code = 1


def url_variable(system: str) -> str:
    return f"DATASKYDD_SYSTEM_{system.upper()}_URL"


def _secrets(settings: Settings) -> dict[str, str]:
    path = settings.systems_secrets_file
    if path is None:
        return {}
    where = "DATASKYDD_SYSTEMS_SECRETS_FILE"
    try:
        info = path.stat()
        if info.st_size > _MAX_SECRETS_BYTES:
            raise ConfigurationError(
                Msg("{where}: {name} is larger than 100 kB", where=where, name=path.name)
            )
        if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise ConfigurationError(
                Msg(
                    "{where}: {name} may be read by others; it holds passwords (chmod 600 {name})",
                    where=where,
                    name=path.name,
                )
            )
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigurationError(
            Msg("{where}: {path} does not exist", where=where, path=path)
        ) from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        raise ConfigurationError(
            Msg("{where}: {name} is not a readable YAML file", where=where, name=path.name)
        ) from None
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in data.items()
    ):
        raise ConfigurationError(
            Msg("{where}: {name} must map system keys to URLs", where=where, name=path.name)
        )
    return data


def system_url(system: str, settings: Settings) -> str:
    """The URL of a system of the map: its environment variable, else the secrets file."""
    url = os.environ.get(url_variable(system)) or _secrets(settings).get(system)
    if not url:
        raise ConfigurationError(
            Msg(
                "system '{system}': no connection URL; set {url_variable} or "
                "add '{system}' to the file named by "
                "DATASKYDD_SYSTEMS_SECRETS_FILE",
                system=system,
                url_variable=url_variable(system),
            )
        )
    return url


def parse_url(url: str) -> URL:
    """The URL with the driver this project installs: psycopg, PyMySQL, sqlite3."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigurationError(Msg("not a database URL (e.g. postgresql://host/db)")) from None
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        return parsed.set(drivername="postgresql+psycopg")
    if backend in ("mysql", "mariadb"):
        return parsed.set(drivername="mysql+pymysql")
    if backend == "sqlite":
        return parsed.set(drivername="sqlite")
    raise ConfigurationError(
        Msg(
            "database kind '{backend}' is not supported; use PostgreSQL, MariaDB/MySQL or SQLite",
            backend=backend,
        )
    )


def describe(url: str) -> str:
    """The URL as it may appear in messages and logs: no password."""
    try:
        return parse_url(url).render_as_string(hide_password=True)
    except ConfigurationError:
        return "(not a database URL)"


def _sqlite_read_only(parsed: URL) -> URL:
    database = parsed.database or ""
    if database in ("", ":memory:"):
        raise ConfigurationError(Msg("an SQLite system needs a file path"))
    if not Path(database).is_file():
        raise SystemUnavailable(Msg("SQLite file not found: {name}", name=Path(database).name))
    # The file opened read-only by SQLite itself: no write can reach it through this engine.
    return parsed.set(database=f"file:{Path(database).resolve()}?mode=ro", query={"uri": "true"})


def open_engine(url: str, *, read_only: bool) -> Engine:
    parsed = parse_url(url)
    backend = parsed.get_backend_name()
    kwargs: dict[str, Any] = {"pool_pre_ping": True}
    connect_args: dict[str, Any] = {}
    if backend == "postgresql":
        options = f"-c statement_timeout={STATEMENT_SECONDS * 1000} -c lock_timeout=5000"
        if read_only:
            options += " -c default_transaction_read_only=on"
        connect_args = {"connect_timeout": CONNECT_SECONDS, "options": options}
        kwargs |= {"pool_size": 2, "max_overflow": 4, "pool_timeout": CONNECT_SECONDS}
    elif backend == "mysql":
        connect_args = {
            "connect_timeout": CONNECT_SECONDS,
            "read_timeout": STATEMENT_SECONDS,
            "write_timeout": STATEMENT_SECONDS,
            "charset": "utf8mb4",
        }
        kwargs |= {"pool_size": 2, "max_overflow": 4, "pool_timeout": CONNECT_SECONDS}
    else:
        if read_only:
            parsed = _sqlite_read_only(parsed)
        connect_args = {"timeout": CONNECT_SECONDS}
    engine = create_engine(parsed, connect_args=connect_args, **kwargs)
    if backend == "sqlite":

        @event.listens_for(engine, "connect")
        def _foreign_keys(dbapi_connection: Any, _record: Any) -> None:
            # SQLite checks the foreign keys a schema declares only when asked: an erasure
            # must fail, not leave a row pointing at one it deleted, as on the other servers.
            dbapi_connection.execute("PRAGMA foreign_keys = ON")

    if backend == "mysql" and read_only:

        @event.listens_for(engine, "connect")
        def _read_only(dbapi_connection: Any, _record: Any) -> None:
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SET SESSION TRANSACTION READ ONLY")

    return engine


@lru_cache(maxsize=64)
def engine_for(url: str, read_only: bool) -> Engine:
    """One engine per system and mode for the process (its pool is shared by requests)."""
    return open_engine(url, read_only=read_only)
