"""What every CLI command needs: settings, the secret key, and a transaction."""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import Annotated

import typer
from sqlalchemy import inspect
from sqlalchemy.orm import Session

# Every table, whatever the command imports itself: the data map names register tables that
# only Base.metadata knows, the mappers' relationships need their targets, and the packages
# owning case kinds ("request:12", "disclosure:7") register them on import (access/cases.py).
import dataskydd.all_models  # noqa: F401
from dataskydd import runtime
from dataskydd.cli import _
from dataskydd.config import Settings, get_settings
from dataskydd.db.session import make_session_factory, transaction
from dataskydd.errors import ConfigurationError
from dataskydd.messages_i18n import Msg
from dataskydd.policy.schema import Lang, Policy

# Ids are 32-bit in the schema (PostgreSQL INTEGER): a larger number names no row, and is
# refused as bad input rather than reaching the database as an overflow.
MAX_ID = 2**31 - 1
SubjectIdArgument = Annotated[
    int, typer.Argument(min=1, max=MAX_ID, help=_("The subject's id (see `subject find`)."))
]
JsonOption = Annotated[bool, typer.Option("--json", help=_("Print JSON."))]


class Language(StrEnum):
    SV = "sv"
    EN = "en"

    def as_lang(self) -> Lang:
        return "sv" if self is Language.SV else "en"


def current_policy(settings: Settings | None = None) -> Policy:
    settings = settings or get_settings()
    runtime.install_data_map(settings)
    return runtime.configured_policy(settings)


def cli_actor() -> str:
    return f"cli:{getpass.getuser()}"


@contextmanager
def cli_transaction(*, require_initialised: bool = True) -> Iterator[Session]:
    settings = get_settings()
    runtime.install_secret(settings)
    runtime.install_data_map(settings)
    engine = runtime.engine_for(settings.database_url)
    if require_initialised and not inspect(engine).has_table("alembic_version"):
        raise ConfigurationError(Msg("the database is not initialised: run `dataskydd init`"))
    with transaction(make_session_factory(engine)) as session:
        yield session
