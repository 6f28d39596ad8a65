"""`dataskydd audit verify|list`: check and read the tamper-evident audit log."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from dataskydd.audit import service as audit_service
from dataskydd.audit.models import AuditEntry
from dataskydd.cli._context import cli_transaction

app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)
console = Console()


@app.command()
def verify() -> None:
    """Recompute the hash chain; exit 1 if any entry was changed, removed or moved."""
    with cli_transaction() as session, console.status("Verifying the audit chain…"):
        report = audit_service.verify_chain(session)
    if report.ok:
        console.print(f"Audit chain intact: {report.checked} entries", style="green")
        return
    console.print(
        f"Audit chain broken at entry #{report.first_broken_id}: {report.reason}",
        style="bold red",
        highlight=False,
    )
    raise typer.Exit(1)


@app.command("list")
def list_(
    subject: Annotated[int | None, typer.Option(help="Only entries about this subject id.")] = None,
    actor: Annotated[str | None, typer.Option(help='Only this actor, e.g. "staff:anna".')] = None,
    action: Annotated[
        str | None, typer.Option(help='Only this action, e.g. "subject.show".')
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many, newest first.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Show the newest audit entries."""
    with cli_transaction() as session:
        entries = audit_service.list_entries(
            session, subject_id=subject, actor=actor, action=action, limit=limit
        )
        rows = [_as_dict(entry) for entry in entries]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        console.print("No matching audit entries.")
        return
    table = Table("#", "at (UTC)", "actor", "action", "subject", "purpose", "detail")
    for row in rows:
        table.add_row(
            str(row["id"]),
            row["at"][:19].replace("T", " "),
            row["actor"],
            row["action"],
            "" if row["subject_id"] is None else str(row["subject_id"]),
            row["purpose"] or "",
            json.dumps(row["detail"], ensure_ascii=False) if row["detail"] else "",
        )
    console.print(table)


def _as_dict(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "at": entry.at.isoformat(),
        "actor": entry.actor,
        "action": entry.action,
        "subject_id": entry.subject_id,
        "purpose": entry.purpose,
        "detail": entry.detail,
        "hash": entry.hash,
    }
