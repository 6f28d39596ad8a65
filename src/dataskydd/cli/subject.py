"""`dataskydd subject find|show`: look up subjects and read their data for a stated purpose."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from dataskydd.auth.access import operator_context
from dataskydd.cli._context import (
    Language,
    SubjectIdArgument,
    cli_actor,
    cli_transaction,
    current_policy,
)
from dataskydd.cli._files import atomic_folder
from dataskydd.datamap import search as subject_search
from dataskydd.datamap import subject_view

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
        matches = subject_search.find_subjects(
            session,
            policy=current_policy(),
            caller=operator_context(cli_actor()),
            query=query,
            limit=limit,
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
            m.name or "",
            m.personnummer_masked or "",
            m.organisationsnummer or "",
            m.email or "",
            m.city or "",
        )
    console.print(table)


@app.command("show")
def show(
    subject_id: SubjectIdArgument,
    purpose: Annotated[
        str, typer.Option(help="Why you read the data; the policy decides what it may see.")
    ],
    category: Annotated[
        list[str] | None, typer.Option(help="Only this category (repeatable).")
    ] = None,
    case: Annotated[
        str | None,
        typer.Option(help="The case the read serves, e.g. request:12; some purposes need one."),
    ] = None,
    lang: Annotated[Language, typer.Option(help="Language of titles and retention texts.")] = (
        Language.SV
    ),
    rows: Annotated[int, typer.Option(min=1, max=10000, help="Rows shown per table.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Everything about one subject, grouped by category, for a purpose. Audited.

    The access decision applies as on the web: the subject's consent, objections and
    restrictions, and a case for purposes that need one."""
    with cli_transaction() as session:
        view = subject_view.show_subject(
            session,
            caller=operator_context(cli_actor()),
            case=case,
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
    if view["withheld_reasons"]:
        console.print("Not shown:")
        for reason in dict.fromkeys(view["withheld_reasons"].values()):
            console.print(f"  {reason}", highlight=False)


@app.command("export")
def export(
    subject_id: SubjectIdArgument,
    out: Annotated[Path, typer.Option(help="Directory for registerutdrag.pdf and .json.")],
    lang: Annotated[Language, typer.Option(help="Language of the extract.")] = Language.SV,
) -> None:
    """Write the registerutdrag (GDPR art. 15): a readable PDF and the complete JSON."""
    # Here, not at the top: the registerutdrag's PDF needs reportlab, which `find` and `show`
    # should not wait for.
    from dataskydd.subject_requests import service as subject_request_service

    if out.exists() and not out.is_dir():
        raise typer.BadParameter("is a file, not a directory", param_hint="--out")
    # Written beside the target and moved in when complete: a failed export leaves nothing.
    with atomic_folder(out) as staging, cli_transaction() as session:
        result = subject_request_service.export_extract(
            session,
            caller=operator_context(cli_actor()),
            policy=current_policy(),
            subject_id=subject_id,
            directory=staging,
            lang=lang.as_lang(),
        )
    pdf, json_file = out / result.pdf.name, out / result.json.name
    console.print(f"Wrote {pdf} and {json_file} ({result.rows:,} rows).", highlight=False)


@app.command("erase")
def erase(
    subject_id: SubjectIdArgument,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only show the plan.")] = False,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Erase a subject (GDPR art. 17): prints what is erased and what the law keeps, and why."""
    from dataskydd.subject_requests import service as subject_request_service

    policy = current_policy()
    with cli_transaction() as session:
        plan = subject_request_service.plan_erasure(
            session, caller=operator_context(cli_actor()), policy=policy, subject_id=subject_id
        )
    _print_plan(plan.as_dict())
    if dry_run:
        return
    if not yes and not typer.confirm("Erase now? This cannot be undone.", default=False):
        raise typer.Exit(1)
    with cli_transaction() as session:
        done = subject_request_service.erase(
            session, caller=operator_context(cli_actor()), policy=policy, subject_id=subject_id
        )
    kept = [item.title for item in done.items if item.category in done.kept]
    console.print(
        "Erased." + (f" Kept and restricted: {', '.join(kept)}." if kept else ""),
        highlight=False,
    )


def _print_plan(plan: dict[str, Any]) -> None:
    table = Table("category", "rows", "action", "until", "why", title="Erasure plan")
    for item in plan["items"]:
        table.add_row(
            item["title"],
            str(sum(item["rows"].values())),
            "keep (restricted)" if item["action"] == "keep" else "erase",
            item["kept_until"] or "",
            item["reason"] or "",
        )
    console.print(table)
