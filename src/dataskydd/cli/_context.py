"""What every CLI command needs: settings, the secret key, and a transaction."""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from functools import lru_cache

from sqlalchemy import Engine, inspect
from sqlalchemy.orm import Session

from dataskydd import crypto
from dataskydd.config import Settings, get_settings
from dataskydd.db.session import make_engine, make_session_factory, transaction
from dataskydd.errors import ConfigurationError
from dataskydd.policy.loader import load_bundled_policy, load_policy
from dataskydd.policy.schema import Lang, Policy


class Language(StrEnum):
    SV = "sv"
    EN = "en"

    def as_lang(self) -> Lang:
        return "sv" if self is Language.SV else "en"


def load_secret(settings: Settings) -> str:
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value()
    if settings.key_file.exists():
        return crypto.read_key_file(settings.key_file)
    raise ConfigurationError(
        f"no secret key: {settings.key_file} does not exist and DATASKYDD_SECRET_KEY is not set "
        "(run `dataskydd init`)"
    )


@lru_cache
def engine_for(url: str) -> Engine:
    return make_engine(url)


def current_policy(settings: Settings | None = None) -> Policy:
    settings = settings or get_settings()
    if settings.policy_file is not None:
        return load_policy(settings.policy_file)
    return load_bundled_policy()


def cli_actor() -> str:
    return f"cli:{getpass.getuser()}"


@contextmanager
def cli_transaction(*, require_initialised: bool = True) -> Iterator[Session]:
    settings = get_settings()
    crypto.install_keyring(crypto.Keyring(load_secret(settings)))
    engine = engine_for(settings.database_url)
    if require_initialised and not inspect(engine).has_table("alembic_version"):
        raise ConfigurationError("the database is not initialised: run `dataskydd init`")
    with transaction(make_session_factory(engine)) as session:
        yield session
