"""`dataskydd reclaim`: let erased values leave the database files (schedule it nightly)."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy.exc import DBAPIError

from dataskydd import runtime
from dataskydd.cli import _
from dataskydd.cli._context import cli_transaction
from dataskydd.config import get_settings
from dataskydd.datamap.entries import register_tables
from dataskydd.db.maintenance import Limits, incomplete, reclaim_space
from dataskydd.errors import DataskyddError, InvalidInput
from dataskydd.messages_i18n import Msg


class ReclaimFailed(DataskyddError):
    """The database could not be used at all (each step reports its own errors)."""


def personal_columns() -> dict[str, list[str]]:
    """Every table of the register's data map with its personal-data columns, derived ones
    (blind indexes, search text) included: they restate the values they come from."""
    return {entry.table: sorted(entry.columns) for entry in register_tables() if entry.columns}


def reclaim(
    table: Annotated[
        list[str] | None,
        typer.Option(
            "--table",
            metavar="TABLE",
            help=_(
                "Rewrite only this table of the register's data map (repeatable); default: all "
                "of them. Statistics are handled for all tables whatever this says."
            ),
        ),
    ] = None,
    lock_wait: Annotated[
        float,
        typer.Option(
            min=0.1,
            max=60.0,
            help=_(
                "Seconds a statement waits for its lock, and reclaim for transactions older "
                "than itself to end. Queries of a table queue behind a rewrite waiting for its "
                "lock, so keep it short."
            ),
        ),
    ] = 2.0,
    max_lock: Annotated[
        float,
        typer.Option(
            min=1.0,
            max=3600.0,
            help=_(
                "Seconds a rewrite may run, and so block its table, before it is cancelled and "
                "the table left as it was (about 0.5 s per 100,000 rows, docs/postgresql.md)."
            ),
        ),
    ] = 30.0,
) -> None:
    with cli_transaction():
        pass  # refuses an uninitialised database and loads the key, like every command
    columns = personal_columns()
    if table is not None:
        unknown = sorted(set(table) - set(columns))
        if unknown:
            raise InvalidInput(
                "--table",
                Msg(
                    "not a personal-data table of the register's data map: {values}",
                    values=", ".join(unknown),
                ),
            )
    engine = runtime.engine_for(get_settings().database_url)
    try:
        steps = reclaim_space(
            engine,
            columns,
            tables=table,
            limits=Limits(lock_wait=lock_wait, max_lock=max_lock),
        )
    except DBAPIError as error:
        # The connection itself failed (steps catch their own statements' errors); the
        # driver's message may quote the URL, so only the kind.
        raise ReclaimFailed(
            Msg(
                "reclaim could not use the database ({error_type})",
                error_type=type(error.orig).__name__,
            )
        ) from None
    for step in steps:
        typer.echo(str(step))
    if incomplete(steps):
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command(
        "reclaim",
        help="\n\n".join(
            (
                _(
                    "Make erased values leave the database files; run it after erasures "
                    "(e.g. nightly)."
                ),
                _(
                    "PostgreSQL: (1) sets the statistics target of every personal-data column "
                    "of the data map to 0, so ANALYZE copies none of their values into "
                    "pg_statistic, and deletes statistics collected from them before (that "
                    "needs a superuser); (2) rewrites each table of the register's data map (or "
                    "each --table) with VACUUM FULL, so deleted and replaced rows leave its "
                    "table, TOAST and index files; each table is locked against reads and "
                    "writes while it is rewritten; a table whose lock is not granted within "
                    "--lock-wait, or whose rewrite outlasts --max-lock, is left as it was and "
                    "reported; a transaction that began before the run and is still open makes "
                    "the rewrite keep rows it may see: reported too; (3) rewrites pg_statistic "
                    "(superuser or database owner) and runs CHECKPOINT (superuser or "
                    "pg_checkpoint)."
                ),
                _(
                    "SQLite: VACUUM rebuilds the file (deleted content is overwritten already) "
                    "and the write-ahead log is truncated."
                ),
                _(
                    "Not covered: the write-ahead log (pg_wal, WAL archives), base backups and "
                    "other copies keep old values until they rotate out; logical replicas and "
                    "the company's other systems need their own; freed disk blocks are not "
                    "overwritten. Every line printed says what was done or not; the exit code "
                    "is 1 when erased values may remain. See docs/postgresql.md."
                ),
            )
        ),
    )(reclaim)
