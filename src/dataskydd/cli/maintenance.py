"""`dataskydd reclaim`: let erased values leave the database files (schedule it nightly)."""

from __future__ import annotations

import typer

from dataskydd import runtime
from dataskydd.cli._context import cli_transaction
from dataskydd.config import get_settings
from dataskydd.datamap.entries import register_tables
from dataskydd.db.maintenance import reclaim_space


def reclaim() -> None:
    """VACUUM the tables that hold personal data, so deleted rows are gone from the files.

    Needed on PostgreSQL after erasures (see docs/postgresql.md); on SQLite it compacts the
    file, whose deleted content is already overwritten.
    """
    with cli_transaction():
        pass  # refuses an uninitialised database and loads the key, like every command
    engine = runtime.engine_for(get_settings().database_url)
    for statement in reclaim_space(engine, [entry.table for entry in register_tables()]):
        typer.echo(statement)


def register(app: typer.Typer) -> None:
    app.command("reclaim")(reclaim)
