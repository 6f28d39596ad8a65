"""What every entry point (CLI, web) needs at start-up: the secret, the policy, the data map,
the engine."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from dataskydd import crypto
from dataskydd.config import Settings
from dataskydd.datamap import entries
from dataskydd.datamap.entries import DataMap
from dataskydd.datamap.map_files import load_bundled_map, load_map_directory
from dataskydd.db.session import make_engine, pool_for
from dataskydd.errors import ConfigurationError
from dataskydd.messages_i18n import Msg
from dataskydd.policy.loader import load_bundled_policy, load_policy
from dataskydd.policy.schema import Policy


def load_secret(settings: Settings) -> str:
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value()
    if settings.key_file.exists():
        return crypto.read_key_file(settings.key_file)
    raise ConfigurationError(
        Msg(
            "no secret key: {key_file} does not exist and "
            "DATASKYDD_SECRET_KEY is not set (run `dataskydd init`)",
            key_file=settings.key_file,
        )
    )


def install_secret(settings: Settings) -> None:
    crypto.install_keyring(crypto.Keyring(load_secret(settings)))


@lru_cache
def engine_for(url: str) -> Engine:
    return make_engine(url)


@lru_cache
def web_engine(url: str, concurrent_requests: int) -> Engine:
    """The web server's engine: its pool sized to the requests it admits at once."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:"):
        return make_engine(url)  # one connection shared by all: no pool to size
    return make_engine(url, **pool_for(concurrent_requests))


def configured_policy(settings: Settings) -> Policy:
    if settings.policy_file is not None:
        return load_policy(settings.policy_file)
    return load_bundled_policy()


def install_data_map(settings: Settings) -> DataMap:
    """The configured data map, installed for every later call of this process."""
    data_map = _data_map(settings.data_map)
    entries.install(data_map)
    return data_map


@lru_cache(maxsize=8)
def _data_map(directory: Path | None) -> DataMap:
    # Read once per process and directory: entry points install it at every start-up.
    return load_map_directory(directory) if directory is not None else load_bundled_map()
