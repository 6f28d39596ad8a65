"""`dataskydd systems discover URL`: propose a data map for another system (docs/discovery.md).

The database is opened read-only and only a bounded sample of each table is read; the
proposal (a map file to review) goes to standard output or `--out`, a summary of what was
read to standard error. Neither ever quotes a value read from the database, and the URL is
only ever shown without its password.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dataskydd.cli import _
from dataskydd.cli._files import write_text
from dataskydd.datamap.connections import describe
from dataskydd.datamap.discover import (
    DEFAULT_MAX_TABLES,
    DEFAULT_SAMPLE_ROWS,
    MAX_SAMPLE_ROWS,
    check_system_key,
    default_system_key,
    discover,
)

app = typer.Typer(
    help=_("The company's other systems: propose a data map from a database."),
    no_args_is_help=True,
)


@app.command(
    "discover",
    help=_("Read a bounded sample of every table and propose a data map file for review.")
    + "\n\n"
    + _(
        "Nothing is written to the database and no value read from it is printed: the proposal "
        "says what each column seems to hold and the share of sampled values that matched."
    ),
)
def discover_command(
    url: Annotated[
        str,
        typer.Argument(
            help=_(
                "Database URL, e.g. postgresql://reader@host/shop, mysql://…, "
                "sqlite:///path/shop.db. Opened read-only."
            ),
            show_default=False,
        ),
    ],
    sample_rows: Annotated[
        int,
        typer.Option(
            "--sample-rows",
            min=1,
            max=MAX_SAMPLE_ROWS,
            help=_("Rows read per table at most (a LIMIT on each SELECT)."),
        ),
    ] = DEFAULT_SAMPLE_ROWS,
    max_tables: Annotated[
        int,
        typer.Option("--max-tables", min=1, help=_("Tables read at most (by name order).")),
    ] = DEFAULT_MAX_TABLES,
    out: Annotated[
        Path | None,
        typer.Option("--out", help=_("Write the proposed map file here instead of stdout.")),
    ] = None,
    system: Annotated[
        str | None,
        typer.Option("--system", help=_("The system's key in the map (default: from the URL).")),
    ] = None,
) -> None:
    key = check_system_key(system if system is not None else default_system_key(url), "--system")
    typer.echo(
        _("Reading {url} (read-only, ≤ {rows} rows a table)…").format(
            url=describe(url), rows=sample_rows
        ),
        err=True,
    )
    proposal = discover(url, sample_rows=sample_rows, max_tables=max_tables)
    document = proposal.to_yaml(key)
    if out is None:
        typer.echo(document, nl=False)
    else:
        write_text(out, document)
        typer.echo(_("Wrote {out}").format(out=out), err=True)
    typer.echo(proposal.summary(), err=True)
    for entry in proposal.not_read:
        typer.echo(_("not read: {table}").format(table=entry), err=True)
