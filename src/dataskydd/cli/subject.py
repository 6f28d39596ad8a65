"""`dataskydd subject find|show`: look up subjects and read their data for a stated purpose."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from dataskydd.auth.access import operator_context
from dataskydd.cli import _, render
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
    help=_("Find subjects and show what the register holds about them."), no_args_is_help=True
)
console = Console()


@app.command(
    "find",
    help=_(
        "Find subjects. Identifiers are matched exactly (via their blind index), names by parts."
    ),
)
def find(
    query: Annotated[
        str, typer.Argument(help=_("Name, e-mail, phone, personnummer or organisationsnummer."))
    ],
    limit: Annotated[int, typer.Option(min=1, max=500, help=_("At most this many matches."))] = 20,
    as_json: Annotated[bool, typer.Option("--json", help=_("Print a JSON array."))] = False,
) -> None:
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
        console.print(_("No subject matches."))
        raise typer.Exit(1)
    table = Table(
        _("id"), _("kind"), _("name"), _("personnummer"), _("org.nr"), _("e-mail"), _("city")
    )
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


@app.command(
    "show",
    help=_("Everything about one subject, grouped by category, for a purpose. Audited.")
    + "\n\n"
    + _(
        "The access decision applies as on the web: the subject's consent, objections and "
        "restrictions, and a case for purposes that need one."
    ),
)
def show(
    subject_id: SubjectIdArgument,
    purpose: Annotated[
        str, typer.Option(help=_("Why you read the data; the policy decides what it may see."))
    ],
    category: Annotated[
        list[str] | None, typer.Option(help=_("Only this category (repeatable)."))
    ] = None,
    case: Annotated[
        str | None,
        typer.Option(help=_("The case the read serves, e.g. request:12; some purposes need one.")),
    ] = None,
    lang: Annotated[
        Language, typer.Option(help=_("Language of titles and retention texts."))
    ] = Language.SV,
    rows: Annotated[int, typer.Option(min=1, max=10000, help=_("Rows shown per table."))] = 50,
    as_json: Annotated[bool, typer.Option("--json", help=_("Print JSON."))] = False,
) -> None:
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
    console.print(
        _("[bold]{name}[/bold] (subject {subject_id})").format(
            name=view["name"], subject_id=view["subject_id"]
        )
    )
    for group in view["categories"]:
        console.rule(f"{group['title']} [{group['category']}]")
        console.print(
            _("Purpose: {purpose} · legal basis: {legal_basis}").format(
                purpose=group["purpose"], legal_basis=group["legal_basis"]
            )
            + "\n"
            + _("Retention: {retention}").format(retention=group["retention"]),
            highlight=False,
        )
        if not group["tables"]:
            console.print(_("No data in this category."))
        for rows in group["tables"]:
            if not rows["rows"]:
                continue
            columns = list(rows["rows"][0])
            title = _("{table} ({total} rows)").format(table=rows["table"], total=rows["total"])
            table = Table(*columns, title=title)
            for row in rows["rows"]:
                table.add_row(*("" if row[c] is None else str(row[c]) for c in columns))
            console.print(table)
    if view["withheld_reasons"]:
        console.print(_("Not shown:"))
        for reason in dict.fromkeys(view["withheld_reasons"].values()):
            console.print(f"  {render(reason)}", highlight=False)


@app.command(
    "export",
    help=_("Write the registerutdrag (GDPR art. 15): a readable PDF and the complete JSON."),
)
def export(
    subject_id: SubjectIdArgument,
    out: Annotated[Path, typer.Option(help=_("Directory for registerutdrag.pdf and .json."))],
    lang: Annotated[Language, typer.Option(help=_("Language of the extract."))] = Language.SV,
) -> None:
    # Here, not at the top: the registerutdrag's PDF needs reportlab, which `find` and `show`
    # should not wait for.
    from dataskydd.subject_requests import service as subject_request_service

    if out.exists() and not out.is_dir():
        raise typer.BadParameter(_("is a file, not a directory"), param_hint="--out")
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
    console.print(
        _("Wrote {pdf} and {json_file} ({rows:,} rows).").format(
            pdf=pdf, json_file=json_file, rows=result.rows
        ),
        highlight=False,
    )


@app.command(
    "erase",
    help=_(
        "Erase a subject (GDPR art. 17): prints what is erased and what the law keeps, and why."
    ),
)
def erase(
    subject_id: SubjectIdArgument,
    dry_run: Annotated[bool, typer.Option("--dry-run", help=_("Only show the plan."))] = False,
    yes: Annotated[bool, typer.Option("--yes", help=_("Do not ask for confirmation."))] = False,
) -> None:
    from dataskydd.subject_requests import service as subject_request_service

    policy = current_policy()
    with cli_transaction() as session:
        plan = subject_request_service.plan_erasure(
            session, caller=operator_context(cli_actor()), policy=policy, subject_id=subject_id
        )
    _print_plan(plan.as_dict())
    if dry_run:
        return
    if not yes and not typer.confirm(_("Erase now? This cannot be undone."), default=False):
        raise typer.Exit(1)
    with cli_transaction() as session:
        done = subject_request_service.erase(
            session, caller=operator_context(cli_actor()), policy=policy, subject_id=subject_id
        )
    kept = [item.title for item in done.items if item.category in done.kept]
    said = _("Erased.")
    if kept:
        said += " " + _("Kept and restricted: {categories}.").format(categories=", ".join(kept))
    console.print(said, highlight=False)


def _print_plan(plan: dict[str, Any]) -> None:
    table = Table(
        _("category"), _("rows"), _("action"), _("until"), _("why"), title=_("Erasure plan")
    )
    for item in plan["items"]:
        table.add_row(
            item["title"],
            str(sum(item["rows"].values())),
            _("keep (restricted)") if item["action"] == "keep" else _("erase"),
            item["kept_until"] or "",
            render(item["reason"] or ""),
        )
    console.print(table)
