"""`dataskydd analytics partition|partitions`: PostgreSQL's monthly partitions of the raw
website events (analytics/partitions.py, docs/web-analytics.md)."""

from __future__ import annotations

import json

import typer

from dataskydd.analytics import partitions
from dataskydd.cli import _
from dataskydd.cli._context import JsonOption, cli_transaction
from dataskydd.clock import today_in_sweden
from dataskydd.errors import InvalidInput
from dataskydd.messages_i18n import Msg

app = typer.Typer(
    help=_("Web analytics on PostgreSQL: the raw events partitioned by month."),
    no_args_is_help=True,
)


@app.command(
    "partition",
    help=_(
        "Partition page_event by month, every event copied; then this month's partition and "
        "the next ones. The copy holds the collector's writes until it ends: run it in a "
        "maintenance window (docs/web-analytics.md). Nothing to copy when it is partitioned "
        "already."
    ),
)
def partition(as_json: JsonOption = False) -> None:
    today = today_in_sweden()
    with cli_transaction() as session:
        connection = session.connection()
        if connection.dialect.name != "postgresql":
            raise InvalidInput(
                "database", Msg("partitions are PostgreSQL's; on SQLite the events stay one table")
            )
        done = partitions.convert(connection, today)
        created = done.months if done is not None else partitions.ensure_ahead(connection, today)
    summary: dict[str, object] = {
        "converted": done is not None,
        "events_copied": done.events if done else 0,
        "partitions_created": created,
    }
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
        return
    if done is None:
        typer.echo(
            _("page_event was partitioned already; {count} partition(s) created.").format(
                count=len(created)
            )
        )
        return
    typer.echo(
        _(
            "page_event partitioned by month: {events} event(s) copied into {months} monthly "
            "partition(s) and the default one."
        ).format(events=done.events, months=len(done.months))
    )


@app.command("partitions", help=_("List page_event's partitions (PostgreSQL)."))
def list_partitions(as_json: JsonOption = False) -> None:
    with cli_transaction() as session:
        connection = session.connection()
        names = partitions.partitions(connection)
        partitioned = partitions.is_partitioned(connection)
    if as_json:
        typer.echo(json.dumps({"partitioned": partitioned, "partitions": names}, indent=2))
        return
    if not partitioned:
        typer.echo(_("page_event is not partitioned (run `dataskydd analytics partition`)."))
        return
    for name in names:
        typer.echo(name)
