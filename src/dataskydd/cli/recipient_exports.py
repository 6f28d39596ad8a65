"""`dataskydd exports create|list|show`: controlled exports of subjects' data to a recipient
of the policy (docs/recipient-exports.md). Only the categories the policy lets the recipient
receive, every subject through the access decision, every file logged."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from dataskydd.auth.access import operator_context
from dataskydd.cli import _
from dataskydd.cli._context import MAX_ID, JsonOption, cli_actor, cli_transaction, current_policy
from dataskydd.cli._files import atomic_file
from dataskydd.errors import InvalidInput
from dataskydd.messages_i18n import Msg
from dataskydd.recipient_exports import scope
from dataskydd.recipient_exports import service as export_service
from dataskydd.recipient_exports.models import ExportFormat, RecipientExport

app = typer.Typer(
    help=_("Exports to recipients: only what the policy lets each receive, logged."),
    no_args_is_help=True,
)
console = Console(width=160)


def _selection(subjects: str | None, subjects_file: Path | None) -> list[int]:
    if (subjects is None) == (subjects_file is None):
        raise InvalidInput("subjects", Msg("give either --subjects or --subjects-file"))
    if subjects_file is not None:
        try:
            with subjects_file.open("r", encoding="utf-8") as handle:
                # Bounded before parsing: one character more than a selection may have.
                text = handle.read(scope.MAX_SELECTION_CHARS + 1)
        except (OSError, UnicodeDecodeError):
            raise InvalidInput("subjects-file", Msg("cannot be read as UTF-8 text")) from None
        return scope.parse_subject_ids(text)
    return scope.parse_subject_ids(subjects or "")


def _summary(export: RecipientExport) -> dict[str, Any]:
    return {
        "export": export.id,
        "recipient": export.recipient,
        "purpose": export.purpose,
        "categories": export.category_keys,
        "format": export.format.value,
        "subjects": export.subjects,
        "rows": export.rows,
        "sha256": export.sha256,
        "size_bytes": export.size_bytes,
        "created_by": export.created_by,
        "created_at": export.created_at.isoformat(),
    }


@app.command(
    "create",
    help=_(
        "Write an export for a recipient. Refused as a whole, with nothing written, when a "
        "category is not the recipient's or a subject's state (objection, restriction, "
        "consent) does not allow it; the refusal is audited."
    ),
)
def create(
    recipient: Annotated[str, typer.Option(help=_("The recipient's key in the policy."))],
    purpose: Annotated[str, typer.Option(help=_("The purpose the export serves."))],
    out: Annotated[Path, typer.Option(help=_("The file to write (replaced if it exists)."))],
    subjects: Annotated[
        str | None, typer.Option(help=_("Subject ids, separated by commas: 12,40,41."))
    ] = None,
    subjects_file: Annotated[
        Path | None, typer.Option(help=_("A text file of subject ids, one a line."))
    ] = None,
    categories: Annotated[
        str | None,
        typer.Option(help=_("Only these category keys (a,b); default all the export may hold.")),
    ] = None,
    fmt: Annotated[ExportFormat, typer.Option("--format", help=_("csv or json."))] = (
        ExportFormat.CSV
    ),
    as_json: JsonOption = False,
) -> None:
    order = export_service.ExportOrder(
        recipient=recipient,
        purpose=purpose,
        subject_ids=_selection(subjects, subjects_file),
        categories=scope.parse_categories(categories),
        format=fmt,
    )
    if out.is_dir():
        raise InvalidInput("out", Msg("is a folder; name the file to write"))
    # The file appears whole when the log is committed, or not at all.
    with atomic_file(out) as temp, cli_transaction() as session:
        with temp.open("wb") as handle:
            export = export_service.create_export(
                session,
                policy=current_policy(),
                caller=operator_context(cli_actor()),
                order=order,
                out=handle,
            )
        summary = _summary(export)
    if as_json:
        typer.echo(json.dumps(summary))
        return
    console.print(
        _(
            "Export {export} to {recipient}: {subjects} subject(s), {rows} row(s), {size} "
            "bytes written to {out}"
        ).format(
            export=summary["export"],
            recipient=recipient,
            subjects=summary["subjects"],
            rows=summary["rows"],
            size=summary["size_bytes"],
            out=out,
        )
        + f"\nSHA-256 {summary['sha256']}",
        highlight=False,
    )


@app.command("list", help=_("The latest exports, newest first."))
def list_exports(
    recipient: Annotated[str | None, typer.Option(help=_("Only this recipient's."))] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help=_("At most this many."))] = 100,
    as_json: JsonOption = False,
) -> None:
    with cli_transaction() as session:
        rows = [
            _summary(e)
            for e in export_service.recent_exports(
                session, operator_context(cli_actor()), recipient=recipient, limit=limit
            )
        ]
    if as_json:
        typer.echo(json.dumps(rows))
        return
    table = Table(
        _("export"),
        _("recipient"),
        _("purpose"),
        _("format"),
        _("subjects"),
        _("rows"),
        _("by"),
        _("when"),
    )
    for row in rows:
        table.add_row(
            str(row["export"]),
            row["recipient"],
            row["purpose"],
            row["format"],
            str(row["subjects"]),
            str(row["rows"]),
            row["created_by"],
            row["created_at"][:16],
        )
    console.print(table)


@app.command(
    "show", help=_("One export: what, when, by whom, the file's hash, and per subject what went.")
)
def show(
    export_id: Annotated[int, typer.Argument(min=1, max=MAX_ID, help=_("The export's id."))],
    as_json: JsonOption = False,
) -> None:
    with cli_transaction() as session:
        detail = export_service.export_detail(session, operator_context(cli_actor()), export_id)
        data = _summary(detail.export) | {
            "total_subjects": detail.total_subjects,
            "subject_list": [
                {"subject": s.subject_id, "categories": s.category_keys, "rows": s.rows}
                for s in detail.subjects
            ],
        }
    if as_json:
        typer.echo(json.dumps(data))
        return
    lines = (
        _("Export {export} to {recipient} for {purpose} ({format}), {at} by {by}").format(
            export=data["export"],
            recipient=data["recipient"],
            purpose=data["purpose"],
            format=data["format"],
            at=data["created_at"][:16],
            by=data["created_by"],
        ),
        _("Categories: {categories}").format(categories=", ".join(data["categories"])),
        _("{subjects} subject(s), {rows} row(s), {size} bytes, SHA-256 {sha256}").format(
            subjects=data["subjects"],
            rows=data["rows"],
            size=data["size_bytes"],
            sha256=data["sha256"],
        ),
    )
    console.print("\n".join(lines), highlight=False)
    table = Table(_("subject"), _("categories"), _("rows"))
    for item in data["subject_list"]:
        table.add_row(str(item["subject"]), ", ".join(item["categories"]), str(item["rows"]))
    console.print(table)
