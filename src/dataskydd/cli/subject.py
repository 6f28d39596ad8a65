"""`dataskydd subject find|show`: look up subjects and read their data for a stated purpose."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from dataskydd.cli._context import Language, cli_actor, cli_transaction, current_policy
from dataskydd.datamap import subject_view
from dataskydd.register import service as register_service

app = typer.Typer(
    help="Find subjects and show what the register holds about them.", no_args_is_help=True
)
console = Console()


@app.command("find")
def find(
    query: Annotated[
        str, typer.Argument(help="Name, e-mail, phone, personnummer or organisationsnummer.")
    ],
    limit: Annotated[int, typer.Option(min=1, max=500, help="At most this many matches.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array.")] = False,
) -> None:
    """Find subjects. Identifiers are matched exactly (via their blind index), names by parts."""
    with cli_transaction() as session:
        matches = register_service.find_subjects(
            session, actor=cli_actor(), query=query, limit=limit
        )
    if as_json:
        typer.echo(json.dumps([m.model_dump(mode="json") for m in matches], ensure_ascii=False))
        return
    if not matches:
        console.print("No subject matches.")
        raise typer.Exit(1)
    table = Table("id", "kind", "name", "personnummer", "org.nr", "e-mail", "city")
    for m in matches:
        table.add_row(
            str(m.id),
            m.kind.value,
            m.name,
            m.personnummer_masked or "",
            m.organisationsnummer or "",
            m.email or "",
            m.city or "",
        )
    console.print(table)


@app.command("show")
def show(
    subject_id: Annotated[int, typer.Argument(help="The subject's id (see `subject find`).")],
    purpose: Annotated[
        str, typer.Option(help="Why you read the data; the policy decides what it may see.")
    ],
    category: Annotated[
        list[str] | None, typer.Option(help="Only this category (repeatable).")
    ] = None,
    lang: Annotated[Language, typer.Option(help="Language of titles and retention texts.")] = (
        Language.SV
    ),
    rows: Annotated[int, typer.Option(min=1, max=10000, help="Rows shown per table.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Everything about one subject, grouped by category, for a purpose. Audited."""
    with cli_transaction() as session:
        view = subject_view.show_subject(
            session,
            actor=cli_actor(),
            policy=current_policy(),
            subject_id=subject_id,
            purpose=purpose,
            categories=category,
            lang=lang.as_lang(),
            rows_per_table=rows,
        )
    if as_json:
        typer.echo(json.dumps(view.as_dict(), ensure_ascii=False))
        return
    _print_view(view.as_dict())


def _print_view(view: dict[str, Any]) -> None:
    console.print(f"[bold]{view['name']}[/bold] (subject {view['subject_id']})")
    for group in view["categories"]:
        console.rule(f"{group['title']} [{group['category']}]")
        console.print(
            f"Purpose: {group['purpose']} · legal basis: {group['legal_basis']}\n"
            f"Retention: {group['retention']}",
            highlight=False,
        )
        if not group["tables"]:
            console.print("No data in this category.")
        for rows in group["tables"]:
            if not rows["rows"]:
                continue
            columns = list(rows["rows"][0])
            table = Table(*columns, title=f"{rows['table']} ({rows['total']} rows)")
            for row in rows["rows"]:
                table.add_row(*("" if row[c] is None else str(row[c]) for c in columns))
            console.print(table)
    if view["withheld_categories"]:
        console.print(
            "Not shown (this purpose may not use them): " + ", ".join(view["withheld_categories"])
        )
