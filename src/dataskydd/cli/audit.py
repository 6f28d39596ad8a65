"""`dataskydd audit verify|checkpoint|list`: check, anchor and read the tamper-evident log."""

from __future__ import annotations

import json
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from dataskydd.audit import checkpoint_file
from dataskydd.audit import service as audit_service
from dataskydd.audit.models import AuditEntry
from dataskydd.cli import _, render
from dataskydd.cli._context import MAX_ID, cli_transaction
from dataskydd.config import get_settings
from dataskydd.errors import ConfigurationError, InvalidInput
from dataskydd.messages_i18n import Msg

app = typer.Typer(help=_("The tamper-evident audit log."), no_args_is_help=True)
console = Console()

CheckpointOption = Annotated[
    Path | None,
    typer.Option(
        "--checkpoint",
        help=_(
            "Checkpoint file to compare with (default: DATASKYDD_AUDIT_CHECKPOINT_FILE, or "
            "dataskydd-audit-checkpoints.jsonl beside the key file)."
        ),
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help=_("Print JSON for scripts."))]


@app.command(
    "verify",
    help=_("Check every entry's MAC and link, and the chain against every checkpoint in the file.")
    + "\n\n"
    + _(
        "Exit 1 if an entry was changed, removed, moved or added without the key, if entries a "
        "checkpoint vouches for are gone, or if a checkpoint line is not genuine."
    ),
)
def verify(checkpoint: CheckpointOption = None, as_json: JsonOption = False) -> None:
    path = _checkpoint_path(checkpoint, must_exist=True)
    with cli_transaction() as session, _status(as_json, _("Verifying the audit chain…")):
        report = audit_service.verify_against_checkpoint(session, path)
    if as_json:
        typer.echo(json.dumps(_report_dict(report, path), ensure_ascii=False, indent=2))
    elif report.ok:
        _print_intact(report, path)
    else:
        _print_broken(report)
    if not report.ok:
        raise typer.Exit(1)


@app.command(
    "checkpoint",
    help=_("Verify the chain, then append a signed checkpoint of it to the checkpoint file.")
    + "\n\n"
    + _(
        "Keep a copy where the database's administrators cannot change it (a WORM store, a "
        "mail to the DPO): `audit verify --checkpoint COPY` then shows entries deleted since. "
        "Nothing is appended, and the exit code is 1, when the chain is broken."
    ),
)
def checkpoint_(
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help=_(
                "Append to this file instead (default: DATASKYDD_AUDIT_CHECKPOINT_FILE, or "
                "dataskydd-audit-checkpoints.jsonl beside the key file)."
            ),
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    path = _checkpoint_path(out, must_exist=False)
    try:
        with cli_transaction() as session, _status(as_json, _("Verifying the audit chain…")):
            report, written = audit_service.write_checkpoint(session, path)
    except OSError as error:
        raise ConfigurationError(
            Msg("cannot append to {path}: {strerror}", path=path, strerror=error.strerror)
        ) from None
    if as_json:
        result = _report_dict(report, path)
        result["written"] = None if written is None else json.loads(written.to_line())
        typer.echo(json.dumps(result, ensure_ascii=False, indent=2))
    elif written is not None:
        _say(
            _("Checkpoint appended to {path}: {count} entries, {at}").format(
                path=path, count=written.count, at=audit_service.describe_time(written.at)
            ),
            "green",
        )
    else:
        _print_broken(report)
    if written is None:
        raise typer.Exit(1)


def _checkpoint_path(given: Path | None, *, must_exist: bool) -> Path:
    if given is None:
        return checkpoint_file.default_path(get_settings())
    if must_exist and not given.is_file():
        raise InvalidInput("--checkpoint", Msg("{given} is not a file", given=given))
    return given


def _status(quiet: bool, message: str) -> AbstractContextManager[Any]:
    # No spinner around --json: its output is read by scripts.
    return nullcontext() if quiet else console.status(message)


def _print_intact(report: audit_service.ChainReport, path: Path) -> None:
    if report.checkpoint_at is None:
        _say(_("Audit chain intact: {count} entries").format(count=report.checked), "green")
        _say(
            _(
                "No checkpoint in {path}: deleting the newest entries, or all of them, would go "
                "unnoticed. Run `dataskydd audit checkpoint` and keep a copy elsewhere."
            ).format(path=path),
            "yellow",
        )
        return
    _say(
        _(
            "Audit chain intact: {count} entries, matches checkpoint of {at} ({checkpoint_count} "
            "entries; {checkpoints} checkpoints checked)"
        ).format(
            count=report.checked,
            at=audit_service.describe_time(report.checkpoint_at),
            checkpoint_count=report.checkpoint_count,
            checkpoints=report.checkpoints_checked,
        ),
        "green",
    )


def _print_broken(report: audit_service.ChainReport) -> None:
    reason = render(report.reason)
    if report.first_broken_id is None:
        message = _("Audit checkpoint rejected: {reason}").format(reason=reason)
    else:
        message = _("Audit chain broken at entry #{entry}: {reason}").format(
            entry=report.first_broken_id, reason=reason
        )
    _say(message, "bold red")


def _say(message: str, style: str) -> None:
    # One line however long (paths, dates): log readers and scripts grep for it.
    console.print(message, style=style, highlight=False, soft_wrap=True)


def _report_dict(report: audit_service.ChainReport, path: Path) -> dict[str, Any]:
    return {
        "ok": report.ok,
        "entries": report.checked,
        "first_broken_id": report.first_broken_id,
        "reason": report.reason or None,
        "checkpoint_file": str(path),
        "checkpoint": None
        if report.checkpoint_at is None
        else {"at": report.checkpoint_at.isoformat(), "count": report.checkpoint_count},
        "checkpoints_checked": report.checkpoints_checked,
    }


@app.command("list", help=_("Show the newest audit entries."))
def list_(
    subject: Annotated[
        int | None,
        typer.Option(min=1, max=MAX_ID, help=_("Only entries about this subject id.")),
    ] = None,
    actor: Annotated[
        str | None, typer.Option(help=_('Only this actor, e.g. "staff:anna".'))
    ] = None,
    action: Annotated[
        str | None, typer.Option(help=_('Only this action, e.g. "subject.show".'))
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help=_("At most this many, newest first."))] = 50,
    as_json: JsonOption = False,
) -> None:
    with cli_transaction() as session:
        entries = audit_service.list_entries(
            session, subject_id=subject, actor=actor, action=action, limit=limit
        )
        rows = [_as_dict(entry) for entry in entries]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        console.print(_("No matching audit entries."))
        return
    table = Table(
        "#", _("at (UTC)"), _("actor"), _("action"), _("subject"), _("purpose"), _("detail")
    )
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
        "mac": entry.hash,
    }
